package cli

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/zonesim/zonesim/pkg/report"
	"github.com/zonesim/zonesim/pkg/simulate"
)

type matrixFlags struct {
	level  string
	output string
}

func newMatrix(s Streams, g *globalFlags) *cobra.Command {
	m := &matrixFlags{}
	cmd := &cobra.Command{
		Use:   "matrix",
		Short: "Print the reachability matrix at pod, workload, namespace or zone level",
		Long: `Prints who can open connections to whom. Rows are sources, columns destinations. A cell holds the
allowed connections: "all", "-" for none, a list like "TCP/80, UDP/53", or "partial: ... (k/n pairs)"
when the pod pairs of the cell differ. External address blocks named by ipBlocks, and "internet" for the
rest, are rows (traffic into pods) and columns (traffic out of pods).`,
		Example: `  zonesim matrix --level zone
  zonesim matrix -f manifests/ --level workload -o json | jq '.entries[] | select(.from=="internet")'
  zonesim matrix --level namespace -o dot | dot -Tsvg > reach.svg`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			level, err := simulate.ParseLevel(m.level)
			if err != nil {
				return inputError(err)
			}
			if err := report.CheckFormat(m.output, report.MatrixFormats); err != nil {
				return inputError(err)
			}
			e, err := g.engine(s)
			if err != nil {
				return err
			}
			return report.WriteMatrix(s.Out, e.Matrix(level), m.output)
		},
	}
	cmd.Flags().StringVar(&m.level, "level", "namespace", "pod, workload, namespace or zone")
	cmd.Flags().StringVarP(&m.output, "output", "o", "table", "output format: "+strings.Join(report.MatrixFormats, ", "))
	_ = cmd.RegisterFlagCompletionFunc("level", fixed("pod", "workload", "namespace", "zone"))
	_ = cmd.RegisterFlagCompletionFunc("output", fixed(report.MatrixFormats...))
	return cmd
}

func fixed(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}
