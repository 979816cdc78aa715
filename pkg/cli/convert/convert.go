// Package convert is zonesim convert: the ClusterNetworkPolicy equivalent of v1alpha1 admin policies,
// proven on the input's matrix.
package convert

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/zonesim/zonesim/pkg/cli/cmdutil"
	"github.com/zonesim/zonesim/pkg/cli/matrix"
	zconvert "github.com/zonesim/zonesim/pkg/convert"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/report"
	"github.com/zonesim/zonesim/pkg/simulate"
)

type flags struct {
	input      cmdutil.InputFlags
	apiVersion string
	level      string
	output     string
	pairs      int
}

// Formats are convert's -o values: the converted objects as YAML documents, or one JSON List.
var Formats = []string{"yaml", "json"}

// NewCommand returns zonesim convert.
func NewCommand(s cmdutil.Streams) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "convert",
		Short: "Write the ClusterNetworkPolicy (v1alpha2 or v1beta1) equivalent of AdminNetworkPolicy/BaselineAdminNetworkPolicy objects, and prove it",
		Long: `Reads the input and writes, on stdout, one ClusterNetworkPolicy for each AdminNetworkPolicy (tier Admin, the
same priority) and for the BaselineAdminNetworkPolicy (tier Baseline, priority ` + fmt.Sprint(zconvert.BaselinePriority) + `): Allow becomes Accept,
ports become protocols, networks are written masked. A name that a ClusterNetworkPolicy of the input
already holds is not taken (applying it would replace that policy): the new one is named anp-NAME (or
baseline-NAME). Each object follows a comment naming the object it replaces and what changed in form.

Then it proves the conversion: the converted objects are read back as the API server would read them, and
the reachability matrix (--level, pod by default) of the input with the v1alpha1 objects is compared with
the matrix of the input with the ClusterNetworkPolicies in their place (profile generic, which enforces
both). A policy that cannot be converted stays in both matrices as it is. On stderr: "proof: the <level>
matrices before and after are equal (N cells compared, profile generic)", "proof: nothing to compare"
when the input has no pods, or every cell that differs with the deciding rules before and after, the
converted ones cited by their line in convert's output (a domainNames peer is where they can differ: zonesim matches a
ClusterNetworkPolicy's against the scenario's external endpoints, and an AdminNetworkPolicy's not at all).

Exit code: 0 when the matrices are equal; 1 when a cell differs; 2 for bad input, or a policy a
ClusterNetworkPolicy cannot hold (more than 25 rules, peers or ports: "not supported", the others are
still written).`,
		Example: `  zonesim convert -f policies/ > cluster-network-policies.yaml
  zonesim convert -f policies/ --api-version policy.networking.k8s.io/v1beta1 --level namespace
  zonesim convert -k overlays/prod -o json | jq '.items[].metadata.name'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return run(cmd.Context(), s, f)
		},
	}
	cmdutil.AddInputFlags(cmd, &f.input, cmdutil.Uses{Evaluation: true})
	cmd.Flags().StringVar(&f.apiVersion, "api-version", model.ClusterPolicyAPIVersions[0], "apiVersion of the objects written: "+fmt.Sprint(model.ClusterPolicyAPIVersions))
	cmd.Flags().StringVar(&f.level, "level", "pod", "level of the matrices the proof compares: pod, workload, namespace or zone")
	cmd.Flags().IntVar(&f.pairs, "pairs", 1, "pod pairs explained per differing cell")
	cmdutil.AddOutputFlag(cmd, &f.output, Formats)
	_ = cmd.RegisterFlagCompletionFunc("level", cmdutil.Fixed(matrix.Levels...))
	_ = cmd.RegisterFlagCompletionFunc("api-version", cmdutil.Fixed(model.ClusterPolicyAPIVersions...))
	return cmd
}

func run(ctx context.Context, s cmdutil.Streams, f *flags) error {
	format, err := cmdutil.ParseOutput(f.output, Formats)
	if err != nil {
		return err
	}
	level, err := simulate.ParseLevel(f.level)
	if err != nil {
		return cmdutil.InputError(err)
	}
	if !slices.Contains(model.ClusterPolicyAPIVersions, f.apiVersion) {
		return cmdutil.InputError(fmt.Errorf("--api-version %q: use one of %s", f.apiVersion, strings.Join(model.ClusterPolicyAPIVersions, ", ")))
	}
	e, err := f.input.Engine(ctx, s)
	if err != nil {
		return err
	}
	res, err := zconvert.Convert(e.Cluster, f.apiVersion)
	if err != nil {
		return cmdutil.InputError(err)
	}
	for _, err := range res.Errors {
		fmt.Fprintf(s.ErrOut, "error: %v\n", err)
	}
	if len(res.Objects) == 0 {
		if len(res.Errors) > 0 {
			return &cmdutil.ExitError{Code: cmdutil.ExitInput, Err: fmt.Errorf("%d policy(ies) cannot be converted", len(res.Errors))}
		}
		fmt.Fprintln(s.ErrOut, "nothing to convert: the input holds no AdminNetworkPolicy or BaselineAdminNetworkPolicy")
		return nil
	}
	if err := write(s, res, format); err != nil {
		return err
	}
	d, err := zconvert.Prove(e.Cluster, res, f.input.ZoneLabel, level, f.pairs)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.ErrOut, "converted %d policy(ies) to ClusterNetworkPolicy (%s)\n", len(res.Objects), f.apiVersion)
	differs := len(d.Changes) > 0 || len(d.Added) > 0 || len(d.Removed) > 0
	switch {
	case d.Compared == 0 && !differs:
		fmt.Fprintln(s.ErrOut, "proof: nothing to compare: the input has no pods; give the cluster's workloads too (-f) to prove the conversion")
	case !differs:
		fmt.Fprintf(s.ErrOut, "proof: the %s matrices before and after are equal (%d cells compared, profile generic)\n", level, d.Compared)
	default:
		fmt.Fprintf(s.ErrOut, "proof failed: the %s matrices before and after differ in %d of %d cells:\n", level, len(d.Changes), d.Compared)
		if err := report.WriteDiff(s.ErrOut, report.Diff{MatrixDiff: d}, report.Table); err != nil {
			return err
		}
	}
	switch {
	case len(res.Errors) > 0:
		return &cmdutil.ExitError{Code: cmdutil.ExitInput, Err: fmt.Errorf("%d policy(ies) cannot be converted", len(res.Errors))}
	case differs:
		return cmdutil.Denied(fmt.Errorf("the converted policies do not do what the originals do"), true)
	}
	return nil
}

func write(s cmdutil.Streams, res *zconvert.Result, format string) error {
	if format == "json" {
		items := []any{}
		for _, o := range res.Objects {
			m, err := o.Manifest()
			if err != nil {
				return err
			}
			items = append(items, m)
		}
		list := map[string]any{"apiVersion": "v1", "kind": "List", "items": items}
		enc := json.NewEncoder(s.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	data, err := res.YAML()
	if err != nil {
		return err
	}
	_, err = s.Out.Write(data)
	return err
}
