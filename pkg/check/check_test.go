package check_test

import (
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/check"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
)

func run(t *testing.T, path string) *check.Report {
	t.Helper()
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddPath(path)
	c, err := l.Cluster()
	require.NoError(t, err)
	p, err := simulate.LookupProfile("generic")
	require.NoError(t, err)
	return check.Run(simulate.New(c, p, ""), check.Options{Input: simulate.InputArgs([]string{path}, "")})
}

func classes(r *check.Report) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range r.Findings {
		k := f.Severity.String() + " " + f.Rule
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func TestScenariosAreClean(t *testing.T) {
	for _, s := range []string{"two-zone", "three-tier", "outbound-only"} {
		t.Run(s, func(t *testing.T) {
			r := run(t, "../../scenarios/"+s+"/scenario.yaml")
			assert.Empty(t, r.Findings)
		})
	}
}

// The broken variants carry one mistake per class of finding.
func TestBrokenVariantsFindEveryClass(t *testing.T) {
	tests := []struct {
		path string
		want []string
	}{
		{"../../scenarios/three-tier/testdata/broken/scenario.yaml", []string{
			"error OB-2", "error OB-3", "error ZN-10", "error ZN-3", "error ZN-4", "error ZN-5", "error ZN-6", "error ZN-7", "error ZN-8", "error ZN-9",
			"warning OB-2", "warning ZN-1", "warning ZN-5", "warning ZN-6",
		}},
		{"../../scenarios/two-zone/testdata/broken/scenario.yaml", []string{
			"error ZN-10", "error ZN-3", "error ZN-6", "error ZN-9", "warning ZN-6",
		}},
		{"../../scenarios/outbound-only/testdata/broken/scenario.yaml", []string{
			"error OB-1", "error OB-2", "error OB-3", "error OB-4", "error OB-6", "error ZN-5",
			"warning EF-7", "warning OB-2", "warning OB-5", "warning ZN-5",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := run(t, tt.path)
			assert.Equal(t, tt.want, classes(r))
			for _, f := range r.Findings {
				assert.NotEmpty(t, f.Fix, f.Message)
				assert.NotEmpty(t, f.Objects, f.Message)
			}
		})
	}
}

func TestParseSeverity(t *testing.T) {
	s, fail, err := check.ParseSeverity("warning")
	require.NoError(t, err)
	assert.Equal(t, check.Warning, s)
	assert.True(t, fail)
	_, fail, err = check.ParseSeverity("none")
	require.NoError(t, err)
	assert.False(t, fail)
	_, _, err = check.ParseSeverity("fatal")
	assert.Error(t, err)
}

// ZN-3, UDN-3: the udn-zones scenario is clean as rendered; without its ClusterNetworkConnect, the
// contract's flow cannot flow, and the finding says how to connect the zones; without the NetworkPolicies,
// the connection opens zone B to zone A.
func TestUDNZones(t *testing.T) {
	const dir = "../../scenarios/udn-zones/"
	load := func(t *testing.T, drop func(doc string) bool) *check.Report {
		l := model.NewLoader(model.DefaultLoadOptions(), nil)
		l.AddPath(dir + "design.yaml")
		for _, f := range []string{"namespaces.yaml", "networks.yaml", "networkpolicies.yaml", "ingresscontrollers.yaml", "egress.yaml"} {
			data, err := os.ReadFile(dir + "rendered/" + f)
			require.NoError(t, err)
			var keep []string
			for _, doc := range strings.Split(string(data), "---\n") {
				if !drop(doc) {
					keep = append(keep, doc)
				}
			}
			l.AddBytes(f, []byte(strings.Join(keep, "---\n")))
		}
		c, err := l.Cluster()
		require.NoError(t, err)
		p, err := simulate.LookupProfile("ovn-kubernetes")
		require.NoError(t, err)
		return check.Run(simulate.New(c, p, ""), check.Options{})
	}
	assert.Empty(t, load(t, func(string) bool { return false }).Findings)
	r := load(t, func(doc string) bool { return strings.Contains(doc, "kind: ClusterNetworkConnect") })
	require.Len(t, r.Findings, 1)
	assert.Contains(t, r.Findings[0].Message, "the contract lets zone A reach zone B (the shop pays through zone B), but shop-api is on CUDN zone-a")
	assert.Contains(t, r.Findings[0].Fix, "ClusterNetworkConnect (connectivity PodNetwork)")
	r = load(t, func(doc string) bool { return strings.Contains(doc, "kind: NetworkPolicy") })
	assert.Contains(t, classes(r), "error ZN-3")
	for _, f := range r.Findings {
		assert.NotContains(t, f.Message, "no ClusterNetworkConnect connects")
	}
}
