package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/zonesim/zonesim/pkg/report"
	"github.com/zonesim/zonesim/pkg/simulate"
)

type queryFlags struct {
	port    string
	output  string
	details int
}

func newQuery(s Streams, g *globalFlags) *cobra.Command {
	q := &queryFlags{}
	cmd := &cobra.Command{
		Use:   "query from SOURCE to DESTINATION",
		Short: "Can SOURCE reach DESTINATION? Prints ALLOWED or DENIED with the policies and rules that decided",
		Long: `Evaluates every pod pair between SOURCE and DESTINATION and explains the verdict: for the source's egress
and the destination's ingress, which policies isolate the pod and which rule allows the traffic.

Endpoints: ns/pod, ns/<kind>/name (deployment, statefulset, ...), ns (a namespace), zone:Z (namespaces
labelled network-zone=Z), svc:ns/name (evaluated on the backends at the target port), an IP, a CIDR,
or internet. Ports: 443, tcp/443, udp/53, 8080-8090, or a named port (resolved on the destination pod).

Exit code: 0 allowed (every pair), 1 denied or partially allowed, 2 bad input.`,
		Example: `  zonesim query from shop-web/deployment/frontend to svc:payments/payments --port 443
  zonesim query from zone:B to zone:A
  zonesim query from payments to 8.8.8.8 -o json`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 4 || args[0] != "from" || args[2] != "to" {
				return inputError(fmt.Errorf("usage: zonesim query from SOURCE to DESTINATION [--port P]"))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := report.CheckFormat(q.output, report.QueryFormats); err != nil {
				return inputError(err)
			}
			var port *simulate.PortSpec
			if q.port != "" {
				p, err := simulate.ParsePort(q.port)
				if err != nil {
					return inputError(err)
				}
				port = &p
			}
			e, err := g.engine(s)
			if err != nil {
				return err
			}
			from, err := e.ResolveEndpoint(args[1])
			if err != nil {
				return inputError(err)
			}
			to, err := e.ResolveEndpoint(args[3])
			if err != nil {
				return inputError(err)
			}
			res, err := e.Query(from, to, port, q.details)
			if err != nil {
				return inputError(err)
			}
			if q.output == "json" {
				err = report.WriteJSON(s.Out, res)
			} else {
				err = report.WriteQuery(s.Out, res)
			}
			if err != nil {
				return err
			}
			if !res.Allowed {
				return &exitError{code: ExitDenied, silent: true}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&q.port, "port", "p", "", "port to check: 443, tcp/443, udp/53, 8080-8090 or a port name")
	cmd.Flags().StringVarP(&q.output, "output", "o", "table", "output format: table or json")
	cmd.Flags().IntVar(&q.details, "details", 10, "explain at most this many pod pairs in full (denied pairs are listed up to twice as many)")
	return cmd
}
