package cli

import (
	"errors"
	"os"

	tea "charm.land/bubbletea/v2"
	"github.com/spf13/cobra"
	"github.com/zonesim/zonesim/pkg/tui"
	"golang.org/x/term"
)

func newTUI(s Streams, g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "tui",
		Short: "Explore zones and flows interactively, and try what-if changes",
		Long: `A terminal UI for design reviews. The left pane lists zones (or namespaces when there is one zone);
enter drills down to namespaces, workloads and pods, backspace goes back up. The right pane is the
selected one's row of the matrix; tab moves there, and enter opens that flow's full explanation (the
policies, rules and pipeline steps that decide it). p opens the what-if list: switch policies off, and
every cell that changes is marked with what it was. q quits.`,
		Example: `  zonesim tui
  zonesim tui -f scenarios/three-tier/scenario.yaml --cni ovn-kubernetes
  zonesim tui --kubeconfig ~/.kube/config --context prod-readonly`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			in, ok := s.In.(*os.File)
			if !ok || !term.IsTerminal(int(in.Fd())) {
				return inputError(errors.New("zonesim tui needs an interactive terminal; in scripts use query, matrix or diff"))
			}
			e, err := g.engine(s)
			if err != nil {
				return err
			}
			return tui.Run(e, tea.WithInput(in), tea.WithOutput(s.Out))
		},
	}
}
