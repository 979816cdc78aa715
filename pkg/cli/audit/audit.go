// Package audit is zonesim audit: captured traffic against the model.
package audit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

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
		Use:   "audit CAPTURE|LOG...",
		Short: "Check captured or logged traffic against the model: what got through that the policies deny, what was dropped that they allow",
		Long: `Reads packet captures (pcap or pcapng, gzip-compressed or not: tcpdump -w, Wireshark, dumpcap, the lab's
endpoint captures; Ethernet, Linux cooked or raw IP), OVN-Kubernetes ACL audit logs
(/var/log/ovn/acl-audit-log.log: one line per packet an ACL logged, with its verdict and the ACL's name)
and CSV flow logs (a header src,dst,proto,dport[,verdict], then one flow per line), told apart by
their content; "-" reads stdin. Every connection is looked up in the model. In a capture a TCP
connection starts at its SYN and counts as answered when a SYN-ACK comes back, a UDP flow at its first
datagram, answered by one the other way; in a log the verdict says whether it got through (a CSV line
without one did). A source that is a pod is queried as that pod; a source outside the pod network that
is an egress identity (an EgressIP, a node IP) stands for the pods that leave with it, and the
destination must be allowed to see that identity.

Status per flow: ok (allowed, and it got through), blocked (denied, and it did not), unanswered (allowed
but no answer: a service down, or a firewall the model does not know), dropped (a log shows it dropped
although the model allows it; the ACL's object is named), violation (it got through although the model
denies it), unexpected-identity (it came from an address of a zone's egress range that no pod leaves
with: an egress IP the model does not know). Exit code: 1 when there is a violation, a drop or an
unexpected identity, 0 otherwise, 2 for bad input.`,
		Example: `  tcpdump -i eth0 -w egress.pcap 'tcp[tcpflags] & tcp-syn != 0 or udp'   # on an egress node
  zonesim audit egress.pcap -f scenarios/three-tier/scenario.yaml
  zonesim audit ~/.cache/zonesim/lab/default/capture-*.pcap -o json
  oc exec -n openshift-ovn-kubernetes ovnkube-node-x -c ovn-controller -- cat /var/log/ovn/acl-audit-log.log | zonesim audit - -f scenario.yaml
  zonesim audit flows.csv -f scenario.yaml   # src,dst,proto,dport,verdict`,
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
	var problems []error
	for _, name := range f.files {
		got, err := readFlows(s, name)
		if err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", name, err))
			continue
		}
		flows = append(flows, got...)
	}
	if len(problems) > 0 {
		return cmdutil.InputError(errors.Join(problems...))
	}
	e, err := f.input.Engine(ctx, s)
	if err != nil {
		return err
	}
	verdicts := zaudit.Check(e, flows, zaudit.Options{Input: f.input.Args()})
	if err := report.WriteAudit(s.Out, verdicts, format); err != nil {
		return err
	}
	var mismatches []string
	if n := zaudit.Violations(verdicts); n > 0 {
		mismatches = append(mismatches, fmt.Sprintf("%d flow(s) got through that the model denies", n))
	}
	if n := zaudit.Drops(verdicts); n > 0 {
		mismatches = append(mismatches, fmt.Sprintf("%d flow(s) were dropped that the model allows", n))
	}
	if n := zaudit.UnexpectedIdentities(verdicts); n > 0 {
		mismatches = append(mismatches, fmt.Sprintf("%d flow(s) came from a zone's egress range address that no pod leaves with", n))
	}
	if len(mismatches) > 0 {
		return cmdutil.Denied(errors.New(strings.Join(mismatches, "; ")), format == report.Table)
	}
	return nil
}

// readFlows reads one capture or flow log ("-": stdin), whichever it is.
func readFlows(s cmdutil.Streams, name string) ([]capture.Flow, error) {
	if name == "-" {
		flows, _, err := capture.ReadAny(s.In)
		return flows, err
	}
	file, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	flows, _, err := capture.ReadAny(file)
	return flows, err
}
