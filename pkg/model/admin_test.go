package model_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAdminPoliciesAreValidatedWithLines(t *testing.T) {
	_, probs := load(t, `apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: bad}
spec:
  priority: 1001
  subject:
    namespaces: {}
    pods: {namespaceSelector: {}, podSelector: {}}
  ingress:
    - action: Drop
      from: [{namespaces: {}, pods: {namespaceSelector: {}, podSelector: {}}}]
  egress:
    - action: Allow
      to: [{networks: [10.0.0.0/33]}]
      ports: [{namedPort: http}, {portRange: {start: 90, end: 80}}, {portNumber: {protocol: ICMP, port: 0}}]
    - action: Allow
      to: [{domainNames: [example.com]}]
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: mine}
spec:
  subject: {namespaces: {}}
  ingress: [{action: Pass, from: [{namespaces: {}}]}]
`)
	assert.Equal(t, []string{
		"in.yaml:5: spec.priority: must be between 0 and 1000, got 1001 (ANP-1)",
		"in.yaml:7: spec.subject: must set exactly one of namespaces or pods (ANP-1)",
		"in.yaml:10: spec.ingress[0].action: unsupported value \"Drop\": must be Allow, Deny or Pass",
		"in.yaml:11: spec.ingress[0].from[0]: must set exactly one peer field, got 2 (ANP-2)",
		"in.yaml:14: spec.egress[0].to[0].networks[0]: invalid CIDR \"10.0.0.0/33\"",
		"in.yaml:15: spec.egress[0].ports[0].namedPort: networks, nodes and domainNames peers cannot be used with named ports",
		"in.yaml:15: warning: spec.egress[0].ports[1].portRange: start 90 is above end 80: the CRD accepts it, and it matches no port",
		"in.yaml:15: spec.egress[0].ports[2].portNumber.port: must be between 1 and 65535, got 0",
		"in.yaml:15: spec.egress[0].ports[2].portNumber.protocol: unsupported value \"ICMP\": must be TCP, UDP or SCTP",
		"in.yaml:17: warning: spec.egress[1].to[0].domainNames: not supported: domainNames peers are not modelled; this peer matches no destination",
		"in.yaml:21: metadata.name: the BaselineAdminNetworkPolicy is a singleton named default, got \"mine\" (ANP-6)",
		"in.yaml:24: spec.ingress[0].action: unsupported value \"Pass\": must be Allow or Deny",
	}, problemStrings(probs))
}

func TestAdminPoliciesLoadInPriorityOrder(t *testing.T) {
	c, probs := load(t, `apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: b}
spec: {priority: 20, subject: {namespaces: {}}, ingress: [{action: Deny, from: [{namespaces: {}}]}]}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: a}
spec: {priority: 20, subject: {namespaces: {}}, egress: [{action: Allow, to: [{networks: [10.1.0.0/16]}], ports: [{portNumber: {protocol: TCP, port: 443}}]}]}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: c}
spec: {priority: 3, subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: x}}}}, ingress: [{action: Pass, from: [{namespaces: {}}]}]}
---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: BaselineAdminNetworkPolicy
metadata: {name: default}
spec: {subject: {namespaces: {}}, ingress: [{action: Deny, from: [{namespaces: {}}]}]}
`)
	require.NotNil(t, c)
	var names []string
	for _, p := range c.AdminPolicies {
		names = append(names, p.Name)
	}
	assert.Equal(t, []string{"c", "a", "b"}, names)
	require.NotNil(t, c.Baseline)
	assert.Equal(t, 19, c.Baseline.Ingress[0].Line)
	assert.Equal(t, []string{"in.yaml:4: warning: spec.priority: AdminNetworkPolicy b has the same priority 20 as AdminNetworkPolicy a (in.yaml:9): where both apply, the order is undefined (ANP-4, CNP-2); zonesim takes them by name"},
		problemStrings(probs))
}
