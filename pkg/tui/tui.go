// Package tui is zonesim's terminal UI for design reviews: walk the zones down to namespaces, workloads and
// pods, see each one's reachability row, open one flow's full explanation, and try what-if changes
// (switch policies off) with every changed cell marked.
package tui

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/report"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// levels is the drill-down order.
var levels = []simulate.Level{simulate.LevelZone, simulate.LevelNamespace, simulate.LevelWorkload, simulate.LevelPod}

type pane int

const (
	paneSources pane = iota
	paneDestinations
	paneExplain
	panePolicies
)

// Model is the TUI state; it is a bubbletea model.
type Model struct {
	base *simulate.Engine // as loaded
	cur  *simulate.Engine // with the what-if edits

	depth   int      // index into levels
	parents []string // the node chosen at each depth above, as the filter of this one
	rows    []*simulate.MatrixNode
	sel     int
	dsel    int
	focus   pane

	matrices  map[simulate.Level]*simulate.Matrix
	baseTexts map[simulate.Level]*simulate.CellTexts
	changed   map[simulate.Level]int // cells the what-if changed, per level, once computed

	explain []string
	escroll int

	policies []string // keys of every policy, for the what-if list
	off      map[string]bool
	psel     int

	width, height int
	status        string
}

// Options say where the TUI opens.
type Options struct {
	// Namespace opens it at that namespace's workloads (the caller checks that it exists).
	Namespace string
}

// New opens the TUI on an engine: at the zone level when the input has more than one zone, at the
// namespaces when it has one, at a namespace's workloads when opts name one.
func New(e *simulate.Engine, opts Options) *Model {
	m := &Model{base: e, cur: e, off: map[string]bool{}, width: 120, height: 30,
		matrices: map[simulate.Level]*simulate.Matrix{}, baseTexts: map[simulate.Level]*simulate.CellTexts{},
		changed: map[simulate.Level]int{}}
	for _, p := range e.Cluster.Policies {
		m.policies = append(m.policies, npKey(p))
	}
	for _, p := range e.Cluster.AdminPolicies {
		m.policies = append(m.policies, adminKey(p))
	}
	if b := e.Cluster.Baseline; b != nil {
		m.policies = append(m.policies, adminKey(b))
	}
	if len(m.sources(simulate.LevelZone, "")) <= 1 {
		m.depth = 1 // one zone (or none): start at the namespaces
		m.parents = []string{""}
	}
	if ns := opts.Namespace; ns != "" {
		zone := ""
		if m.depth == 0 {
			zone = m.zoneOf(ns)
		}
		m.depth, m.parents = 2, []string{zone, ns}
	}
	m.refresh()
	return m
}

func (m *Model) level() simulate.Level { return levels[m.depth] }

func (m *Model) matrix(l simulate.Level) *simulate.Matrix {
	if mx, ok := m.matrices[l]; ok {
		return mx
	}
	mx := m.cur.Matrix(l)
	m.matrices[l] = mx
	return mx
}

// sources are the pod-holding nodes of a level under a parent ("" for all).
func (m *Model) sources(l simulate.Level, parent string) []*simulate.MatrixNode {
	var out []*simulate.MatrixNode
	var members map[string]bool
	if l == simulate.LevelPod && parent != "" {
		members = map[string]bool{}
		if ep, err := m.cur.ResolveEndpoint(parent); err == nil {
			for _, mb := range ep.Members {
				members[mb.Name] = true
			}
		}
	}
	for _, n := range m.matrix(l).Nodes {
		if n.Kind == "external" {
			continue
		}
		keep := parent == ""
		switch {
		case keep:
		case l == simulate.LevelNamespace:
			keep = m.zoneOf(n.Name) == parent
		case l == simulate.LevelWorkload:
			keep = strings.HasPrefix(n.Name, parent+"/")
		case l == simulate.LevelPod:
			keep = members[n.Name]
		}
		if keep {
			out = append(out, n)
		}
	}
	return out
}

func (m *Model) zoneOf(ns string) string {
	if n := m.cur.Cluster.Namespace(ns); n != nil {
		if z := n.Labels[m.cur.ZoneLabel]; z != "" {
			return z
		}
	}
	return "(unzoned)"
}

func (m *Model) parent() string {
	if m.depth == 0 || len(m.parents) < m.depth {
		return ""
	}
	return m.parents[m.depth-1]
}

func (m *Model) refresh() {
	m.rows = m.sources(m.level(), m.parent())
	if m.sel >= len(m.rows) {
		m.sel = max(0, len(m.rows)-1)
	}
	if n := len(m.matrix(m.level()).Nodes); m.dsel >= n {
		m.dsel = max(0, n-1)
	}
	m.updateStatus()
}

// endpoint is how a query names a matrix node.
func endpoint(n *simulate.MatrixNode) string {
	if n.Kind == "zone" {
		return "zone:" + n.Name
	}
	return n.Name
}

// Init is bubbletea's start hook; nothing runs in the background.
func (m *Model) Init() tea.Cmd { return nil }

// Update handles keys and window sizes.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		if msg.Width > 0 && msg.Height > 0 { // some terminals report 0x0; keep the default then
			m.width, m.height = msg.Width, msg.Height
		}
	case tea.KeyPressMsg:
		return m, m.key(msg.String())
	}
	return m, nil
}

func (m *Model) key(k string) tea.Cmd {
	if k == "ctrl+c" || (k == "q" && m.focus != panePolicies) {
		return tea.Quit
	}
	switch m.focus {
	case paneExplain:
		switch k {
		case "esc", "backspace", "enter":
			m.focus = paneDestinations
		case "up", "k":
			m.escroll = max(0, m.escroll-1)
		case "down", "j":
			m.escroll = min(max(0, len(m.explain)-1), m.escroll+1)
		}
	case panePolicies:
		switch k {
		case "up", "k":
			m.psel = max(0, m.psel-1)
		case "down", "j":
			m.psel = min(max(0, len(m.policies)-1), m.psel+1)
		case " ", "space", "x":
			if len(m.policies) > 0 {
				p := m.policies[m.psel]
				m.off[p] = !m.off[p]
			}
		case "esc", "enter", "p", "q":
			m.focus = paneSources
			m.applyWhatIf()
		}
	default:
		m.navigate(k)
	}
	return nil
}

func (m *Model) navigate(k string) {
	nodes := m.matrix(m.level()).Nodes
	switch k {
	case "tab":
		m.focus = map[pane]pane{paneSources: paneDestinations, paneDestinations: paneSources}[m.focus]
	case "up", "k":
		if m.focus == paneSources {
			m.sel = max(0, m.sel-1)
		} else {
			m.dsel = max(0, m.dsel-1)
		}
	case "down", "j":
		if m.focus == paneSources {
			m.sel = min(max(0, len(m.rows)-1), m.sel+1)
		} else {
			m.dsel = min(max(0, len(nodes)-1), m.dsel+1)
		}
	case "enter", "right", "l":
		if m.focus == paneDestinations {
			m.explainFlow()
			return
		}
		if m.depth < len(levels)-1 && len(m.rows) > 0 {
			m.parents = append(m.parents[:m.depth], m.rows[m.sel].Name)
			m.depth++
			m.sel, m.dsel = 0, 0
			m.refresh()
		}
	case "backspace", "left", "h", "esc":
		if m.depth > 0 {
			m.depth--
			m.sel, m.dsel = 0, 0
			m.refresh()
		}
	case "p":
		m.focus = panePolicies
	}
}

// explainFlow queries the selected source to the selected destination and keeps the explanation text.
func (m *Model) explainFlow() {
	nodes := m.matrix(m.level()).Nodes
	if len(m.rows) == 0 || len(nodes) == 0 {
		return
	}
	from, to := m.rows[m.sel], nodes[m.dsel]
	var b bytes.Buffer
	src, err := m.cur.ResolveEndpoint(endpoint(from))
	if err == nil {
		var dst *simulate.Endpoint
		if dst, err = m.cur.ResolveEndpoint(endpoint(to)); err == nil {
			var r *simulate.QueryResult
			if r, err = m.cur.Query(src, dst, nil, 3); err == nil {
				err = report.WriteQuery(&b, r)
			}
		}
	}
	if err != nil {
		fmt.Fprintf(&b, "cannot explain %s -> %s: %v\n", from.Name, to.Name, err)
	}
	m.explain = strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	m.escroll = 0
	m.focus = paneExplain
}

// applyWhatIf rebuilds the engine without the policies switched off, and keeps the original cells to mark
// what changed.
func (m *Model) applyWhatIf() {
	c := *m.base.Cluster // a shallow copy: only the policy lists change
	c.Policies, c.AdminPolicies, c.Baseline = nil, nil, nil
	for _, p := range m.base.Cluster.Policies {
		if !m.off[npKey(p)] {
			c.Policies = append(c.Policies, p)
		}
	}
	for _, p := range m.base.Cluster.AdminPolicies {
		if !m.off[adminKey(p)] {
			c.AdminPolicies = append(c.AdminPolicies, p)
		}
	}
	if b := m.base.Cluster.Baseline; b != nil && !m.off[adminKey(b)] {
		c.Baseline = b
	}
	m.cur = simulate.New(&c, m.base.Profile, m.base.ZoneLabel)
	m.matrices, m.changed = map[simulate.Level]*simulate.Matrix{}, map[simulate.Level]int{}
	m.refresh()
}

// npKey and adminKey name a policy in the what-if list.
func npKey(p *model.NetworkPolicy) string  { return "NetworkPolicy " + p.Key() }
func adminKey(p *model.AdminPolicy) string { return p.Kind + " " + p.Name }

// updateStatus counts, at the current level, the cells the what-if changed.
func (m *Model) updateStatus() {
	n := m.offCount()
	if n == 0 {
		m.status = ""
		return
	}
	l := m.level()
	if m.baseTexts[l] == nil {
		m.baseTexts[l] = m.base.Matrix(l).Texts()
	}
	if _, ok := m.changed[l]; !ok {
		if d, err := simulate.Diff(m.baseTexts[l], m.matrix(l).Texts()); err == nil {
			m.changed[l] = len(d.Changes)
		}
	}
	m.status = fmt.Sprintf("what-if: %d policy(ies) off, %d %s cell(s) changed (marked *)", n, m.changed[l], l)
}

func (m *Model) offCount() int {
	n := 0
	for _, v := range m.off {
		if v {
			n++
		}
	}
	return n
}

// style wraps text in an SGR attribute; the TUI uses attributes only, no colours, so it reads on any
// background.
type style string

func (s style) Render(text string) string { return "\x1b[" + string(s) + "m" + text + "\x1b[0m" }

const (
	titleStyle    style = "1"
	selectedStyle style = "7"
	changedStyle  style = "1;4"
	helpStyle     style = "2"
)

var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

// width is the number of columns text takes on screen.
func width(text string) int { return utf8.RuneCountInString(sgr.ReplaceAllString(text, "")) }

// View renders the screen, on the alternate screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	return v
}

func (m *Model) render() string {
	var b strings.Builder
	path := []string{string(m.level())}
	for i := 0; i < m.depth && i < len(m.parents); i++ {
		if m.parents[i] != "" {
			path = append(path, m.parents[i])
		}
	}
	b.WriteString(titleStyle.Render(fmt.Sprintf("zonesim — %s (--cni %s)", strings.Join(path, " › "), m.cur.Profile.Name)))
	b.WriteString("\n")
	if m.status != "" {
		b.WriteString(m.status + "\n")
	}
	body := m.height - 4
	switch m.focus {
	case paneExplain:
		end := min(len(m.explain), m.escroll+body)
		b.WriteString(strings.Join(m.explain[m.escroll:end], "\n") + "\n")
		b.WriteString(helpStyle.Render("↑↓ scroll · esc back · q quit"))
		return b.String()
	case panePolicies:
		b.WriteString("What-if: switch policies off (space), esc to apply\n")
		start := window(m.psel, len(m.policies), body-1)
		for i := start; i < min(len(m.policies), start+body-1); i++ {
			mark := "[x]"
			if m.off[m.policies[i]] {
				mark = "[ ]"
			}
			line := mark + " " + m.policies[i]
			if i == m.psel {
				line = selectedStyle.Render(line)
			}
			b.WriteString(line + "\n")
		}
		b.WriteString(helpStyle.Render("↑↓ move · space on/off · esc apply"))
		return b.String()
	}
	left := m.sourceLines(body)
	right := m.destinationLines(body)
	lw := 0
	for _, l := range left {
		lw = max(lw, width(l))
	}
	for i := 0; i < max(len(left), len(right)); i++ {
		l, r := "", ""
		if i < len(left) {
			l = left[i]
		}
		if i < len(right) {
			r = right[i]
		}
		b.WriteString(l + strings.Repeat(" ", lw-width(l)+3) + r + "\n")
	}
	b.WriteString(helpStyle.Render("↑↓ move · tab sources/destinations · enter drill down / explain · backspace up · p what-if · q quit"))
	return b.String()
}

func window(sel, n, height int) int {
	if height <= 0 || n <= height {
		return 0
	}
	return min(max(0, sel-height/2), n-height)
}

func (m *Model) sourceLines(height int) []string {
	lines := []string{titleStyle.Render(fmt.Sprintf("%ss (%d)", m.level(), len(m.rows)))}
	start := window(m.sel, len(m.rows), height-1)
	for i := start; i < min(len(m.rows), start+height-1); i++ {
		n := m.rows[i]
		line := fmt.Sprintf("%s (%d pods)", n.Name, n.Pods)
		if i == m.sel {
			if m.focus == paneSources {
				line = selectedStyle.Render(line)
			} else {
				line = "> " + line
			}
		}
		lines = append(lines, line)
	}
	return lines
}

// destinationLines is the selected source's row: every destination with what it may open; changed cells
// (what-if) are marked with the original text.
func (m *Model) destinationLines(height int) []string {
	mx := m.matrix(m.level())
	if len(m.rows) == 0 {
		return []string{"(nothing here)"}
	}
	from := m.rows[m.sel]
	idx := 0
	for i, n := range mx.Nodes {
		if n == from {
			idx = i
		}
	}
	row := mx.Row(idx, nil)
	base := m.baseTexts[m.level()]
	lines := []string{titleStyle.Render("from " + from.Name + " to")}
	start := window(m.dsel, len(mx.Nodes), height-1)
	for j := start; j < min(len(mx.Nodes), start+height-1); j++ {
		to := mx.Nodes[j]
		text := row[j].Text()
		if text == "" {
			text = "n/a"
		}
		line := fmt.Sprintf("%-40s %s", to.Name, text)
		if base != nil && m.offCount() > 0 {
			was := base.Cells[[2]string{from.Name, to.Name}]
			if was == "" && !row[j].NA {
				was = "-"
			}
			if now := row[j].Text(); !row[j].NA && was != now {
				line = changedStyle.Render(fmt.Sprintf("%-40s %s   * was %s", to.Name, now, was))
			}
		}
		if j == m.dsel && m.focus == paneDestinations {
			line = selectedStyle.Render(line)
		}
		lines = append(lines, line)
	}
	return lines
}

// Run starts the TUI on a terminal.
func Run(e *simulate.Engine, o Options, opts ...tea.ProgramOption) error {
	_, err := tea.NewProgram(New(e, o), opts...).Run()
	return err
}
