// Package version is zonesim version.
package version

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
	"github.com/zonesim/zonesim/pkg/cli/cmdutil"
)

// Version is set at build time with -ldflags "-X github.com/zonesim/zonesim/pkg/cli/version.Version=v1.2.3".
var Version = ""

type flags struct{}

// NewCommand returns zonesim version.
func NewCommand(s cmdutil.Streams) *cobra.Command {
	f := &flags{}
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the zonesim version",
		Example: "  zonesim version",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), s, f) },
	}
}

func run(_ context.Context, s cmdutil.Streams, _ *flags) error {
	_, err := fmt.Fprintf(s.Out, "zonesim %s\n", String())
	return err
}

// String is the version: the one set at build time, the module's, or "dev".
func String() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
