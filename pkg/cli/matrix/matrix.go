// Package matrix is zonesim matrix: who can open connections to whom, at a level.
package matrix

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	zcheck "github.com/zonesim/zonesim/pkg/check"
	"github.com/zonesim/zonesim/pkg/cli/cmdutil"
	"github.com/zonesim/zonesim/pkg/cli/version"
	"github.com/zonesim/zonesim/pkg/report"
	"github.com/zonesim/zonesim/pkg/simulate"
)

type flags struct {
	input     cmdutil.InputFlags
	namespace cmdutil.NamespaceFlags
	level     string
	output    string
	from, to  []string
	compact   bool
	levelSet  bool // --level was given
}

// Levels are the --level values, for help and completion.
var Levels = []string{"pod", "workload", "namespace", "zone"}

// NewCommand returns zonesim matrix.
func NewCommand(s cmdutil.Streams) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "matrix",
		Short: "Print the reachability matrix at pod, workload, namespace or zone level",
		Long: `Prints who can open connections to whom. Rows are sources, columns destinations. A cell holds the
allowed connections: "all", "-" for none, a list like "TCP/80, UDP/53", "partial: ... (k/n pairs)"
when only k of the cell's n pod pairs allow something, or "varies: ... (n/n pairs, not alike)" when every
pair allows something but not the same (the list is their union). External address blocks named by ipBlocks, and "internet" for the
rest, are rows (traffic into pods) and columns (traffic out of pods).

-n NS keeps the rows and columns of namespace NS (its pods, workloads or itself) and the external
blocks; every namespace is the default (-A). --from and --to keep the rows and the columns that match:
` + simulate.FilterHelp + `; repeat them or separate patterns by commas. Only the cells kept are computed,
and every format streams row by row. -o json --compact writes each distinct cell once and rows as runs of
columns (docs/json.md): a large matrix of alike cells shrinks a hundredfold.`,
		Example: `  zonesim matrix --level zone
  zonesim matrix -n shop-web --level workload
  zonesim matrix -f manifests/ --level workload -o json | jq '.entries[] | select(.from=="internet")'
  zonesim matrix --level namespace -o dot | dot -Tsvg > reach.svg
  zonesim matrix --level workload --from 'shop-web' --to 'zone:B,internet'
  zonesim matrix -f big.yaml --level workload -o json --compact > matrix.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.levelSet = cmd.Flags().Changed("level")
			return run(cmd.Context(), s, f)
		},
	}
	cmdutil.AddNamespaceFlags(cmd.Flags(), &f.namespace, "keep only this namespace's rows and columns (and the external blocks); with --chart, also the release namespace", true)
	cmdutil.AddInputFlags(cmd, &f.input, cmdutil.Evaluates)
	cmd.Flags().StringVar(&f.level, "level", "namespace", "pod, workload, namespace or zone")
	cmd.Flags().StringSliceVar(&f.from, "from", nil, "keep only the rows that match (a name or glob, a namespace or glob on namespaces, zone:Z)")
	cmd.Flags().StringSliceVar(&f.to, "to", nil, "keep only the columns that match (a name or glob, a namespace or glob on namespaces, zone:Z)")
	cmd.Flags().BoolVar(&f.compact, "compact", false, "with -o json: each distinct cell once, rows as runs of columns")
	cmdutil.AddOutputFlag(cmd, &f.output, report.MatrixFormats)
	_ = cmd.RegisterFlagCompletionFunc("level", cmdutil.Fixed(Levels...))
	return cmd
}

func run(ctx context.Context, s cmdutil.Streams, f *flags) error {
	level, err := simulate.ParseLevel(f.level)
	if err != nil {
		return cmdutil.InputError(err)
	}
	format, err := cmdutil.ParseOutput(f.output, report.MatrixFormats)
	if err != nil {
		return err
	}
	if err := f.namespace.Validate(); err != nil {
		return err
	}
	if format == "svg" && (f.namespace.Namespace != "" || len(f.from) > 0 || len(f.to) > 0 || f.levelSet) {
		return cmdutil.InputError(fmt.Errorf("-o svg draws the zone map of the whole cluster: --level, -n, --from and --to do not apply (-o html has the map and a matrix they choose)"))
	}
	if f.compact && format != "json" {
		return cmdutil.InputError(fmt.Errorf("--compact goes with -o json"))
	}
	if f.namespace.Namespace != "" {
		if err := simulate.CanNarrow(level); err != nil {
			return cmdutil.InputError(err)
		}
	}
	e, err := f.input.Engine(ctx, s)
	if err != nil {
		return err
	}
	if format == "svg" {
		if err := report.WriteZoneMapSVG(s.Out, report.NewZoneMap(e), report.MapTitle(e)); err != nil {
			return err
		}
		for _, c := range e.Caveats() { // no place for them in the picture: on stderr
			fmt.Fprintf(s.ErrOut, "caveat: %s\n", c)
		}
		return f.input.CheckStrict(e.Caveats())
	}
	m := e.Matrix(level)
	if ns := f.namespace.Namespace; ns != "" {
		if err := m.Narrow(ns); err != nil {
			return cmdutil.InputError(err)
		}
		if len(m.Nodes) == 0 || m.Nodes[0].Kind == "external" {
			fmt.Fprintf(s.ErrOut, "note: namespace %s has no pods\n", ns)
		}
	}
	if err := m.Filter(f.from, f.to); err != nil {
		return cmdutil.InputError(err)
	}
	if format == "html" {
		p, err := f.input.HTMLPage(ctx, "Reachability of "+report.ClusterName(e), e, m, report.PageOptions{})
		if err != nil {
			return err
		}
		r := zcheck.Run(e, zcheck.Options{Input: f.input.Args()})
		p.Findings = []report.FindingSection{report.Findings(r)}
		p.Generator = "zonesim " + version.String()
		if err := report.WriteHTML(s.Out, p); err != nil {
			return err
		}
		return f.input.CheckStrict(m.Caveats())
	}
	progress := cmdutil.NewProgress(s)
	err = report.WriteMatrixWith(s.Out, m, format, report.MatrixOptions{Compact: f.compact, Progress: progress.Rows, Stop: ctx.Err})
	progress.Done()
	if err != nil && ctx.Err() != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitInterrupted, Silent: true} // Ctrl-C
	}
	if err != nil {
		return err
	}
	caveats := m.Caveats()
	if format == "csv" || format == "dot" { // no place for them in the data: on stderr
		for _, c := range caveats {
			fmt.Fprintf(s.ErrOut, "caveat: %s\n", c)
		}
	}
	return f.input.CheckStrict(caveats)
}
