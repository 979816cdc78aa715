package simulate_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/gen"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
)

func engineFrom(t *testing.T, file, text string) *simulate.Engine {
	t.Helper()
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddBytes(file, []byte(text))
	c, err := l.Cluster()
	require.NoError(t, err)
	p, err := simulate.LookupProfile("generic")
	require.NoError(t, err)
	return simulate.New(c, p, "")
}

// replaceAfter replaces the first old after the first anchor.
func replaceAfter(t *testing.T, text, anchor, old, new string) string {
	t.Helper()
	at := strings.Index(text, anchor)
	require.GreaterOrEqual(t, at, 0, anchor)
	out := text[:at] + strings.Replace(text[at:], old, new, 1)
	require.NotEqual(t, text, out, "%q after %q", old, anchor)
	return out
}

// DiffEngines computes only the cells a change can reach, yet reports what comparing every cell does:
// for changes within namespaces (a policy's port, a namespace's labels, a policy removed, a pod added,
// which moves the addresses zonesim assigns to later pods, a file read from elsewhere) and for changes
// whose reach is wider (an admin policy, a new address block), at every level.
func TestDiffEnginesAgreesWithTheWholeMatrix(t *testing.T) {
	var base strings.Builder
	require.NoError(t, gen.Write(&base, gen.Options{Namespaces: 12, Workloads: 4, Zones: 3, Seed: 5}))
	text := base.String()
	changes := map[string]struct {
		text     string
		touched  []string // the namespaces it touches; nil: every cell is compared
		sameFile bool
	}{
		"nothing":             {text: text, touched: []string{}, sameFile: true},
		"read from elsewhere": {text: text, touched: []string{}, sameFile: false},
		"a policy's port": {text: replaceAfter(t, text, "  name: zone-router\n  namespace: ns-0000\n", "        - port: 8080\n", "        - port: 8443\n"),
			touched: []string{"ns-0000"}},
		"a namespace's zone": {text: replaceAfter(t, text, "  name: ns-0002\n", "network-zone: zone-2", "network-zone: zone-0"),
			touched: []string{"ns-0002"}},
		"a policy removed": {text: replaceAfter(t, text, "  name: same-namespace\n  namespace: ns-0001\n", "  podSelector: {}\n", "  podSelector: {matchLabels: {none: none}}\n"),
			touched: []string{"ns-0001"}},
		"a pod added": {text: text + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: extra, namespace: ns-0000, labels: {app: app-00}}\nspec: {containers: [{name: c, image: x}]}\n"},
		"an admin policy": {text: text + `---
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: deny-zone-1}
spec:
  priority: 10
  subject: {namespaces: {matchLabels: {network-zone: zone-1}}}
  ingress:
    - {action: Deny, from: [{namespaces: {matchLabels: {network-zone: zone-0}}}]}
`},
		"a new address block": {text: replaceAfter(t, text, "  name: same-namespace\n  namespace: ns-0004\n", "        - podSelector: {}\n", "        - podSelector: {}\n        - ipBlock: {cidr: 198.51.100.0/24}\n")},
	}
	before := engineFrom(t, "before.yaml", text)
	for name, c := range changes {
		file := "after.yaml"
		if c.sameFile {
			file = "before.yaml"
		}
		after := engineFrom(t, file, c.text)
		touched, ok := simulate.TouchedNamespaces(before, after)
		if c.touched == nil && name != "a pod added" {
			assert.False(t, ok, "%s reaches beyond namespaces", name)
		}
		if c.touched != nil {
			require.True(t, ok, name)
			var got []string
			for ns := range touched {
				got = append(got, ns)
			}
			assert.ElementsMatch(t, c.touched, got, name)
		}
		for _, level := range []simulate.Level{simulate.LevelPod, simulate.LevelWorkload, simulate.LevelNamespace, simulate.LevelZone} {
			want, err := simulate.Diff(before.Matrix(level).Texts(), after.Matrix(level).Texts())
			require.NoError(t, err)
			got, nodes, err := simulate.DiffEngines(before, after, level)
			require.NoError(t, err)
			assert.Equal(t, want, got, "%s at %s level", name, level)
			assert.Equal(t, after.Matrix(level).Texts().Nodes, nodes)
		}
	}
}
