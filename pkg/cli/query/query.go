// Package query is zonesim query: can SOURCE reach DESTINATION, and why.
package query

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/zonesim/zonesim/pkg/cli/cmdutil"
	"github.com/zonesim/zonesim/pkg/report"
	"github.com/zonesim/zonesim/pkg/simulate"
)

type flags struct {
	input     cmdutil.InputFlags
	namespace cmdutil.NamespaceFlags
	port      string
	output    string
	details   int
	from, to  string
}

// NewCommand returns zonesim query.
func NewCommand(s cmdutil.Streams) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "query from SOURCE to DESTINATION",
		Short: "Can SOURCE reach DESTINATION? Prints ALLOWED or DENIED with the policies and rules that decided",
		Long: `Evaluates every pod pair between SOURCE and DESTINATION and explains the verdict: for the source's egress
and the destination's ingress, which policies isolate the pod and which rule allows the traffic; for
traffic that leaves the cluster, each step after it (egress firewall, SNAT, perimeter, allowlist).

Endpoints:
` + simulate.EndpointForms + `

Ports: 443, tcp/443, udp/53, sctp/9000, 8080-8090, or a named port (resolved on the destination pod).

Exit code: 0 allowed (every pair), 1 denied or partially allowed, 2 bad input.`,
		Example: `  zonesim query from shop-web/deployment/frontend to svc:payments/payments --port 443
  zonesim query -n shop-web from deploy/frontend to svc:payments/payments -p 443
  zonesim query from zone:B to zone:A
  zonesim query from payments to 8.8.8.8 -o json`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 4 || args[0] != "from" || args[2] != "to" {
				return cmdutil.InputError(fmt.Errorf("usage: zonesim query from SOURCE to DESTINATION [--port P]"))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			f.from, f.to = args[1], args[3]
			return run(cmd.Context(), s, f)
		},
	}
	cmdutil.AddNamespaceFlags(cmd.Flags(), &f.namespace, "the namespace of endpoints given without one (pod/NAME, deploy/NAME, svc:NAME, route:NAME); with --chart, also the release namespace", false)
	cmdutil.AddInputFlags(cmd, &f.input, cmdutil.Evaluates)
	cmd.Flags().StringVarP(&f.port, "port", "p", "", "port to check: 443, tcp/443, udp/53, 8080-8090 or a port name")
	cmdutil.AddOutputFlag(cmd, &f.output, report.QueryFormats)
	cmd.Flags().IntVar(&f.details, "details", 10, "explain at most this many pod pairs in full (denied pairs are listed up to twice as many)")
	return cmd
}

func run(ctx context.Context, s cmdutil.Streams, f *flags) error {
	format, err := cmdutil.ParseOutput(f.output, report.QueryFormats)
	if err != nil {
		return err
	}
	if f.details < 0 {
		return cmdutil.InputError(fmt.Errorf("--details %d: want 0 or more", f.details))
	}
	var port *simulate.PortSpec
	if f.port != "" {
		p, err := simulate.ParsePort(f.port)
		if err != nil {
			return cmdutil.InputError(err)
		}
		port = &p
	}
	e, err := f.input.Engine(ctx, s)
	if err != nil {
		return err
	}
	if err := f.namespace.Check(e); err != nil {
		return err
	}
	from, err := e.ResolveEndpoint(simulate.QualifyEndpoint(f.from, f.namespace.Namespace))
	if err != nil {
		return cmdutil.InputError(err)
	}
	to, err := e.ResolveEndpoint(simulate.QualifyEndpoint(f.to, f.namespace.Namespace))
	if err != nil {
		return cmdutil.InputError(err)
	}
	res, err := e.Query(from, to, port, f.details)
	if err != nil {
		return cmdutil.InputError(err)
	}
	if format == "json" {
		err = report.WriteJSON(s.Out, res)
	} else {
		err = report.WriteQuery(s.Out, res)
	}
	if err != nil {
		return err
	}
	if err := f.input.CheckStrict(res.Caveats); err != nil {
		return err
	}
	if !res.Allowed {
		return cmdutil.Denied(nil, true)
	}
	return nil
}
