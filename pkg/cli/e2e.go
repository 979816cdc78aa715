package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/zonesim/zonesim/pkg/apply"
	"github.com/zonesim/zonesim/pkg/report"
)

func newE2E(s Streams, g *globalFlags) *cobra.Command {
	var (
		bf     backendFlags
		output string
		opts   apply.Options
	)
	cmd := &cobra.Command{
		Use:   "e2e",
		Short: "Apply the configuration to a real cluster and confirm the predicted matrix with real traffic",
		Long: `Creates probe namespaces (zs-<run>-<namespace>), one probe pod per pod of the model serving every port the
model cares about, and the NetworkPolicies (namespace-name selectors follow the renaming), then opens a
real connection for every pod pair on every port and compares with zonesim's prediction for exactly what
was applied. Prints predicted, observed and compared truth tables (. agree, X disagree) and, for each
mismatch, the query that explains the prediction and the command that reproduces the probe. Everything
it created is deleted afterwards, also on Ctrl-C (--keep to leave it).

Probes cover pod-to-pod NetworkPolicy; other objects in the input are listed as not probed (the lab
backend also runs a scenario's external endpoints, egress SNAT and firewalls around the cluster).

` + backendHelp + `

Exit code: 0 when observation matches prediction, 1 on any mismatch, 2 for bad input or a cluster error.`,
		Example: `  zonesim lab up && zonesim e2e && zonesim lab down
  zonesim e2e -f scenarios/three-tier/scenario.yaml -o junit > e2e.xml
  zonesim e2e --backend existing --context kind-netpol --cni generic
  zonesim e2e --backend existing --context ocp-lab --allow-context ocp-lab --cni ovn-kubernetes`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := report.CheckFormat(output, report.E2EFormats); err != nil {
				return inputError(err)
			}
			b, release, err := bf.open(c.Context(), g.cni, opts.Keep, s.ErrOut)
			if err != nil {
				return inputError(err)
			}
			defer func() {
				if rerr := release(); rerr != nil {
					fmt.Fprintln(s.ErrOut, rerr)
				}
			}()
			e, err := g.engine(s)
			if err != nil {
				return err
			}
			opts.Inputs, opts.Log = g.files, s.ErrOut
			res, err := apply.Run(c.Context(), b, e.Cluster, opts)
			if res != nil {
				if werr := report.WriteE2E(s.Out, res, output); werr != nil {
					return werr
				}
				if opts.Keep {
					fmt.Fprintf(s.ErrOut, "run %s is left in place (--keep); remove it with: zonesim apply --delete %s%s\n", res.RunID, res.RunID, bf.args())
				}
			}
			if errors.Is(err, context.Canceled) && !opts.Keep && !strings.Contains(err.Error(), "cleanup:") {
				return inputError(errors.New("interrupted; everything the run created was removed"))
			}
			if err != nil {
				return inputError(err)
			}
			if res.Mismatches > 0 {
				return &exitError{code: ExitDenied, err: fmt.Errorf("%d mismatch(es) between prediction and observation", res.Mismatches), silent: output == "text"}
			}
			return nil
		},
	}
	f := cmd.Flags()
	bf.register(cmd)
	f.StringVarP(&output, "output", "o", "text", "output format: "+strings.Join(report.E2EFormats, ", "))
	f.DurationVar(&opts.Timeout, "timeout", time.Second, "how long one probe waits for an answer")
	f.IntVar(&opts.Parallel, "parallel", 16, "probes at once")
	f.IntVar(&opts.Retries, "retries", 3, "extra probes of a disagreeing cell while the enforcer converges")
	f.BoolVar(&opts.Keep, "keep", false, "leave the probe namespaces, pods and policies on the cluster")
	f.Var(flipValue{&opts.Flip}, "flip", "invert the prediction from one pod to another (FROM,TO as ns/pod), to see a mismatch reported")
	_ = f.MarkHidden("flip")
	return cmd
}

// flipValue parses --flip FROM,TO.
type flipValue struct{ dst *[2]string }

func (f flipValue) String() string {
	if f.dst == nil || f.dst[0] == "" {
		return ""
	}
	return f.dst[0] + "," + f.dst[1]
}

func (f flipValue) Set(s string) error {
	from, to, ok := strings.Cut(s, ",")
	if !ok || from == "" || to == "" {
		return fmt.Errorf("want FROM,TO (ns/pod,ns/pod)")
	}
	*f.dst = [2]string{from, to}
	return nil
}

func (flipValue) Type() string { return "from,to" }

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
