package tui

import (
	"context"
	"fmt"
	"strings"
	"sync"

	tea "charm.land/bubbletea/v2"
	"github.com/zonesim/zonesim/pkg/model"
	"github.com/zonesim/zonesim/pkg/report"
	"github.com/zonesim/zonesim/pkg/simulate"
)

// Heavy work (explaining a cell of thousands of pod pairs, recompiling after a what-if, counting what it
// changed) runs as a tea.Cmd while the screen stays responsive; esc cancels it. An engine is not safe for
// concurrent use, so the work has engines of its own: the screen's are never touched off its goroutine.

// background holds the engines the background work uses, one job at a time.
type background struct {
	mu        sync.Mutex
	loaded    *model.Cluster
	profile   simulate.Profile
	zoneLabel string
	base      *simulate.Engine // the loaded cluster, built on first use
	cur       *simulate.Engine // the cluster with the what-if below, built on first use
	curWhat   string           // the what-if cur was built for
}

func (b *background) baseEngine() *simulate.Engine {
	if b.base == nil {
		b.base = simulate.New(b.loaded, b.profile, b.zoneLabel)
	}
	return b.base
}

func (b *background) engineFor(w whatIf) *simulate.Engine {
	if w.empty() {
		return b.baseEngine()
	}
	if b.cur == nil || b.curWhat != w.key() {
		b.cur, b.curWhat = simulate.New(w.apply(b.loaded), b.profile, b.zoneLabel), w.key()
	}
	return b.cur
}

// job is the background work under way.
type job struct {
	id     int
	what   string // for the status line
	cancel context.CancelFunc
}

// explainDone carries an explanation.
type explainDone struct {
	id          int
	title, text string
}

// applyDone carries the engine of an applied what-if, and how many cells of level it changed.
type applyDone struct {
	id      int
	w       whatIf
	engine  *simulate.Engine
	level   simulate.Level
	changed int
	rows    map[string]bool
	err     error
}

// countDone carries how many cells of level the what-if changed.
type countDone struct {
	id      int
	level   simulate.Level
	changed int
	rows    map[string]bool
	err     error
}

// explainCmd explains from -> to under the what-if w; when w changes the verdict, the explanation says
// what it was before.
func (b *background) explainCmd(ctx context.Context, id int, from, to string, w whatIf) tea.Cmd {
	return func() tea.Msg {
		b.mu.Lock()
		defer b.mu.Unlock()
		title := from + " → " + to
		r, err := query(ctx, b.engineFor(w), from, to)
		if err != nil {
			return explainDone{id, title, fmt.Sprintf("cannot explain %s → %s: %v", from, to, err)}
		}
		var sb strings.Builder
		if !w.empty() {
			if was, err := query(ctx, b.baseEngine(), from, to); err == nil {
				before, after := verdictText(was), verdictText(r)
				if before != after {
					fmt.Fprintf(&sb, "what-if (%s): this verdict CHANGED: %s before, %s now\n\n", w.describe(), before, after)
				} else {
					fmt.Fprintf(&sb, "what-if (%s): this verdict is unchanged (%s)\n\n", w.describe(), after)
				}
			}
		}
		if err := report.WriteQuery(&sb, r); err != nil {
			return explainDone{id, title, err.Error()}
		}
		return explainDone{id, title, strings.TrimRight(sb.String(), "\n")}
	}
}

func query(ctx context.Context, e *simulate.Engine, from, to string) (*simulate.QueryResult, error) {
	return e.QueryNames(ctx, from, to, nil, 3)
}

func verdictText(r *simulate.QueryResult) string {
	conns := strings.Join(r.Connections, ", ")
	if conns == "" {
		conns = "-"
	}
	return fmt.Sprintf("%s (%s; %d/%d pairs)", r.Verdict, conns, r.Pairs.Allowed, r.Pairs.Total)
}

// applyCmd compiles the cluster under w for the screen, and counts the cells of level it changes.
func (b *background) applyCmd(ctx context.Context, id int, w whatIf, level simulate.Level) tea.Cmd {
	return func() tea.Msg {
		b.mu.Lock()
		defer b.mu.Unlock()
		e := simulate.New(w.apply(b.loaded), b.profile, b.zoneLabel)
		changed, rows, err := changedCells(ctx, b.baseEngine(), e, level)
		return applyDone{id: id, w: w, engine: e, level: level, changed: changed, rows: rows, err: err}
	}
}

// countCmd counts the cells of level the what-if w changes.
func (b *background) countCmd(ctx context.Context, id int, w whatIf, level simulate.Level) tea.Cmd {
	return func() tea.Msg {
		b.mu.Lock()
		defer b.mu.Unlock()
		changed, rows, err := changedCells(ctx, b.baseEngine(), b.engineFor(w), level)
		return countDone{id: id, level: level, changed: changed, rows: rows, err: err}
	}
}

// changedCells counts the cells whose text differs between the two engines' matrices at level, row by
// row, and names the rows that hold them (cells of rows or columns only one of them has count as
// changed).
func changedCells(ctx context.Context, before, after *simulate.Engine, level simulate.Level) (int, map[string]bool, error) {
	rows := map[string]bool{}
	if before == after {
		return 0, rows, nil
	}
	mb, ma := before.Matrix(level), after.Matrix(level)
	index := map[string]int{}
	for i, n := range ma.Nodes {
		index[n.Name] = i
	}
	cols := map[string]int{}
	for j, n := range ma.Cols {
		cols[n.Name] = j
	}
	changed := 0
	var rb, ra []simulate.Cell
	for i, n := range mb.Nodes {
		if err := ctx.Err(); err != nil {
			return 0, nil, err
		}
		j, ok := index[n.Name]
		if !ok {
			changed += len(mb.Nodes)
			rows[n.Name] = true
			continue
		}
		delete(index, n.Name)
		rb, ra = mb.Row(i, rb), ma.Row(j, ra)
		for c, cell := range rb {
			if k, ok := cols[mb.Cols[c].Name]; !ok || cell.Text() != ra[k].Text() {
				changed++
				rows[n.Name] = true
			}
		}
	}
	for name := range index { // rows only the what-if has
		changed += len(ma.Nodes)
		rows[name] = true
	}
	return changed, rows, nil
}
