// Package gen is zonesim gen: a synthetic multi-zone cluster for trying zonesim at scale.
package gen

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/zonesim/zonesim/pkg/cli/cmdutil"
	zgen "github.com/zonesim/zonesim/pkg/gen"
)

type flags struct {
	size string
	opts zgen.Options
	out  string
	// set are the flags given explicitly, which a --size preset does not override.
	set func(name string) bool
}

// NewCommand returns zonesim gen.
func NewCommand(s cmdutil.Streams) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "gen",
		Short: "Write a synthetic multi-zone cluster (namespaces, workloads, NetworkPolicies) for trying zonesim at scale",
		Long: `Writes a deterministic synthetic cluster as multi-document YAML (or one List with --list): zone-labelled namespaces, a router
namespace per zone, workloads with named ports, and 2-6 NetworkPolicies per namespace in the style of
seed 002 (same namespace, same zone, zone router, one-way zone pairs, per-app named ports, ipBlock egress
with except). The same seed gives the same bytes. It goes to stdout, or to the file --out names.

Presets (--size): S 20 ns x 5 workloads, M 100 x 10, L 500 x 10, XL 1000 x 20.

Shapes (--shape), for trying zonesim on clusters unlike the default one:
` + zgen.ShapeHelp(),
		Example: `  zonesim gen --size M > m.yaml && zonesim matrix -f m.yaml --level zone
  zonesim gen --namespaces 50 --workloads 8 --zones 3 --seed 7 --out cluster.yaml
  zonesim gen --size XL --shape ports --out xl-ports.yaml
  zonesim gen --size L --list --out export.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.set = cmd.Flags().Changed
			return run(cmd.Context(), s, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.size, "size", "", "preset: S, M, L or XL (explicit flags override it)")
	fl.IntVar(&f.opts.Namespaces, "namespaces", 20, "application namespaces")
	fl.IntVar(&f.opts.Workloads, "workloads", 5, "workloads per namespace")
	fl.IntVar(&f.opts.Zones, "zones", 3, "network zones")
	fl.Uint64Var(&f.opts.Seed, "seed", 1, "random seed")
	fl.StringVar(&f.opts.Shape, "shape", zgen.ShapeZones, "the cluster's shape: "+strings.Join(zgen.Shapes(), ", "))
	fl.StringVar(&f.out, "out", "", "file to write (default stdout)")
	fl.BoolVar(&f.opts.List, "list", false, "write one List document, as kubectl get -o yaml exports a cluster")
	_ = cmd.RegisterFlagCompletionFunc("size", cmdutil.Fixed(zgen.SizeNames()...))
	_ = cmd.RegisterFlagCompletionFunc("shape", cmdutil.Fixed(zgen.Shapes()...))
	return cmd
}

func run(_ context.Context, s cmdutil.Streams, f *flags) error {
	opts := f.opts
	if f.size != "" {
		preset, ok := zgen.Sizes[strings.ToUpper(f.size)]
		if !ok {
			return cmdutil.InputError(fmt.Errorf("unknown --size %q: use one of %s", f.size, strings.Join(zgen.SizeNames(), ", ")))
		}
		if !f.set("namespaces") {
			opts.Namespaces = preset.Namespaces
		}
		if !f.set("workloads") {
			opts.Workloads = preset.Workloads
		}
		if !f.set("zones") {
			opts.Zones = preset.Zones
		}
	}
	if err := opts.Validate(); err != nil {
		return cmdutil.InputError(err)
	}
	if f.out == "" || f.out == "-" {
		return zgen.Write(s.Out, opts)
	}
	file, err := os.Create(f.out)
	if err != nil {
		return cmdutil.InputError(err)
	}
	if err := zgen.Write(file, opts); err != nil {
		file.Close()
		return err
	}
	if err := file.Close(); err != nil {
		return err
	}
	fmt.Fprintf(s.ErrOut, "wrote %s: %d namespaces x %d workloads in %d zones, shape %s\n", f.out, opts.Namespaces, opts.Workloads, opts.Zones, opts.Shape)
	return nil
}
