package report

import (
	"bufio"
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/zonesim/zonesim/pkg/check"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// The HTML report (-o html of matrix, check and diff) is one file that needs nothing else: the zone map
// drawn as SVG, the matrix with a filter and each cell's explanation on click, then the findings. Its
// styles and script are in page.html; the data is written into it.

//go:embed page.html
var pageTemplate string

var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{"objects": objectsText}).Parse(pageTemplate))

// MaxPageCells bounds the matrix an HTML report holds; a larger one is refused with a way to narrow it.
const MaxPageCells = 40000

// DefaultPageExplanations is how many cells' explanations a report embeds; the others show the query
// that explains them.
const DefaultPageExplanations = 2500

// Page is an HTML report.
type Page struct {
	Title string
	// About are lines under the title: what was read, the summary of a diff.
	About    []string
	Map      *ZoneMap
	MapTitle string
	Matrix   *PageMatrix
	// Findings are the sections of findings: one for matrix and check, the new and the resolved on a diff.
	Findings []FindingSection
	Caveats  []simulate.Caveat
	// Generator names zonesim and its version.
	Generator string
}

// PageMatrix is the matrix of a report: its nodes, cells and the explanations of the cells.
type PageMatrix struct {
	Level      string
	Rows, Cols []PageNode
	Cells      [][]PageCell
	// Explanations are the cells' explanations, by PageCell.Explain.
	Explanations []string
	// Note says what the matrix leaves out (the rows and columns a diff did not change, explanations
	// past the limit).
	Note string
}

// PageNode is a row or column: its name, kind and the zone it is in (itself outside the cluster), and
// whether a diff adds it.
type PageNode struct {
	Name, Kind, Zone string
	Added            bool
}

// PageCell is one cell: its text, what a diff did to it, and its explanation.
type PageCell struct {
	Text string
	// Change is "", Opened, Closed or Changed; Was the text before.
	Change, Was string
	// Explain indexes PageMatrix.Explanations; -1: none (a cell NetworkPolicy does not decide).
	Explain int
}

// Class is the cell's CSS classes: what it allows, and what a diff did to it.
func (c PageCell) Class() string {
	var cls []string
	switch {
	case c.Explain < 0:
		cls = append(cls, "na")
	case c.Text != "-":
		cls = append(cls, "allow")
		if strings.HasPrefix(c.Text, "partial:") || strings.HasPrefix(c.Text, "varies:") {
			cls = append(cls, "some")
		}
	}
	if c.Change != "" {
		cls = append(cls, c.Change)
	}
	return strings.Join(cls, " ")
}

// FindingSection is a heading and its findings.
type FindingSection struct {
	Heading  string
	Empty    string // said when there are none
	Findings []check.Finding
}

// PageOptions are what NewPage needs besides the engine and the matrix.
type PageOptions struct {
	// Input is the run's input flags, in the query command shown with each explanation.
	Input []string
	// Explanations bounds the explanations embedded (0: DefaultPageExplanations).
	Explanations int
	// Rows and Cols, when set, keep only these rows and columns of the matrix, by index.
	Rows, Cols []int
}

// NewPage builds a report of an engine's cluster: its zone map and the matrix m with each cell explained.
func NewPage(ctx context.Context, title string, e *simulate.Engine, m *simulate.Matrix, o PageOptions) (*Page, error) {
	rows, cols := o.Rows, o.Cols
	if rows == nil {
		rows = indexes(len(m.Nodes))
	}
	if cols == nil {
		cols = indexes(len(m.Cols))
	}
	if n := len(rows) * len(cols); n > MaxPageCells {
		return nil, fmt.Errorf("the %s matrix has %d x %d cells, more than an HTML report holds (%d): narrow it with -n, --from/--to or a coarser --level",
			m.Level, len(rows), len(cols), MaxPageCells)
	}
	limit := o.Explanations
	if limit == 0 {
		limit = DefaultPageExplanations
	}
	zm := NewZoneMap(e)
	p := &Page{Title: title, Map: zm, MapTitle: MapTitle(e), Caveats: m.Caveats()}
	pm := &PageMatrix{Level: string(m.Level)}
	p.Matrix = pm
	node := func(n *simulate.MatrixNode) PageNode {
		return PageNode{Name: n.Name, Kind: n.Kind, Zone: zm.zoneOf(string(m.Level), n.Name, []*simulate.Engine{e})}
	}
	for _, c := range cols {
		pm.Cols = append(pm.Cols, node(m.Cols[c]))
	}
	var buf []simulate.Cell
	// Every cell gets its query command; the explanations go first to the cells that allow something
	// (why is this open?), then to the others in order, up to the limit.
	var allowed, denied []int // indexes into pm.Explanations
	var ends [][2]string
	for _, r := range rows {
		from := m.Nodes[r]
		pm.Rows = append(pm.Rows, node(from))
		buf = m.Row(r, buf)
		line := make([]PageCell, len(cols))
		for k, c := range cols {
			cell := buf[c]
			line[k] = PageCell{Text: cellText(cell), Explain: -1}
			if cell.NA {
				continue
			}
			src, dst := queryName(from), queryName(m.Cols[c])
			line[k].Explain = len(pm.Explanations)
			if cell.Allowed > 0 {
				allowed = append(allowed, len(pm.Explanations))
			} else {
				denied = append(denied, len(pm.Explanations))
			}
			pm.Explanations = append(pm.Explanations, simulate.QueryCommand(o.Input, src, dst, ""))
			ends = append(ends, [2]string{src, dst})
		}
		pm.Cells = append(pm.Cells, line)
	}
	order := append(allowed, denied...)
	for _, x := range order[:min(limit, len(order))] {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		pm.Explanations[x] += "\n\n" + explain(ctx, e, ends[x][0], ends[x][1])
	}
	if skipped := len(order) - limit; skipped > 0 {
		pm.Note = fmt.Sprintf("%d cells are explained here, those that allow something first; for the other %d, the cell shows the query that explains it.", limit, skipped)
	}
	return p, nil
}

func indexes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// queryName is how zonesim query names a matrix node.
func queryName(n *simulate.MatrixNode) string {
	if n.Kind == "zone" {
		return "zone:" + n.Name
	}
	return n.Name
}

// explain is zonesim query's text for one cell.
func explain(ctx context.Context, e *simulate.Engine, from, to string) string {
	var sb strings.Builder
	r, err := e.QueryNames(ctx, from, to, nil, 3)
	if err == nil {
		err = WriteQuery(&sb, r)
	}
	if err != nil {
		return "not explained: " + err.Error()
	}
	return strings.TrimRight(sb.String(), "\n")
}

// MarkDiff puts a diff on the report: its changed flows on the map, its changed cells in the matrix,
// each explained by its causes before the query, and its summary.
func (p *Page) MarkDiff(d *simulate.MatrixDiff, before, after *simulate.Engine) {
	p.Map.MarkChanges(d, before, after)
	p.About = append(p.About, diffSummary(d))
	for _, n := range d.Added {
		p.About = append(p.About, fmt.Sprintf("added: %s %s", n.Kind, n.Name))
	}
	for _, n := range d.Removed {
		p.About = append(p.About, fmt.Sprintf("removed: %s %s", n.Kind, n.Name))
	}
	if p.Map.Unplaced > 0 {
		p.About = append(p.About, fmt.Sprintf("%d changed cell(s) are not on the map: no side places their nodes in a zone", p.Map.Unplaced))
	}
	pm := p.Matrix
	added := map[string]bool{}
	for _, n := range d.Added {
		added[n.Name] = true
	}
	for _, nodes := range [][]PageNode{pm.Rows, pm.Cols} {
		for i := range nodes {
			nodes[i].Added = added[nodes[i].Name]
		}
	}
	at := map[[2]string][2]int{}
	for i, r := range pm.Rows {
		for j, c := range pm.Cols {
			at[[2]string{r.Name, c.Name}] = [2]int{i, j}
		}
	}
	for _, c := range d.Changes {
		ij, ok := at[[2]string{c.From, c.To}]
		if !ok {
			continue
		}
		cell := &pm.Cells[ij[0]][ij[1]]
		cell.Change, cell.Was = ChangeKind(c), c.Before
		var sb strings.Builder
		fmt.Fprintf(&sb, "%s by the change: %s => %s\n", cell.Change, c.Before, c.After)
		if c.Pair != "" {
			fmt.Fprintf(&sb, "pod pair: %s\n", c.Pair)
		}
		for _, cause := range c.Causes {
			fmt.Fprintf(&sb, "  %s\n", cause)
		}
		if cell.Explain >= 0 {
			pm.Explanations[cell.Explain] = sb.String() + "\nnow:\n" + pm.Explanations[cell.Explain]
		}
	}
}

// ChangedNodes are the indexes of m's rows and columns that a diff's changes touch, and of the nodes it
// adds, as many as a report holds (MaxPageCells): left counts the changed cells and added nodes that did
// not fit.
func ChangedNodes(m *simulate.Matrix, d *simulate.MatrixDiff) (rows, cols []int, left int) {
	from, to := map[string]bool{}, map[string]bool{}
	take := func(r, c string) {
		nr, nc := len(from), len(to)
		if !from[r] {
			nr++
		}
		if !to[c] {
			nc++
		}
		if nr*nc > MaxPageCells {
			left++
			return
		}
		from[r], to[c] = true, true
	}
	for _, n := range d.Added {
		take(n.Name, n.Name)
	}
	for _, c := range d.Changes {
		take(c.From, c.To)
	}
	rows, cols = []int{}, []int{}
	for i, n := range m.Nodes {
		if from[n.Name] {
			rows = append(rows, i)
		}
	}
	for j, n := range m.Cols {
		if to[n.Name] {
			cols = append(cols, j)
		}
	}
	return rows, cols, left
}

// WriteHTML writes the report as one HTML file.
func WriteHTML(w io.Writer, p *Page) error {
	var svg strings.Builder
	if p.Map != nil {
		bw := bufio.NewWriter(&svg)
		drawZoneMap(bw, p.Map, p.MapTitle, true)
		if err := bw.Flush(); err != nil {
			return err
		}
	}
	return pageTmpl.Execute(w, struct {
		*Page
		SVG template.HTML
	}{p, template.HTML(svg.String())}) // the map is drawn here, every text in it escaped
}

// ClusterName names the input of a report: its scenario, or "the input".
func ClusterName(e *simulate.Engine) string {
	if sc := e.Cluster.Scenario; sc != nil && sc.Name != "" {
		return sc.Name
	}
	return "the input"
}

// Findings is the section of a check's findings.
func Findings(r *check.Report) FindingSection {
	return FindingSection{Heading: "Contract findings", Empty: "None: every rule checked holds (" + strings.Join(r.Checked, " ") + ").", Findings: r.Findings}
}

// AddContractDelta puts a diff's contract delta on the report: its summary, the new and the resolved
// findings.
func (p *Page) AddContractDelta(c *check.Delta) {
	p.About = append(p.About, contractSummary(c))
	p.Findings = append(p.Findings,
		FindingSection{Heading: "New findings", Empty: "None: the change adds no finding.", Findings: c.New},
		FindingSection{Heading: "Resolved findings", Empty: "None: the change resolves no finding.", Findings: c.Resolved})
}
