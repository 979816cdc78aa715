package gen_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/gen"
	"github.com/zonesim/zonesim/pkg/model"
)

// Every shape is a cluster the loader reads without a problem, the same bytes for the same seed, and has
// the property it is named for.
func TestShapes(t *testing.T) {
	for _, tt := range []struct {
		shape string
		check func(t *testing.T, c *model.Cluster)
	}{
		{gen.ShapeZones, func(t *testing.T, c *model.Cluster) { assert.Len(t, c.Workloads, 3+6*4) }},
		{gen.ShapePorts, func(t *testing.T, c *model.Cluster) {
			http := map[int32]bool{}
			for _, p := range c.Pods {
				for _, cp := range p.Ports {
					if cp.Name == "http" && p.Namespace != "router-zone-0" && p.Namespace != "router-zone-1" && p.Namespace != "router-zone-2" {
						assert.False(t, http[cp.Port], "each Deployment's http is a number of its own")
						http[cp.Port] = true
					}
				}
			}
			assert.Len(t, http, 6*4)
		}},
		{gen.ShapeLabels, func(t *testing.T, c *model.Cluster) {
			names := map[string]bool{}
			for _, p := range c.Pods {
				if n := p.Labels["pod-name"]; n != "" {
					names[p.Namespace+"/"+n] = true
				}
			}
			assert.Len(t, names, 6*4*2, "every pod has a label of its own")
		}},
		{gen.ShapeIPBlocks, func(t *testing.T, c *model.Cluster) {
			n := 0
			for _, np := range c.Policies {
				if np.Name == "partners" {
					n += len(np.Spec.Egress[0].To)
				}
			}
			assert.Equal(t, 6*4, n)
		}},
	} {
		t.Run(tt.shape, func(t *testing.T) {
			o := gen.Options{Namespaces: 6, Workloads: 4, Zones: 3, Seed: 5, Shape: tt.shape}
			var a, b bytes.Buffer
			require.NoError(t, gen.Write(&a, o))
			require.NoError(t, gen.Write(&b, o))
			assert.Equal(t, a.Bytes(), b.Bytes(), "deterministic")
			l := model.NewLoader(model.DefaultLoadOptions(), nil)
			l.AddBytes("gen.yaml", a.Bytes())
			c, err := l.Cluster()
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
	assert.EqualError(t, gen.Options{Namespaces: 1, Workloads: 1, Zones: 1, Shape: "mesh"}.Validate(), `unknown shape "mesh": use one of ipblocks, labels, ports, zones`)
}
