package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/zonesim/zonesim/pkg/check"
	"github.com/zonesim/zonesim/pkg/report"
)

func newCheck(s Streams, g *globalFlags) *cobra.Command {
	var output, failOn string
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check the cluster against its zone contract (one-way flows, outbound-only, egress identity, router shards, isolation)",
		Long: `Checks every ZN-* and OB-* rule that the input allows: a kind: Scenario gives the zones, the perimeter and the
contract; plain manifests get the rules that need none (zone membership, NetworkPolicy ownership, router
shards). Each finding names its rule, severity, the objects with file:line, a query command that
reproduces the offending flow, and a fix.

Exit code: 0 clean, 1 findings at or above --fail-on, 2 bad input.`,
		Example: `  zonesim check -f scenarios/three-tier/scenario.yaml
  zonesim check -f scenario.yaml -o sarif > zonesim.sarif
  zonesim check -f scenario.yaml -o junit --fail-on warning`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := report.CheckFormat(output, report.CheckFormats); err != nil {
				return inputError(err)
			}
			threshold, fail, err := check.ParseSeverity(failOn)
			if err != nil {
				return inputError(err)
			}
			e, err := g.engine(s)
			if err != nil {
				return err
			}
			r := check.Run(e, check.Options{Inputs: g.files, CNI: g.cni})
			if err := report.WriteCheck(s.Out, r, output); err != nil {
				return err
			}
			if fail && r.Count(threshold) > 0 {
				return &exitError{code: ExitDenied, err: fmt.Errorf("%d finding(s) at or above %s", r.Count(threshold), threshold), silent: output == "text"}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: "+strings.Join(report.CheckFormats, ", "))
	cmd.Flags().StringVar(&failOn, "fail-on", "error", "exit 1 when a finding is at or above this severity: error, warning, info or none")
	_ = cmd.RegisterFlagCompletionFunc("output", fixed(report.CheckFormats...))
	_ = cmd.RegisterFlagCompletionFunc("fail-on", fixed("error", "warning", "info", "none"))
	return cmd
}
