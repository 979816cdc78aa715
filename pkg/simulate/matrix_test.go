package simulate_test

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/gen"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// The memoized matrix path and the explained query path must agree on every pod pair, for every profile.
func TestMatrixAgreesWithQuery(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, gen.Write(&buf, gen.Options{Namespaces: 8, Workloads: 4, Zones: 3, Seed: 3}))
	for _, cni := range simulate.ProfileNames() {
		t.Run(cni, func(t *testing.T) {
			l := model.NewLoader(model.DefaultLoadOptions(), nil)
			l.AddBytes("gen.yaml", buf.Bytes())
			l.AddBytes("world.yaml", []byte(world))
			c, err := l.Cluster()
			require.NoError(t, err)
			matrixAgreesWithQuery(t, simulate.New(c, mustProfile(t, cni), ""))
		})
	}
	for _, shape := range gen.Shapes() { // the shapes that break grouping alike pods
		t.Run("generic/"+shape, func(t *testing.T) {
			matrixAgreesWithQuery(t, generatedEngine(t, gen.Options{Namespaces: 8, Workloads: 4, Zones: 3, Seed: 3, Shape: shape}))
		})
	}
}

func TestCellTextSaysHowThePairsDiffer(t *testing.T) {
	tests := []struct {
		conns          string
		uniform        bool
		allowed, total int
		want           string
	}{
		{"all", true, 4, 4, "all"},
		{"-", true, 0, 4, "-"},
		{"all", false, 2, 4, "partial: all (2/4 pairs)"},
		{"TCP/80, TCP/443", false, 4, 4, "varies: TCP/80, TCP/443 (4/4 pairs, not alike)"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, simulate.CellText(tt.conns, tt.uniform, tt.allowed, tt.total))
	}
}

// generatedEngine compiles a generated cluster for the generic profile.
func generatedEngine(t *testing.T, o gen.Options) *simulate.Engine {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, gen.Write(&buf, o))
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddBytes("gen.yaml", buf.Bytes())
	c, err := l.Cluster()
	require.NoError(t, err)
	return simulate.New(c, mustProfile(t, "generic"), "")
}

// A set query counts pod pairs by what each side depends on; its counts and connections must be those of
// asking every pod pair on its own, on every shape of generated cluster, with and without a port.
func TestSetQueryAgreesWithPairQueries(t *testing.T) {
	for _, shape := range gen.Shapes() {
		t.Run(shape, func(t *testing.T) {
			e := generatedEngine(t, gen.Options{Namespaces: 6, Workloads: 3, Zones: 2, Seed: 9, Shape: shape})
			for _, q := range []struct{ from, to, port string }{
				{"zone:zone-0", "zone:zone-1", ""}, {"zone:zone-1", "zone:zone-0", ""}, {"zone:zone-0", "zone:zone-0", ""},
				{"zone:zone-1", "zone:zone-0", "http"}, {"zone:zone-0", "zone:zone-1", "tcp/5432"},
			} {
				set := ask(t, e, q.from, q.to, q.port)
				from, err := e.ResolveEndpoint(q.from)
				require.NoError(t, err)
				to, err := e.ResolveEndpoint(q.to)
				require.NoError(t, err)
				total, allowed := 0, 0
				union := map[string]bool{}
				for _, s := range from.Members {
					for _, d := range to.Members {
						if s.Pod == d.Pod {
							continue
						}
						one := ask(t, e, s.Name, d.Name, q.port)
						total++
						if one.Allowed {
							allowed++
						}
						for _, conn := range one.Connections {
							union[conn] = true
						}
					}
				}
				assert.Equal(t, total, set.Pairs.Total, q)
				assert.Equal(t, allowed, set.Pairs.Allowed, q)
				want := slices.Sorted(maps.Keys(union))
				if union["all"] {
					want = []string{"all"}
				}
				assert.ElementsMatch(t, want, set.Connections, q)
			}
		})
	}
}

// Pods that differ only in a named port split into classes only when some rule names that port (NP-15):
// otherwise every workload serving its own port number would be a class of its own.
func TestClassesSplitOnlyOnReferencedPortNames(t *testing.T) {
	pods := func(ns string) string {
		var b bytes.Buffer
		for i, port := range []int{9090, 9091, 9092} {
			fmt.Fprintf(&b, `---
apiVersion: v1
kind: Pod
metadata: {name: p%d, namespace: %s, labels: {app: same}}
spec: {containers: [{name: c, image: i, ports: [{name: metrics, containerPort: %d}]}]}
status: {podIP: 10.9.%d.%d}
`, i, ns, port, len(ns), i+1)
		}
		return b.String()
	}
	tests := []struct {
		name, policy string
		want         int
	}{
		{"no rule names it", "", 1},
		{"a numeric rule", `{podSelector: {}, ingress: [{ports: [{port: 9090}]}]}`, 1},
		{"a rule names it", `{podSelector: {}, ingress: [{ports: [{port: metrics}]}]}`, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := model.NewLoader(model.DefaultLoadOptions(), nil)
			l.AddBytes("pods.yaml", []byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n"+pods("x")))
			if tt.policy != "" {
				l.AddBytes("np.yaml", []byte("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: x}\nspec: "+tt.policy+"\n"))
			}
			c, err := l.Cluster()
			require.NoError(t, err)
			e := simulate.New(c, mustProfile(t, "generic"), "")
			assert.Len(t, e.Classes(), tt.want)
			matrixAgreesWithQuery(t, e)
		})
	}
}

// A set queried to itself names each pod once in its caveats.
func TestCaveatsOfASetToItselfNameEachPodOnce(t *testing.T) {
	e := generatedEngine(t, gen.Options{Namespaces: 4, Workloads: 2, Zones: 2, Seed: 3, Shape: gen.ShapePorts})
	res := ask(t, e, "zone:zone-0", "zone:zone-0", "")
	require.NotEmpty(t, res.Caveats)
	assert.Contains(t, res.Caveats[0].Message, "4 pod IP(s) that an ipBlock covers were assigned by zonesim")
}

// --from and --to keep rows and columns by name, glob, namespace or zone; a pattern that matches nothing
// is an error that says what patterns are.
func TestMatrixFilter(t *testing.T) {
	e := engine(t, "generic", "")
	names := func(ns []*simulate.MatrixNode) []string {
		var out []string
		for _, n := range ns {
			out = append(out, n.Name)
		}
		return out
	}
	tests := []struct {
		level              simulate.Level
		from, to           []string
		wantRows, wantCols []string
		wantErr            string
	}{
		{simulate.LevelNamespace, []string{"a"}, []string{"b", "internet"}, []string{"a"}, []string{"b", "internet"}, ""},
		{simulate.LevelNamespace, []string{"zone:B"}, nil, []string{"b"}, []string{"a", "b", "internet"}, ""},
		{simulate.LevelWorkload, []string{"a"}, []string{"*/server"}, []string{"a/client", "a/server"}, []string{"a/server", "b/server"}, ""},
		{simulate.LevelPod, []string{"[ab]"}, []string{"b*"}, []string{"a/client", "a/server", "b/agent", "b/server"}, []string{"b/agent", "b/server"}, ""},
		{simulate.LevelPod, []string{"zone:A", "b/agent"}, []string{"b/*"}, []string{"a/client", "a/server", "b/agent"}, []string{"b/agent", "b/server"}, ""},
		{simulate.LevelZone, []string{"zone:A"}, []string{"B"}, []string{"A"}, []string{"B"}, ""},
		{simulate.LevelNamespace, []string{"zone:[AB]"}, []string{"zone:*"}, []string{"a", "b"}, []string{"a", "b"}, ""},
		{simulate.LevelNamespace, []string{"nope"}, []string{"b", "zone:C"}, nil, nil, `--from "nope" matches no node of the namespace matrix`},
	}
	for _, tt := range tests {
		m := e.Matrix(tt.level)
		err := m.Filter(tt.from, tt.to)
		if tt.wantErr != "" {
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Contains(t, err.Error(), `--to "zone:C" matches no node`, "every pattern that matches nothing is named")
			continue
		}
		require.NoError(t, err, tt.from)
		assert.Equal(t, tt.wantRows, names(m.Nodes), tt.from)
		assert.Equal(t, tt.wantCols, names(m.Cols), tt.to)
		row := m.Row(0, nil)
		require.Len(t, row, len(m.Cols))
		assert.Equal(t, e.Matrix(tt.level).Cell(slices.Index(names(e.Matrix(tt.level).Nodes), m.Nodes[0].Name),
			slices.Index(names(e.Matrix(tt.level).Nodes), m.Cols[0].Name)).Text(), row[0].Text())
	}
}

// A row of an external block shares its verdicts between destinations with the same policies, unless a
// rule naming a port admits the block (each destination's own number, NP-15) or the block holds the
// destination's own node (always admitted, NP-19).
func TestExternalRowsFollowNamedPortsAndNodes(t *testing.T) {
	policy := func(ns string) string { // the same in both namespaces
		return fmt.Sprintf(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: %s}
spec:
  podSelector: {}
  ingress:
    - from: [{ipBlock: {cidr: 203.0.113.0/24}}]
      ports: [{port: http}]
    - from: [{ipBlock: {cidr: 198.51.100.0/24}}]
      ports: [{port: 443}]
---
`, ns)
	}
	e := engine(t, "generic", policy("a")+policy("b")+`apiVersion: zonesim.dev/v1alpha1
kind: Scenario
metadata: {name: s}
spec:
  externals: [{name: node-agent, addresses: [192.168.1.10]}]
`)
	matrixAgreesWithQuery(t, e)
	m := e.Matrix(simulate.LevelPod)
	cells := map[[2]string][]string{}
	var row []simulate.Cell
	for i, from := range m.Nodes {
		row = m.Row(i, row)
		for j, to := range m.Cols {
			cells[[2]string{from.Name, to.Name}] = row[j].Conns.List()
		}
	}
	tests := []struct {
		from, to string
		want     []string
	}{
		{"203.0.113.0/24", "a/server", []string{"TCP/8080"}},
		{"203.0.113.0/24", "b/server", []string{"TCP/9090"}},
		{"198.51.100.0/24", "a/server", []string{"TCP/443"}},
		{"198.51.100.0/24", "b/server", []string{"TCP/443"}},
		{"ext:node-agent", "a/server", []string{"all"}}, // its own node
		{"203.0.113.0/24", "a/client", []string{}},      // no port named http
		{"ext:node-agent", "a/client", []string{}},
		{"ext:node-agent", "b/server", []string{}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, cells[[2]string{tt.from, tt.to}], "%s -> %s", tt.from, tt.to)
	}
}
