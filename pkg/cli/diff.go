package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/zonesim/zonesim/pkg/report"
	"github.com/zonesim/zonesim/pkg/simulate"
)

func newDiff(s Streams, g *globalFlags) *cobra.Command {
	var (
		base           []string
		golden, output string
		level          string
		pairs          int
		baseLive       bool
	)
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
		Example: `  zonesim diff --base main-checkout/manifests -f manifests/ --level workload
  zonesim matrix -f manifests/ --level namespace -o json > reachability.golden.json
  zonesim diff --golden reachability.golden.json -f manifests/     # in CI
  zonesim diff --base scenarios/two-zone/scenario.yaml -f scenarios/two-zone/scenario.yaml -f docs/examples/admin-policies.yaml
  zonesim diff --base-live --context prod -f new-policy.yaml`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := report.CheckFormat(output, report.DiffFormats); err != nil {
				return inputError(err)
			}
			given := 0
			for _, b := range []bool{len(base) > 0, golden != "", baseLive} {
				if b {
					given++
				}
			}
			if given != 1 {
				return inputError(fmt.Errorf("give exactly one of --base PATH, --golden FILE or --base-live"))
			}
			if baseLive && g.kubeconfig == "" && g.kubeContext == "" {
				return inputError(fmt.Errorf("--base-live reads the cluster of --kubeconfig/--context: give one"))
			}
			var before *simulate.CellTexts
			var beforeEngine *simulate.Engine
			if golden != "" {
				f, err := os.Open(golden)
				if err != nil {
					return inputError(err)
				}
				defer f.Close()
				if before, err = report.ReadMatrixJSON(f); err != nil {
					return inputError(fmt.Errorf("%s: %w", golden, err))
				}
				if c.Flags().Changed("level") && level != before.Level {
					return inputError(fmt.Errorf("--level %s, but %s is a %s matrix", level, golden, before.Level))
				}
				if before.CNI != "" && before.CNI != g.cni {
					return inputError(fmt.Errorf("%s was computed with --cni %s; compare with the same profile (--cni %s)", golden, before.CNI, before.CNI))
				}
				level = before.Level
			}
			lv, err := simulate.ParseLevel(level)
			if err != nil {
				return inputError(err)
			}
			if len(base) > 0 || baseLive {
				bg := *g
				bg.files = base
				if baseLive {
					fmt.Fprintln(s.ErrOut, "base: the live cluster")
				} else {
					bg.kubeconfig, bg.kubeContext = "", "" // the base is the files alone
					fmt.Fprintf(s.ErrOut, "base: %s\n", strings.Join(base, " "))
				}
				if beforeEngine, err = bg.engine(s); err != nil {
					return err
				}
				before = beforeEngine.Matrix(lv).Texts()
			}
			after, err := g.engine(s)
			if err != nil {
				return err
			}
			afterTexts := after.Matrix(lv).Texts()
			d, err := simulate.Diff(before, afterTexts)
			if err != nil {
				return inputError(err)
			}
			if beforeEngine != nil {
				d.Explain(beforeEngine, after, afterTexts.Nodes, pairs)
			}
			if err := report.WriteDiff(s.Out, d, output); err != nil {
				return err
			}
			if len(d.Changes) > 0 || len(d.Added) > 0 || len(d.Removed) > 0 {
				return &exitError{code: ExitDenied, err: fmt.Errorf("the reachability matrix changed"), silent: true}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&base, "base", nil, "the objects before the change: file, directory or - ; repeatable")
	f.StringVar(&golden, "golden", "", "a matrix stored with zonesim matrix -o json, to compare against")
	f.BoolVar(&baseLive, "base-live", false, "the base is the cluster of --kubeconfig/--context; the input is that cluster plus -f")
	f.StringVar(&level, "level", "namespace", "pod, workload, namespace or zone (with --golden: the golden's)")
	f.StringVarP(&output, "output", "o", "text", "output format: "+strings.Join(report.DiffFormats, ", "))
	f.IntVar(&pairs, "pairs", 200, "with --base: pod pairs to look at per changed cell to find one that explains it")
	_ = cmd.RegisterFlagCompletionFunc("level", fixed("pod", "workload", "namespace", "zone"))
	return cmd
}
