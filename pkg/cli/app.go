// Package cli wires zonesim's commands. Run takes arguments and streams and returns an exit code, so the
// whole command line is testable without a process. Each command is a package under pkg/cli with a flags
// struct, NewCommand and run(ctx, streams, flags); what they share (streams, exit codes, the input,
// output, namespace and target flags) is in pkg/cli/cmdutil.
package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/zonesim/zonesim/pkg/cli/allowlist"
	"github.com/zonesim/zonesim/pkg/cli/apply"
	"github.com/zonesim/zonesim/pkg/cli/audit"
	"github.com/zonesim/zonesim/pkg/cli/check"
	"github.com/zonesim/zonesim/pkg/cli/cmdutil"
	"github.com/zonesim/zonesim/pkg/cli/convert"
	"github.com/zonesim/zonesim/pkg/cli/diff"
	"github.com/zonesim/zonesim/pkg/cli/e2e"
	"github.com/zonesim/zonesim/pkg/cli/gen"
	"github.com/zonesim/zonesim/pkg/cli/lab"
	"github.com/zonesim/zonesim/pkg/cli/matrix"
	"github.com/zonesim/zonesim/pkg/cli/probe"
	"github.com/zonesim/zonesim/pkg/cli/query"
	"github.com/zonesim/zonesim/pkg/cli/render"
	"github.com/zonesim/zonesim/pkg/cli/tui"
	"github.com/zonesim/zonesim/pkg/cli/version"
)

// Streams are the standard streams of one run.
type Streams = cmdutil.Streams

// Exit codes: 0 ok/allowed, 1 denied (or findings, a change, a mismatch), 2 bad input or usage.
const (
	ExitOK     = cmdutil.ExitOK
	ExitDenied = cmdutil.ExitDenied
	ExitInput  = cmdutil.ExitInput
)

// Run executes zonesim with args and returns the exit code.
func Run(ctx context.Context, s Streams, args []string) int {
	root := NewCommand(s)
	root.SetArgs(args)
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.ErrOut)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *cmdutil.ExitError
	if errors.As(err, &ee) {
		if !ee.Silent && ee.Err != nil {
			fmt.Fprintf(s.ErrOut, "error: %v\n", ee.Err)
		}
		return ee.Code
	}
	fmt.Fprintf(s.ErrOut, "error: %v\n", err)
	return ExitInput // cobra's own errors are usage errors: unknown flag, missing argument
}

// NewCommand returns the zonesim root command with every command under it.
func NewCommand(s Streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "zonesim",
		Short: "Network policy simulator for Kubernetes/OpenShift clusters inside network security zones",
		Long: `zonesim answers "who can talk to whom in this cluster, and why?" offline, from manifests or a live cluster.

It loads Namespaces, workloads, Services, NetworkPolicies, admin network policies and the OpenShift and
OVN-Kubernetes objects of a zone design, computes reachability exactly as the network plugin enforces it
(choose the plugin with --cni), and explains every verdict. Without -f or --kubeconfig/--context it uses
the embedded two-zone scenario.

Flag conventions, the same in every command:
  -f, --filename               manifests to read (file, directory, - for stdin; repeatable)
  --kubeconfig, --context      a live cluster to read (read-only), instead of or besides -f
  -o, --output                 the format of stdout: table (the default; text is the same), json, ...
  --out FILE, --out-dir DIR    where a command writes files instead of stdout
  -n, --namespace, -A          narrow to one namespace, or every namespace (the default)
  --target-kubeconfig,
  --target-context             the cluster e2e, apply and probe act on (default: the one read, or the lab)
Results go to stdout, progress, warnings and errors to stderr. Exit codes: 0 allowed/clean, 1 denied,
findings, a change or a mismatch, 2 bad input.`,
		Example: `  zonesim matrix --level zone
  zonesim query from shop-web/deployment/frontend to svc:payments/payments --port 443
  zonesim matrix -f manifests/ --level namespace -o json`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		version.NewCommand(s), query.NewCommand(s), matrix.NewCommand(s), check.NewCommand(s), render.NewCommand(s),
		gen.NewCommand(s), lab.NewCommand(s), e2e.NewCommand(s), apply.NewCommand(s), diff.NewCommand(s),
		tui.NewCommand(s), audit.NewCommand(s), allowlist.NewCommand(s), probe.NewCommand(s), convert.NewCommand(s),
	)
	return root
}
