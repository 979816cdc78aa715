package gen_test

import (
	"bytes"
	"fmt"
	"strings"
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

// With List, every shape is the same cluster written as one List document, as kubectl exports it; a
// large one is read ahead in parallel, in runs of items.
func TestList(t *testing.T) {
	for _, shape := range gen.Shapes() {
		for _, o := range []gen.Options{{Namespaces: 6, Workloads: 4, Zones: 3, Seed: 5}, gen.Sizes["M"]} {
			o.Shape = shape
			t.Run(fmt.Sprintf("%s/%d", shape, o.Namespaces), func(t *testing.T) {
				load := func(list bool) string {
					o := o
					o.List = list
					var buf bytes.Buffer
					require.NoError(t, gen.Write(&buf, o))
					if list {
						assert.Equal(t, 0, bytes.Count(buf.Bytes(), []byte("\n---")), "one document")
					}
					l := model.NewLoader(model.DefaultLoadOptions(), nil)
					l.AddBytes("gen.yaml", buf.Bytes())
					c, err := l.Cluster()
					require.NoError(t, err)
					var b strings.Builder
					for _, p := range c.Pods {
						fmt.Fprintln(&b, p.Key(), p.Labels, p.Ports)
					}
					for _, p := range c.Policies {
						fmt.Fprintln(&b, p.Key(), len(p.IngressLines), len(p.EgressLines))
					}
					return b.String()
				}
				assert.Equal(t, load(false), load(true))
			})
		}
	}
}
