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
