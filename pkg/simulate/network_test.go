package simulate_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// networksWorld: namespaces a1 and a2 on CUDN zone-a, b1 on its own UDN, d and plain on the default network
// (plain is selected by zone-a but lacks the label), m labelled without a network; kube-dns, a LoadBalancer
// and a ClusterIP service.
var networksWorld = networkObjects + networkPods

const networkObjects = `apiVersion: k8s.ovn.org/v1
kind: ClusterUserDefinedNetwork
metadata: {name: zone-a, labels: {connect: "yes"}}
spec:
  namespaceSelector: {matchLabels: {zone: a}}
  network: {topology: Layer3, layer3: {role: Primary, subnets: [{cidr: 10.100.0.0/16}]}}
---
apiVersion: k8s.ovn.org/v1
kind: UserDefinedNetwork
metadata: {name: net, namespace: b1}
spec: {topology: Layer2, layer2: {role: Primary, subnets: [10.200.0.0/16]}}
---
apiVersion: v1
kind: Namespace
metadata: {name: a1, labels: {zone: a, k8s.ovn.org/primary-user-defined-network: ""}}
---
apiVersion: v1
kind: Namespace
metadata: {name: a2, labels: {zone: a, k8s.ovn.org/primary-user-defined-network: ""}}
---
apiVersion: v1
kind: Namespace
metadata: {name: b1, labels: {k8s.ovn.org/primary-user-defined-network: ""}}
---
apiVersion: v1
kind: Namespace
metadata: {name: m, labels: {k8s.ovn.org/primary-user-defined-network: ""}}
---
apiVersion: v1
kind: Namespace
metadata: {name: plain, labels: {zone: a}}
---
apiVersion: v1
kind: Namespace
metadata: {name: d}
---
apiVersion: v1
kind: Namespace
metadata: {name: kube-system}
---
apiVersion: v1
kind: Pod
metadata: {name: dns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 53, protocol: UDP}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system}
spec: {selector: {k8s-app: kube-dns}, ports: [{port: 53, protocol: UDP}]}
---
apiVersion: v1
kind: Service
metadata: {name: lb, namespace: d}
spec: {type: LoadBalancer, selector: {app: p}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: d}
spec: {selector: {app: p}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: b1}
spec: {selector: {app: p}, ports: [{port: 80}]}
`

// networkPods is one pod labelled app: p in each namespace of networksWorld but kube-system.
var networkPods = func() string {
	var b strings.Builder
	for _, ns := range []string{"a1", "a2", "b1", "m", "plain", "d"} {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: %s, labels: {app: p}}\nspec: {containers: [{name: c, image: i, ports: [{containerPort: 80}]}]}\n", ns)
	}
	return b.String()
}()

// UDN-1..UDN-6: pods of different primary networks do not reach each other, whatever NetworkPolicy
// says, unless a ClusterNetworkConnect connects the networks (for pods, or for ClusterIP services);
// NodePort and LoadBalancer services, and the default network's kube-dns, cross networks; NetworkPolicy
// peers select pods of their own network only; a namespace labelled without a network runs no pod.
func TestUserDefinedNetworks(t *testing.T) {
	connect := func(connectivity string) string {
		return `apiVersion: k8s.ovn.org/v1
kind: ClusterNetworkConnect
metadata: {name: a-b}
spec:
  networkSelectors:
    - {networkSelectionType: ClusterUserDefinedNetworks, clusterUserDefinedNetworkSelector: {networkSelector: {matchLabels: {connect: "yes"}}}}
    - {networkSelectionType: PrimaryUserDefinedNetworks, primaryUserDefinedNetworkSelector: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: b1}}}}
  connectSubnets: [{cidr: 192.168.0.0/16, networkPrefix: 24}]
  connectivity: [` + connectivity + `]`
	}
	const isolateB1 = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-every-namespace, namespace: b1}
spec: {podSelector: {}, ingress: [{from: [{namespaceSelector: {}}]}]}`
	tests := []struct {
		name, from, to, port string
		extra                []string
		want                 bool
		wantReason           string
	}{
		{"one CUDN: one network", "a1/p", "a2/p", "", nil, true, ""},
		{"two networks", "a1/p", "b1/p", "", nil, false,
			"different primary networks: CUDN zone-a (in-0.yaml:1) and UDN b1/net (in-0.yaml:8): not connected (UDN-3): whatever NetworkPolicy allows"},
		{"the default network does not reach a UDN", "d/p", "a1/p", "", nil, false, "the cluster default network and CUDN zone-a"},
		{"nor the other way", "a1/p", "d/p", "", nil, false, "CUDN zone-a (in-0.yaml:1) and the cluster default network"},
		{"selected without the label: the default network", "plain/p", "d/p", "", nil, true, ""},
		{"the label without a network: no pod starts", "m/p", "d/p", "", nil, false, "without a primary network: its pods cannot start (UDN-2)"},
		{"kube-dns stays reachable", "a1/p", "svc:kube-system/kube-dns", "udp/53", nil, true, "keeps the default network's API and DNS services (UDN-3)"},
		{"a LoadBalancer service of another network", "a1/p", "svc:d/lb", "", nil, true, "a LoadBalancer service is reachable from every network (UDN-3)"},
		{"a ClusterIP service of another network", "a1/p", "svc:d/web", "", nil, false, "not connected (UDN-3)"},
		{"connected for pods", "a1/p", "b1/p", "", []string{connect("PodNetwork")}, true, "ClusterNetworkConnect a-b connects CUDN zone-a"},
		{"connected, and the other network's peers do not select the client", "a1/p", "b1/p", "", []string{connect("PodNetwork"), isolateB1}, false, ""},
		{"its own network's peers do", "b1/p", "b1/p", "", []string{connect("PodNetwork"), isolateB1}, true, ""},
		{"connected for services only: not pods", "a1/p", "b1/p", "", []string{connect("ServiceNetwork")}, false, "connects them for services only (UDN-6)"},
		{"connected for services: the ClusterIP service", "a1/p", "svc:b1/web", "", []string{connect("ServiceNetwork")}, true, "connects the networks for services (UDN-6)"},
		{"not transitive: the default network stays apart", "d/p", "b1/p", "", []string{connect("PodNetwork")}, false, "not connected (UDN-3)"},
		{"an ipBlock on the other network's subnet admits it", "a1/p", "b1/p", "", []string{connect("PodNetwork"), fromZoneASubnet}, true, ""},
		{"the label without a network: nothing from outside either", "internet", "m/p", "", nil, false, ""},
		{"outside traffic does not reach a UDN pod by its address", "internet", "a1/p", "", nil, false, ""},
		{"a namespace selector takes the namespace's CUDN too", "a1/p", "b1/p", "", []string{connectByNamespace}, true, "ClusterNetworkConnect by-namespace connects"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := loadCluster(t, append([]string{networksWorld}, tt.extra...)...)
			e := simulate.New(c, mustProfile(t, "ovn-kubernetes"), "")
			res := ask(t, e, tt.from, tt.to, tt.port)
			var reasons []string
			for _, r := range res.Results {
				reasons = append(reasons, r.Reason)
			}
			assert.Equal(t, tt.want, res.Allowed, reasons)
			assert.Contains(t, strings.Join(reasons, "\n"), tt.wantReason)
			matrixAgreesWithQuery(t, e)
		})
	}
}

const fromZoneASubnet = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-zone-a-subnet, namespace: b1}
spec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.100.0.0/16}}]}]}`

const connectByNamespace = `apiVersion: k8s.ovn.org/v1
kind: ClusterNetworkConnect
metadata: {name: by-namespace}
spec:
  networkSelectors:
    - {networkSelectionType: PrimaryUserDefinedNetworks, primaryUserDefinedNetworkSelector: {namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [a1, b1]}]}}}
  connectSubnets: [{cidr: 192.168.0.0/16, networkPrefix: 24}]
  connectivity: [PodNetwork]`

// UDN-3: a pod's address is its address on its network: the pod-networks annotation's, else one of the
// network's subnet.
func TestUserDefinedNetworkAddresses(t *testing.T) {
	c := loadCluster(t, networksWorld, `apiVersion: v1
kind: Pod
metadata:
  name: exported
  namespace: b1
  annotations: {k8s.ovn.org/pod-networks: '{"default":{"ip_addresses":["10.128.2.9/23"],"role":"infrastructure-locked"},"b1/net":{"ip_addresses":["10.200.0.77/16"],"role":"primary"}}'}
spec: {containers: [{name: c, image: i}]}
status: {podIP: 10.128.2.9}`)
	assert.Equal(t, "10.200.0.77", c.Pod("b1/exported").IP.String())
	assert.True(t, c.Pod("a1/p").IP.Prev().IsValid() && strings.HasPrefix(c.Pod("a1/p").IP.String(), "10.100."), c.Pod("a1/p").IP)
	assert.True(t, strings.HasPrefix(c.Pod("d/p").IP.String(), "10.128."), c.Pod("d/p").IP)
}

// problemMessages are the problems a load failed with, as zonesim prints them.
func problemMessages(t *testing.T, err error) []string {
	t.Helper()
	var probs model.Problems
	require.ErrorAs(t, err, &probs)
	var msgs []string
	for _, p := range probs {
		msgs = append(msgs, p.String())
	}
	return msgs
}

// UDN-2: the loader says where a namespace's label and its networks do not meet.
func TestUserDefinedNetworkWarnings(t *testing.T) {
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddBytes("in.yaml", []byte(networksWorld+`---
apiVersion: k8s.ovn.org/v1
kind: ClusterUserDefinedNetwork
metadata: {name: zone-a-too}
spec:
  namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: a1}}
  network: {topology: Layer2, layer2: {role: Primary, subnets: [10.101.0.0/16]}}
---
apiVersion: k8s.ovn.org/v1
kind: ClusterUserDefinedNetwork
metadata: {name: bad}
spec:
  namespaceSelector: {}
  network: {topology: Localnet, localnet: {role: Primary, physicalNetworkName: phys}, layer2: {role: Primary}}
---
apiVersion: k8s.ovn.org/v1
kind: UserDefinedNetwork
metadata: {name: typo, namespace: d}
spec: {topology: Layer2, layer2: {role: Primary, subnet: [10.9.0.0/16], ipam: {mode: Disabled}}}
---
apiVersion: k8s.ovn.org/v1
kind: UserDefinedNetwork
metadata: {name: l3, namespace: d}
spec: {topology: Layer3, layer3: {role: Primary}}
`))
	_, err := l.Cluster()
	msgs := problemMessages(t, err)
	assert.Contains(t, msgs, "in.yaml:1: warning: CUDN zone-a is a primary network for namespace plain, which lacks the label k8s.ovn.org/primary-user-defined-network it needs at creation: the namespace stays on the cluster default network (UDN-2)")
	assert.Contains(t, msgs, "in.yaml:25: warning: metadata.labels: namespace m carries k8s.ovn.org/primary-user-defined-network but no primary UserDefinedNetwork or ClusterUserDefinedNetwork takes it in: its pods cannot start (UDN-2)")
	assert.Contains(t, msgs, "in.yaml:96: warning: CUDN zone-a-too is a second primary network for namespace a1, after CUDN zone-a (in.yaml:1): OVN-Kubernetes leaves it not ready there (UDN-2)")
	assert.Contains(t, msgs, "in.yaml:108: spec.network.layer2: only the localnet block goes with topology Localnet")
	assert.Contains(t, msgs, "in.yaml:108: spec.network.localnet.role: unsupported value \"Primary\": a Localnet network is Secondary")
	assert.Contains(t, msgs, "in.yaml:113: spec.layer2.subnet: unknown field \"subnet\"")
	assert.Contains(t, msgs, "in.yaml:118: spec.layer3.subnets: required with topology Layer3")
}

// UDN-5: an admin policy whose subject holds pods of a user-defined network does not apply to them, and
// the verdict says so.
func TestAdminPoliciesSkipUserDefinedNetworks(t *testing.T) {
	c := loadCluster(t, networksWorld, `apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: deny-all}
spec: {priority: 1, subject: {namespaces: {}}, ingress: [{action: Deny, from: [{namespaces: {}}]}]}`)
	e := simulate.New(c, mustProfile(t, "ovn-kubernetes"), "")
	res := ask(t, e, "a2/p", "a1/p", "")
	assert.True(t, res.Allowed)
	assert.Contains(t, res.Results[0].Reason, "AdminNetworkPolicy/deny-all would select a1, but admin policies do not apply on CUDN zone-a")
	assert.False(t, ask(t, e, "plain/p", "d/p", "").Allowed, "on the default network it applies")
}

// UDN-6: networks whose pod subnets overlap are not connected; a connect subnet has no host bits, one
// per family, and a networkPrefix longer than its prefix.
func TestClusterNetworkConnectLimits(t *testing.T) {
	overlapping := strings.Replace(networksWorld, "subnets: [10.200.0.0/16]", "subnets: [10.100.0.0/16]", 1)
	e := simulate.New(loadCluster(t, overlapping, connectByNamespace), mustProfile(t, "ovn-kubernetes"), "")
	assert.False(t, ask(t, e, "a1/p", "b1/p", "").Allowed)

	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddBytes("in.yaml", []byte(`apiVersion: k8s.ovn.org/v1
kind: ClusterNetworkConnect
metadata: {name: bad}
spec:
  networkSelectors: [{networkSelectionType: PrimaryUserDefinedNetworks, primaryUserDefinedNetworkSelector: {namespaceSelector: {}}}]
  connectSubnets: [{cidr: 192.168.0.1/16, networkPrefix: 24}, {cidr: 10.0.0.0/8, networkPrefix: 8}]
  connectivity: [PodNetwork, PodNetwork]`))
	_, err := l.Cluster()
	msgs := problemMessages(t, err)
	assert.Equal(t, []string{
		`in.yaml:6: spec.connectSubnets[0].cidr: invalid CIDR "192.168.0.1/16": host bits are set; write 192.168.0.0/16`,
		`in.yaml:6: spec.connectSubnets[1].cidr: one subnet per IP family`,
		`in.yaml:6: spec.connectSubnets[1].networkPrefix: must be longer than the cidr's prefix /8 and at most /32, got 8`,
		`in.yaml:7: spec.connectivity[1]: duplicate value "PodNetwork"`,
	}, msgs)
}

// UDN-1: a secondary network is an interface NetworkPolicy does not govern: a caveat on the verdicts of
// its namespace (a UDN) or of every namespace (a CUDN).
func TestSecondaryNetworksAreCaveats(t *testing.T) {
	e := simulate.New(loadCluster(t, networksWorld, `apiVersion: k8s.ovn.org/v1
kind: UserDefinedNetwork
metadata: {name: storage, namespace: d}
spec: {topology: Layer2, layer2: {role: Secondary, subnets: [172.16.0.0/24]}}`), mustProfile(t, "ovn-kubernetes"), "")
	has := func(res *simulate.QueryResult) bool {
		for _, c := range res.Caveats {
			if strings.Contains(c.Message, "a secondary Layer2 network") {
				return true
			}
		}
		return false
	}
	assert.True(t, has(ask(t, e, "plain/p", "d/p", "")))
	assert.False(t, has(ask(t, e, "a1/p", "a2/p", "")))
}

// UDN-6: diff names a ClusterNetworkConnect as the cause of the cells it opens, and the networks that
// kept them apart before.
func TestDiffNamesTheNetworks(t *testing.T) {
	const connect = `apiVersion: k8s.ovn.org/v1
kind: ClusterNetworkConnect
metadata: {name: a-b}
spec:
  networkSelectors: [{networkSelectionType: PrimaryUserDefinedNetworks, primaryUserDefinedNetworkSelector: {namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [a1, b1]}]}}}]
  connectSubnets: [{cidr: 192.168.0.0/16, networkPrefix: 24}]
  connectivity: [PodNetwork]`
	p := mustProfile(t, "ovn-kubernetes")
	before := simulate.New(loadCluster(t, networksWorld), p, "")
	after := simulate.New(loadCluster(t, networksWorld, connect), p, "")
	d, nodes, err := simulate.DiffEngines(before, after, simulate.LevelPod)
	require.NoError(t, err)
	d.Explain(before, after, nodes, 1)
	var causes []string
	for _, ch := range d.Changes {
		if ch.From == "a1/p" && ch.To == "b1/p" {
			causes = ch.Causes
		}
	}
	require.Len(t, causes, 2)
	assert.Contains(t, causes[0], "+ ClusterNetworkConnect a-b connects CUDN zone-a")
	assert.Contains(t, causes[1], "- CUDN zone-a (in-0.yaml:1) and UDN b1/net (in-0.yaml:8) keep their pods apart (UDN-3)")
}
