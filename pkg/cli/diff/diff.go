// Package diff is zonesim diff: what a change does to reachability.
package diff

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/zonesim/zonesim/pkg/check"
	"github.com/zonesim/zonesim/pkg/cli/cmdutil"
	"github.com/zonesim/zonesim/pkg/cli/matrix"
	"github.com/zonesim/zonesim/pkg/cli/version"
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
	failOn   string
	maxBytes int
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

When a scenario (kind: Scenario) is read on both sides (--base, --base-live), its zone contract is checked
on each and the delta reported: the findings the change introduces and those it resolves, with their rule
IDs. -o md writes a PR comment: one summary line (cells opened, closed and changed; findings new and
resolved), the top changes, the new and resolved findings, and every change with its causes folded in
<details>, within --max-bytes ("and N more").

Exit code (--fail-on): changes (the default) exits 1 when a cell changed or a finding is new;
new-findings only for a new contract finding; none never. 2 for bad input.`,
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
	fl.StringVar(&f.failOn, "fail-on", "changes", "what exits 1: changes (a changed cell or a new finding), new-findings (a new contract finding only) or none")
	fl.IntVar(&f.maxBytes, "max-bytes", 60000, "-o md: the most characters to write (a PR comment; GitHub takes 65,536); the rest is counted")
	_ = cmd.RegisterFlagCompletionFunc("fail-on", cmdutil.Fixed("changes", "new-findings", "none"))
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
	switch f.failOn {
	case "changes", "new-findings", "none":
	default:
		return cmdutil.InputError(fmt.Errorf("--fail-on %q: use changes, new-findings or none", f.failOn))
	}
	if f.maxBytes < 0 {
		return cmdutil.InputError(fmt.Errorf("--max-bytes %d: must not be negative (0: no bound)", f.maxBytes))
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
	var baseArgs []string // the base's input flags, for its findings' query commands
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
		baseArgs = bg.Args()
	}
	after, err := f.input.Engine(ctx, s)
	if err != nil {
		return err
	}
	var d *simulate.MatrixDiff
	if beforeEngine != nil { // only the cells the change can reach are computed
		var nodes []simulate.TextNode
		if d, nodes, err = simulate.DiffEngines(beforeEngine, after, lv); err != nil {
			return cmdutil.InputError(err)
		}
		d.Explain(beforeEngine, after, nodes, f.pairs)
	} else if d, err = simulate.Diff(before, after.Matrix(lv).Texts()); err != nil {
		return cmdutil.InputError(err)
	}
	d.Caveats = after.Caveats()
	out := report.Diff{MatrixDiff: d, MaxBytes: f.maxBytes}
	if after.Cluster.Scenario != nil || beforeEngine != nil && beforeEngine.Cluster.Scenario != nil {
		if beforeEngine == nil {
			fmt.Fprintln(s.ErrOut, "note: no contract delta: a golden matrix holds no objects to check (compare with --base)")
		} else {
			out.Contract = check.Compare(check.Run(beforeEngine, check.Options{Input: baseArgs}),
				check.Run(after, check.Options{Input: f.input.Args()}))
		}
	}
	if format == "html" {
		err = writeHTML(ctx, s, f, out, after, beforeEngine, lv)
	} else {
		err = report.WriteDiff(s.Out, out, format)
	}
	if err != nil {
		return err
	}
	if err := f.input.CheckStrict(d.Caveats); err != nil {
		return err
	}
	newFindings := out.Contract != nil && len(out.Contract.New) > 0
	changed := len(d.Changes) > 0 || len(d.Added) > 0 || len(d.Removed) > 0
	switch {
	case f.failOn == "none":
	case newFindings:
		return cmdutil.Denied(fmt.Errorf("%d new contract finding(s)", len(out.Contract.New)), true)
	case f.failOn == "changes" && changed:
		return cmdutil.Denied(fmt.Errorf("the reachability matrix changed"), true)
	}
	return nil
}

// writeHTML writes the report of a diff: the zone map of the input with the flows the change opens,
// closes or changes; the matrix of the rows and columns with a changed cell, each explained by its
// causes and its query; the new and resolved findings.
func writeHTML(ctx context.Context, s cmdutil.Streams, f *flags, out report.Diff, after, before *simulate.Engine, lv simulate.Level) error {
	d := out.MatrixDiff
	m := after.Matrix(lv)
	rows, cols, left := report.ChangedNodes(m, d)
	p, err := f.input.HTMLPage(ctx, "Change to "+report.ClusterName(after), after, m, report.PageOptions{Rows: rows, Cols: cols})
	if err != nil {
		return err
	}
	base := "the live cluster"
	switch {
	case f.golden != "":
		base = "the golden matrix " + f.golden
	case len(f.base) > 0:
		base = strings.Join(f.base, " ")
	}
	p.About = append([]string{"base: " + base}, p.About...)
	p.MarkDiff(d, before, after)
	switch {
	case len(rows) == 0:
		p.Matrix.Note = "No cell changed."
	case left > 0:
		p.Matrix.Note = strings.TrimSpace(fmt.Sprintf("Only the rows and columns with a changed cell are shown, as many as a report holds (%d cells): %d changed cell(s) or added node(s) did not fit; zonesim diff -o md or -o json lists them all. %s",
			report.MaxPageCells, left, p.Matrix.Note))
	default:
		p.Matrix.Note = strings.TrimSpace(fmt.Sprintf("Only the rows and columns with a changed cell are shown. %s", p.Matrix.Note))
	}
	if out.Contract != nil {
		p.AddContractDelta(out.Contract)
	} else { // a golden matrix holds no objects: the input's own findings, with no delta
		sec := report.Findings(check.Run(after, check.Options{Input: f.input.Args()}))
		sec.Heading = "Contract findings of the input (a golden matrix holds no objects to compare them with)"
		p.Findings = []report.FindingSection{sec}
	}
	p.Generator = "zonesim " + version.String()
	return report.WriteHTML(s.Out, p)
}
