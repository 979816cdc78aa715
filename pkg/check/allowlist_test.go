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
			[]string{"10.40.0.11 missing Node/infra-1 [infra-1] sync", "10.40.0.12 missing Node/infra-2 [infra-2] sync", "10.40.0.13 missing Node/worker-1 [worker-1] sync", "10.40.0.241 stale"},
			"no EgressIP selects the pod", nil},
		{"the egress IP selects other pods", "[10.40.0.241]", egressIP("[10.40.0.241]", "{matchLabels: {app: other}}"),
			[]string{"10.40.0.11 missing Node/infra-1 [infra-1] sync", "10.40.0.12 missing Node/infra-2 [infra-2] sync", "10.40.0.13 missing Node/worker-1 [worker-1] sync", "10.40.0.241 stale"},
			"no EgressIP selects the pod", nil},
		{"no node can host the egress IP", "[10.99.0.1]", egressIP("[10.99.0.1]", "{}"),
			[]string{"10.40.0.11 missing Node/infra-1 [infra-1] sync", "10.40.0.12 missing Node/infra-2 [infra-2] sync", "10.40.0.13 missing Node/worker-1 [worker-1] sync", "10.99.0.1 registered EgressIP/internal [] sync"},
			"no node can host the egress IPs of EgressIP internal (EIP-2) [assumption: OVN-Kubernetes then SNATs to the node]", nil},
		{"openshift-sdn drops unhosted egress IPs", "[10.40.0.241]", "---\napiVersion: network.openshift.io/v1\nkind: NetNamespace\nmetadata: {name: sync}\nnetname: sync\nnetid: 1\negressIPs: [10.40.0.241]\n",
			[]string{"10.40.0.241 stale"}, "", []string{"sync's external traffic is dropped: its egress IPs are set but no node hosts them (SDN-1)"}},
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
				if e.Kind == "Node" {
					assert.Equal(t, tt.why, e.Why)
				}
			}
		})
	}
}

func TestAllowlistsOfNamedEndpoints(t *testing.T) {
	lists, err := allowlists(t, "[10.40.0.241]", egressIP("[10.40.0.241]", "{}"), "ext:open")
	require.NoError(t, err)
	require.Len(t, lists, 1)
	assert.False(t, lists[0].Keeps)
	assert.Equal(t, []string{"10.40.0.241 required EgressIP/internal [infra-1 infra-2] sync"}, entries(lists[0]), "what to register should it keep a list")
	assert.Zero(t, lists[0].Missing())

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
