package tui

import (
	"fmt"
	"os"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/zonesim/zonesim/pkg/report"
)

// View renders the screen, on the alternate screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	return v
}

// bodyHeight is the lines between the header (title, status) and the footer (prompt, help).
func (m *Model) bodyHeight() int {
	h := m.height - 3
	if m.prompt != nil {
		h--
	}
	return max(3, h)
}

func (m *Model) render() string {
	var b strings.Builder
	line := func(s string) { b.WriteString(ansi.Truncate(s, m.width, "…") + "\n") }
	line(m.styles.Title.Render(m.title()))
	line(m.statusLine())
	body := m.bodyHeight()
	var lines []string
	switch m.mode {
	case modeHelp:
		lines = m.fullHelp()
	case modeExplain:
		if m.explain.Width() != m.width {
			m.explain.SetWidth(m.width)
			m.explain.SetContentLines(wrap(m.explainText, m.width))
		}
		m.explain.SetHeight(body - 1)
		lines = append([]string{m.styles.Pane.Render(shorten("explain "+m.explainTitle, m.width))}, strings.Split(m.explain.View(), "\n")...)
	case modeWhatIf:
		lines = m.whatIfLines(body)
	default:
		lines = m.browseLines(body)
	}
	for i := 0; i < body; i++ {
		if i < len(lines) {
			line(lines[i])
		} else {
			b.WriteString("\n")
		}
	}
	if m.prompt != nil {
		line(m.prompt.input.View())
	}
	m.help.ShowAll = false
	m.help.SetWidth(m.width)
	switch m.mode {
	case modeWhatIf:
		b.WriteString(m.help.View(whatIfHelp{m.keys}))
	case modeExplain:
		b.WriteString(m.help.View(explainHelp{m.keys}))
	default:
		b.WriteString(m.help.View(m.keys))
	}
	return b.String()
}

// fullHelp is every key by column; on a narrow screen the columns stack in two rows.
func (m *Model) fullHelp() []string {
	groups := m.keys.FullHelp()
	if m.width >= 120 {
		return strings.Split(m.help.FullHelpView(groups), "\n")
	}
	top := strings.Split(m.help.FullHelpView(groups[:2]), "\n")
	return append(append(top, ""), strings.Split(m.help.FullHelpView(groups[2:]), "\n")...)
}

// wrap breaks the explanation's lines at word boundaries to width columns; a continued line is indented
// under the text it continues.
func wrap(text string, width int) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if ansi.StringWidth(line) <= width {
			out = append(out, line)
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		if fields := strings.Fields(line); len(fields) > 1 && indent+len(fields[0]) < width/2 {
			indent = strings.Index(line, fields[1]) // under the text after the label (egress, ingress, …)
		}
		indent = min(indent, width/2)
		parts := strings.Split(ansi.Wrap(line, width, " "), "\n")
		out = append(out, parts[0])
		rest := strings.TrimLeft(strings.Join(parts[1:], " "), " ")
		for _, p := range strings.Split(ansi.Wrap(rest, width-indent, " "), "\n") {
			out = append(out, strings.Repeat(" ", indent)+p)
		}
	}
	return out
}

// shorten fits s in w columns, cutting its middle: names differ at their ends as often as at their
// starts (openshift-ingress/router-dmz-0, openshift-ingress/router-internal-0), so the last part of a
// path is kept whole where it fits.
func shorten(s string, w int) string {
	n := ansi.StringWidth(s)
	if n <= w || w < 5 {
		return ansi.Truncate(s, max(w, 0), "…")
	}
	tail := (w - 1) * 2 / 3
	if i := strings.LastIndex(s, "/"); i > 0 && n-i <= w-2 {
		tail = n - i
	}
	return ansi.Truncate(s, w-1-tail, "") + "…" + ansi.TruncateLeft(s, n-tail, "")
}

// title is where the screen is: level › parents (and the profile).
func (m *Model) title() string {
	path := []string{string(m.level())}
	for _, f := range m.stack {
		if f.parent != "" {
			path = append(path, f.parent)
		}
	}
	return fmt.Sprintf("zonesim — %s (--cni %s)", strings.Join(path, " › "), m.cur.Profile.Name)
}

// statusLine is the work under way, a message, or the applied what-if.
func (m *Model) statusLine() string {
	switch {
	case m.job != nil:
		return m.spin.View() + " " + m.job.what + "… (esc cancels)"
	case m.status != "":
		return m.status
	case !m.applied.empty():
		counted := "counting changed cells"
		if n, ok := m.changed[m.level()]; ok {
			counted = fmt.Sprintf("%d %s cell(s) changed (marked *)", n, m.level())
		}
		return "what-if: " + m.applied.describe() + "; " + counted
	}
	return ""
}

// window is the first index shown of n entries for a cursor at sel, height entries at a time.
func window(sel, n, height int) int {
	if height <= 0 || n <= height {
		return 0
	}
	return min(max(0, sel-height/2), n-height)
}

// fit pads or truncates s to exactly w columns.
func fit(s string, w int) string {
	s = ansi.Truncate(s, w, "…")
	return s + strings.Repeat(" ", max(0, w-ansi.StringWidth(s)))
}

// browseLines are the sources (left) and the selected source's row (right). At any width the verdict
// keeps its room: names shrink first.
func (m *Model) browseLines(height int) []string {
	lw := max(16, m.width/3)
	left := m.sourceLines(height, lw)
	used := 0
	for _, l := range left {
		used = max(used, ansi.StringWidth(l))
	}
	lw = min(lw, used)
	rw := max(20, m.width-lw-2)
	right := m.destinationLines(height, rw)
	var out []string
	for i := 0; i < max(len(left), len(right)); i++ {
		l, r := "", ""
		if i < len(left) {
			l = left[i]
		}
		if i < len(right) {
			r = right[i]
		}
		out = append(out, fit(l, lw)+"  "+r)
	}
	return out
}

func (m *Model) sourceLines(height, width int) []string {
	f := m.top()
	external := 0
	for _, n := range m.rows {
		if n.Kind == "external" {
			external++
		}
	}
	title := fmt.Sprintf("%ss (%d)", m.level(), len(m.rows)-external)
	if external > 0 {
		title = fmt.Sprintf("%ss (%d+%d ext)", m.level(), len(m.rows)-external, external)
	}
	if f.filter != "" {
		title += " /" + f.filter
	}
	changed := m.changedRows[m.level()]
	lines := []string{m.styles.Pane.Render(title)}
	start := window(f.sel, len(m.rows), height-1)
	for i := start; i < min(len(m.rows), start+height-1); i++ {
		n := m.rows[i]
		suffix := ""
		if n.Kind != "external" {
			suffix = fmt.Sprintf(" (%d)", n.Pods)
		}
		mark := ""
		if changed[n.Name] {
			mark = "* "
		}
		text := mark + shorten(n.Name, width-len(suffix)-len(mark)-2) + suffix
		switch {
		case i == f.sel && m.focus == paneSources:
			text = m.styles.Selected.Render(text)
		case i == f.sel:
			text = m.styles.Cursor.Render("> " + text)
		}
		lines = append(lines, text)
	}
	if len(m.rows) == 0 {
		lines = append(lines, m.styles.Dim.Render("(nothing matches)"))
	}
	return lines
}

// destinationLines is the selected source's row in width columns: each destination and its cell; a cell
// the what-if changed is marked * with what it was.
func (m *Model) destinationLines(height, width int) []string {
	f := m.top()
	from := m.selectedSource()
	if from == nil {
		return []string{"(nothing here)"}
	}
	texts := m.rowTexts(from)
	var base map[string]string
	if !m.applied.empty() {
		base = m.baseRow(from)
	}
	start := window(f.dsel, len(m.dests), height-1)
	nw, vw := 0, 0
	for j := start; j < min(len(m.dests), start+height-1); j++ {
		nw = max(nw, ansi.StringWidth(m.dests[j].name))
		vw = max(vw, ansi.StringWidth(texts[j])+2)
	}
	nw = min(nw, max(12, width-vw-3)) // the verdict keeps its room; names shrink
	lines := []string{m.styles.Pane.Render(shorten("from "+from.Name+" to", width))}
	for j := start; j < min(len(m.dests), start+height-1); j++ {
		d := m.dests[j]
		text := texts[j]
		mark := "  "
		if was, changed := d.was(base, text); changed {
			mark = "* "
			text += "  (was " + was + ")"
		}
		line := fit(shorten(d.name, nw), nw) + " " + mark + ansi.Truncate(text, max(8, width-nw-3), "…")
		switch {
		case mark == "* " && !(j == f.dsel && m.focus == paneDestinations):
			line = m.styles.Changed.Render(line)
		case j == f.dsel && m.focus == paneDestinations:
			line = m.styles.Selected.Render(line)
		}
		lines = append(lines, line)
	}
	return lines
}

// was is the text of the destination's cell as loaded (base: the row as loaded), and whether the what-if
// changed it from text; routes and cells NetworkPolicy does not decide are not compared.
func (d dest) was(base map[string]string, text string) (string, bool) {
	if base == nil || d.node == nil || text == "n/a" {
		return "", false
	}
	was, ok := base[d.name]
	if !ok {
		was = "-"
	}
	return was, was != text
}

// whatIfLines is the list of what the what-if can change, with the draft's state of each.
func (m *Model) whatIfLines(height int) []string {
	title := "What-if: " + plural(len(m.items), "object")
	if m.wfilter != "" {
		title = fmt.Sprintf("What-if /%s: %d of %s", m.wfilter, len(m.shown), plural(len(m.items), "object"))
	}
	title += " · space off/on · L labels · E $EDITOR · enter applies · esc cancels"
	lines := []string{m.styles.Pane.Render(title)}
	start := window(m.wsel, len(m.shown), height-1)
	for i := start; i < min(len(m.shown), start+height-1); i++ {
		it := m.items[m.shown[i]]
		state := "[on ]"
		switch {
		case m.draft.off[it.key()]:
			state = "[off]"
		case m.draft.edited[it.key()] != nil:
			state = "[edited]"
		}
		text := state + " " + it.key()
		if it.kind == "Namespace" {
			labels := m.base.Cluster.Namespace(it.name).Labels
			state = "     "
			if l, ok := m.draft.labels[it.name]; ok {
				labels, state = l, "[relabelled]"
			}
			text = state + " " + it.key() + "  " + formatLabels(labels)
		}
		if i == m.wsel {
			text = m.styles.Selected.Render(text)
		}
		lines = append(lines, text)
	}
	return lines
}

// exportView writes the screen's content as markdown: the sources, the selected source's row (with what
// a what-if changed) and the open explanation.
func (m *Model) exportView() {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", m.title())
	if !m.applied.empty() {
		fmt.Fprintf(&b, "What-if: %s.\n\n", m.applied.describe())
		for _, c := range m.applied.list() {
			fmt.Fprintf(&b, "- %s\n", c)
		}
		b.WriteString("\n")
	}
	name := "zonesim-" + string(m.level())
	if m.mode == modeExplain {
		fmt.Fprintf(&b, "## %s\n\n```\n%s\n```\n", m.explainTitle, m.explainText)
		name += "-explain"
	} else if from := m.selectedSource(); from != nil {
		fmt.Fprintf(&b, "%ss shown: %d. Row of **%s**:\n\n| to | connections |", m.level(), len(m.rows), from.Name)
		var base map[string]string
		if !m.applied.empty() {
			base = m.baseRow(from)
			b.WriteString(" before the what-if |")
		}
		b.WriteString("\n|---|---|")
		if base != nil {
			b.WriteString("---|")
		}
		b.WriteString("\n")
		for j, text := range m.rowTexts(from) {
			d := m.dests[j]
			fmt.Fprintf(&b, "| %s | %s |", report.MarkdownCell(d.name), report.MarkdownCell(text))
			if base != nil {
				was, changed := d.was(base, text)
				if !changed {
					was = ""
				}
				fmt.Fprintf(&b, " %s |", report.MarkdownCell(was))
			}
			b.WriteString("\n")
		}
		name += "-" + strings.NewReplacer("/", "_", ":", "_", " ", "_").Replace(from.Name)
	}
	path := m.exportPath(name + ".md")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		m.status = "cannot export: " + err.Error()
		return
	}
	m.status = "wrote " + path
}
