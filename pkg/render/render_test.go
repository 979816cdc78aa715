package render_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/check"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/render"
	"github.com/zonesim/zonesim/pkg/simulate"
)

func load(t *testing.T, design string, rendered []byte) *simulate.Engine {
	t.Helper()
	l := model.NewLoader(model.DefaultLoadOptions(), nil)
	l.AddPath(design)
	if rendered != nil {
		l.AddBytes("rendered.yaml", rendered)
	}
	c, err := l.Cluster()
	require.NoError(t, err)
	p, err := simulate.LookupProfile("generic")
	require.NoError(t, err)
	return simulate.New(c, p, "")
}

// render -> load -> check reports nothing, and the zone matrix is the contract: a zone pair has
// connectivity iff the contract lists it, and only on the contract's ports.
func TestRoundTrip(t *testing.T) {
	for _, design := range []string{
		"../../scenarios/two-zone/testdata/roundtrip/design.yaml",
		"../../scenarios/three-tier/testdata/roundtrip/design.yaml",
		"../../scenarios/outbound-only/testdata/roundtrip/design.yaml",
	} {
		t.Run(design, func(t *testing.T) {
			files, err := render.Render(load(t, design, nil).Cluster)
			require.NoError(t, err)
			var all []any
			for _, f := range files {
				all = append(all, f.Objects...)
			}
			y, err := render.YAML(all)
			require.NoError(t, err)

			e := load(t, design, y)
			r := check.Run(e, check.Options{})
			assert.Empty(t, r.Findings)

			sc := e.Cluster.Scenario
			m := e.Matrix(simulate.LevelZone)
			for i, from := range m.Nodes {
				for j, to := range m.Nodes {
					if from.Kind != "zone" || to.Kind != "zone" || from.Name == to.Name || from.Name == simulate.UnzonedName || to.Name == simulate.UnzonedName {
						continue
					}
					cell := m.Cell(i, j)
					var allowed *simulate.ConnSet
					for _, f := range sc.Contract.Flows {
						if f.From == from.Name && f.To == to.Name {
							c := simulate.ConnsOf(f.Ports)
							allowed = &c
						}
					}
					if allowed == nil {
						assert.Zero(t, cell.Allowed, "%s -> %s is not in the contract: %s", from.Name, to.Name, cell.Text())
						continue
					}
					assert.NotZero(t, cell.Allowed, "%s -> %s is in the contract", from.Name, to.Name)
					assert.True(t, cell.Conns.Subtract(*allowed).IsEmpty(), "%s -> %s: %s beyond the contract's %s", from.Name, to.Name, cell.Conns, allowed)
				}
			}
		})
	}
}

func TestRenderNeedsAScenario(t *testing.T) {
	_, err := render.Render(&model.Cluster{})
	assert.ErrorContains(t, err, "render needs a kind: Scenario")
}
