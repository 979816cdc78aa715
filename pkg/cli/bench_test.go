package cli_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zonesim/zonesim/pkg/cli"
	"github.com/zonesim/zonesim/pkg/gen"
)

// BenchmarkEndToEnd runs commands as a user types them on generated clusters written to a file: reading
// the file, loading, compiling, computing and writing the output (to nowhere). These are issue 11's
// targets: namespace and zone matrices of XL clusters, the workload JSON matrix and a zone-to-zone query
// of L clusters, on the default shape and on the one with a port number per workload, the latter also
// written as one List as kubectl exports a cluster.
func BenchmarkEndToEnd(b *testing.B) {
	dir := b.TempDir()
	file := func(in input, size string) string {
		p := filepath.Join(dir, in.String()+"-"+size+".yaml")
		if _, err := os.Stat(p); err == nil {
			return p
		}
		f, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		o := gen.Sizes[size]
		o.Shape, o.List = in.shape, in.list
		if err := gen.Write(f, o); err != nil {
			b.Fatal(err)
		}
		return p
	}
	for _, in := range []input{{gen.ShapeZones, false}, {gen.ShapePorts, false}, {gen.ShapePorts, true}} {
		for _, c := range []struct {
			size string
			args []string
		}{
			{"XL", []string{"matrix", "--level", "namespace", "-o", "json"}},
			{"XL", []string{"matrix", "--level", "zone", "-o", "json"}},
			{"L", []string{"matrix", "--level", "workload", "-o", "json"}},
			{"L", []string{"query", "from", "zone:zone-0", "to", "zone:zone-1"}},
		} {
			b.Run(in.String()+"/"+c.size+"/"+strings.Join(c.args[:3], "-"), func(b *testing.B) {
				args := append(append([]string{}, c.args...), "-f", file(in, c.size))
				for b.Loop() {
					code := cli.Run(context.Background(), cli.Streams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard}, args)
					if code > cli.ExitDenied {
						b.Fatalf("exit %d", code)
					}
				}
			})
		}
	}
}

// input is a generated cluster's shape, written as documents or as one List.
type input struct {
	shape string
	list  bool
}

func (in input) String() string {
	if in.list {
		return in.shape + "-list"
	}
	return in.shape
}

// BenchmarkDiffXL is issue 13's target: zonesim diff of two XL clusters (1,000 namespaces x 20
// workloads) that differ in one policy's port, end to end from the two files, at namespace and at
// workload level.
func BenchmarkDiffXL(b *testing.B) {
	dir := b.TempDir()
	var base strings.Builder
	if err := gen.Write(&base, gen.Sizes["XL"]); err != nil {
		b.Fatal(err)
	}
	const policy = "  name: zone-router\n  namespace: ns-0000\n"
	at := strings.Index(base.String(), policy)
	if at < 0 {
		b.Fatal("no zone-router policy in ns-0000")
	}
	changed := base.String()[:at] + strings.Replace(base.String()[at:], "        - port: 8080\n", "        - port: 8443\n", 1)
	before, after := filepath.Join(dir, "before.yaml"), filepath.Join(dir, "after.yaml")
	for p, text := range map[string]string{before: base.String(), after: changed} {
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for _, level := range []string{"namespace", "workload"} {
		b.Run(level, func(b *testing.B) {
			for b.Loop() {
				var out strings.Builder
				code := cli.Run(context.Background(), cli.Streams{In: strings.NewReader(""), Out: &out, ErrOut: io.Discard},
					[]string{"diff", "--base", before, "-f", after, "--level", level})
				if code != cli.ExitDenied || !strings.Contains(out.String(), " cells changed, 0 node(s) added") {
					b.Fatalf("exit %d: %s", code, out.String())
				}
			}
		})
	}
}
