package render_test

import (
	"flag"
	"net/netip"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zonesim/zonesim/pkg/check"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/render"
	"github.com/zonesim/zonesim/pkg/simulate"
)

var update = flag.Bool("update", false, "rewrite the rendered scenario")

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
// connectivity iff the contract lists it, and only on the contract's ports; with NetworkPolicies on one
// pod network, and with a primary network per zone (UDN-1..UDN-6).
func TestRoundTrip(t *testing.T) {
	for _, design := range []string{
		"../../scenarios/two-zone/testdata/roundtrip/design.yaml",
		"../../scenarios/three-tier/testdata/roundtrip/design.yaml",
		"../../scenarios/outbound-only/testdata/roundtrip/design.yaml",
		"../../scenarios/udn-zones/design.yaml",
	} {
		for _, seg := range []string{render.SegmentationPolicies, render.SegmentationUDN} {
			t.Run(seg+" "+design, func(t *testing.T) { roundTrip(t, design, seg) })
		}
	}
}

// roundTrip renders a design with a segmentation, loads the result next to it, and checks it.
func roundTrip(t *testing.T, design, segmentation string) {
	{
		{
			opts := render.DefaultOptions()
			opts.Segmentation = segmentation
			files, err := render.Render(load(t, design, nil).Cluster, opts)
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
		}
	}
}

func TestRenderNeedsAScenario(t *testing.T) {
	_, err := render.Render(&model.Cluster{}, render.DefaultOptions())
	assert.ErrorContains(t, err, "render needs a kind: Scenario")
}

// scenarios/udn-zones/rendered is what render --segmentation udn writes for its design, file by file
// (go test ./pkg/render -update rewrites it).
func TestUDNZonesScenarioIsCurrent(t *testing.T) {
	const dir = "../../scenarios/udn-zones/"
	opts := render.DefaultOptions()
	opts.Segmentation = render.SegmentationUDN
	files, err := render.Render(load(t, dir+"design.yaml", nil).Cluster, opts)
	require.NoError(t, err)
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
		y, err := render.YAML(f.Objects)
		require.NoError(t, err)
		if *update {
			require.NoError(t, os.WriteFile(dir+"rendered/"+f.Name, y, 0o644))
		}
		want, err := os.ReadFile(dir + "rendered/" + f.Name)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(y), f.Name)
	}
	entries, err := os.ReadDir(dir + "rendered")
	require.NoError(t, err)
	var have []string
	for _, e := range entries {
		have = append(have, e.Name())
	}
	assert.ElementsMatch(t, names, have)
}

func TestOptionsAreChecked(t *testing.T) {
	tests := []struct {
		name, segmentation, udn, connect, want string
	}{
		{"the defaults", render.SegmentationUDN, "10.192.0.0/12", "100.90.0.0/16", ""},
		{"an unknown segmentation", "vlan", "10.192.0.0/12", "100.90.0.0/16", `--segmentation "vlan": use policies or udn`},
		{"host bits", render.SegmentationUDN, "10.0.0.1/12", "100.90.0.0/16", "--udn-cidr 10.0.0.1/12: host bits are set; write 10.0.0.0/12"},
		{"IPv6", render.SegmentationUDN, "fd00::/48", "100.90.0.0/16", "--udn-cidr fd00::/48: an IPv4 CIDR (IPv6 zone networks are not supported yet)"},
		{"too small for a zone", render.SegmentationUDN, "10.0.0.0/20", "100.90.0.0/16", "--udn-cidr 10.0.0.0/20: at most /16, to hold a /16 per zone"},
		{"overlapping ranges", render.SegmentationUDN, "100.64.0.0/12", "100.64.0.0/16", "--connect-cidr 100.64.0.0/16 overlaps --udn-cidr 100.64.0.0/12: OVN-Kubernetes refuses connect subnets that overlap pod subnets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := render.Options{Segmentation: tt.segmentation, UDNCIDR: netip.MustParsePrefix(tt.udn), ConnectCIDR: netip.MustParsePrefix(tt.connect)}
			err := o.Check()
			if tt.want == "" {
				assert.NoError(t, err)
			} else {
				assert.EqualError(t, err, tt.want)
			}
		})
	}
}
