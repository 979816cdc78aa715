package model_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/model"
)

// ClusterNetworkPolicy is checked as its CRD checks it (CNP-1..CNP-4), every problem with its line.
func TestClusterNetworkPoliciesAreValidatedWithLines(t *testing.T) {
	_, probs := load(t, `apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: bad}
spec:
  tier: Middle
  priority: 1001
  subject:
    namespaces: {}
    pods: {podSelector: {}}
  ingress:
    - action: Allow
      from: [{namespaces: {}, pods: {podSelector: {}}}]
      protocols: [{tcp: {destinationPort: {number: 80, range: {start: 1, end: 2}}}}]
  egress:
    - action: Accept
      to: [{networks: [10.0.0.1/24, 10.0.0.0/33]}]
      protocols: [{destinationNamedPort: http}, {udp: {destinationPort: {range: {start: 90, end: 90}}}}, {sctp: {}}, {tcp: {destinationPort: {number: 0}}}]
    - action: Deny
      to: [{domainNames: [example.com, "bad_.com-", "*.ok.example"]}]
    - action: Accept
      to: [{pods: {namespaceSelector: {}}}]
      protocols: [{tcp: {destinationPort: {number: 443}}, udp: {destinationPort: {number: 53}}}]
---
apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: missing}
spec:
  egress: [{action: Pass}]
`)
	assert.Equal(t, []string{
		"in.yaml:5: spec.tier: unsupported value \"Middle\": must be Admin or Baseline (CNP-1)",
		"in.yaml:6: spec.priority: must be between 0 and 1000, got 1001 (CNP-1)",
		"in.yaml:8: spec.subject: must set exactly one of namespaces or pods (CNP-1)",
		"in.yaml:11: spec.ingress[0].action: unsupported value \"Allow\": must be Accept, Deny or Pass (CNP-2)",
		"in.yaml:12: spec.ingress[0].from[0]: must set exactly one peer field, got 2 (CNP-3)",
		"in.yaml:13: spec.ingress[0].protocols[0].tcp.destinationPort: must set exactly one of number or range (CNP-4)",
		"in.yaml:16: spec.egress[0].to[0].networks[0]: invalid CIDR \"10.0.0.1/24\": host bits are set; write 10.0.0.0/24",
		"in.yaml:16: spec.egress[0].to[0].networks[1]: invalid CIDR \"10.0.0.0/33\"",
		"in.yaml:17: spec.egress[0].protocols[0].destinationNamedPort: networks/nodes/domainNames peer cannot be set with namedPorts since there are no namedPorts for networks/nodes/domainNames",
		"in.yaml:17: spec.egress[0].protocols[1].udp.destinationPort.range: Start port must be less than End port (start 90, end 90) (CNP-4)",
		"in.yaml:17: spec.egress[0].protocols[2].sctp: must have at least 1 property: destinationPort (CNP-4)",
		"in.yaml:17: spec.egress[0].protocols[3].tcp.destinationPort.number: invalid port 0: must be between 1 and 65535, inclusive",
		"in.yaml:19: warning: spec.egress[1].to[0].domainNames: domainNames are defined for Accept rules only; the CRD stores this Deny rule, and implementations may ignore the peer (CNP-3); zonesim matches it as written",
		"in.yaml:19: spec.egress[1].to[0].domainNames[1]: invalid domain name \"bad_.com-\": two DNS labels or more, optionally after a leading \"*.\"",
		"in.yaml:21: spec.egress[2].to[0].pods.podSelector: required",
		"in.yaml:22: spec.egress[2].protocols[0]: must set exactly one of tcp, udp, sctp or destinationNamedPort, got 2 (CNP-4)",
		"in.yaml:28: spec.egress[0].to: required",
		"in.yaml:28: spec.priority: required",
		"in.yaml:28: spec.subject: required",
		"in.yaml:28: spec.tier: required",
	}, problemStrings(probs))
}

// A ClusterNetworkPolicy becomes an admin policy of its tier; the policies are ordered by tier, then
// priority, and an input that mixes both APIs says how it is read (CNP-2, CNP-5).
func TestClusterNetworkPoliciesJoinTheirTier(t *testing.T) {
	c, probs := load(t, `apiVersion: policy.networking.k8s.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: base}
spec:
  tier: Baseline
  priority: 5
  subject: {namespaces: {}}
  ingress: [{action: Pass, from: [{namespaces: {}}], protocols: [{udp: {destinationPort: {range: {start: 50, end: 60}}}}]}]
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: admin}
spec:
  tier: Admin
  priority: 30
  subject: {pods: {podSelector: {matchLabels: {app: db}}}}
  egress: [{name: out, action: Accept, to: [{domainNames: ["*.example.com"]}, {networks: ["192.0.2.0/24"]}], protocols: [{tcp: {destinationPort: {number: 443}}}]}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: old}
spec: {priority: 30, subject: {namespaces: {}}, ingress: [{action: Deny, from: [{namespaces: {}}]}]}
`)
	require.Empty(t, probs.Errors())
	var names []string
	for _, p := range c.AdminPolicies {
		names = append(names, p.Tier+" "+p.Key())
	}
	assert.Equal(t, []string{"Admin ClusterNetworkPolicy/admin", "Admin AdminNetworkPolicy/old", "Baseline ClusterNetworkPolicy/base"}, names)
	admin := c.AdminPolicies[0]
	assert.Equal(t, "db", admin.Subject.Pods.PodSelector.MatchLabels["app"])
	require.Len(t, admin.Egress, 1)
	r := admin.Egress[0]
	assert.Equal(t, "out", r.Name)
	assert.Equal(t, "Accept", r.Action)
	assert.False(t, r.AllPorts)
	assert.Equal(t, []string{"*.example.com"}, r.Peers[0].DomainNames)
	assert.Equal(t, "192.0.2.0/24", r.Peers[1].Networks[0].String())
	require.Len(t, r.Ports, 1)
	assert.Equal(t, model.Protocol("TCP"), r.Ports[0].PortNumber.Protocol)
	assert.Equal(t, int32(443), r.Ports[0].PortNumber.Port)
	base := c.AdminPolicies[2].Ingress[0]
	assert.Equal(t, int32(50), base.Ports[0].PortRange.Start)
	assert.Equal(t, model.Protocol("UDP"), base.Ports[0].PortRange.Protocol)
	assert.Equal(t, []string{
		"in.yaml:10: warning: the input holds both admin policy APIs: AdminNetworkPolicy old (policy.networking.k8s.io/v1alpha1) and ClusterNetworkPolicy admin (policy.networking.k8s.io/v1alpha2); a network plugin implements one of them (--cni ovn-kubernetes enforces v1alpha1 only); where both are enforced, zonesim orders each tier by priority across them, and the BaselineAdminNetworkPolicy after the Baseline tier's ClusterNetworkPolicies (CNP-5)",
		"in.yaml:22: warning: spec.priority: AdminNetworkPolicy old has the same priority 30 as ClusterNetworkPolicy admin (in.yaml:15): where both apply, the order is undefined (ANP-4, CNP-2); zonesim takes them by name",
	}, problemStrings(probs))
}

// Another group's ClusterNetworkPolicy (Antrea's) stays an object zonesim does not model.
func TestAntreaClusterNetworkPolicyIsNotModelled(t *testing.T) {
	c, probs := load(t, `apiVersion: crd.antrea.io/v1beta1
kind: ClusterNetworkPolicy
metadata: {name: acnp}
spec: {priority: 5}
`)
	require.Empty(t, probs.Errors())
	assert.Empty(t, c.AdminPolicies)
	require.Len(t, c.Unmodelled, 1)
	assert.Equal(t, "ClusterNetworkPolicy", c.Unmodelled[0].Kind)
}
