package simulate_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// zoned is a one-zone scenario with two egress nodes, one worker, an external API with an allowlist,
// and namespace app (pod web, on the worker).
const zoned = `apiVersion: zonesim.dev/v1alpha1
kind: Scenario
metadata: {name: t}
spec:
  zones:
    - {name: z, nodeNetworks: [10.1.0.0/24], egressRanges: [10.1.0.200/29], ingressVIPs: [10.1.0.100]}
  nodes:
    - {name: e1, zone: z, roles: [infra, egress]}
    - {name: e2, zone: z, roles: [infra, egress]}
    - {name: w1, zone: z, roles: [worker]}
  externals:
    - {name: api, dnsNames: [api.example.com], addresses: [203.0.113.5], ports: [tcp/443], acceptsFrom: [10.1.0.201/32]}
  perimeter:
    default: deny
    rules:
      - {name: out, from: [zone:z], to: [ext:api], ports: [tcp/443], action: allow}
      - {name: in, from: [outside], to: [zone:z], ports: [tcp/443], action: allow}
  objects:
    - {apiVersion: v1, kind: Namespace, metadata: {name: app, labels: {network-zone: z}}}
    - apiVersion: v1
      kind: Pod
      metadata: {name: web, namespace: app, labels: {app: web}}
      spec: {nodeName: w1, containers: [{name: c, image: i, ports: [{name: http, containerPort: 8080}]}]}
    - apiVersion: v1
      kind: Service
      metadata: {name: web, namespace: app}
      spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: http}]}
`

func zonedEngine(t *testing.T, cni string, extra ...string) *simulate.Engine {
	t.Helper()
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddBytes("zoned.yaml", []byte(zoned))
	for i, e := range extra {
		l.AddBytes("extra"+string(rune('a'+i))+".yaml", []byte(e))
	}
	c, err := l.Cluster()
	require.NoError(t, err)
	return simulate.New(c, mustProfile(t, cni), "")
}

func steps(res *simulate.QueryResult) string {
	var b strings.Builder
	for _, p := range res.Results {
		for _, s := range p.Steps {
			b.WriteString(s.Step + ": " + s.Object + ": " + s.Detail + "\n")
		}
	}
	return b.String()
}

const eipZ = `apiVersion: k8s.ovn.org/v1
kind: EgressIP
metadata: {name: z}
spec: {egressIPs: [10.1.0.201], namespaceSelector: {matchLabels: {network-zone: z}}}`

func TestOpenShiftRules(t *testing.T) {
	tests := []struct {
		name      string
		cni       string
		extra     []string
		from, to  string
		want      bool
		wantConns []string
		wantStep  string // a substring of the explanation's steps
	}{
		{name: "ZN-6 without an egress IP traffic leaves with the node IP and misses the allowlist (OB-3)",
			from: "app/web", to: "ext:api", want: false, wantConns: []string{}, wantStep: "leaves with the node IP 10.1.0.13"},
		{name: "EIP-1 EIP-2 an egress IP hosted on an egress-assignable node of the zone", extra: []string{eipZ},
			from: "app/web", to: "ext:api", want: true, wantConns: []string{"TCP/443"}, wantStep: "leaves with egress IP 10.1.0.201, hosted on node e1"},
		{name: "EIP-3 no SNAT for pod to node traffic", extra: []string{eipZ},
			from: "app/web", to: "node:e1", want: true, wantConns: []string{"all"}},
		{name: "EF-1 EF-3 first match wins: an earlier deny beats a later allow", extra: []string{eipZ, `apiVersion: k8s.ovn.org/v1
kind: EgressFirewall
metadata: {name: default, namespace: app}
spec:
  egress:
    - {type: Deny, to: {cidrSelector: 203.0.113.0/24}}
    - {type: Allow, to: {dnsName: api.example.com}}`},
			from: "app/web", to: "ext:api", want: false, wantConns: []string{}, wantStep: "rule 0 Deny all"},
		{name: "EF-1 dnsName matches the endpoint's DNS name, ports narrow it", extra: []string{eipZ, `apiVersion: k8s.ovn.org/v1
kind: EgressFirewall
metadata: {name: default, namespace: app}
spec:
  egress:
    - {type: Allow, to: {dnsName: "*.example.com"}, ports: [{protocol: TCP, port: 443}]}
    - {type: Deny, to: {cidrSelector: 0.0.0.0/0}}`},
			from: "app/web", to: "ext:api", want: true, wantConns: []string{"TCP/443"}, wantStep: "rule 0 Allow TCP/443"},
		{name: "EF-4 the EgressFirewall covers node IPs", extra: []string{`apiVersion: k8s.ovn.org/v1
kind: EgressFirewall
metadata: {name: default, namespace: app}
spec: {egress: [{type: Deny, to: {nodeSelector: {matchLabels: {node-role.kubernetes.io/infra: ""}}}}]}`},
			from: "app/web", to: "node:e2", want: false, wantConns: []string{}},
		{name: "EF-5 an EgressFirewall deny holds even where NetworkPolicy allows", extra: []string{eipZ, `apiVersion: k8s.ovn.org/v1
kind: EgressFirewall
metadata: {name: default, namespace: app}
spec: {egress: [{type: Deny, to: {cidrSelector: 0.0.0.0/0}}]}`, `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: app}
spec: {podSelector: {}, egress: [{to: [{ipBlock: {cidr: 203.0.113.5/32}}]}]}`},
			from: "app/web", to: "ext:api", want: false, wantConns: []string{}},
		{name: "SDN-1 NetNamespace egress IP without a HostSubnet hosting it: external traffic dropped", extra: []string{`apiVersion: network.openshift.io/v1
kind: NetNamespace
metadata: {name: app}
netname: app
netid: 1
egressIPs: [10.1.0.201]`},
			from: "app/web", to: "ext:api", want: false, wantConns: []string{}, wantStep: "no HostSubnet hosts them"},
		{name: "SDN-1 NetNamespace egress IP hosted by a HostSubnet", extra: []string{`apiVersion: network.openshift.io/v1
kind: NetNamespace
metadata: {name: app}
netname: app
netid: 1
egressIPs: [10.1.0.201]
---
apiVersion: network.openshift.io/v1
kind: HostSubnet
metadata: {name: e2}
host: e2
hostIP: 10.1.0.12
subnet: 10.128.2.0/23
egressIPs: [10.1.0.201]`},
			from: "app/web", to: "ext:api", want: true, wantConns: []string{"TCP/443"}, wantStep: "hosted on node e2"},
		{name: "SDN-2 EgressNetworkPolicy: first match, no ports", cni: "openshift-sdn", extra: []string{eipZ, `apiVersion: network.openshift.io/v1
kind: EgressNetworkPolicy
metadata: {name: default, namespace: app}
spec: {egress: [{type: Deny, to: {dnsName: api.example.com}}, {type: Allow, to: {cidrSelector: 0.0.0.0/0}}]}`},
			from: "app/web", to: "ext:api", want: false, wantConns: []string{}, wantStep: "EgressNetworkPolicy app/default"},
		{name: "NS-1 a pod without a node runs where its namespace's node selector allows", extra: []string{`apiVersion: v1
kind: Namespace
metadata: {name: jobs, labels: {network-zone: z}, annotations: {openshift.io/node-selector: "node-role.kubernetes.io/infra="}}
---
apiVersion: v1
kind: Pod
metadata: {name: batch, namespace: jobs}
spec: {containers: [{name: c, image: i}]}`},
			from: "jobs/batch", to: "ext:api", want: false, wantConns: []string{}, wantStep: "a node it can run on is assumed: e1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cni := tt.cni
			if cni == "" {
				cni = "ovn-kubernetes"
			}
			res := ask(t, zonedEngine(t, cni, tt.extra...), tt.from, tt.to, "")
			assert.Equal(t, tt.want, res.Allowed, steps(res))
			assert.Equal(t, tt.wantConns, res.Connections)
			if tt.wantStep != "" {
				assert.Contains(t, steps(res), tt.wantStep)
			}
		})
	}
}

const routes = `apiVersion: route.openshift.io/v1
kind: Route
metadata: {name: web, namespace: app, labels: {exposure: public}}
spec: {to: {kind: Service, name: web}, port: {targetPort: http}}
---
apiVersion: operator.openshift.io/v1
kind: IngressController
metadata: {name: z, namespace: openshift-ingress-operator}
spec:
  namespaceSelector: {matchLabels: {network-zone: z}}
  routeSelector: {matchLabels: {exposure: public}}
  nodePlacement: {nodeSelector: {matchLabels: {network-zone: z, node-role.kubernetes.io/infra: ""}}}
  endpointPublishingStrategy: {type: Private}
---
apiVersion: operator.openshift.io/v1
kind: IngressController
metadata: {name: default, namespace: openshift-ingress-operator}
spec:
  namespaceSelector: {matchExpressions: [{key: network-zone, operator: DoesNotExist}]}`

func TestRouterRules(t *testing.T) {
	allowShard := `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: zone, namespace: app}
spec:
  podSelector: {}
  ingress:
    - from:
        - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: openshift-ingress}}
          podSelector: {matchLabels: {ingresscontroller.operator.openshift.io/deployment-ingresscontroller: z}}`
	e := zonedEngine(t, "ovn-kubernetes", routes, allowShard)

	t.Run("RT-1 the zone shard admits by namespace and route labels; the default router excludes zoned namespaces", func(t *testing.T) {
		var names []string
		for _, ic := range e.Admitters(e.Cluster.Routes[0]) {
			names = append(names, ic.Name)
		}
		assert.Equal(t, []string{"z"}, names)
	})
	t.Run("RT-2 the shard is placed on the zone's infra nodes", func(t *testing.T) {
		assert.Equal(t, "z", e.ShardZone(e.Cluster.IngressControllers[1]))
	})
	t.Run("RT-3 RT-4 the backend sees the shard's router pod, which its policy admits", func(t *testing.T) {
		res := ask(t, e, "internet", "route:app/web", "")
		assert.True(t, res.Allowed, steps(res))
		assert.Contains(t, steps(res), "router -> app/web at TCP/8080: TCP/8080")
	})
	t.Run("RT-4 a policy admitting another shard blocks the path", func(t *testing.T) {
		other := zonedEngine(t, "ovn-kubernetes", routes, strings.ReplaceAll(allowShard, "deployment-ingresscontroller: z", "deployment-ingresscontroller: default"))
		res := ask(t, other, "internet", "route:app/web", "")
		assert.False(t, res.Allowed, steps(res))
		assert.Contains(t, steps(res), "path blocked")
	})
}

func TestStorageQuotaIsRead(t *testing.T) {
	// SQ-1: the quota keys are read with their values, so a 0 can be told from a missing key.
	e := zonedEngine(t, "generic", `apiVersion: v1
kind: ResourceQuota
metadata: {name: q, namespace: app}
spec: {hard: {gold.storageclass.storage.k8s.io/requests.storage: "0", silver.storageclass.storage.k8s.io/persistentvolumeclaims: "5"}}`)
	require.Len(t, e.Cluster.ResourceQuotas, 1)
	q := e.Cluster.ResourceQuotas[0].Hard
	gold, silver := q["gold.storageclass.storage.k8s.io/requests.storage"], q["silver.storageclass.storage.k8s.io/persistentvolumeclaims"]
	assert.True(t, gold.IsZero())
	assert.Equal(t, int64(5), silver.Value())
}

func TestHostNetworkRoutersAndPolicyGroups(t *testing.T) {
	// RT-4 / NP-20: host-network routers are node traffic; OVN-Kubernetes lets the ingress policy
	// group (openshift-ingress) stand for them, other plugins do not.
	extra := []string{strings.ReplaceAll(routes, "type: Private", "type: HostNetwork"), `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-routers, namespace: app}
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {matchLabels: {policy-group.network.openshift.io/ingress: ""}}}]}]`}
	for _, tt := range []struct {
		cni  string
		want bool
	}{{"ovn-kubernetes", true}, {"generic", false}} {
		t.Run(tt.cni, func(t *testing.T) {
			res := ask(t, zonedEngine(t, tt.cni, extra...), "internet", "route:app/web", "")
			assert.Equal(t, tt.want, res.Allowed, steps(res))
		})
	}
}

func TestEgressRouterGivesAComponentItsOwnIdentity(t *testing.T) {
	router := func(addr string) string {
		return `apiVersion: network.operator.openshift.io/v1
kind: EgressRouter
metadata: {name: api, namespace: app}
spec:
  mode: Redirect
  networkInterface: {macvlan: {mode: Bridge}}
  addresses: [{ip: "` + addr + `/24", gateway: 10.1.0.1}]
  redirect:
    redirectRules: [{destinationIP: 203.0.113.5, port: 8443, targetPort: 443, protocol: TCP}]
---
apiVersion: v1
kind: Service
metadata: {name: to-api, namespace: app}
spec:
  selector: {app: egress-router-cni}
  ports: [{name: https, port: 443, targetPort: 8443}]`
	}
	// ZN-6: the router's address is the source the API sees; only .201 is on its allowlist (OB-3).
	res := ask(t, zonedEngine(t, "ovn-kubernetes", router("10.1.0.201")), "app/web", "svc:app/to-api", "443")
	assert.True(t, res.Allowed, steps(res))
	assert.Contains(t, steps(res), "TCP/8443 redirected to 203.0.113.5:443, leaving from the router's address 10.1.0.201")
	require.Len(t, res.Results, 1)
	assert.Equal(t, "10.1.0.201", res.Results[0].SourceIP)

	res = ask(t, zonedEngine(t, "ovn-kubernetes", router("10.1.0.205")), "app/web", "svc:app/to-api", "443")
	assert.False(t, res.Allowed, steps(res))
	assert.Contains(t, steps(res), "not on the allowlist (OB-3)")
}

func TestProjectNodeSelectorPrecedence(t *testing.T) {
	// NS-1: scheduler.alpha.kubernetes.io/node-selector takes precedence over openshift.io/node-selector.
	ns := model.Namespace{Annotations: map[string]string{
		model.NodeSelectorAnnotation:                  "network-zone=a",
		"scheduler.alpha.kubernetes.io/node-selector": "network-zone=b",
	}}
	got, ok := ns.NodeSelector()
	assert.True(t, ok)
	assert.Equal(t, map[string]string{"network-zone": "b"}, simulate.ParseNodeSelector(got))
}

// What an EgressFirewall allows is a block of its own in matrices, not hidden in "internet"; a block's
// name says exactly what it covers.
func TestEgressFirewallCIDRsSplitTheExternalBlocks(t *testing.T) {
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddBytes("in.yaml", []byte(`apiVersion: v1
kind: Pod
metadata: {name: p, namespace: a}
spec: {containers: [{name: c, image: i}]}
status: {podIP: 10.128.0.9}
---
apiVersion: k8s.ovn.org/v1
kind: EgressFirewall
metadata: {name: default, namespace: a}
spec:
  egress:
  - {type: Allow, to: {cidrSelector: 198.51.100.0/24}}
  - {type: Deny, to: {cidrSelector: 198.51.100.128/25}}
  - {type: Deny, to: {cidrSelector: 0.0.0.0/0}}
`))
	c, err := l.Cluster()
	require.NoError(t, err)
	p, err := simulate.LookupProfile("ovn-kubernetes")
	require.NoError(t, err)
	texts := simulate.New(c, p, "").Matrix(simulate.LevelNamespace).Texts()
	var names []string
	for _, n := range texts.Nodes {
		names = append(names, n.Name)
	}
	assert.Equal(t, []string{"a", "198.51.100.0/24 except 198.51.100.128/25", "198.51.100.128/25", "internet"}, names)
	assert.Equal(t, "all", texts.Cells[[2]string{"a", "198.51.100.0/24 except 198.51.100.128/25"}])
	assert.Equal(t, "all", texts.Cells[[2]string{"a", "198.51.100.128/25"}], "first match: the /24 Allow decides it (EF-3)")
	assert.Equal(t, "", texts.Cells[[2]string{"a", "internet"}])
}

// EF-1: a dnsName rule holds the addresses of the scenario's endpoints that carry a matching name ("*."
// is exactly one label, case and a final dot aside); the explanation names the match, and a name no
// endpoint carries is a caveat, since where it resolves is unknown offline.
func TestEgressFirewallDNSNames(t *testing.T) {
	firewall := func(dnsName string) string {
		return `apiVersion: k8s.ovn.org/v1
kind: EgressFirewall
metadata: {name: default, namespace: app}
spec:
  egress:
    - {type: Allow, to: {dnsName: "` + dnsName + `"}}
    - {type: Deny, to: {cidrSelector: 0.0.0.0/0}}`
	}
	tests := []struct {
		name, dnsName, to string
		want              bool
		wantStep          string
		wantCaveat        bool
	}{
		{"a wildcard is one label", "*.example.com", "ext:api", true, "rule 0 Allow all (line 6, dnsName *.example.com matches api.example.com, which resolves to 203.0.113.5)", false},
		{"not two labels", "*.com", "ext:api", false, "rule 1 Deny all", true},
		{"nor the domain itself", "*.api.example.com", "ext:api", false, "rule 1 Deny all", true},
		{"case and the final dot aside", "API.Example.COM.", "ext:api", true, "dnsName API.Example.COM. matches api.example.com", false},
		{"the endpoint's address is the name's", "api.example.com", "203.0.113.5", true, "dnsName api.example.com matches api.example.com, which resolves to 203.0.113.5", false},
		{"another address is not", "api.example.com", "198.51.100.9", false, "rule 1 Deny all", false},
		{"a name no endpoint carries", "www.other.example", "198.51.100.9", false, "rule 1 Deny all", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := ask(t, zonedEngine(t, "ovn-kubernetes", eipZ, firewall(tt.dnsName)), "app/web", tt.to, "")
			assert.Equal(t, tt.want, res.Allowed, steps(res))
			assert.Contains(t, steps(res), tt.wantStep)
			caveat := false
			for _, c := range res.Caveats {
				if strings.Contains(c.Message, "dnsName "+tt.dnsName+", which no external endpoint of the scenario names") {
					caveat = true
				}
			}
			assert.Equal(t, tt.wantCaveat, caveat, "%v", res.Caveats)
		})
	}
}
