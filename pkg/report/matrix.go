package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/zonesim/zonesim/pkg/simulate"
)

// Every matrix format streams: rows are computed one at a time and written, so memory does not grow
// with the matrix (the table computes its rows twice on large matrices: once for the column widths).

// MatrixOptions are the choices of WriteMatrixWith.
type MatrixOptions struct {
	// Compact writes -o json with each distinct cell once and rows as runs of columns (docs/json.md).
	Compact bool
	// Progress, when set, is told the rows written so far.
	Progress func(done, total int)
	// Stop, when set, is polled between rows: once it says so, writing ends with its error.
	Stop func() error
}

// WriteMatrix streams a matrix in the given format, row by row.
func WriteMatrix(w io.Writer, m *simulate.Matrix, format string) error {
	return WriteMatrixWith(w, m, format, MatrixOptions{})
}

// WriteMatrixWith is WriteMatrix with options.
func WriteMatrixWith(w io.Writer, m *simulate.Matrix, format string, o MatrixOptions) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	rows := &rowReader{m: m, progress: o.Progress, stop: o.Stop}
	var err error
	switch {
	case format == "json" && o.Compact:
		err = matrixCompactJSON(bw, m, rows)
	case format == "json":
		err = matrixJSON(bw, m, rows)
	case format == "csv":
		err = matrixCSV(bw, m, rows)
	case format == "md":
		err = matrixMD(bw, m, rows)
	case format == "dot":
		err = matrixDOT(bw, m, rows)
	default:
		err = matrixTable(bw, m, rows)
	}
	if err != nil {
		return err
	}
	if rows.err != nil {
		return rows.err
	}
	return bw.Flush()
}

// rowReader computes the rows in order, telling progress.
type rowReader struct {
	m        *simulate.Matrix
	progress func(done, total int)
	stop     func() error
	err      error // why rows stopped early
	buf      []simulate.Cell
}

func (r *rowReader) each(f func(i int, from *simulate.MatrixNode, row []simulate.Cell)) {
	for i, from := range r.m.Nodes {
		if r.stop != nil && r.err == nil {
			r.err = r.stop()
		}
		if r.err != nil {
			return
		}
		r.buf = r.m.Row(i, r.buf)
		f(i, from, r.buf)
		if r.progress != nil {
			r.progress(i+1, len(r.m.Nodes))
		}
	}
}

func cellText(c simulate.Cell) string {
	if c.NA {
		return "n/a"
	}
	return c.Text()
}

type matrixHeader struct {
	Level   string                 `json:"level"`
	CNI     string                 `json:"cni"`
	Caveats []simulate.Caveat      `json:"caveats,omitempty"`
	Nodes   []*simulate.MatrixNode `json:"nodes"`
	// Columns are given when they are not the nodes (matrix --from/--to).
	Columns []*simulate.MatrixNode `json:"columns,omitempty"`
}

// writeHeader writes the header object without its closing brace.
func writeHeader(w *bufio.Writer, m *simulate.Matrix) error {
	h := matrixHeader{Level: string(m.Level), CNI: m.Profile, Caveats: m.Caveats(), Nodes: m.Nodes}
	if !slices.Equal(m.Nodes, m.Cols) {
		h.Columns = m.Cols
	}
	head, err := json.Marshal(h)
	if err != nil {
		return err
	}
	w.Write(head[:len(head)-1])
	return nil
}

func quoted(nodes []*simulate.MatrixNode) [][]byte {
	out := make([][]byte, len(nodes))
	for i, n := range nodes {
		out[i] = strconv.AppendQuote(nil, n.Name)
	}
	return out
}

// connsJSON caches each connection set's JSON text by ID: large matrices repeat them.
type connsJSON map[int32][]byte

func (cj connsJSON) get(c simulate.Cell) []byte {
	b, ok := cj[c.ConnID]
	if !ok {
		b, _ = json.Marshal(c.Conns.List())
		cj[c.ConnID] = b
	}
	return b
}

// appendCellFields appends "connections", "uniform" and "pairs" of a cell.
func appendCellFields(buf []byte, c simulate.Cell, conns connsJSON) []byte {
	buf = append(buf, `"connections":`...)
	buf = append(buf, conns.get(c)...)
	buf = append(buf, `,"uniform":`...)
	buf = strconv.AppendBool(buf, c.Uniform)
	buf = append(buf, `,"pairs":{"allowed":`...)
	buf = strconv.AppendInt(buf, int64(c.Allowed), 10)
	buf = append(buf, `,"full":`...)
	buf = strconv.AppendInt(buf, int64(c.Full), 10)
	buf = append(buf, `,"total":`...)
	buf = strconv.AppendInt(buf, int64(c.Total), 10)
	return append(buf, '}')
}

// matrixJSON streams {level, cni, nodes, entries}; entries hold only cells with some allowed pair, in row
// order.
func matrixJSON(w *bufio.Writer, m *simulate.Matrix, rows *rowReader) error {
	if err := writeHeader(w, m); err != nil {
		return err
	}
	w.WriteString(`,"entries":[`)
	from, to := quoted(m.Nodes), quoted(m.Cols)
	conns := connsJSON{}
	first := true
	var buf []byte
	rows.each(func(i int, _ *simulate.MatrixNode, row []simulate.Cell) {
		for j, c := range row {
			if c.NA || c.Allowed == 0 {
				continue
			}
			buf = buf[:0]
			if !first {
				buf = append(buf, ',')
			}
			first = false
			buf = append(buf, "\n{\"from\":"...)
			buf = append(buf, from[i]...)
			buf = append(buf, `,"to":`...)
			buf = append(buf, to[j]...)
			buf = append(buf, ',')
			buf = appendCellFields(buf, c, conns)
			buf = append(buf, '}')
			w.Write(buf)
		}
	})
	w.WriteString("\n]}\n")
	return nil
}

// cellKey identifies a cell's content within one matrix.
type cellKey struct {
	conns                int32
	uniform              bool
	allowed, full, total int
}

// matrixCompactJSON streams {level, cni, nodes, cells, rows}: each distinct cell once, in "cells", and
// per row with some allowed cell, runs of consecutive columns that hold the same cell.
func matrixCompactJSON(w *bufio.Writer, m *simulate.Matrix, rows *rowReader) error {
	if err := writeHeader(w, m); err != nil {
		return err
	}
	index := map[cellKey]int{}
	conns := connsJSON{}
	var cells [][]byte // the distinct cells, written at the end (after the rows that name them)
	w.WriteString(`,"rows":[`)
	from := quoted(m.Nodes)
	first := true
	var buf []byte
	rows.each(func(i int, _ *simulate.MatrixNode, row []simulate.Cell) {
		buf = buf[:0]
		runs := 0
		for j := 0; j < len(row); {
			c := row[j]
			if c.NA || c.Allowed == 0 {
				j++
				continue
			}
			k := cellKey{c.ConnID, c.Uniform, c.Allowed, c.Full, c.Total}
			id, ok := index[k]
			if !ok {
				id = len(cells)
				index[k] = id
				cells = append(cells, append(appendCellFields([]byte{'{'}, c, conns), '}'))
			}
			end := j
			for end+1 < len(row) && sameCell(row[end+1], k) {
				end++
			}
			if runs > 0 {
				buf = append(buf, ',')
			}
			runs++
			buf = fmt.Appendf(buf, "[%d,%d,%d]", j, end, id)
			j = end + 1
		}
		if runs == 0 {
			return
		}
		if !first {
			w.WriteByte(',')
		}
		first = false
		w.WriteString("\n{\"from\":")
		w.Write(from[i])
		w.WriteString(`,"to":[`)
		w.Write(buf)
		w.WriteString("]}")
	})
	w.WriteString("\n],\"cells\":[")
	for i, c := range cells {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteString("\n")
		w.Write(c)
	}
	w.WriteString("\n]}\n")
	return nil
}

func sameCell(c simulate.Cell, k cellKey) bool {
	return !c.NA && c.Allowed > 0 && cellKey{c.ConnID, c.Uniform, c.Allowed, c.Full, c.Total} == k
}

func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

func matrixCSV(w *bufio.Writer, m *simulate.Matrix, rows *rowReader) error {
	w.WriteString("from,to,connections,allowed_pairs,total_pairs\n")
	rows.each(func(_ int, from *simulate.MatrixNode, row []simulate.Cell) {
		for j, c := range row {
			if c.NA {
				continue
			}
			fmt.Fprintf(w, "%s,%s,%s,%d,%d\n", csvField(from.Name), csvField(m.Cols[j].Name),
				csvField(strings.Join(c.Conns.List(), " ")), c.Allowed, c.Total)
		}
	})
	return nil
}

// keepCells bounds the cells the table keeps between its two passes; larger tables compute rows twice.
var keepCells = 1 << 18

// matrixTable writes aligned columns, two spaces apart. A first pass measures the columns; the second
// writes the rows (kept from the first when the table is small).
func matrixTable(w *bufio.Writer, m *simulate.Matrix, rows *rowReader) error {
	const corner = "FROM \\ TO"
	widths := make([]int, len(m.Cols)+1)
	widths[0] = utf8.RuneCountInString(corner)
	for _, n := range m.Nodes {
		widths[0] = max(widths[0], utf8.RuneCountInString(n.Name))
	}
	for j, n := range m.Cols {
		widths[j+1] = utf8.RuneCountInString(n.Name)
	}
	var kept [][]string
	keep := len(m.Nodes)*len(m.Cols) <= keepCells
	measure := &rowReader{m: m, stop: rows.stop} // progress is told in the pass that writes
	measure.each(func(_ int, _ *simulate.MatrixNode, row []simulate.Cell) {
		texts := make([]string, len(row))
		for j, c := range row {
			texts[j] = cellText(c)
			widths[j+1] = max(widths[j+1], utf8.RuneCountInString(texts[j]))
		}
		if keep {
			kept = append(kept, texts)
		}
	})
	if measure.err != nil {
		return measure.err
	}
	line := func(first string, cell func(j int) string) {
		w.WriteString(first)
		pad := widths[0] - utf8.RuneCountInString(first)
		for j := range m.Cols {
			w.WriteString(strings.Repeat(" ", pad+2))
			t := cell(j)
			w.WriteString(t)
			pad = widths[j+1] - utf8.RuneCountInString(t)
		}
		w.WriteString("\n")
	}
	line(corner, func(j int) string { return m.Cols[j].Name })
	rows.each(func(i int, from *simulate.MatrixNode, row []simulate.Cell) {
		if keep {
			line(from.Name, func(j int) string { return kept[i][j] })
			return
		}
		line(from.Name, func(j int) string { return cellText(row[j]) })
	})
	writeCaveats(w, m.Caveats())
	return nil
}

func matrixMD(w *bufio.Writer, m *simulate.Matrix, rows *rowReader) error {
	w.WriteString("| from \\ to |")
	for _, n := range m.Cols {
		fmt.Fprintf(w, " %s |", MarkdownCell(n.Name))
	}
	w.WriteString("\n|---|")
	for range m.Cols {
		w.WriteString("---|")
	}
	w.WriteString("\n")
	rows.each(func(_ int, from *simulate.MatrixNode, row []simulate.Cell) {
		fmt.Fprintf(w, "| **%s** |", MarkdownCell(from.Name))
		for _, c := range row {
			fmt.Fprintf(w, " %s |", MarkdownCell(cellText(c)))
		}
		w.WriteString("\n")
	})
	for _, c := range m.Caveats() {
		fmt.Fprintf(w, "\n> caveat: %s\n", MarkdownCell(c.String()))
	}
	return nil
}

func matrixDOT(w *bufio.Writer, m *simulate.Matrix, rows *rowReader) error {
	fmt.Fprintf(w, "digraph zonesim {\n  label=%q;\n  rankdir=LR;\n", fmt.Sprintf("%s-level reachability (cni %s)", m.Level, m.Profile))
	seen := map[*simulate.MatrixNode]bool{}
	for _, n := range append(slices.Clone(m.Nodes), m.Cols...) {
		if seen[n] {
			continue
		}
		seen[n] = true
		shape := "box"
		if n.Kind == "external" {
			shape = "ellipse"
		}
		fmt.Fprintf(w, "  %q [shape=%s];\n", n.Name, shape)
	}
	rows.each(func(_ int, from *simulate.MatrixNode, row []simulate.Cell) {
		for j, c := range row {
			to := m.Cols[j]
			if c.NA || c.Allowed == 0 || from == to {
				continue
			}
			style := "solid"
			if !c.Uniform {
				style = "dashed"
			}
			fmt.Fprintf(w, "  %q -> %q [label=%q, style=%s];\n", from.Name, to.Name, c.Text(), style)
		}
	})
	w.WriteString("}\n")
	return nil
}
