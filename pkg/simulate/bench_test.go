package simulate_test

import (
	"bytes"
	"io"
	"sync"
	"testing"

	"github.com/zonesim/zonesim/pkg/gen"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/report"
	"github.com/zonesim/zonesim/pkg/simulate"
)

var (
	genOnce  sync.Map // size -> []byte
	sizes    = []string{"S", "M", "L", "XL"}
	loadOpts = model.DefaultLoadOptions()
)

func generated(b *testing.B, size string) []byte {
	if v, ok := genOnce.Load(size); ok {
		return v.([]byte)
	}
	var buf bytes.Buffer
	if err := gen.Write(&buf, gen.Sizes[size]); err != nil {
		b.Fatal(err)
	}
	genOnce.Store(size, buf.Bytes())
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
	for _, size := range sizes {
		b.Run(size, func(b *testing.B) {
			data := generated(b, size)
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
		for _, size := range sizes {
			if (level == simulate.LevelPod || level == simulate.LevelWorkload) && size == "XL" {
				continue // 400M pod pairs: not a target of issue 3
			}
			b.Run(string(level)+"/"+size, func(b *testing.B) {
				e := loadCompile(b, generated(b, size))
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
	for _, size := range sizes {
		b.Run(size, func(b *testing.B) {
			e := loadCompile(b, generated(b, size))
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
	for _, size := range sizes {
		b.Run(size, func(b *testing.B) {
			e := loadCompile(b, generated(b, size))
			from, err := e.ResolveEndpoint("ns-0001/deployment/app-01")
			if err != nil {
				b.Fatal(err)
			}
			to, err := e.ResolveEndpoint("ns-0004/deployment/app-02")
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
