package cli

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/zonesim/zonesim/pkg/audit"
	"github.com/zonesim/zonesim/pkg/report"
)

func newAudit(s Streams, g *globalFlags) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "audit CAPTURE.pcap...",
		Short: "Check captured traffic against the model: what got through that the policies deny",
		Long: `Reads packet captures (pcap: tcpdump -w, Wireshark, the lab's endpoint captures; Ethernet, Linux cooked
or raw IP) and looks every connection up in the model. A TCP connection starts at its SYN and counts as
answered when a SYN-ACK comes back; a UDP flow starts at its first datagram and is answered by one the
other way. A source that is a pod is queried as that pod; a source outside the pod network that is an
egress identity (an EgressIP, a node IP) stands for the pods that leave with it, and the destination must
be allowed to see that identity.

Status per flow: ok (allowed and answered), blocked (denied and not answered), unanswered (allowed but
no answer: a service down, or a firewall the model does not know), violation (answered although the
model denies it). Exit code: 1 when there is a violation, 0 otherwise, 2 for bad input.`,
		Example: `  tcpdump -i eth0 -w egress.pcap 'tcp[tcpflags] & tcp-syn != 0 or udp'   # on an egress node
  zonesim audit egress.pcap -f scenarios/three-tier/scenario.yaml
  zonesim audit ~/.cache/zonesim/lab/default/capture-*.pcap -o json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, files []string) error {
			if err := report.CheckFormat(output, []string{"text", "json"}); err != nil {
				return inputError(err)
			}
			var flows []audit.Flow
			for _, f := range files {
				fh, err := os.Open(f)
				if err != nil {
					return inputError(err)
				}
				got, err := audit.ReadFlows(fh)
				fh.Close()
				if err != nil {
					return inputError(fmt.Errorf("%s: %w", f, err))
				}
				flows = append(flows, got...)
			}
			e, err := g.engine(s)
			if err != nil {
				return err
			}
			verdicts := audit.Check(e, flows)
			violations := 0
			for _, v := range verdicts {
				if v.Status == "violation" {
					violations++
				}
			}
			if output == "json" {
				if err := report.WriteJSON(s.Out, map[string]any{"flows": verdicts, "violations": violations}); err != nil {
					return err
				}
			} else {
				tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "FROM\tTO\tPORT\tSEEN\tMODEL\tSTATUS")
				for _, v := range verdicts {
					seen, model := "attempt", "denied"
					if v.Answered {
						seen = "answered"
					}
					if v.Allowed {
						model = "allowed"
					}
					status := v.Status
					if v.Status == "violation" {
						status = "VIOLATION: " + v.Query
					}
					fmt.Fprintf(tw, "%s\t%s\t%s/%d\t%s (%d pkts)\t%s\t%s\n", v.From, v.To, v.Protocol, v.Port, seen, v.Packets, model, status)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				fmt.Fprintf(s.Out, "\n%d flow(s), %d violation(s)\n", len(verdicts), violations)
			}
			if violations > 0 {
				return &exitError{code: ExitDenied, err: fmt.Errorf("%d flow(s) got through that the model denies", violations), silent: output == "text"}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: "+strings.Join([]string{"text", "json"}, ", "))
	return cmd
}
