// Package e2e is zonesim e2e: the configuration on a real cluster, the predicted matrix confirmed with
// real traffic.
package e2e

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/zonesim/zonesim/pkg/apply"
	"github.com/zonesim/zonesim/pkg/cli/cmdutil"
	"github.com/zonesim/zonesim/pkg/report"
)

type flags struct {
	input  cmdutil.InputFlags
	target cmdutil.TargetFlags
	output string
	opts   apply.Options
}

// NewCommand returns zonesim e2e.
func NewCommand(s cmdutil.Streams) *cobra.Command {
	f := &flags{}
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

The model is read as every command reads it (-f, --kubeconfig/--context, or the embedded scenario); the
cluster acted on is chosen by the target flags.

` + cmdutil.TargetHelp + `

Exit code: 0 when observation matches prediction, 1 on any mismatch, 2 for bad input or a cluster error.`,
		Example: `  zonesim lab up && zonesim e2e && zonesim lab down
  zonesim e2e -f scenarios/three-tier/scenario.yaml -o junit > e2e.xml
  zonesim e2e --target-context kind-netpol --cni generic
  zonesim e2e --target-context ocp-lab --allow-context ocp-lab --cni ovn-kubernetes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), s, f) },
	}
	cmdutil.AddInputFlags(cmd, &f.input, cmdutil.Uses{Profile: true})
	cmdutil.AddTargetFlags(cmd, &f.target, &f.input)
	cmdutil.AddOutputFlag(cmd, &f.output, report.E2EFormats)
	fl := cmd.Flags()
	fl.DurationVar(&f.opts.Timeout, "timeout", time.Second, "how long one probe waits for an answer")
	fl.IntVar(&f.opts.Parallel, "parallel", 16, "probes at once")
	fl.IntVar(&f.opts.Retries, "retries", 3, "extra probes of a disagreeing cell while the enforcer converges")
	fl.BoolVar(&f.opts.Keep, "keep", false, "leave the probe namespaces, pods and policies on the cluster (and, with --backend kind, the cluster)")
	fl.Var(flipValue{&f.opts.Flip}, "flip", "invert the prediction from one pod to another (FROM,TO as ns/pod), to see a mismatch reported")
	_ = fl.MarkHidden("flip")
	return cmd
}

func run(ctx context.Context, s cmdutil.Streams, f *flags) error {
	format, err := cmdutil.ParseOutput(f.output, report.E2EFormats)
	if err != nil {
		return err
	}
	if _, err := f.input.Profile(); err != nil {
		return err
	}
	b, release, err := f.target.Open(ctx, f.input.CNI, f.opts.Keep, s.ErrOut)
	if err != nil {
		return cmdutil.InputError(err)
	}
	defer func() {
		if rerr := release(); rerr != nil {
			fmt.Fprintln(s.ErrOut, rerr)
		}
	}()
	e, err := f.input.Engine(ctx, s)
	if err != nil {
		return err
	}
	opts := f.opts
	opts.Input, opts.Log = f.input.Args(), s.ErrOut
	res, err := apply.Run(ctx, b, e.Cluster, opts)
	if res != nil {
		if werr := report.WriteE2E(s.Out, res, format); werr != nil {
			return werr
		}
		if opts.Keep {
			fmt.Fprintf(s.ErrOut, "run %s is left in place (--keep); remove it with: zonesim apply --delete %s%s\n", res.RunID, res.RunID, f.target.Args())
		}
	}
	if errors.Is(err, context.Canceled) && !opts.Keep && !strings.Contains(err.Error(), "cleanup:") {
		return cmdutil.InputError(errors.New("interrupted; everything the run created was removed"))
	}
	if err != nil {
		return cmdutil.InputError(err)
	}
	if res.Mismatches > 0 {
		return cmdutil.Denied(fmt.Errorf("%d mismatch(es) between prediction and observation", res.Mismatches), format == report.Table)
	}
	return nil
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
