// Package cli wires zonesim's commands. Run takes arguments and streams and returns an exit code, so the
// whole command line is testable without a process.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Exit codes: 0 ok/allowed, 1 denied (or findings), 2 bad input or usage.
const (
	ExitOK     = 0
	ExitDenied = 1
	ExitInput  = 2
)

// Streams are the standard streams of one run.
type Streams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

// exitError carries an exit code; silent ones were already reported.
type exitError struct {
	code   int
	err    error
	silent bool
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func inputError(err error) error { return &exitError{code: ExitInput, err: err} }

// Version is set at build time with -ldflags "-X github.com/zonesim/zonesim/pkg/cli.Version=v1.2.3".
var Version = ""

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// Run executes zonesim with args and returns the exit code.
func Run(ctx context.Context, s Streams, args []string) int {
	root := newRoot(s)
	root.SetArgs(args)
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.ErrOut)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if !ee.silent && ee.err != nil {
			fmt.Fprintf(s.ErrOut, "error: %v\n", ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(s.ErrOut, "error: %v\n", err)
	return ExitInput // cobra's own errors are usage errors: unknown flag, missing argument
}

func newRoot(s Streams) *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:   "zonesim",
		Short: "Network policy simulator for Kubernetes/OpenShift clusters inside network security zones",
		Long: `zonesim answers "who can talk to whom in this cluster, and why?" offline, from manifests.

It loads Namespaces, workloads, Services and NetworkPolicies, computes reachability exactly as the
network plugin enforces it (choose the plugin with --cni), and explains every verdict. Without -f it
uses the embedded two-zone scenario.`,
		Example: `  zonesim matrix --level zone
  zonesim query from shop-web/deployment/frontend to svc:payments/payments --port 443
  zonesim matrix -f manifests/ --level namespace -o json`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	g.register(root)
	root.AddCommand(newVersion(s), newQuery(s, g), newMatrix(s, g), newCheck(s, g), newRender(s, g), newGen(s), newLab(s), newE2E(s, g), newApply(s, g), newDiff(s, g), newTUI(s, g), newAudit(s, g))
	return root
}

func newVersion(s Streams) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the zonesim version",
		Example: "  zonesim version",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(s.Out, "zonesim %s\n", version())
			return nil
		},
	}
}
