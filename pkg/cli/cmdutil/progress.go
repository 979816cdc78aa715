package cmdutil

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"
)

// Progress shows what long work is doing on one line of stderr, rewritten in place, when stderr is a
// terminal and not in CI (CI set); on a pipe, in a file or in CI it writes nothing.
type Progress struct {
	w     io.Writer
	last  time.Time
	shown bool
	files int
	bytes int
}

// NewProgress is the progress line of a command's streams.
func NewProgress(s Streams) *Progress {
	f, ok := s.ErrOut.(*os.File)
	if !ok || os.Getenv("CI") != "" || !term.IsTerminal(int(f.Fd())) {
		return &Progress{}
	}
	return &Progress{w: f}
}

// Show rewrites the line, at most ten times a second.
func (p *Progress) Show(format string, args ...any) {
	if p.w == nil || time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last, p.shown = time.Now(), true
	fmt.Fprintf(p.w, "\r\x1b[K"+format, args...)
}

// File counts a file read.
func (p *Progress) File(_ string, size int) {
	p.files++
	p.bytes += size
	p.Show("loading: %d file(s), %.1f MB…", p.files, float64(p.bytes)/1e6)
}

// Rows shows rows computed of a matrix.
func (p *Progress) Rows(done, total int) {
	if done < total {
		p.Show("computing: row %d of %d…", done, total)
	}
}

// Done clears the line, so what follows starts on a clean one.
func (p *Progress) Done() {
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
	}
}
