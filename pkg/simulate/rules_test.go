package simulate_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// world has namespaces a (zone A) and b (zone B), pods a/client, a/server (ports http 8080, dns 53/UDP),
// b/server, a host-network pod on node n1 and a pod on n1, and a service in front of a/server.
const world = `
apiVersion: v1
kind: Node
metadata: {name: n1}
status: {addresses: [{type: InternalIP, address: 192.168.1.10}]}
---
apiVersion: v1
kind: Namespace
metadata: {name: a, labels: {network-zone: A}}
---
apiVersion: v1
kind: Namespace
metadata: {name: b, labels: {network-zone: B}}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: a, labels: {app: client}}
spec: {containers: [{name: c, image: i}]}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: server, namespace: a, labels: {app: server}}
spec:
  nodeName: n1
  containers:
    - name: c
      image: i
      ports: [{name: http, containerPort: 8080}, {name: dns, containerPort: 53, protocol: UDP}]
status: {podIP: 10.0.0.2}
---
apiVersion: v1
kind: Pod
metadata: {name: server, namespace: b, labels: {app: server}}
spec: {containers: [{name: c, image: i, ports: [{name: http, containerPort: 9090}]}]}
status: {podIP: 10.0.1.2}
---
apiVersion: v1
kind: Pod
metadata: {name: agent, namespace: b, labels: {app: agent}}
spec: {hostNetwork: true, nodeName: n1, containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: a}
spec:
  selector: {app: server}
  ports: [{name: web, port: 80, targetPort: http}]
`

func engine(t testing.TB, cni, policies string) *simulate.Engine {
	t.Helper()
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddBytes("world.yaml", []byte(world))
	l.AddBytes("policies.yaml", []byte(policies))
	c, err := l.Cluster()
	require.NoError(t, err)
	return simulate.New(c, mustProfile(t, cni), "")
}

func ask(t *testing.T, e *simulate.Engine, from, to, port string) *simulate.QueryResult {
	t.Helper()
	src, err := e.ResolveEndpoint(from)
	require.NoError(t, err)
	dst, err := e.ResolveEndpoint(to)
	require.NoError(t, err)
	var ps *simulate.PortSpec
	if port != "" {
		p, err := simulate.ParsePort(port)
		require.NoError(t, err)
		ps = &p
	}
	res, err := e.Query(src, dst, ps, 10)
	require.NoError(t, err)
	return res
}

func TestNetworkPolicyRules(t *testing.T) {
	tests := []struct {
		name      string
		cni       string
		policies  string
		from, to  string
		port      string
		want      bool
		wantConns []string
	}{
		{name: "NP-1 egress rules add the Egress type", policies: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {matchLabels: {app: client}}
  egress: [{ports: [{port: 443}]}]`, from: "a/client", to: "b/server", want: true, wantConns: []string{"TCP/443"}},
		{name: "NP-1 without egress rules only Ingress is isolated", policies: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec: {podSelector: {}}`, from: "a/client", to: "b/server", want: true, wantConns: []string{"all"}},
		{name: "NP-6 ingress: [] with the Ingress type admits nobody", policies: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec: {podSelector: {}, policyTypes: [Ingress], ingress: []}`, from: "b/server", to: "a/server", want: false, wantConns: []string{}},
		{name: "NP-8 podSelector-only peer is the policy's own namespace", policies: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec: {podSelector: {}, ingress: [{from: [{podSelector: {matchLabels: {app: server}}}]}]}`, from: "b/server", to: "a/client", want: false, wantConns: []string{}},
		{name: "NP-15 a named port with no from admits sources outside the cluster on it", policies: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec: {podSelector: {matchLabels: {app: server}}, ingress: [{ports: [{port: http}]}]}`, from: "internet", to: "a/server", port: "8080", want: true, wantConns: []string{"TCP/8080"}},
		{name: "NP-9 NotIn matches a missing key", policies: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {matchExpressions: [{key: tier, operator: NotIn, values: [x]}]}}]}]`, from: "b/server", to: "a/client", want: true, wantConns: []string{"all"}},
		{name: "NP-10 except carves out of the cidr", policies: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {matchLabels: {app: client}}
  egress: [{to: [{ipBlock: {cidr: 203.0.113.0/24, except: [203.0.113.128/25]}}]}]`, from: "a/client", to: "203.0.113.200", want: false, wantConns: []string{}},
		{name: "NP-11 generic: an ipBlock matches pod IPs", policies: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {matchLabels: {app: client}}
  egress: [{to: [{ipBlock: {cidr: 10.0.1.2/32}}]}]`, from: "a/client", to: "b/server", want: true, wantConns: []string{"all"}},
		{name: "NP-11 cilium: an ipBlock does not match pod IPs", cni: "cilium", policies: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {matchLabels: {app: client}}
  egress: [{to: [{ipBlock: {cidr: 10.0.1.2/32}}]}]`, from: "a/client", to: "b/server", want: false, wantConns: []string{}},
		{name: "NP-11 openshift-sdn ignores an ipBlock with except", cni: "openshift-sdn", policies: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {matchLabels: {app: server}}
  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/16, except: [10.0.0.0/24]}}]}]`, from: "b/server", to: "a/server", want: false, wantConns: []string{}},
		{name: "NP-13 protocol defaults to TCP", policies: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec: {podSelector: {}, ingress: [{ports: [{port: 53}]}]}`, from: "b/server", to: "a/server", port: "udp/53", want: false, wantConns: []string{"TCP/53"}},
		{name: "NP-14 endPort is inclusive", policies: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec: {podSelector: {}, ingress: [{ports: [{port: 8080, endPort: 8090}]}]}`, from: "b/server", to: "a/server", port: "8090", want: true, wantConns: []string{"TCP/8080-8090"}},
		{name: "NP-15 named egress port resolves on the destination pod", policies: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec: {podSelector: {matchLabels: {app: client}}, egress: [{ports: [{port: http}]}]}`, from: "a/client", to: "b/server", want: true, wantConns: []string{"TCP/9090"}},
		{name: "NP-15 a named port never matches a non-pod destination", policies: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec: {podSelector: {matchLabels: {app: client}}, egress: [{ports: [{port: http}]}]}`, from: "a/client", to: "8.8.8.8", want: false, wantConns: []string{}},
		{name: "NP-17 a service is evaluated at its target port", policies: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec: {podSelector: {matchLabels: {app: server}}, ingress: [{ports: [{port: 8080}]}]}`, from: "b/server", to: "svc:a/web", port: "80", want: true, wantConns: []string{"TCP/80"}},
		{name: "NP-18 a pod always reaches itself", policies: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}`, from: "a/server", to: "a/server", want: true, wantConns: []string{"all"}},
		{name: "NP-19 ingress from the pod's own node is always allowed", policies: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec: {podSelector: {}, policyTypes: [Ingress]}`, from: "192.168.1.10", to: "a/server", want: true, wantConns: []string{"all"}},
		{name: "NP-20 generic: a host-network pod is not selected by namespaceSelector", policies: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec: {podSelector: {matchLabels: {app: client}}, ingress: [{from: [{namespaceSelector: {matchLabels: {network-zone: B}}, podSelector: {}}]}]}`,
			from: "b/agent", to: "a/client", want: false, wantConns: []string{}},
		{name: "NP-20 ovn-kubernetes: namespaceSelector with empty podSelector selects host-network pods", cni: "ovn-kubernetes", policies: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec: {podSelector: {matchLabels: {app: client}}, ingress: [{from: [{namespaceSelector: {matchLabels: {network-zone: B}}, podSelector: {}}]}]}`,
			from: "b/agent", to: "a/client", want: true, wantConns: []string{"all"}},
		{name: "SDN-2 openshift-sdn does not enforce egress", cni: "openshift-sdn", policies: `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec: {podSelector: {}, policyTypes: [Egress]}`, from: "a/client", to: "b/server", want: true, wantConns: []string{"all"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cni := tt.cni
			if cni == "" {
				cni = "generic"
			}
			res := ask(t, engine(t, cni, tt.policies), tt.from, tt.to, tt.port)
			assert.Equal(t, tt.want, res.Allowed)
			assert.Equal(t, tt.wantConns, res.Connections)
		})
	}
}

func TestResolveEndpointSuggestsCloseMatches(t *testing.T) {
	e := engine(t, "generic", "")
	_, err := e.ResolveEndpoint("a/clinet")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "did you mean: a/client")
}

func TestParsePort(t *testing.T) {
	tests := []struct {
		in   string
		want simulate.PortSpec
		err  bool
	}{
		{in: "443", want: simulate.PortSpec{Protocol: "TCP", Lo: 443, Hi: 443}},
		{in: "udp/53", want: simulate.PortSpec{Protocol: "UDP", Lo: 53, Hi: 53}},
		{in: "8080-8090", want: simulate.PortSpec{Protocol: "TCP", Lo: 8080, Hi: 8090}},
		{in: "sctp/http", want: simulate.PortSpec{Protocol: "SCTP", Name: "http"}},
		{in: "icmp/1", err: true},
		{in: "0", err: true},
		{in: "90-80", err: true},
		{in: "80,443", err: true},
		{in: " 8080", err: true},
		{in: "Http", err: true},
		{in: "my-very-long-port-name", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := simulate.ParsePort(tt.in)
			if tt.err {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestNotesNameTheProfileDecisions(t *testing.T) {
	policies := `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {}
  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/16, except: [10.0.9.0/24]}}]}]`
	assert.Equal(t, []string{
		"1 ipBlock(s) cover pod IPs; whether they match pods is plugin-defined (NP-11): with --cni generic they match pod IPs",
		"1 host-network pod(s): never isolated; as peers (NP-20, --cni generic) they are node traffic, selected only by ipBlocks on their node IP",
	}, engine(t, "generic", policies).Notes())
	assert.Equal(t, []string{
		"1 ipBlock(s) cover pod IPs; whether they match pods is plugin-defined (NP-11): with --cni openshift-sdn they match pod IPs",
		"1 ipBlock peer(s) with except are ignored by --cni openshift-sdn (NP-11)",
		"1 policy(ies) have egress rules that --cni openshift-sdn does not enforce (SDN-2)",
		"1 host-network pod(s): never isolated; as peers (NP-20, --cni openshift-sdn) they are node traffic, selected only by ipBlocks on their node IP",
	}, engine(t, "openshift-sdn", policies).Notes())
}

func TestQualifyEndpoint(t *testing.T) {
	tests := []struct{ in, ns, want string }{
		{"pod/web-0", "shop", "shop/web-0"},
		{"deploy/frontend", "shop", "shop/deploy/frontend"},
		{"Deployment/frontend", "shop", "shop/deployment/frontend"},
		{"sts/db", "shop", "shop/sts/db"},
		{"svc:api", "shop", "svc:shop/api"},
		{"route:web", "shop", "route:shop/web"},
		{"svc:other/api", "shop", "svc:other/api"}, // qualified already
		{"other/web-0", "shop", "other/web-0"},     // ns/pod
		{"other/deploy/frontend", "shop", "other/deploy/frontend"},
		{"payments", "shop", "payments"}, // a namespace
		{"zone:A", "shop", "zone:A"},
		{"10.0.0.0/8", "shop", "10.0.0.0/8"}, // a CIDR, not kind/name
		{"internet", "shop", "internet"},
		{"pod/web-0", "", "pod/web-0"}, // without -n nothing changes
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, simulate.QualifyEndpoint(tt.in, tt.ns), tt.in)
	}
	ep, err := engine(t, "generic", "").ResolveEndpoint(simulate.QualifyEndpoint("pod/client", "a"))
	require.NoError(t, err)
	assert.Equal(t, "a/client", ep.Name)
}

// Whatever a user types as an endpoint, resolving it answers or errs; it never panics.
func FuzzResolveEndpoint(f *testing.F) {
	for _, s := range []string{"a/client", "a/deploy/client", "svc:a/s", "route:a/r", "zone:A", "node:n1", "ext:x", "10.0.0.1", "10.0.0.0/8", "internet", "internet6", "pod/x", "::1", "a//b", "svc:", "zone:"} {
		f.Add(s, "a")
	}
	e := engine(f, "generic", "")
	f.Fuzz(func(t *testing.T, s, ns string) {
		ep, err := e.ResolveEndpoint(simulate.QualifyEndpoint(s, ns))
		if err == nil && ep == nil {
			t.Fatalf("%q: no endpoint and no error", s)
		}
	})
}

// Whatever a user types as a port, parsing answers or errs; a parsed port is one the engine can use.
func FuzzParsePort(f *testing.F) {
	for _, s := range []string{"443", "tcp/443", "udp/53", "sctp/9000", "8080-8090", "http", "80,443", " 80", "0", "65536", "tcp/", "/80", "a-b", "TCP/http-alt"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := simulate.ParsePort(s)
		if err != nil {
			return
		}
		if p.Name == "" && (p.Lo < 1 || p.Hi > 65535 || p.Hi < p.Lo) {
			t.Fatalf("%q parsed to an impossible range %d-%d", s, p.Lo, p.Hi)
		}
	})
}

// A verdict that rests on the plugin's handling of host-network pods says so in the explanation.
func TestHostNetworkDestinationIsExplained(t *testing.T) {
	res := ask(t, engine(t, "generic", ""), "a/client", "b/agent", "")
	require.Len(t, res.Results, 1)
	assert.Contains(t, res.Results[0].Reason, "the destination is a host-network pod")
	assert.Contains(t, res.Results[0].Reason, "(NP-20, --cni generic)")
}

// A verdict about a host-network pod rests on how the CNI treats such pods, which NetworkPolicy leaves
// undefined (NP-20): it says so next to the verdict; one between ordinary pods does not.
func TestHostNetworkVerdictsCarryACaveat(t *testing.T) {
	e := engine(t, "generic", "")
	res := ask(t, e, "b/agent", "a/server", "")
	require.Len(t, res.Caveats, 1)
	assert.Equal(t, "assumption", res.Caveats[0].Kind)
	assert.Equal(t, "1 hostNetwork pod(s): b/agent; NetworkPolicy leaves host-network pods undefined (NP-20): their verdicts follow the generic profile's reading (the node's address, selected as node traffic), which another CNI may not share",
		res.Caveats[0].Message)
	assert.Empty(t, ask(t, e, "a/client", "a/server", "").Caveats)
}
