package cmdutil

import (
	"bytes"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Progress writes only to a terminal outside CI: never to a pipe, a buffer or a CI log.
func TestProgressOnlyOnATerminal(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(Streams{ErrOut: &buf})
	p.File("a.yaml", 10)
	p.Rows(1, 10)
	p.Done()
	assert.Empty(t, buf.String())

	r, w, err := os.Pipe()
	if err == nil {
		defer r.Close()
		defer w.Close()
		p = NewProgress(Streams{ErrOut: w})
		p.File("a.yaml", 10)
		assert.Nil(t, p.w, "a pipe is not a terminal")
	}

	// On a terminal: one line, rewritten, cleared at the end.
	p = &Progress{w: &buf}
	p.File("a.yaml", 2_000_000)
	p.File("b.yaml", 500_000) // within 100 ms of the first: not shown
	p.Done()
	assert.Equal(t, "\r\x1b[Kloading: 1 file(s), 2.0 MB…\r\x1b[K", buf.String())
}
