// Package audit is zonesim audit: captured traffic against the model.
package audit

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	zaudit "github.com/zonesim/zonesim/pkg/audit"
	"github.com/zonesim/zonesim/pkg/capture"
	"github.com/zonesim/zonesim/pkg/cli/cmdutil"
	"github.com/zonesim/zonesim/pkg/report"
)

type flags struct {
	input  cmdutil.InputFlags
	output string
	files  []string
}

// NewCommand returns zonesim audit.
func NewCommand(s cmdutil.Streams) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "audit CAPTURE...",
		Short: "Check captured traffic against the model: what got through that the policies deny",
		Long: `Reads packet captures (pcap or pcapng, gzip-compressed or not: tcpdump -w, Wireshark, dumpcap, the lab's
endpoint captures; Ethernet, Linux cooked or raw IP) and looks every connection up in the model. A TCP
connection starts at its SYN and counts as answered when a SYN-ACK comes back; a UDP flow starts at its
first datagram and is answered by one the other way. A source that is a pod is queried as that pod; a
source outside the pod network that is an egress identity (an EgressIP, a node IP) stands for the pods
that leave with it, and the destination must be allowed to see that identity.

Status per flow: ok (allowed and answered), blocked (denied and not answered), unanswered (allowed but
no answer: a service down, or a firewall the model does not know), violation (answered although the
model denies it). Exit code: 1 when there is a violation, 0 otherwise, 2 for bad input.`,
		Example: `  tcpdump -i eth0 -w egress.pcap 'tcp[tcpflags] & tcp-syn != 0 or udp'   # on an egress node
  zonesim audit egress.pcap -f scenarios/three-tier/scenario.yaml
  zonesim audit ~/.cache/zonesim/lab/default/capture-*.pcap -o json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.files = args
			return run(cmd.Context(), s, f)
		},
	}
	cmdutil.AddInputFlags(cmd, &f.input, cmdutil.Evaluates)
	cmdutil.AddOutputFlag(cmd, &f.output, report.AuditFormats)
	return cmd
}

func run(ctx context.Context, s cmdutil.Streams, f *flags) error {
	format, err := cmdutil.ParseOutput(f.output, report.AuditFormats)
	if err != nil {
		return err
	}
	var flows []capture.Flow
	for _, name := range f.files {
		file, err := os.Open(name)
		if err != nil {
			return cmdutil.InputError(err)
		}
		got, err := capture.ReadFlows(file)
		file.Close()
		if err != nil {
			return cmdutil.InputError(fmt.Errorf("%s: %w", name, err))
		}
		flows = append(flows, got...)
	}
	e, err := f.input.Engine(ctx, s)
	if err != nil {
		return err
	}
	verdicts := zaudit.Check(e, flows)
	if err := report.WriteAudit(s.Out, verdicts, format); err != nil {
		return err
	}
	if n := zaudit.Violations(verdicts); n > 0 {
		return cmdutil.Denied(fmt.Errorf("%d flow(s) got through that the model denies", n), format == report.Table)
	}
	return nil
}
