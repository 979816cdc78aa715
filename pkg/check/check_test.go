package check_test

import (
	"sort"
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
