package cmdutil

import (
	"context"
	"strings"

	"github.com/zonesim/zonesim/pkg/report"
	"github.com/zonesim/zonesim/pkg/simulate"
	"github.com/zonesim/zonesim/scenarios"
)

// HTMLPage starts the HTML report (-o html) of the input's engine e: its zone map and the cells of m,
// each explained with the query that reproduces it; the command adds its findings.
func (f *InputFlags) HTMLPage(ctx context.Context, title string, e *simulate.Engine, m *simulate.Matrix, o report.PageOptions) (*report.Page, error) {
	o.Input = f.Args()
	p, err := report.NewPage(ctx, title, e, m, o)
	if err != nil {
		if ctx.Err() != nil {
			return nil, &ExitError{Code: ExitInterrupted, Silent: true}
		}
		return nil, InputError(err)
	}
	p.About = append(p.About, "read: "+f.Describe())
	return p, nil
}

// Describe names what the input reads, for a report's reader: the files, kustomizations, chart and
// cluster.
func (f *InputFlags) Describe() string {
	var parts []string
	parts = append(parts, f.Files...)
	for _, k := range f.Kustomize {
		parts = append(parts, "-k "+k)
	}
	if f.Chart != "" {
		parts = append(parts, "--chart "+f.Chart)
	}
	if f.Live() {
		cluster := "the cluster of the current context"
		if f.Context != "" {
			cluster = "the cluster of context " + f.Context
		}
		parts = append(parts, cluster)
	}
	if len(parts) == 0 {
		return "the embedded scenario " + scenarios.Default
	}
	return strings.Join(parts, " ")
}
