package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/zonesim/zonesim/pkg/check"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// Diff is what zonesim diff reports: the matrix's changed cells and, when a scenario is read on both
// sides, the delta of its zone contract.
type Diff struct {
	*simulate.MatrixDiff
	Contract *check.Delta `json:"contract,omitempty"`
	// MaxBytes bounds the markdown (a PR comment: GitHub takes 65,536 characters); what does not fit is
	// counted ("and N more"). 0: no bound.
	MaxBytes int `json:"-"`
}

// mdReserve is room the markdown keeps under MaxBytes for the lines that say what was left out.
const mdReserve = 200

// TopChanges is how many changed cells the markdown's table shows before the folded details.
const TopChanges = 10

// Cell change kinds, as the markdown and the summary count them.
const (
	Opened  = "opened"  // nothing was allowed, something is
	Closed  = "closed"  // something was allowed, nothing is
	Changed = "changed" // allowed before and after, not the same
)

// addedCellsOf are the cells of an added node that allow something.
func addedCellsOf(d *simulate.MatrixDiff, node string) []simulate.CellChange {
	var out []simulate.CellChange
	for _, c := range d.AddedCells {
		if c.From == node || c.To == node {
			out = append(out, c)
		}
	}
	return out
}

// ChangeKind says whether a change opens a cell, closes it or changes what it allows.
func ChangeKind(c simulate.CellChange) string {
	switch {
	case c.Before == "-" && c.After != "-":
		return Opened
	case c.After == "-" && c.Before != "-":
		return Closed
	}
	return Changed
}

// WriteDiff writes a diff: a summary line, then each changed cell with its causes, then the contract's
// new and resolved findings.
func WriteDiff(w io.Writer, d Diff, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(d)
	case "md":
		return diffMarkdown(w, d)
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, diffSummary(d.MatrixDiff))
	writeCaveats(bw, d.Caveats)
	for _, n := range d.Added {
		fmt.Fprintf(bw, "added:   %s %s\n", n.Kind, n.Name)
		for _, c := range addedCellsOf(d.MatrixDiff, n.Name) {
			fmt.Fprintf(bw, "  %s -> %s  %s\n", c.From, c.To, c.After)
		}
	}
	for _, n := range d.Removed {
		fmt.Fprintf(bw, "removed: %s %s\n", n.Kind, n.Name)
	}
	if len(d.Changes) > 0 {
		fmt.Fprintln(bw)
		width := [3]int{len("FROM"), len("TO"), len("BEFORE")}
		for _, c := range d.Changes {
			width = [3]int{max(width[0], len(c.From)), max(width[1], len(c.To)), max(width[2], len(c.Before))}
		}
		row := func(a, b, c, d string) {
			fmt.Fprintf(bw, "%-*s  %-*s  %-*s  %s\n", width[0], a, width[1], b, width[2], c, d)
		}
		row("FROM", "TO", "BEFORE", "AFTER")
		for _, c := range d.Changes {
			row(c.From, c.To, c.Before, c.After)
			if c.Pair != "" {
				fmt.Fprintf(bw, "  pair %s\n", c.Pair)
			}
			for _, cause := range c.Causes {
				fmt.Fprintf(bw, "    %s\n", cause)
			}
		}
	}
	if d.Contract != nil {
		fmt.Fprintf(bw, "\n%s\n", contractSummary(d.Contract))
		for _, list := range []struct {
			label string
			fs    []check.Finding
		}{{"NEW", d.Contract.New}, {"RESOLVED", d.Contract.Resolved}} {
			for _, f := range list.fs {
				fmt.Fprintf(bw, "%-8s %s %s: %s\n", list.label, strings.ToUpper(f.Severity.String()), f.Rule, f.Message)
				if f.Query != "" && list.label == "NEW" {
					fmt.Fprintf(bw, "  reproduce: %s\n", f.Query)
				}
			}
		}
	}
	return bw.Flush()
}

// diffMarkdown writes a PR comment: one summary line, the top changes (opened cells first), the
// contract's new and resolved findings, and every change with its causes folded, within MaxBytes.
func diffMarkdown(w io.Writer, d Diff) error {
	var b strings.Builder
	fmt.Fprintf(&b, "**zonesim diff** · %s", cellCounts(d.MatrixDiff))
	if d.Contract != nil {
		fmt.Fprintf(&b, " · contract: %d new finding(s), %d resolved", len(d.Contract.New), len(d.Contract.Resolved))
	}
	b.WriteString("\n\n")
	for _, c := range d.Caveats {
		fmt.Fprintf(&b, "> caveat: %s\n\n", MarkdownCell(c.String()))
	}
	for _, n := range d.Added {
		fmt.Fprintf(&b, "- added %s `%s`", n.Kind, n.Name)
		cells := addedCellsOf(d.MatrixDiff, n.Name)
		var parts []string
		for _, c := range cells[:min(len(cells), TopChanges)] {
			parts = append(parts, fmt.Sprintf("`%s` → `%s` %s", mdText(c.From), mdText(c.To), mdText(c.After)))
		}
		if len(parts) > 0 {
			fmt.Fprintf(&b, ": %s", strings.Join(parts, "; "))
		}
		if n := len(cells) - TopChanges; n > 0 {
			fmt.Fprintf(&b, "; and %d more cell(s)", n)
		}
		b.WriteString("\n")
	}
	for _, n := range d.Removed {
		fmt.Fprintf(&b, "- removed %s `%s`\n", n.Kind, n.Name)
	}
	if len(d.Added)+len(d.Removed) > 0 {
		b.WriteString("\n")
	}
	changes := slices.Clone(d.Changes)
	order := map[string]int{Opened: 0, Closed: 1, Changed: 2}
	slices.SortStableFunc(changes, func(a, b simulate.CellChange) int { return order[ChangeKind(a)] - order[ChangeKind(b)] })
	if len(changes) > 0 {
		b.WriteString("| | from | to | before | after |\n|---|---|---|---|---|\n")
		for _, c := range changes[:min(len(changes), TopChanges)] {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", ChangeKind(c), MarkdownCell(c.From), MarkdownCell(c.To), MarkdownCell(c.Before), MarkdownCell(c.After))
		}
		if n := len(changes) - TopChanges; n > 0 {
			fmt.Fprintf(&b, "\nand %d more changed cell(s), not in this table.\n", n)
		}
		b.WriteString("\n")
	}
	if d.Contract != nil {
		for _, list := range []struct {
			title string
			fs    []check.Finding
		}{{"New findings", d.Contract.New}, {"Resolved findings", d.Contract.Resolved}} {
			if len(list.fs) == 0 {
				continue
			}
			fmt.Fprintf(&b, "**%s** (%s)\n\n", list.title, d.Contract.Scenario)
			for i, f := range list.fs {
				line := fmt.Sprintf("- **%s %s**: %s\n", strings.ToUpper(f.Severity.String()), f.Rule, mdText(f.Message))
				if d.MaxBytes > 0 && b.Len()+len(line) > d.MaxBytes-mdReserve {
					fmt.Fprintf(&b, "- and %d more\n", len(list.fs)-i)
					break
				}
				b.WriteString(line)
			}
			b.WriteString("\n")
		}
	}
	// The details go in as far as the bound allows; the rest is counted.
	var details []string
	for _, c := range changes {
		why := strings.Join(c.Causes, "<br>")
		if c.Pair != "" {
			why = "pair " + c.Pair + ":<br>" + why
		}
		details = append(details, fmt.Sprintf("| %s | %s | %s | %s | %s |\n", MarkdownCell(c.From), MarkdownCell(c.To), MarkdownCell(c.Before), MarkdownCell(c.After), MarkdownCell(why)))
	}
	for _, f := range contractNew(d.Contract) {
		if f.Query != "" {
			details = append(details, fmt.Sprintf("| %s | %s | | | `%s` |\n", f.Rule, MarkdownCell(f.Severity.String()), f.Query))
		}
	}
	if len(details) > 0 {
		const open = "<details><summary>Why each cell changed; how to reproduce each new finding</summary>\n\n| from / rule | to / severity | before | after | why / reproduce |\n|---|---|---|---|---|\n"
		const closing = "\n</details>\n"
		fits := 0
		for size := b.Len() + len(open) + len(closing) + mdReserve; fits < len(details); fits++ {
			if size += len(details[fits]); d.MaxBytes > 0 && size > d.MaxBytes {
				break
			}
		}
		if fits > 0 {
			b.WriteString(open)
			for _, row := range details[:fits] {
				b.WriteString(row)
			}
		}
		if n := len(details) - fits; n > 0 {
			fmt.Fprintf(&b, "\nand %d more row(s) of causes and reproducing commands: run zonesim diff locally for all.\n", n)
		}
		if fits > 0 {
			b.WriteString(closing)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func contractNew(d *check.Delta) []check.Finding {
	if d == nil {
		return nil
	}
	return d.New
}

// mdText keeps text on one markdown line.
func mdText(s string) string { return strings.ReplaceAll(MarkdownCell(s), "\n", " ") }

// cellCounts says how many cells the change opened, closed and changed.
func cellCounts(d *simulate.MatrixDiff) string {
	n := map[string]int{}
	for _, c := range d.Changes {
		n[ChangeKind(c)]++
	}
	s := fmt.Sprintf("%s matrix: %d cell(s) opened, %d closed, %d changed of %d", d.Level, n[Opened], n[Closed], n[Changed], d.Compared)
	if len(d.Added)+len(d.Removed) > 0 {
		s += fmt.Sprintf("; %d node(s) added, %d removed", len(d.Added), len(d.Removed))
	}
	return s
}

func contractSummary(d *check.Delta) string {
	name := d.Scenario
	if name == "" {
		name = "the input"
	}
	return fmt.Sprintf("contract of %s (%s): %d new finding(s), %d resolved, %d unchanged", name, strings.Join(d.Checked, " "), len(d.New), len(d.Resolved), d.Kept)
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
