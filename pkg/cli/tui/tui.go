// Package tui is zonesim tui: explore zones and flows, and try what-if changes.
package tui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"sync"

	tea "charm.land/bubbletea/v2"
	"github.com/spf13/cobra"
	"github.com/zonesim/zonesim/pkg/cli/cmdutil"
	"github.com/zonesim/zonesim/pkg/simulate"
	ztui "github.com/zonesim/zonesim/pkg/tui"
	"golang.org/x/term"
)

type flags struct {
	input     cmdutil.InputFlags
	namespace cmdutil.NamespaceFlags
}

// NewCommand returns zonesim tui.
func NewCommand(s cmdutil.Streams) *cobra.Command {
	f := &flags{}
	cmd := &cobra.Command{
		Use:   "tui",
		Short: "Explore zones and flows interactively, and try what-if changes",
		Long: `A terminal UI for design reviews (? lists every key). The left pane lists zones (or namespaces
when there is one zone), then the external blocks; enter drills down to namespaces, workloads and pods,
backspace goes back up. / filters the list as you type; : jumps to a level (:namespace), a zone or a
namespace (:shop-web opens its workloads); g/G, PgUp/PgDn and Home/End move. The right pane is the
selected one's row of the matrix, routes included; tab moves there, and enter explains that flow (the
policies, rules and pipeline steps that decide it) in the background: esc cancels, q always quits.

p opens the what-if list: space switches policies, admin policies, EgressFirewalls, EgressIPs and Routes
off, L edits a namespace's labels, E edits a NetworkPolicy in $EDITOR (an edit the API server would refuse opens again with the reason on
top, as kubectl edit does); enter applies, esc cancels. Every
cell that changes is marked with what it was. e writes the view as markdown; w (in the what-if list)
writes the what-if as manifests.

-n NS opens at the workloads of namespace NS (backspace still goes up to the rest).`,
		Example: `  zonesim tui
  zonesim tui -f scenarios/three-tier/scenario.yaml --cni ovn-kubernetes
  zonesim tui -n shop-web
  zonesim tui --kubeconfig ~/.kube/config --context prod-readonly`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), s, f) },
	}
	cmdutil.AddNamespaceFlags(cmd.Flags(), &f.namespace, "open at this namespace's workloads; with --chart, also the release namespace", true)
	cmdutil.AddInputFlags(cmd, &f.input, cmdutil.Evaluates)
	return cmd
}

func run(ctx context.Context, s cmdutil.Streams, f *flags) error {
	if err := f.namespace.Validate(); err != nil {
		return err
	}
	in, ok := s.In.(*os.File)
	if !ok || !term.IsTerminal(int(in.Fd())) {
		return cmdutil.InputError(errors.New("zonesim tui needs an interactive terminal; in scripts use query, matrix or diff"))
	}
	// The screen opens at once and the input loads behind it: what loading says (warnings, problems)
	// is kept and written after the screen closes.
	var said lockedBuffer
	load := func() (*simulate.Engine, error) {
		e, err := f.input.Engine(ctx, cmdutil.Streams{In: s.In, Out: s.Out, ErrOut: &said})
		if err == nil {
			err = f.namespace.Check(e)
		}
		return e, err
	}
	err := ztui.Run("the input", load, ztui.Options{Namespace: f.namespace.Namespace}, tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(s.Out))
	said.writeTo(s.ErrOut)
	if ctx.Err() != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitInterrupted, Silent: true}
	}
	return err
}

// lockedBuffer keeps what loading writes, which may still run when the user quits.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) writeTo(w io.Writer) {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, _ = b.buf.WriteTo(w)
}
