// Package tui is zonesim's terminal UI for design reviews: walk the zones down to namespaces, workloads and
// pods (or jump there with :), see each one's reachability row, open one flow's full explanation, and try
// what-if changes (policies, egress firewalls, egress IPs and routes switched off, namespace labels
// edited, policies edited in $EDITOR) with every changed cell marked. Built on Bubble Tea, bubbles and
// lipgloss; keys follow k9s and less.
package tui

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// levels is the drill-down order.
var levels = []simulate.Level{simulate.LevelZone, simulate.LevelNamespace, simulate.LevelWorkload, simulate.LevelPod}

type mode int

const (
	modeBrowse mode = iota
	modeExplain
	modeWhatIf
	modeHelp
)

type pane int

const (
	paneSources pane = iota
	paneDestinations
)

// frame is one level of the drill-down: what it shows, and where the cursors were, so going back up
// restores them.
type frame struct {
	depth     int    // index into levels
	parent    string // the node chosen above ("" for every node of the level)
	sel, dsel int
	filter    string
}

// prompt is a line of input: a filter (/), a jump (:), or a namespace's labels.
type prompt struct {
	kind  string // filter, jump, labels
	input textinput.Model
	about string // the namespace whose labels are edited
}

// dest is a destination: a matrix node, or a route (reached through the routers).
type dest struct {
	name string
	node *simulate.MatrixNode
}

// Model is the TUI state; it is a bubbletea model.
type Model struct {
	keys   KeyMap
	styles Styles
	help   help.Model
	spin   spinner.Model

	base *simulate.Engine // as loaded (the screen's)
	cur  *simulate.Engine // with the applied what-if (the screen's)
	bg   *background

	applied whatIf // the what-if cur shows
	draft   whatIf // the what-if being edited in the list; esc drops it

	stack  []frame
	focus  pane
	mode   mode
	prompt *prompt

	matrices  map[simulate.Level]*simulate.Matrix
	loadedMx  map[simulate.Level]*simulate.Matrix // of base
	baseRows  map[string]map[string]string        // level/source -> destination -> cell text, as loaded
	changed   map[simulate.Level]int              // cells the applied what-if changed, per level, once counted
	routeText map[[2]string]string                // (source, route) -> verdict
	rowCache  map[*simulate.MatrixNode][]string
	// changedRows are, per level, the sources whose row the applied what-if changed, once counted.
	changedRows map[simulate.Level]map[string]bool

	rows  []*simulate.MatrixNode // sources of the current frame, filtered
	dests []dest

	explain      viewport.Model
	explainTitle string
	explainText  string

	items   []item
	shown   []int // items shown (filtered)
	wsel    int
	wfilter string

	job    *job
	jobSeq int

	width, height int
	status        string
	exportDir     string
	editor        func(file string) *exec.Cmd
}

// Options say where the TUI opens.
type Options struct {
	// Namespace opens it at that namespace's workloads (the caller checks that it exists).
	Namespace string
	// ExportDir is where e and w write their files (default: the working directory).
	ExportDir string
}

// New opens the TUI on an engine: at the zone level when the input has more than one zone, at the
// namespaces when it has one, at a namespace's workloads when opts name one.
func New(e *simulate.Engine, opts Options) *Model {
	m := &Model{
		keys: DefaultKeyMap(), styles: DefaultStyles(), help: help.New(),
		spin: spinner.New(spinner.WithSpinner(spinner.Line)),
		base: e, cur: e, bg: &background{loaded: e.Cluster, profile: e.Profile, zoneLabel: e.ZoneLabel},
		applied: newWhatIf(), draft: newWhatIf(),
		matrices: map[simulate.Level]*simulate.Matrix{}, loadedMx: map[simulate.Level]*simulate.Matrix{}, baseRows: map[string]map[string]string{},
		changed: map[simulate.Level]int{}, routeText: map[[2]string]string{},
		rowCache: map[*simulate.MatrixNode][]string{}, changedRows: map[simulate.Level]map[string]bool{},
		items: items(e.Cluster), width: 120, height: 30, exportDir: opts.ExportDir,
		editor: editorCommand,
	}
	m.explain = viewport.New()
	m.stack = []frame{{depth: 0}}
	if !m.multiZone() {
		m.stack = []frame{{depth: 1}} // one zone (or none): start at the namespaces
	}
	if ns := opts.Namespace; ns != "" {
		m.jumpTo(ns)
	}
	m.refresh()
	return m
}

func editorCommand(file string) *exec.Cmd {
	ed := os.Getenv("VISUAL")
	if ed == "" {
		ed = os.Getenv("EDITOR")
	}
	if ed == "" {
		ed = "vi"
	}
	args := strings.Fields(ed)
	return exec.Command(args[0], append(args[1:], file)...)
}

func (m *Model) top() *frame           { return &m.stack[len(m.stack)-1] }
func (m *Model) level() simulate.Level { return levels[m.top().depth] }

func (m *Model) matrix(l simulate.Level) *simulate.Matrix {
	if mx, ok := m.matrices[l]; ok {
		return mx
	}
	mx := m.cur.Matrix(l)
	m.matrices[l] = mx
	return mx
}

// multiZone says whether the input has more than one zone (the unzoned namespaces count as one); the
// external blocks listed with the zones are not zones.
func (m *Model) multiZone() bool {
	zones := 0
	for _, n := range m.matrix(simulate.LevelZone).Nodes {
		if n.Kind == "zone" {
			zones++
		}
	}
	return zones > 1
}

// sources are the nodes of a level under a parent ("" for all): pod groups, then the external blocks.
func (m *Model) sources(depth int, parent string) []*simulate.MatrixNode {
	l := levels[depth]
	var out, external []*simulate.MatrixNode
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
			external = append(external, n)
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
	if depth == 0 || parent == "" {
		return append(out, external...) // externals are sources too, listed once per level
	}
	return out
}

func (m *Model) zoneOf(ns string) string {
	if n := m.cur.Cluster.Namespace(ns); n != nil {
		if z := n.Zone(m.cur.ZoneLabel); z != "" {
			return z
		}
	}
	return simulate.UnzonedName
}

// refresh recomputes the current frame's sources (filtered) and destinations.
func (m *Model) refresh() {
	f := m.top()
	m.rows = m.rows[:0]
	for _, n := range m.sources(f.depth, f.parent) {
		if matches(n.Name, f.filter) {
			m.rows = append(m.rows, n)
		}
	}
	m.dests = m.dests[:0]
	for _, n := range m.matrix(m.level()).Nodes {
		m.dests = append(m.dests, dest{name: n.Name, node: n})
	}
	for _, r := range m.cur.Cluster.Routes {
		m.dests = append(m.dests, dest{name: "route:" + r.Namespace + "/" + r.Name})
	}
	f.sel = clamp(f.sel, len(m.rows))
	f.dsel = clamp(f.dsel, len(m.dests))
}

func matches(name, filter string) bool {
	return filter == "" || strings.Contains(strings.ToLower(name), strings.ToLower(filter))
}

func clamp(i, n int) int { return max(0, min(i, n-1)) }

// endpoint is how a query names a matrix node.
func endpoint(n *simulate.MatrixNode) string {
	if n.Kind == "zone" {
		return "zone:" + n.Name
	}
	return n.Name
}

// Init is bubbletea's start hook; nothing runs until a key asks for it.
func (m *Model) Init() tea.Cmd { return nil }

// Update handles keys, window sizes and the results of background work.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		if msg.Width > 0 && msg.Height > 0 { // some terminals report 0x0; keep the default then
			m.width, m.height = msg.Width, msg.Height
		}
	case spinner.TickMsg:
		if m.job != nil {
			var cmd tea.Cmd
			m.spin, cmd = m.spin.Update(msg)
			return m, cmd
		}
	case explainDone:
		if m.job != nil && m.job.id == msg.id {
			m.job = nil
			m.explainTitle = msg.title
			m.explainText = strings.ReplaceAll(msg.text, "use --details to show more", "zonesim query --details N shows more")
			m.explain.SetWidth(m.width)
			m.explain.SetContentLines(wrap(m.explainText, m.width))
			m.explain.GotoTop()
			m.mode = modeExplain
		}
	case applyDone:
		if m.job != nil && m.job.id == msg.id {
			m.job = nil
			m.cur, m.applied = msg.engine, msg.w
			m.matrices, m.changed, m.routeText = map[simulate.Level]*simulate.Matrix{}, map[simulate.Level]int{}, map[[2]string]string{}
			m.rowCache, m.changedRows = map[*simulate.MatrixNode][]string{}, map[simulate.Level]map[string]bool{}
			if msg.err == nil {
				m.changed[msg.level], m.changedRows[msg.level] = msg.changed, msg.rows
			}
			m.status = ""
			m.refresh()
			return m, m.countChanges()
		}
	case countDone:
		if m.job != nil && m.job.id == msg.id {
			m.job = nil
			if msg.err == nil {
				m.changed[msg.level], m.changedRows[msg.level] = msg.changed, msg.rows
			}
		}
	case editedMsg:
		return m, m.edited(msg)
	case tea.KeyPressMsg:
		return m, m.key(msg)
	}
	return m, nil
}

// start runs heavy work in the background with a spinner; a newer job replaces (cancels) an older one.
func (m *Model) start(what string, work func(ctx context.Context, id int) tea.Cmd) tea.Cmd {
	if m.job != nil {
		m.job.cancel()
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.jobSeq++
	m.job = &job{id: m.jobSeq, what: what, cancel: cancel}
	return tea.Batch(work(ctx, m.jobSeq), m.spin.Tick)
}

// countChanges counts, in the background, the cells of the current level the applied what-if changes.
func (m *Model) countChanges() tea.Cmd {
	l := m.level()
	if _, ok := m.changed[l]; ok || m.applied.empty() || m.job != nil {
		return nil
	}
	w := m.applied
	return m.start("counting the "+string(l)+" cells the what-if changed", func(ctx context.Context, id int) tea.Cmd {
		return m.bg.countCmd(ctx, id, w, l)
	})
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	if m.prompt != nil {
		return m.promptKey(msg)
	}
	k := m.keys
	switch {
	case msg.String() == "ctrl+c", key.Matches(msg, k.Quit):
		return tea.Quit // at once, whatever runs
	case key.Matches(msg, k.Cancel) && m.job != nil:
		m.job.cancel()
		m.status = "cancelled: " + m.job.what
		m.job = nil
		return nil
	}
	m.status = ""
	switch m.mode {
	case modeHelp:
		if key.Matches(msg, k.Cancel, k.Help, k.Back) {
			m.mode = modeBrowse
		}
	case modeExplain:
		switch {
		case key.Matches(msg, k.Cancel, k.Back):
			m.mode = modeBrowse
		case key.Matches(msg, k.Up):
			m.explain.ScrollUp(1)
		case key.Matches(msg, k.Down):
			m.explain.ScrollDown(1)
		case key.Matches(msg, k.PageUp):
			m.explain.PageUp()
		case key.Matches(msg, k.PageDown):
			m.explain.PageDown()
		case key.Matches(msg, k.Top):
			m.explain.GotoTop()
		case key.Matches(msg, k.Bottom):
			m.explain.GotoBottom()
		case key.Matches(msg, k.Export):
			m.exportView()
		}
	case modeWhatIf:
		return m.whatIfKey(msg)
	default:
		return m.browseKey(msg)
	}
	return nil
}

// move applies a cursor key to a cursor over n entries, showing page entries at a time.
func (m *Model) move(msg tea.KeyPressMsg, cur *int, n, page int) bool {
	k := m.keys
	switch {
	case key.Matches(msg, k.Up):
		*cur--
	case key.Matches(msg, k.Down):
		*cur++
	case key.Matches(msg, k.PageUp):
		*cur -= max(1, page)
	case key.Matches(msg, k.PageDown):
		*cur += max(1, page)
	case key.Matches(msg, k.Top):
		*cur = 0
	case key.Matches(msg, k.Bottom):
		*cur = n - 1
	default:
		return false
	}
	*cur = clamp(*cur, n)
	return true
}

func (m *Model) browseKey(msg tea.KeyPressMsg) tea.Cmd {
	k, f := m.keys, m.top()
	page := m.bodyHeight() - 1
	if m.focus == paneSources && m.move(msg, &f.sel, len(m.rows), page) ||
		m.focus == paneDestinations && m.move(msg, &f.dsel, len(m.dests), page) {
		return nil
	}
	switch {
	case key.Matches(msg, k.Switch):
		m.focus = 1 - m.focus
	case key.Matches(msg, k.Help):
		m.mode = modeHelp
	case key.Matches(msg, k.Filter):
		m.openPrompt("filter", "/", f.filter, "")
	case key.Matches(msg, k.Jump):
		m.openPrompt("jump", ":", "", "")
	case key.Matches(msg, k.WhatIf):
		m.mode, m.draft = modeWhatIf, m.applied.clone()
		m.filterItems()
	case key.Matches(msg, k.Export):
		m.exportView()
	case key.Matches(msg, k.Cancel):
		if f.filter != "" {
			m.setFilter("")
		} else if len(m.stack) > 1 {
			m.up()
		}
	case key.Matches(msg, k.Enter):
		if m.focus == paneDestinations {
			return m.explainFlow()
		}
		m.down()
	case key.Matches(msg, k.Back):
		m.up()
	}
	return m.countChanges()
}

// down drills into the selected source.
func (m *Model) down() {
	f := m.top()
	if len(m.rows) == 0 {
		return
	}
	n := m.rows[f.sel]
	switch {
	case n.Kind == "external":
		m.status = n.Name + " is outside the cluster: tab to its row, enter to explain a flow from it"
		return
	case f.depth >= len(levels)-1:
		m.status = "pods are the last level: tab to the row, enter to explain a flow"
		return
	}
	m.stack = append(m.stack, frame{depth: f.depth + 1, parent: n.Name})
	m.refresh()
}

// up goes back to the level above, with its cursors where they were; above the first frame, it opens
// the level above with the cursor on the parent.
func (m *Model) up() {
	if len(m.stack) > 1 {
		m.stack = m.stack[:len(m.stack)-1]
		m.refresh()
		return
	}
	f := *m.top()
	if f.depth == 0 {
		return
	}
	above := frame{depth: f.depth - 1}
	if f.parent != "" && f.depth-1 >= 1 {
		above.parent = m.parentOf(f.depth-1, f.parent)
	}
	m.stack = []frame{above}
	m.refresh()
	m.selectSource(f.parent)
}

// parentOf is the node at depth that holds the node name of depth+1.
func (m *Model) parentOf(depth int, name string) string {
	switch levels[depth] {
	case simulate.LevelZone:
		return m.zoneOf(name)
	case simulate.LevelNamespace:
		ns, _, _ := strings.Cut(name, "/")
		return ns
	}
	return ""
}

func (m *Model) selectSource(name string) {
	for i, n := range m.rows {
		if n.Name == name {
			m.top().sel = i
		}
	}
}

// jumpTo opens a level (zone, namespace, workload, pod), a zone's namespaces or a namespace's
// workloads, with the frames above it, so backspace walks back up.
func (m *Model) jumpTo(target string) bool {
	target = strings.TrimSpace(target)
	aliases := map[string]int{"zone": 0, "zones": 0, "z": 0, "namespace": 1, "namespaces": 1, "ns": 1,
		"workload": 2, "workloads": 2, "wl": 2, "pod": 3, "pods": 3, "po": 3}
	if d, ok := aliases[strings.ToLower(target)]; ok {
		m.stack = []frame{{depth: d}}
		m.refresh()
		return true
	}
	if ns := m.cur.Cluster.Namespace(target); ns != nil {
		zone := m.zoneOf(target)
		m.stack = nil
		if m.multiZone() {
			m.stack = append(m.stack, frame{depth: 0})
			m.refresh()
			m.selectSource(zone)
			m.stack = append(m.stack, frame{depth: 1, parent: zone})
		} else {
			m.stack = append(m.stack, frame{depth: 1})
		}
		m.refresh()
		m.selectSource(target)
		m.stack = append(m.stack, frame{depth: 2, parent: target})
		m.refresh()
		return true
	}
	for _, n := range m.sources(0, "") {
		if n.Kind == "zone" && n.Name == target {
			m.stack = []frame{{depth: 0}}
			m.refresh()
			m.selectSource(target)
			m.stack = append(m.stack, frame{depth: 1, parent: target})
			m.refresh()
			return true
		}
	}
	for _, n := range m.rows {
		if n.Name == target { // a source of this level: internet, ext:…, a workload
			m.selectSource(target)
			return true
		}
	}
	return false
}

func (m *Model) openPrompt(kind, promptText, value, about string) {
	in := textinput.New()
	st := in.Styles()
	st.Cursor.Blink = false // a steady cursor: no timer ticking while the reviewer thinks
	in.SetStyles(st)
	in.Prompt = promptText
	in.SetValue(value)
	in.CursorEnd()
	in.Focus()
	in.SetWidth(max(10, m.width-len(promptText)-2))
	if kind == "jump" {
		in.Placeholder = "zone | namespace | workload | pod | a namespace | a zone"
	}
	m.prompt = &prompt{kind: kind, input: in, about: about}
}

func (m *Model) promptKey(msg tea.KeyPressMsg) tea.Cmd {
	p := m.prompt
	switch msg.String() {
	case "ctrl+c":
		return tea.Quit
	case "esc":
		if p.kind == "filter" {
			m.setFilter("")
		}
		m.prompt = nil
		return nil
	case "enter":
		m.prompt = nil
		value := p.input.Value()
		switch p.kind {
		case "jump":
			if !m.jumpTo(value) {
				m.status = fmt.Sprintf("no level, namespace or zone %q", value)
			}
			return m.countChanges()
		case "labels":
			orig := m.base.Cluster.Namespace(p.about)
			l, err := namespaceLabels(value, p.about, orig.Labels)
			if err != nil {
				m.status = "labels of " + p.about + " not changed: " + err.Error()
				return nil
			}
			if orig != nil && formatLabels(orig.Labels) == formatLabels(l) {
				delete(m.draft.labels, p.about)
			} else {
				m.draft.labels[p.about] = l
			}
		}
		return nil
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	if p.kind == "filter" {
		m.setFilter(p.input.Value())
	}
	return cmd
}

// setFilter filters the list shown: the sources, or the what-if list.
func (m *Model) setFilter(s string) {
	if m.mode == modeWhatIf {
		sel := -1
		if m.wsel < len(m.shown) {
			sel = m.shown[m.wsel]
		}
		m.wfilter = s
		m.filterItems()
		if i := slices.Index(m.shown, sel); i >= 0 {
			m.wsel = i // the cursor stays on its item
		}
		return
	}
	name := ""
	if n := m.selectedSource(); n != nil {
		name = n.Name
	}
	m.top().filter = s
	m.refresh()
	m.selectSource(name)
}

// explainFlow explains the selected source to the selected destination, in the background.
func (m *Model) explainFlow() tea.Cmd {
	f := m.top()
	if len(m.rows) == 0 || len(m.dests) == 0 {
		return nil
	}
	from, to := endpoint(m.rows[f.sel]), m.dests[f.dsel].name
	if d := m.dests[f.dsel].node; d != nil {
		to = endpoint(d)
	}
	w := m.applied
	return m.start("explaining "+from+" → "+to, func(ctx context.Context, id int) tea.Cmd {
		return m.bg.explainCmd(ctx, id, from, to, w)
	})
}

// filterItems lists the what-if items matching the filter.
func (m *Model) filterItems() {
	m.shown = m.shown[:0]
	for i, it := range m.items {
		if matches(it.key(), m.wfilter) {
			m.shown = append(m.shown, i)
		}
	}
	m.wsel = clamp(m.wsel, len(m.shown))
}

func (m *Model) whatIfKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	if m.move(msg, &m.wsel, len(m.shown), m.bodyHeight()-1) {
		return nil
	}
	var it *item
	if len(m.shown) > 0 {
		it = &m.items[m.shown[m.wsel]]
	}
	switch {
	case key.Matches(msg, k.Cancel) && m.wfilter != "":
		m.setFilter("")
	case key.Matches(msg, k.Cancel):
		m.mode, m.draft = modeBrowse, m.applied.clone() // never applied
		m.status = "what-if cancelled"
	case key.Matches(msg, k.Filter):
		m.openPrompt("filter", "/", m.wfilter, "")
	case key.Matches(msg, k.Toggle) && it != nil:
		if it.kind == "Namespace" {
			m.status = "a namespace is not switched off: L edits its labels"
			return nil
		}
		m.draft.off[it.key()] = !m.draft.off[it.key()]
	case key.Matches(msg, k.Labels) && it != nil && it.kind == "Namespace":
		labels := m.base.Cluster.Namespace(it.name).Labels
		if l, ok := m.draft.labels[it.name]; ok {
			labels = l
		}
		m.openPrompt("labels", "labels of "+it.name+": ", formatLabels(labels), it.name)
	case key.Matches(msg, k.Edit) && it != nil && it.kind == "NetworkPolicy":
		return m.editPolicy(it.key())
	case key.Matches(msg, k.Labels, k.Edit) && it != nil:
		m.status = "L edits a Namespace's labels, E a NetworkPolicy; space switches a " + it.kind + " off"
	case key.Matches(msg, k.Patch):
		m.writePatch()
	case key.Matches(msg, k.Apply):
		m.mode = modeBrowse
		if m.draft.equal(m.applied) {
			return nil
		}
		w, l := m.draft.clone(), m.level()
		return m.start("applying the what-if ("+w.describe()+")", func(ctx context.Context, id int) tea.Cmd {
			return m.bg.applyCmd(ctx, id, w, l)
		})
	}
	return nil
}

// editedMsg reports the end of $EDITOR on a policy. shown is the file as the editor opened it after an
// edit that was not kept (nil the first time).
type editedMsg struct {
	key, file string
	err       error
	shown     []byte
}

func (m *Model) editPolicy(itemKey string) tea.Cmd {
	file, err := m.policyFile(itemKey)
	if err != nil {
		m.status = "cannot edit: " + err.Error()
		return nil
	}
	return m.openEditor(itemKey, file, nil)
}

func (m *Model) openEditor(itemKey, file string, shown []byte) tea.Cmd {
	return tea.ExecProcess(m.editor(file), func(err error) tea.Msg { return editedMsg{itemKey, file, err, shown} })
}

// policyFile writes the policy of a what-if item, as the draft has it, to a file for $EDITOR.
func (m *Model) policyFile(itemKey string) (string, error) {
	p := m.policy(itemKey)
	if p == nil {
		return "", fmt.Errorf("no policy %s", itemKey)
	}
	doc, err := policyYAML(p)
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp("", "zonesim-*.yaml")
	if err != nil {
		return "", err
	}
	_, err = f.Write(doc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return f.Name(), err
}

// loadedPolicy is the NetworkPolicy of a what-if item as loaded, or nil.
func (m *Model) loadedPolicy(itemKey string) *model.NetworkPolicy {
	for _, p := range m.base.Cluster.Policies {
		if "NetworkPolicy "+p.Key() == itemKey {
			return p
		}
	}
	return nil
}

// policy is the NetworkPolicy of a what-if item, as the draft has it.
func (m *Model) policy(itemKey string) *model.NetworkPolicy {
	if p := m.draft.edited[itemKey]; p != nil {
		return p
	}
	return m.loadedPolicy(itemKey)
}

// edited keeps a policy edited in $EDITOR. As kubectl edit does, an edit that is not kept opens the
// editor again on the file, the reason on top as comments; leaving it unchanged cancels the edit.
func (m *Model) edited(msg editedMsg) tea.Cmd {
	if msg.err != nil {
		os.Remove(msg.file)
		m.status = "editor: " + msg.err.Error()
		return nil
	}
	p, err := readPolicy(msg.file, m.policy(msg.key))
	if err != nil {
		reason := strings.ReplaceAll(err.Error(), "\n", "; ")
		data, rerr := os.ReadFile(msg.file)
		if rerr != nil || msg.shown != nil && bytes.Equal(data, msg.shown) {
			os.Remove(msg.file)
			m.status = "edit cancelled: " + reason
			return nil
		}
		data = append([]byte(editHeader(err)), withoutEditHeader(data)...)
		if err := os.WriteFile(msg.file, data, 0o600); err != nil {
			os.Remove(msg.file)
			m.status = "edit not kept: " + reason
			return nil
		}
		m.status = "edit not kept: " + reason
		return m.openEditor(msg.key, msg.file, data)
	}
	os.Remove(msg.file)
	if policyText(m.loadedPolicy(msg.key)) == policyText(p) {
		delete(m.draft.edited, msg.key)
		m.status = msg.key + " is as loaded: no edit"
		return nil
	}
	m.draft.edited[msg.key] = p
	m.status = "edited " + msg.key + " (enter applies the what-if)"
	return nil
}

// editHeaderFirst begins the comments an edit that was not kept is reopened with.
const editHeaderFirst = "# zonesim: this edit was not kept:\n"

// editHeader says why an edit was not kept, as YAML comments.
func editHeader(err error) string {
	var b strings.Builder
	b.WriteString(editHeaderFirst)
	for _, line := range strings.Split(err.Error(), "\n") {
		b.WriteString("#   " + line + "\n")
	}
	b.WriteString("# Correct it and save, or close the editor without a change to cancel the edit.\n#\n")
	return b.String()
}

// withoutEditHeader is an edited file without the comments editHeader put on top of it.
func withoutEditHeader(data []byte) []byte {
	if !bytes.HasPrefix(data, []byte(editHeaderFirst)) {
		return data
	}
	if i := bytes.Index(data, []byte("\n#\n")); i >= 0 {
		return data[i+3:]
	}
	return data
}

// exportPath is where a file of the TUI is written.
func (m *Model) exportPath(name string) string {
	if m.exportDir == "" {
		return name
	}
	return filepath.Join(m.exportDir, name)
}

// writePatch writes the draft what-if as manifests.
func (m *Model) writePatch() {
	if m.draft.empty() {
		m.status = "nothing to write: the what-if changes nothing"
		return
	}
	text, err := m.draft.patch(m.base.Cluster)
	if err == nil {
		path := m.exportPath("zonesim-whatif.yaml")
		if err = os.WriteFile(path, []byte(text), 0o644); err == nil {
			m.status = "wrote " + path
			return
		}
	}
	m.status = "cannot write the patch: " + err.Error()
}

// selectedSource is the source under the cursor, or nil.
func (m *Model) selectedSource() *simulate.MatrixNode {
	if f := m.top(); f.sel < len(m.rows) {
		return m.rows[f.sel]
	}
	return nil
}

// rowTexts is the selected source's row: each destination's cell text, as the screen shows it.
func (m *Model) rowTexts(from *simulate.MatrixNode) []string {
	if r, ok := m.rowCache[from]; ok {
		return r
	}
	mx := m.matrix(m.level())
	idx := slices.Index(mx.Nodes, from)
	out := make([]string, 0, len(m.dests))
	if idx >= 0 {
		for _, c := range mx.Row(idx, nil) {
			t := c.Text()
			if c.NA {
				t = "n/a"
			}
			out = append(out, t)
		}
	}
	for _, d := range m.dests[len(out):] {
		out = append(out, m.routeCell(from, d.name))
	}
	m.rowCache[from] = out
	return out
}

// routeCell is the verdict from a source to a route, through the routers that admit it.
func (m *Model) routeCell(from *simulate.MatrixNode, route string) string {
	k := [2]string{from.Name, route}
	if t, ok := m.routeText[k]; ok {
		return t
	}
	t := "n/a"
	if r, err := query(context.Background(), m.cur, endpoint(from), route); err == nil {
		t = strings.Join(r.Connections, ", ")
		if t == "" {
			t = "-"
		}
		if r.Verdict == "PARTIAL" {
			t = fmt.Sprintf("partial: %s (%d/%d pairs)", t, r.Pairs.Allowed, r.Pairs.Total)
		}
	}
	m.routeText[k] = t
	return t
}

// baseRow is the selected source's row as loaded, for marking what the what-if changed.
func (m *Model) baseRow(from *simulate.MatrixNode) map[string]string {
	k := string(m.level()) + "/" + from.Name
	if r, ok := m.baseRows[k]; ok {
		return r
	}
	r := map[string]string{}
	mx := m.loadedMx[m.level()]
	if mx == nil {
		mx = m.base.Matrix(m.level())
		m.loadedMx[m.level()] = mx
	}
	for i, n := range mx.Nodes {
		if n.Name == from.Name {
			for j, c := range mx.Row(i, nil) {
				if !c.NA {
					r[mx.Nodes[j].Name] = c.Text()
				}
			}
		}
	}
	m.baseRows[k] = r
	return r
}

// Run starts the TUI on a terminal on a loading screen, while load reads the input; the error is
// load's when it failed.
func Run(what string, load func() (*simulate.Engine, error), o Options, opts ...tea.ProgramOption) error {
	final, err := tea.NewProgram(NewLoading(what, load, o), opts...).Run()
	if err != nil {
		return err
	}
	if l, ok := final.(*Loading); ok {
		return l.Err
	}
	return nil
}
