// Package apply is zonesim apply: the configuration on a cluster with probe pods, left there to explore.
package apply

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	zapply "github.com/zonesim/zonesim/pkg/apply"
	"github.com/zonesim/zonesim/pkg/cli/cmdutil"
	"github.com/zonesim/zonesim/pkg/report"
	"github.com/zonesim/zonesim/pkg/result"
)

type flags struct {
	input  cmdutil.InputFlags
	target cmdutil.TargetFlags
	output string
	delRun string
}

// NewCommand returns zonesim apply.
func NewCommand(s cmdutil.Streams) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Put the configuration on a cluster with probe pods, and leave it there to explore",
		Long: `Creates what zonesim e2e creates (probe namespaces zs-<run>-<namespace>, one probe pod per pod of the
model, the NetworkPolicies with namespace-name selectors following the renaming) and leaves it running,
so you can look at it with kubectl and probe by hand. It prints the run and the command that removes it:
--delete RUN deletes the namespaces labelled zonesim.dev/run=RUN, their pods and policies, and nothing
else.

The model is read as every command reads it (-f, --kubeconfig/--context, or the embedded scenario); the
cluster acted on is chosen by the target flags.

` + cmdutil.TargetHelp,
		Example: `  zonesim lab up && zonesim apply -f scenarios/three-tier/scenario.yaml
  zonesim apply --delete 3f9a1c
  zonesim apply --target-context kind-netpol -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), s, f) },
	}
	cmdutil.AddInputFlags(cmd, &f.input, cmdutil.Uses{})
	cmdutil.AddTargetFlags(cmd, &f.target, &f.input)
	cmdutil.AddOutputFlag(cmd, &f.output, report.ApplyFormats)
	cmd.Flags().StringVar(&f.delRun, "delete", "", "delete the run RUN (what an earlier apply or e2e --keep left)")
	return cmd
}

func run(ctx context.Context, s cmdutil.Streams, f *flags) error {
	format, err := cmdutil.ParseOutput(f.output, report.ApplyFormats)
	if err != nil {
		return err
	}
	if f.delRun != "" && len(f.input.Files) > 0 {
		return cmdutil.InputError(fmt.Errorf("--delete removes a run by its name: it reads no -f"))
	}
	f.target.Kind.Existing = f.delRun != "" // deleting a run never creates a cluster
	b, release, err := f.target.Open(ctx, f.input.CNI, true, s.ErrOut)
	if err != nil {
		return cmdutil.InputError(err)
	}
	defer func() { _ = release() }()
	if f.delRun != "" {
		names, err := zapply.Delete(ctx, b, f.delRun)
		if err != nil {
			return cmdutil.InputError(err)
		}
		return report.WriteDeleted(s.Out, &result.Deleted{Backend: b.Name(), RunID: f.delRun, Namespaces: names}, format)
	}
	e, err := f.input.Engine(ctx, s)
	if err != nil {
		return err
	}
	sess, err := zapply.Start(ctx, b, e.Cluster, zapply.Options{Keep: true, Log: s.ErrOut})
	if err != nil {
		if sess != nil {
			if _, derr := zapply.Delete(context.WithoutCancel(ctx), b, sess.Plan().RunID); derr != nil {
				err = errors.Join(err, fmt.Errorf("cleanup: %w", derr))
			}
		}
		return cmdutil.InputError(err)
	}
	a := sess.Applied()
	a.DeleteCommand = "zonesim apply --delete " + a.RunID + f.target.Args()
	return report.WriteApplied(s.Out, a, format)
}
