// Package check is zonesim check: the cluster against its zone contract.
package check

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	zcheck "github.com/zonesim/zonesim/pkg/check"
	"github.com/zonesim/zonesim/pkg/cli/cmdutil"
	"github.com/zonesim/zonesim/pkg/cli/version"
	"github.com/zonesim/zonesim/pkg/report"
	"github.com/zonesim/zonesim/pkg/simulate"
)

type flags struct {
	input  cmdutil.InputFlags
	output string
	failOn string
}

// NewCommand returns zonesim check.
func NewCommand(s cmdutil.Streams) *cobra.Command {
	f := &flags{}
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
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), s, f) },
	}
	cmdutil.AddInputFlags(cmd, &f.input, cmdutil.Evaluates)
	cmdutil.AddOutputFlag(cmd, &f.output, report.CheckFormats)
	cmd.Flags().StringVar(&f.failOn, "fail-on", "error", "exit 1 when a finding is at or above this severity: error, warning, info or none")
	_ = cmd.RegisterFlagCompletionFunc("fail-on", cmdutil.Fixed("error", "warning", "info", "none"))
	return cmd
}

func run(ctx context.Context, s cmdutil.Streams, f *flags) error {
	format, err := cmdutil.ParseOutput(f.output, report.CheckFormats)
	if err != nil {
		return err
	}
	threshold, fail, err := zcheck.ParseSeverity(f.failOn)
	if err != nil {
		return cmdutil.InputError(err)
	}
	e, err := f.input.Engine(ctx, s)
	if err != nil {
		return err
	}
	r := zcheck.Run(e, zcheck.Options{Input: f.input.Args()})
	if format == "html" {
		err = writeHTML(ctx, s, f, e, r)
	} else {
		err = report.WriteCheck(s.Out, r, format)
	}
	if err != nil {
		return err
	}
	if err := f.input.CheckStrict(e.Caveats()); err != nil {
		return err
	}
	if n := r.Count(threshold); fail && n > 0 {
		return cmdutil.Denied(fmt.Errorf("%d finding(s) at or above %s", n, threshold), format == report.Table)
	}
	return nil
}

// writeHTML writes the report of a check: the zone map, the namespace matrix explained, the findings.
func writeHTML(ctx context.Context, s cmdutil.Streams, f *flags, e *simulate.Engine, r *zcheck.Report) error {
	// The namespace matrix, or the zone matrix when the namespaces are too many for one report (check has
	// no flags to narrow a matrix; zonesim matrix -o html --from/--to has).
	m, note := e.Matrix(simulate.LevelNamespace), ""
	if n := len(m.Nodes); n*n > report.MaxPageCells {
		m = e.Matrix(simulate.LevelZone)
		note = fmt.Sprintf("The namespace matrix has %d x %d cells, more than a report holds: the matrix is at zone level (zonesim matrix -o html --from/--to narrows a namespace matrix).", n, n)
	}
	p, err := f.input.HTMLPage(ctx, "Zone contract of "+report.ClusterName(e), e, m, report.PageOptions{})
	if err != nil {
		return err
	}
	if note != "" {
		p.Matrix.Note = strings.TrimSpace(note + " " + p.Matrix.Note)
	}
	p.About = append(p.About, "checked: "+strings.Join(r.Checked, " "))
	if len(r.Skipped) > 0 {
		p.About = append(p.About, "not checked: "+strings.Join(r.Skipped, "; "))
	}
	p.Findings = []report.FindingSection{report.Findings(r)}
	p.Generator = "zonesim " + version.String()
	return report.WriteHTML(s.Out, p)
}
