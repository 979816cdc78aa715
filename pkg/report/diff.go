package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/zonesim/zonesim/pkg/simulate"
)

// WriteDiff writes a matrix diff: a summary line, then each changed cell with its causes.
func WriteDiff(w io.Writer, d *simulate.MatrixDiff, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(d)
	case "md":
		fmt.Fprintf(w, "**%s**\n\n", diffSummary(d))
		for _, c := range d.Caveats {
			fmt.Fprintf(w, "> caveat: %s\n\n", MarkdownCell(c.String()))
		}
		if len(d.Changes) == 0 {
			return nil
		}
		fmt.Fprintln(w, "| from | to | before | after | why |")
		fmt.Fprintln(w, "|---|---|---|---|---|")
		for _, c := range d.Changes {
			why := strings.Join(c.Causes, "<br>")
			if c.Pair != "" {
				why = "pair " + c.Pair + ":<br>" + why
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", MarkdownCell(c.From), MarkdownCell(c.To), MarkdownCell(c.Before), MarkdownCell(c.After), MarkdownCell(why))
		}
		return nil
	}
	fmt.Fprintln(w, diffSummary(d))
	writeCaveats(w, d.Caveats)
	for _, n := range d.Added {
		fmt.Fprintf(w, "added:   %s %s\n", n.Kind, n.Name)
	}
	for _, n := range d.Removed {
		fmt.Fprintf(w, "removed: %s %s\n", n.Kind, n.Name)
	}
	if len(d.Changes) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	width := [3]int{len("FROM"), len("TO"), len("BEFORE")}
	for _, c := range d.Changes {
		width = [3]int{max(width[0], len(c.From)), max(width[1], len(c.To)), max(width[2], len(c.Before))}
	}
	row := func(a, b, c, d string) {
		fmt.Fprintf(w, "%-*s  %-*s  %-*s  %s\n", width[0], a, width[1], b, width[2], c, d)
	}
	row("FROM", "TO", "BEFORE", "AFTER")
	for _, c := range d.Changes {
		row(c.From, c.To, c.Before, c.After)
		if c.Pair != "" {
			fmt.Fprintf(w, "  pair %s\n", c.Pair)
		}
		for _, cause := range c.Causes {
			fmt.Fprintf(w, "    %s\n", cause)
		}
	}
	return nil
}

// MarkdownCell escapes text for a markdown table cell.
func MarkdownCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func diffSummary(d *simulate.MatrixDiff) string {
	if len(d.Changes) == 0 && len(d.Added) == 0 && len(d.Removed) == 0 {
		return fmt.Sprintf("%s matrix: no change (%d cells compared)", d.Level, d.Compared)
	}
	return fmt.Sprintf("%s matrix: %d of %d cells changed, %d node(s) added, %d removed", d.Level, len(d.Changes), d.Compared, len(d.Added), len(d.Removed))
}

// ReadMatrixJSON reads a matrix written by `zonesim matrix -o json` (docs/json.md) as cell texts, the
// form zonesim diff compares: a golden matrix kept in a repository.
func ReadMatrixJSON(r io.Reader) (*simulate.CellTexts, error) {
	type cell struct {
		Connections []string `json:"connections"`
		Uniform     bool     `json:"uniform"`
		Pairs       struct {
			Allowed int `json:"allowed"`
			Full    int `json:"full"`
			Total   int `json:"total"`
		} `json:"pairs"`
	}
	var in struct {
		Level   string              `json:"level"`
		CNI     string              `json:"cni"`
		Caveats []simulate.Caveat   `json:"caveats"` // the golden's own; the comparison makes its own
		Nodes   []simulate.TextNode `json:"nodes"`
		Columns []simulate.TextNode `json:"columns"`
		Entries []struct {
			From string `json:"from"`
			To   string `json:"to"`
			cell
		} `json:"entries"`
		// --compact
		Rows []struct {
			From string   `json:"from"`
			To   [][3]int `json:"to"`
		} `json:"rows"`
		Cells []cell `json:"cells"`
	}
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("not a zonesim matrix JSON (zonesim matrix -o json): %w", err)
	}
	if _, err := simulate.ParseLevel(in.Level); err != nil {
		return nil, fmt.Errorf("level: %w", err)
	}
	if in.Columns != nil {
		return nil, fmt.Errorf("a matrix narrowed with --from/--to holds only some cells: write the golden without them")
	}
	t := &simulate.CellTexts{Level: in.Level, CNI: in.CNI, Nodes: in.Nodes, Cells: map[[2]string]string{}}
	known := map[string]bool{}
	for _, n := range in.Nodes {
		known[n.Name] = true
	}
	text := func(c cell) string {
		return simulate.CellText(strings.Join(c.Connections, ", "), c.Uniform, c.Pairs.Allowed, c.Pairs.Total)
	}
	for i, e := range in.Entries {
		if !known[e.From] || !known[e.To] {
			return nil, fmt.Errorf("entries[%d]: %s -> %s names a node the matrix does not list", i, e.From, e.To)
		}
		t.Cells[[2]string{e.From, e.To}] = text(e.cell)
	}
	for i, row := range in.Rows {
		if !known[row.From] {
			return nil, fmt.Errorf("rows[%d]: %s names a node the matrix does not list", i, row.From)
		}
		for k, run := range row.To {
			first, last, c := run[0], run[1], run[2]
			if first < 0 || last < first || last >= len(in.Nodes) || c < 0 || c >= len(in.Cells) {
				return nil, fmt.Errorf("rows[%d].to[%d]: %v is not [first column, last column, cell] within the %d nodes and %d cells", i, k, run, len(in.Nodes), len(in.Cells))
			}
			for j := first; j <= last; j++ {
				t.Cells[[2]string{row.From, in.Nodes[j].Name}] = text(in.Cells[c])
			}
		}
	}
	return t, nil
}
