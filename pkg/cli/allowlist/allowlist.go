// Package allowlist is zonesim allowlist: what each external endpoint's source allowlist must hold.
package allowlist

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/zonesim/zonesim/pkg/check"
	"github.com/zonesim/zonesim/pkg/cli/cmdutil"
	"github.com/zonesim/zonesim/pkg/report"
)

type flags struct {
	input     cmdutil.InputFlags
	output    string
	endpoints []string
}

// NewCommand returns zonesim allowlist.
func NewCommand(s cmdutil.Streams) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "allowlist",
		Short: "List the egress IPs each external endpoint's allowlist must hold, and the missing and stale entries (OB-3)",
		Long: `For each external endpoint that keeps a source allowlist (acceptsFrom in the scenario), lists the egress
identities it must accept (ZN-6, OB-3): the egress IPs of every namespace the contract lets reach it, with
the nodes able to host each, and the IPs of the nodes its pods may run on where their traffic leaves
without an egress IP (none selects them, or none can be hosted). Each is registered (on the list) or
missing; an entry of the list that no such namespace needs is stale.

--endpoint names endpoints, also ones without a list: their entries are what to register should they
keep one. -o csv is a request to the provider.

Exit code: 0 every list holds what it must, 1 an entry is missing, 2 bad input.`,
		Example: `  zonesim allowlist -f scenarios/outbound-only/scenario.yaml
  zonesim allowlist -f scenario.yaml --endpoint crm-api -o csv > crm-api-allowlist.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), s, f) },
	}
	cmdutil.AddInputFlags(cmd, &f.input, cmdutil.Evaluates)
	cmdutil.AddOutputFlag(cmd, &f.output, report.AllowlistFormats)
	cmd.Flags().StringArrayVar(&f.endpoints, "endpoint", nil, "an external endpoint of the scenario (ext: optional); repeatable (default: every endpoint with acceptsFrom)")
	return cmd
}

func run(ctx context.Context, s cmdutil.Streams, f *flags) error {
	format, err := cmdutil.ParseOutput(f.output, report.AllowlistFormats)
	if err != nil {
		return err
	}
	e, err := f.input.Engine(ctx, s)
	if err != nil {
		return err
	}
	lists, err := check.Allowlists(e, f.endpoints)
	if err != nil {
		return cmdutil.InputError(err)
	}
	if len(lists) == 0 {
		if len(e.Cluster.Scenario.Externals) == 0 {
			fmt.Fprintf(s.ErrOut, "scenario %s declares no external endpoints (spec.externals)\n", e.Cluster.Scenario.Name)
		} else {
			fmt.Fprintln(s.ErrOut, "no external endpoint of the scenario keeps an allowlist (acceptsFrom); name one with --endpoint to list what it would need")
		}
	}
	if err := report.WriteAllowlists(s.Out, lists, format); err != nil {
		return err
	}
	if format == "csv" { // the table and JSON carry the notes; a CSV row has no place for them
		for _, a := range lists {
			for _, n := range a.Notes {
				fmt.Fprintf(s.ErrOut, "note: ext:%s: %s\n", a.Endpoint, n)
			}
		}
	}
	if err := f.input.CheckStrict(e.Caveats()); err != nil {
		return err
	}
	if missing := check.MissingEntries(lists); missing > 0 {
		return cmdutil.Denied(fmt.Errorf("%d allowlist entr%s missing", missing, map[bool]string{true: "y is", false: "ies are"}[missing == 1]), format == report.Table)
	}
	return nil
}
