package model

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
	"reflect"
	"runtime"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A large file is read on every core: its documents are parsed, checked against their types, decoded and
// validated ahead, in parallel, while the loader adds them to the cluster one by one in file order. What
// the loader reports and builds is the same as reading the file document by document: a chunk of many
// documents that parses without error gives the documents one parser each would give, and a chunk with
// an error is read again document by document.

// A file is read ahead in parallel when it has at least parallelChunks chunks of chunkSize bytes or
// more (whole documents each: a parser per document would cost more than it saves).
const (
	parallelChunks = 4
	chunkSize      = 64 << 10
)

// chunk is a stretch of a file that begins at a document start marker (or the file's start).
type chunk struct {
	offset int // byte offset in the file
	line   int // lines before it
	data   []byte
}

// splitDocuments cuts a YAML stream at document start markers ("---" at the start of a line, which no
// scalar may contain), into chunks of min bytes or more. A stream with directives (%YAML) or document end markers (...) is one chunk:
// those carry state from one document to the next.
func splitDocuments(data []byte, min int) []chunk {
	var out []chunk
	start, startLine, line := 0, 0, 0
	for pos := 0; pos < len(data); line++ {
		end := bytes.IndexByte(data[pos:], '\n')
		if end < 0 {
			end = len(data) - pos
		}
		text := data[pos : pos+end]
		switch {
		case marker(text, "---") && pos-start >= min:
			out = append(out, chunk{start, startLine, data[start:pos]})
			start, startLine = pos, line
		case marker(text, "...") || len(text) > 0 && text[0] == '%':
			return []chunk{{0, 0, data}}
		}
		pos += end + 1
	}
	return append(out, chunk{start, startLine, data[start:]})
}

// marker says whether a line is the marker m, alone or followed by a space, a tab or a carriage return.
func marker(line []byte, m string) bool {
	return bytes.HasPrefix(line, []byte(m)) && (len(line) == len(m) || strings.IndexByte(" \t\r", line[len(m)]) >= 0)
}

// parsed is one chunk, parsed and decoded ahead.
type parsed struct {
	index   int
	docs    []*yaml.Node
	decoded map[*yaml.Node]*decoded
	err     error // the chunk is not well-formed YAML
}

// parseAhead parses and decodes the chunks on every core, a bounded number ahead of the reader, and
// yields them in order.
func parseAhead(file string, chunks []chunk) iter.Seq[parsed] {
	return func(yield func(parsed) bool) {
		workers := runtime.GOMAXPROCS(0)
		results := make([]chan parsed, len(chunks))
		for i := range results {
			results[i] = make(chan parsed, 1)
		}
		window := make(chan struct{}, 4*workers) // chunks parsed but not yet read: memory stays bounded
		next := make(chan int)
		done := make(chan struct{})
		var wg sync.WaitGroup
		defer func() { // stop the feeder, then let the workers finish what they hold
			close(done)
			wg.Wait()
		}()
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					results[i] <- parseChunk(file, i, chunks[i])
				}
			}()
		}
		go func() {
			defer close(next)
			for i := range chunks {
				select {
				case window <- struct{}{}:
				case <-done:
					return
				}
				select {
				case next <- i:
				case <-done:
					return
				}
			}
		}()
		for i := range chunks {
			r := <-results[i]
			<-window
			if !yield(r) || r.err != nil {
				return
			}
		}
	}
}

func parseChunk(file string, i int, c chunk) parsed {
	r := parsed{index: i, decoded: map[*yaml.Node]*decoded{}}
	dec := yaml.NewDecoder(bytes.NewReader(c.data))
	for {
		doc := &yaml.Node{}
		err := dec.Decode(doc)
		if errors.Is(err, io.EOF) {
			return r
		}
		if err == nil {
			err = finishDocument(doc, c.line)
		}
		if err != nil {
			r.err = err
			return r
		}
		r.docs = append(r.docs, doc)
		if len(doc.Content) > 0 {
			decodeAhead(file, doc.Content[0], "", r.decoded)
		}
	}
}

// finishDocument adds the lines before its chunk to the line of every node of a parsed document, and
// refuses an alias to an anchor of an earlier document: kubectl parses each document on its own, so
// anchors do not cross documents (the YAML parser keeps them for the whole stream).
func finishDocument(doc *yaml.Node, lineOffset int) error {
	var anchors map[*yaml.Node]bool
	var aliases []*yaml.Node
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		n.Line += lineOffset
		if n.Anchor != "" {
			if anchors == nil {
				anchors = map[*yaml.Node]bool{}
			}
			anchors[n] = true
		}
		if n.Kind == yaml.AliasNode {
			aliases = append(aliases, n)
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(doc)
	for _, a := range aliases {
		if !anchors[a.Alias] {
			return fmt.Errorf("yaml: unknown anchor '%s' referenced", a.Value)
		}
	}
	return nil
}

// decodeAhead decodes the object of node n, or the items of a list, the way addObject will look for
// them. Objects addObject will not decode (an unknown kind, a refused version) cost a little work only.
func decodeAhead(file string, n *yaml.Node, path string, out map[*yaml.Node]*decoded) {
	n = resolveAlias(n)
	if n.Kind != yaml.MappingNode {
		return
	}
	apiVersion, kind := scalarAt(n, "apiVersion"), scalarAt(n, "kind")
	if items := mapGet(n, "items"); strings.HasSuffix(kind, "List") && items != nil && items.Kind == yaml.SequenceNode {
		for i, it := range listItems(items, apiVersion, kind) {
			decodeAhead(file, it, itemPath(path, i), out)
		}
		return
	}
	if spec, ok := kindSpecs[kind]; ok && apiVersion != "" {
		if _, unmodelled := unmodelled(apiVersion, kind); !unmodelled {
			out[n] = decodeObject(file, n, path, kind, apiVersion, spec)
		}
	}
}

// scalarAt is the value of a scalar key of a mapping, or "".
func scalarAt(n *yaml.Node, key string) string {
	if v := mapGet(n, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// listItems are the items of a typed list from the API server (PodList, NetworkPolicyList, ...), which
// leaves kind and apiVersion out of its items: they take the list's, as apimachinery's list decoding
// does. The items are given them in place, so each is one node however often it is read.
func listItems(items *yaml.Node, apiVersion, kind string) []*yaml.Node {
	if itemKind := strings.TrimSuffix(kind, "List"); itemKind != "" {
		for i, it := range items.Content {
			items.Content[i] = withKind(it, apiVersion, itemKind)
		}
	}
	return items.Content
}

// itemPath is the field path of item i of a list at path.
func itemPath(path string, i int) string { return fmt.Sprintf("%s[%d]", joinPath(path, "items"), i) }

// decoded is an object checked against its type, decoded and validated: the part of adding an object
// that needs nothing from the loader, so it can be done ahead on another core.
type decoded struct {
	obj   any
	raw   []byte // the JSON the object was decoded from, without the server's metadata
	probs Problems
	err   error // the object could not be decoded
}

// decodeObject checks n against the kind's type, decodes and validates it. An object without a name is
// validated once the loader has named it (from its generateName).
func decodeObject(file string, n *yaml.Node, path, kind, apiVersion string, spec kindSpec) *decoded {
	d := &decoded{obj: spec.newObj()}
	(&schemaChecker{file: file, probs: &d.probs}).checkAt(n, reflect.TypeOf(d.obj), path)
	if len(d.probs.Errors()) > 0 {
		return d
	}
	if d.raw, d.err = decodeInto(n, d.obj); d.err != nil {
		return d
	}
	if _, removed := spec.deprecated[apiVersion]; removed {
		legacyDefaults(d.obj)
	}
	if d.obj.(metav1.Object).GetName() != "" {
		d.probs = append(d.probs, validateObject(kind, d.obj, file, n)...)
	}
	return d
}
