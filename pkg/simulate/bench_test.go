package simulate_test

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/zonesim/zonesim/pkg/gen"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/report"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// cluster is a generated cluster a benchmark runs on: a shape (zonesim gen --shape) at a size (--size).
type cluster struct{ shape, size string }

func (c cluster) String() string { return c.shape + "/" + c.size }

var (
	genOnce sync.Map // cluster -> []byte
	// clusters are every size of the default shape, and the shapes that break grouping alike pods at the
	// sizes issue 11 sets targets for.
	clusters = []cluster{
		{gen.ShapeZones, "S"}, {gen.ShapeZones, "M"}, {gen.ShapeZones, "L"}, {gen.ShapeZones, "XL"},
		{gen.ShapePorts, "L"}, {gen.ShapePorts, "XL"}, {gen.ShapeLabels, "L"}, {gen.ShapeIPBlocks, "L"},
	}
	loadOpts = model.DefaultLoadOptions()
)

func generated(b *testing.B, c cluster) []byte {
	if v, ok := genOnce.Load(c); ok {
		return v.([]byte)
	}
	var buf bytes.Buffer
	o := gen.Sizes[c.size]
	o.Shape = c.shape
	if err := gen.Write(&buf, o); err != nil {
		b.Fatal(err)
	}
	genOnce.Store(c, buf.Bytes())
	return buf.Bytes()
}

func loadCompile(b *testing.B, data []byte) *simulate.Engine {
	l := model.NewLoader(loadOpts, nil)
	l.AddBytes("gen.yaml", data)
	c, err := l.Cluster()
	if err != nil {
		b.Fatal(err)
	}
	p, _ := simulate.LookupProfile("generic")
	return simulate.New(c, p, "")
}

// BenchmarkLoadCompile parses the generated YAML, validates it, and compiles the policies.
func BenchmarkLoadCompile(b *testing.B) {
	for _, c := range clusters {
		b.Run(c.String(), func(b *testing.B) {
			data := generated(b, c)
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				loadCompile(b, data)
			}
		})
	}
}

// BenchmarkMatrix computes the full matrix and writes every allowed cell as JSON text.
func BenchmarkMatrix(b *testing.B) {
	for _, level := range []simulate.Level{simulate.LevelPod, simulate.LevelWorkload, simulate.LevelNamespace, simulate.LevelZone} {
		for _, c := range clusters {
			if (level == simulate.LevelPod || level == simulate.LevelWorkload) && c.size == "XL" {
				continue // 400M pod pairs: not a target
			}
			b.Run(string(level)+"/"+c.String(), func(b *testing.B) {
				e := loadCompile(b, generated(b, c))
				b.ReportAllocs()
				for b.Loop() {
					m := e.Matrix(level)
					if err := report.WriteMatrix(io.Discard, m, "json"); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkWorkloadToAll is one workload's connections to every other workload.
func BenchmarkWorkloadToAll(b *testing.B) {
	for _, c := range clusters {
		b.Run(c.String(), func(b *testing.B) {
			e := loadCompile(b, generated(b, c))
			m := e.Matrix(simulate.LevelWorkload)
			idx := len(m.Nodes) / 2
			var row []simulate.Cell
			b.ReportAllocs()
			for b.Loop() {
				row = m.Row(idx, row)
			}
		})
	}
}

// BenchmarkQueryPair is a warm single pair query with its explanation.
func BenchmarkQueryPair(b *testing.B) {
	for _, c := range clusters {
		b.Run(c.String(), func(b *testing.B) {
			e := loadCompile(b, generated(b, c))
			from, err := e.ResolveEndpoint(endpointOf(c, 1, 1))
			if err != nil {
				b.Fatal(err)
			}
			to, err := e.ResolveEndpoint(endpointOf(c, 4, 2))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Query(from, to, &simulate.PortSpec{Protocol: "TCP", Lo: 8080, Hi: 8080}, 10); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// endpointOf names app j of namespace i: a Deployment, or in the labels shape, whose pods have no owner,
// its first pod.
func endpointOf(c cluster, i, j int) string {
	if c.shape == gen.ShapeLabels {
		return fmt.Sprintf("ns-%04d/app-%02d-0", i, j)
	}
	return fmt.Sprintf("ns-%04d/deployment/app-%02d", i, j)
}

// BenchmarkQueryZones is a warm query between two zones, every pod pair, without a port.
func BenchmarkQueryZones(b *testing.B) {
	for _, c := range clusters {
		b.Run(c.String(), func(b *testing.B) {
			e := loadCompile(b, generated(b, c))
			from, err := e.ResolveEndpoint("zone:zone-0")
			if err != nil {
				b.Fatal(err)
			}
			to, err := e.ResolveEndpoint("zone:zone-1")
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Query(from, to, nil, 10); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
