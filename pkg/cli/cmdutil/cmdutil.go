// Package cmdutil holds what zonesim's commands share: the streams of a run, exit codes, and the flag
// groups every command spells the same way (input, output, namespace, target cluster). Each command lives
// in its own package under pkg/cli with a flags struct, NewCommand and run(ctx, streams, flags), as kind's
// commands do.
package cmdutil

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/zonesim/zonesim/pkg/report"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// Exit codes: 0 ok/allowed, 1 denied (or findings, or a mismatch), 2 bad input or usage.
const (
	ExitOK     = 0
	ExitDenied = 1
	ExitInput  = 2
	// ExitInterrupted is Ctrl-C, as shells report a process stopped by SIGINT.
	ExitInterrupted = 130
)

// Streams are the standard streams of one run.
type Streams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

// ExitError carries an exit code; a silent one was already reported on stdout or stderr.
type ExitError struct {
	Code   int
	Err    error
	Silent bool
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}

// InputError is bad input or usage: exit code 2.
func InputError(err error) error { return &ExitError{Code: ExitInput, Err: err} }

// Denied is a negative answer (denied, findings, a changed matrix, a mismatch): exit code 1. err is
// printed unless silent.
func Denied(err error, silent bool) error {
	return &ExitError{Code: ExitDenied, Err: err, Silent: silent}
}

// Fixed completes a flag with a fixed list of values.
func Fixed(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

// AddOutputFlag adds -o/--output, the format of what the command prints on stdout; the first of formats
// is the default, and "text" is accepted for "table".
func AddOutputFlag(cmd *cobra.Command, dst *string, formats []string) {
	cmd.Flags().StringVarP(dst, "output", "o", formats[0], "output format: "+joinFormats(formats))
	_ = cmd.RegisterFlagCompletionFunc("output", Fixed(formats...))
}

func joinFormats(formats []string) string {
	out := ""
	for i, f := range formats {
		if i > 0 {
			out += ", "
		}
		out += f
	}
	if formats[0] == report.Table {
		out += " (text is table)"
	}
	return out
}

// ParseOutput checks an -o value against the command's formats.
func ParseOutput(value string, formats []string) (string, error) {
	f, err := report.ParseFormat(value, formats)
	if err != nil {
		return "", InputError(err)
	}
	return f, nil
}

// NamespaceFlags are -n/--namespace and, where the command lists objects, -A/--all-namespaces.
type NamespaceFlags struct {
	Namespace     string
	AllNamespaces bool
}

// AddNamespaceFlags adds -n (and -A when withAll); what narrowing means is the command's to say in use.
func AddNamespaceFlags(fs *pflag.FlagSet, f *NamespaceFlags, use string, withAll bool) {
	fs.StringVarP(&f.Namespace, "namespace", "n", "", use)
	if withAll {
		fs.BoolVarP(&f.AllNamespaces, "all-namespaces", "A", false, "every namespace (the default)")
	}
}

// Check returns an input error naming close matches when -n names a namespace the model does not have.
func (f *NamespaceFlags) Check(e *simulate.Engine) error {
	if f.Namespace == "" {
		return nil
	}
	if err := e.CheckNamespace(f.Namespace); err != nil {
		return InputError(err)
	}
	return nil
}

// Validate rejects -n with -A, as kubectl does.
func (f *NamespaceFlags) Validate() error {
	if f.Namespace != "" && f.AllNamespaces {
		return InputError(fmt.Errorf("give -n/--namespace or -A/--all-namespaces, not both"))
	}
	return nil
}
