package check_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/check"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// allowScenario is one zone of three nodes (two of them egress-assignable), a namespace whose contract
// lets it reach one SaaS endpoint, and the endpoint's allowlist.
const allowScenario = `apiVersion: zonesim.dev/v1alpha1
kind: Scenario
metadata: {name: allow}
spec:
  zones:
    - {name: internal, nodeNetworks: [10.40.0.0/24], egressRanges: [10.40.0.240/29]}
  nodes:
    - {name: infra-1, zone: internal, roles: [infra, egress]}
    - {name: infra-2, zone: internal, roles: [infra, egress]}
    - {name: worker-1, zone: internal, roles: [worker]}
  externals:
    - {name: saas, addresses: [198.51.100.20], ports: [tcp/443], acceptsFrom: %s}
    - {name: open, addresses: [198.51.100.30], ports: [tcp/443]}
  contract:
    egress:
      - {from: sync, to: [saas, ext:open]}
  include: [manifests.yaml]
`

const syncNamespace = `apiVersion: v1
kind: Namespace
metadata: {name: sync, labels: {network-zone: internal}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: poller, namespace: sync}
spec:
  selector: {matchLabels: {app: poller}}
  template:
    metadata: {labels: {app: poller}}
    spec: {containers: [{name: c, image: i}]}
`

func egressIP(ips, podSelector string) string {
	return fmt.Sprintf("---\napiVersion: k8s.ovn.org/v1\nkind: EgressIP\nmetadata: {name: internal}\nspec:\n  egressIPs: %s\n"+
		"  namespaceSelector: {matchLabels: {network-zone: internal}}\n  podSelector: %s\n", ips, podSelector)
}

func allowlists(t *testing.T, accepts, manifests string, endpoints ...string) ([]check.Allowlist, error) {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "scenario.yaml"), []byte(fmt.Sprintf(allowScenario, accepts)), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "manifests.yaml"), []byte(syncNamespace+manifests), 0o644))
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddPath(filepath.Join(dir, "scenario.yaml"))
	c, err := l.Cluster()
	require.NoError(t, err)
	p, err := simulate.LookupProfile("ovn-kubernetes")
	require.NoError(t, err)
	return check.Allowlists(simulate.New(c, p, ""), endpoints)
}

// entries writes each entry as "address status identity [hosts] namespaces".
func entries(a check.Allowlist) []string {
	var out []string
	for _, e := range a.Entries {
		s := e.Address + " " + e.Status
		if e.ListedAs != "" {
			s += " as " + e.ListedAs
		}
		if e.Kind != "" {
			s += fmt.Sprintf(" %s/%s [%s] %s", e.Kind, e.Name, strings.Join(e.Hosts, " "), strings.Join(e.Namespaces, " "))
		}
		out = append(out, s)
	}
	return out
}

// OB-3, ZN-6: an allowlist must hold every address the contract's namespaces leave with.
func TestAllowlists(t *testing.T) {
	nodes := []string{"10.40.0.11 missing Node/infra-1 [infra-1] sync", "10.40.0.12 missing Node/infra-2 [infra-2] sync", "10.40.0.13 missing Node/worker-1 [worker-1] sync"}
	tests := []struct {
		name, accepts, manifests string
		want                     []string
		why                      string // of the node entries
		notes                    []string
	}{
		{"every egress IP registered", "[10.40.0.241, 10.40.0.242]", egressIP("[10.40.0.241, 10.40.0.242]", "{}"),
			[]string{"10.40.0.241 registered EgressIP/internal [infra-1 infra-2] sync", "10.40.0.242 registered EgressIP/internal [infra-1 infra-2] sync"}, "", nil},
		{"missing and stale", "[10.40.0.241, 10.40.0.250/32]", egressIP("[10.40.0.241, 10.40.0.242]", "{}"),
			[]string{"10.40.0.241 registered EgressIP/internal [infra-1 infra-2] sync", "10.40.0.242 missing EgressIP/internal [infra-1 infra-2] sync", "10.40.0.250 stale"}, "", nil},
		{"a block holds them", "[10.40.0.240/29]", egressIP("[10.40.0.241, 10.40.0.242]", "{}"),
			[]string{"10.40.0.241 registered as 10.40.0.240/29 EgressIP/internal [infra-1 infra-2] sync", "10.40.0.242 registered as 10.40.0.240/29 EgressIP/internal [infra-1 infra-2] sync"}, "", nil},
		{"no egress IP: every node the pods may run on", "[10.40.0.241]", "",
			append(nodes, "10.40.0.241 stale"), "no EgressIP selects pods of sync", nil},
		{"the egress IP selects other pods", "[10.40.0.241]", egressIP("[10.40.0.241]", "{matchLabels: {app: other}}"),
			append(nodes, "10.40.0.241 stale"), "no EgressIP selects pods of sync", nil},
		{"no node can host the egress IP", "[10.99.0.1]", egressIP("[10.99.0.1]", "{}"),
			append(nodes, "10.99.0.1 unhosted as 10.99.0.1 EgressIP/internal [] sync"),
			"no node can host the egress IPs of EgressIP internal (EIP-2) [assumption: OVN-Kubernetes then SNATs to the node]",
			[]string{"egress IP(s) 10.99.0.1 of EgressIP internal: no node can host them (EIP-2, ZN-6), so no traffic leaves with them until one can"}},
		{"an unhostable IP beside hosted ones is no identity", "[10.40.0.241]", egressIP("[10.40.0.241, 10.99.0.1]", "{}"),
			[]string{"10.40.0.241 registered EgressIP/internal [infra-1 infra-2] sync", "10.99.0.1 unhosted EgressIP/internal [] sync"}, "",
			[]string{"egress IP(s) 10.99.0.1 of EgressIP internal: no node can host them (EIP-2, ZN-6), so no traffic leaves with them until one can"}},
		{"the status's node too, as query's SNAT reads it, even one not egress-assignable", "[10.40.0.241]",
			egressIP("[10.40.0.241]", "{}") + "status: {items: [{egressIP: 10.40.0.241, node: worker-1}]}\n",
			[]string{"10.40.0.241 registered EgressIP/internal [infra-1 infra-2 worker-1] sync"}, "", nil},
		{"an IPv6 egress IP does not serve an IPv4 endpoint", "[10.40.0.241]", egressIP("[\"fd00::241\"]", "{}"),
			append(nodes, "10.40.0.241 stale"), "EgressIP internal has no IPv4 egress IP", nil},
		{"several egress IPs select the pods: each one's addresses, whatever the order", "[10.40.0.241]",
			strings.Replace(egressIP("[10.40.0.242]", "{}"), "name: internal", "name: b", 1) + egressIP("[10.40.0.241]", "{}"),
			[]string{"10.40.0.241 registered EgressIP/internal [infra-1 infra-2] sync", "10.40.0.242 missing EgressIP/b [infra-1 infra-2] sync"}, "",
			[]string{"several EgressIPs select pods of sync (EgressIP b, EgressIP internal): OVN-Kubernetes does not say which one applies, so the addresses of each are listed"}},
		{"a bare pod stays on its node", "[10.40.0.13]", "---\napiVersion: v1\nkind: Pod\nmetadata: {name: pinned, namespace: sync}\nspec: {nodeName: worker-1, containers: [{name: c, image: i}]}\n",
			append(nodes[:2:2], "10.40.0.13 registered Node/worker-1 [worker-1] sync"), "no EgressIP selects pods of sync", nil},
		{"a pod's node selector narrows its nodes", "[10.40.0.13]", "---\napiVersion: v1\nkind: Pod\nmetadata: {name: placed, namespace: sync}\n" +
			"spec: {nodeSelector: {kubernetes.io/hostname: worker-1}, containers: [{name: c, image: i}]}\n",
			append(nodes[:2:2], "10.40.0.13 registered Node/worker-1 [worker-1] sync"), "no EgressIP selects pods of sync", nil},
		{"reasons add up", "[10.40.0.11]", "---\napiVersion: v1\nkind: Pod\nmetadata: {name: host, namespace: sync}\nspec: {hostNetwork: true, nodeName: infra-1, containers: [{name: c, image: i}]}\n",
			[]string{"10.40.0.11 registered Node/infra-1 [infra-1] sync", "10.40.0.12 missing Node/infra-2 [infra-2] sync", "10.40.0.13 missing Node/worker-1 [worker-1] sync"}, "", nil},
		{"openshift-sdn drops unhosted egress IPs", "[10.40.0.241]", "---\napiVersion: network.openshift.io/v1\nkind: NetNamespace\nmetadata: {name: sync}\nnetname: sync\nnetid: 1\negressIPs: [10.40.0.241]\n",
			[]string{"10.40.0.241 unhosted as 10.40.0.241 NetNamespace/sync [] sync"}, "",
			[]string{"sync's external traffic is dropped: its egress IPs are set but no node hosts them (SDN-1)", "egress IP(s) 10.40.0.241 of NetNamespace sync: no node can host them (EIP-2, ZN-6), so no traffic leaves with them until one can"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lists, err := allowlists(t, tt.accepts, tt.manifests)
			require.NoError(t, err)
			require.Len(t, lists, 1, "only the endpoint that keeps a list")
			a := lists[0]
			assert.Equal(t, "saas", a.Endpoint)
			assert.True(t, a.Keeps)
			assert.Equal(t, []string{"sync"}, a.Namespaces)
			assert.Equal(t, tt.want, entries(a))
			assert.Equal(t, tt.notes, a.Notes)
			for _, e := range a.Entries {
				if e.Kind == "Node" && tt.why != "" {
					assert.Equal(t, tt.why, e.Why)
				}
			}
		})
	}
}

// A node IP needed for two reasons gives both.
func TestAllowlistReasonsAddUp(t *testing.T) {
	lists, err := allowlists(t, "[10.40.0.11]", "---\napiVersion: v1\nkind: Pod\nmetadata: {name: host, namespace: sync}\nspec: {hostNetwork: true, nodeName: infra-1, containers: [{name: c, image: i}]}\n")
	require.NoError(t, err)
	require.NotEmpty(t, lists[0].Entries)
	assert.Equal(t, "host-network pods of sync leave with their node's IP; no EgressIP selects pods of sync", lists[0].Entries[0].Why)
}

func TestAllowlistsOfNamedEndpoints(t *testing.T) {
	lists, err := allowlists(t, "[10.40.0.241]", egressIP("[10.40.0.241]", "{}"), "ext:open")
	require.NoError(t, err)
	require.Len(t, lists, 1)
	assert.False(t, lists[0].Keeps)
	assert.Equal(t, []string{"10.40.0.241 required EgressIP/internal [infra-1 infra-2] sync"}, entries(lists[0]), "what to register should it keep a list")
	assert.Zero(t, check.MissingEntries(lists))

	lists, err = allowlists(t, "[10.40.0.241]", egressIP("[10.40.0.241]", "{}"), "saas", "ext:saas")
	require.NoError(t, err)
	assert.Len(t, lists, 1, "an endpoint named twice is listed once")

	_, err = allowlists(t, "[10.40.0.241]", "", "saas", "nope")
	assert.EqualError(t, err, "no external endpoint nope in scenario allow (it has: saas, open)")
}

func TestAllowlistsNeedAScenario(t *testing.T) {
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddBytes("ns.yaml", []byte(syncNamespace))
	c, err := l.Cluster()
	require.NoError(t, err)
	p, err := simulate.LookupProfile("generic")
	require.NoError(t, err)
	_, err = check.Allowlists(simulate.New(c, p, ""), nil)
	assert.ErrorContains(t, err, "allowlists need a kind: Scenario")
}
