// Package diff is zonesim diff: what a change does to reachability.
package diff

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/zonesim/zonesim/pkg/cli/cmdutil"
	"github.com/zonesim/zonesim/pkg/cli/matrix"
	"github.com/zonesim/zonesim/pkg/report"
	"github.com/zonesim/zonesim/pkg/simulate"
)

type flags struct {
	input    cmdutil.InputFlags
	base     []string
	golden   string
	baseLive bool
	level    string
	output   string
	pairs    int
	// levelSet: --level was given, so it must agree with a golden matrix's.
	levelSet bool
}

// NewCommand returns zonesim diff.
func NewCommand(s cmdutil.Streams) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "Show what a change does to reachability: the changed matrix cells and the rules behind them",
		Long: `Compares the reachability matrix of the input (-f, the proposed objects) with a base: --base PATH (the
current objects: a checkout of main, a directory of manifests) or --golden FILE (a matrix stored with
zonesim matrix -o json, kept in the repository so CI notices any change). Nodes present on one side only
are listed; every other cell that differs is printed with the text before and after. With --base, each
changed cell names a pod pair whose verdict changed and the deciding rules that differ for it: "+" a rule
(NetworkPolicy, AdminNetworkPolicy, baseline, egress firewall, …) that decides it now, "-" one that did
before.

With --base-live and --kubeconfig/--context, the base is the live cluster and the input is the live
cluster plus the -f files: the impact of applying them, before applying them.

Exit code: 0 when nothing changed, 1 when something did (a golden matrix is out of date, or the change has
an impact), 2 for bad input.`,
		Example: `  zonesim diff --base git:origin/main:manifests/ -f manifests/ --level workload
  zonesim diff --base main-checkout/manifests -f manifests/
  zonesim matrix -f manifests/ --level namespace -o json > reachability.golden.json
  zonesim diff --golden reachability.golden.json -f manifests/     # in CI
  zonesim diff --base scenarios/two-zone/scenario.yaml -f scenarios/two-zone/scenario.yaml -f docs/examples/admin-policies.yaml
  zonesim diff --base-live --context prod -f new-policy.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.levelSet = cmd.Flags().Changed("level")
			return run(cmd.Context(), s, f)
		},
	}
	cmdutil.AddInputFlags(cmd, &f.input, cmdutil.Evaluates)
	fl := cmd.Flags()
	fl.StringArrayVar(&f.base, "base", nil, "the objects before the change: file, directory, git:REV[:PATH] (e.g. git:origin/main:deploy/) or - ; repeatable")
	fl.StringVar(&f.golden, "golden", "", "a matrix stored with zonesim matrix -o json, to compare against")
	fl.BoolVar(&f.baseLive, "base-live", false, "the base is the cluster of --kubeconfig/--context; the input is that cluster plus -f")
	fl.StringVar(&f.level, "level", "namespace", "pod, workload, namespace or zone (with --golden: the golden's)")
	cmdutil.AddOutputFlag(cmd, &f.output, report.DiffFormats)
	fl.IntVar(&f.pairs, "pairs", 200, "with --base: pod pairs to look at per changed cell to find one that explains it")
	_ = cmd.RegisterFlagCompletionFunc("level", cmdutil.Fixed(matrix.Levels...))
	return cmd
}

func run(ctx context.Context, s cmdutil.Streams, f *flags) error {
	format, err := cmdutil.ParseOutput(f.output, report.DiffFormats)
	if err != nil {
		return err
	}
	given := 0
	for _, b := range []bool{len(f.base) > 0, f.golden != "", f.baseLive} {
		if b {
			given++
		}
	}
	if given != 1 {
		return cmdutil.InputError(fmt.Errorf("give exactly one of --base PATH, --golden FILE or --base-live"))
	}
	if f.baseLive && !f.input.Live() {
		return cmdutil.InputError(fmt.Errorf("--base-live reads the cluster of --kubeconfig/--context: give one"))
	}
	level := f.level
	var before *simulate.CellTexts
	var beforeEngine *simulate.Engine
	if f.golden != "" {
		file, err := os.Open(f.golden)
		if err != nil {
			return cmdutil.InputError(err)
		}
		defer file.Close()
		if before, err = report.ReadMatrixJSON(file); err != nil {
			return cmdutil.InputError(fmt.Errorf("%s: %w", f.golden, err))
		}
		if f.levelSet && level != before.Level {
			return cmdutil.InputError(fmt.Errorf("--level %s, but %s is a %s matrix", level, f.golden, before.Level))
		}
		if before.CNI != "" && before.CNI != f.input.CNI {
			return cmdutil.InputError(fmt.Errorf("%s was computed with --cni %s; compare with the same profile (--cni %s)", f.golden, before.CNI, before.CNI))
		}
		level = before.Level
	}
	lv, err := simulate.ParseLevel(level)
	if err != nil {
		return cmdutil.InputError(err)
	}
	if len(f.base) > 0 || f.baseLive {
		bg := f.input
		bg.Files = f.base
		if f.baseLive {
			fmt.Fprintln(s.ErrOut, "base: the live cluster")
		} else {
			bg.Kubeconfig, bg.Context = "", "" // the base is the files alone
			fmt.Fprintf(s.ErrOut, "base: %s\n", strings.Join(f.base, " "))
		}
		if beforeEngine, err = bg.Engine(ctx, s); err != nil {
			return err
		}
		before = beforeEngine.Matrix(lv).Texts()
	}
	after, err := f.input.Engine(ctx, s)
	if err != nil {
		return err
	}
	afterTexts := after.Matrix(lv).Texts()
	d, err := simulate.Diff(before, afterTexts)
	if err != nil {
		return cmdutil.InputError(err)
	}
	if beforeEngine != nil {
		d.Explain(beforeEngine, after, afterTexts.Nodes, f.pairs)
	}
	d.Caveats = after.Caveats()
	if err := report.WriteDiff(s.Out, d, format); err != nil {
		return err
	}
	if err := f.input.CheckStrict(d.Caveats); err != nil {
		return err
	}
	if len(d.Changes) > 0 || len(d.Added) > 0 || len(d.Removed) > 0 {
		return cmdutil.Denied(fmt.Errorf("the reachability matrix changed"), true)
	}
	return nil
}
