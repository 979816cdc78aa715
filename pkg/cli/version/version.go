// Package version is zonesim version.
package version

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
	"github.com/zonesim/zonesim/pkg/cli/cmdutil"
	"github.com/zonesim/zonesim/pkg/report"
)

// Version is set at build time with -ldflags "-X github.com/zonesim/zonesim/pkg/cli/version.Version=v1.2.3".
var Version = ""

type flags struct {
	output string
}

// NewCommand returns zonesim version.
func NewCommand(s cmdutil.Streams) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:     "version",
		Short:   "Print the zonesim version",
		Example: "  zonesim version\n  zonesim version -o json",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), s, f) },
	}
	cmdutil.AddOutputFlag(cmd, &f.output, report.VersionFormats)
	return cmd
}

func run(_ context.Context, s cmdutil.Streams, f *flags) error {
	format, err := cmdutil.ParseOutput(f.output, report.VersionFormats)
	if err != nil {
		return err
	}
	if format == "json" {
		return report.WriteJSON(s.Out, map[string]string{"version": String()})
	}
	_, err = fmt.Fprintf(s.Out, "zonesim %s\n", String())
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
