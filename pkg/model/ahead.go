package model

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
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
// an error is read again document by document. A large List (what kubectl get -o yaml writes: one
// document) is read on every core too, in runs of whole items.

// A file is read ahead in parallel when it has at least parallelChunks chunks of chunkSize bytes or
// more (whole documents each: a parser per document would cost more than it saves).
const (
	parallelChunks = 4
	chunkSize      = 64 << 10
)

// chunk is a stretch of a file that begins at a document start marker (or the file's start), or a run
// of items of a List document.
type chunk struct {
	offset int // byte offset in the file
	line   int // lines before it
	data   []byte
	list   *listPart // the chunk is part of a List document read in parts
}

// listPart places a chunk in a List document read in parts: first its head, the document with the lines
// of its items left blank, then runs of whole items.
type listPart struct {
	head             int  // the head's chunk index
	first            int  // the index among the list's items of the run's first item; -1 on the head
	last             bool // the list's last run
	indent           int  // the column of the items' dashes, from 0
	apiVersion, kind string
	// The head leaves out the gap lines of the items, after its line gapAfter (from 1).
	gapAfter, gap int
	// incremental: every run is read by fastDocument, so none can fail and the items are added run by
	// run, as they come, rather than once the whole list is read (which holds every item's nodes).
	incremental bool
}

// checkLists marks the Lists of chunks whose runs fastDocument reads all (checked on every core).
func checkLists(chunks []chunk) {
	var runs []int
	for i, c := range chunks {
		if c.list != nil && c.list.first >= 0 {
			runs = append(runs, i)
		}
	}
	if len(runs) == 0 {
		return
	}
	reads := make([]bool, len(chunks))
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				reads[i] = fastReads(chunks[i].data)
			}
		}()
	}
	for _, i := range runs {
		next <- i
	}
	close(next)
	wg.Wait()
	all := map[int]bool{} // by head
	for _, i := range runs {
		h := chunks[i].list.head
		if v, ok := all[h]; !ok || v {
			all[h] = reads[i]
		}
	}
	for _, c := range chunks {
		if c.list != nil {
			c.list.incremental = all[c.list.head]
		}
	}
}

// documents cuts a YAML stream into its documents, at document start markers ("---" at the start of a
// line, which no scalar may contain). A stream with directives (%YAML) or document end markers (...) is
// one piece: those carry state from one document to the next.
func documents(data []byte) []chunk {
	var out []chunk
	start, startLine, line := 0, 0, 0
	for pos := 0; pos < len(data); line++ {
		end := bytes.IndexByte(data[pos:], '\n')
		if end < 0 {
			end = len(data) - pos
		}
		text := data[pos : pos+end]
		switch {
		case marker(text, "---") && pos > start:
			out = append(out, chunk{offset: start, line: startLine, data: data[start:pos]})
			start, startLine = pos, line
		case marker(text, "...") || len(text) > 0 && text[0] == '%':
			return []chunk{{data: data}}
		}
		pos += end + 1
	}
	return append(out, chunk{offset: start, line: startLine, data: data[start:]})
}

// marker says whether a line is the marker m, alone or followed by a space, a tab or a carriage return.
func marker(line []byte, m string) bool {
	return bytes.HasPrefix(line, []byte(m)) && (len(line) == len(m) || strings.IndexByte(" \t\r", line[len(m)]) >= 0)
}

// splitDocuments cuts a YAML stream into chunks of whole documents, of min bytes or more.
func splitDocuments(data []byte, min int) []chunk {
	return group(documents(data), min, false)
}

// splitAhead is splitDocuments for reading ahead: a List document of two chunks or more is cut into its
// head and runs of items of min bytes or more.
func splitAhead(data []byte, min int) []chunk {
	return group(documents(data), min, true)
}

// group joins documents into chunks of min bytes or more; with lists, a large List document is cut into
// parts (splitList).
func group(docs []chunk, min int, lists bool) []chunk {
	var out []chunk
	var cur *chunk
	flush := func() {
		if cur != nil {
			out = append(out, *cur)
			cur = nil
		}
	}
	for _, d := range docs {
		if lists && len(d.data) >= 2*min {
			if parts := splitList(d, min); parts != nil {
				flush()
				for _, p := range parts {
					p.list.head = len(out)
				}
				out = append(out, parts...)
				continue
			}
		}
		switch {
		case cur == nil:
			cur = &chunk{offset: d.offset, line: d.line, data: d.data}
		case len(cur.data) >= min:
			flush()
			cur = &chunk{offset: d.offset, line: d.line, data: d.data}
		default:
			cur.data = cur.data[:len(cur.data)+len(d.data)] // documents are consecutive in one array
		}
	}
	flush()
	return out
}

// splitList cuts a List document (a kind ending in List, its items a block sequence under a top-level
// items key) into its head and runs of whole items of min bytes or more (group numbers the head's
// chunk). It gives nil when the document is not such a list, or its items' lines do not
// show where each item begins: the document is then read whole. The cut is checked: the head must
// parse as a List whose items key is where the lines said, and each run must parse as a sequence at the
// items' column (parseChunk), or the document is read whole.
func splitList(d chunk, min int) []chunk {
	type line struct{ off, num int }
	var (
		itemsKey   = -1 // the items key's line
		start, end = -1, len(d.data)
		indent     = -1
		items      []line // where each item begins
	)
	for pos, num := 0, 0; pos < end; num++ { // up to the first line after the items
		text := lineText(d.data, pos)
		switch content := bytes.TrimLeft(text, " "); {
		case itemsKey < 0:
			if isItemsKey(text) {
				itemsKey = num
			}
		case len(content) == 0 || content[0] == '#' || content[0] == '\r':
			// blank or a comment: part of whichever run holds it
		case content[0] == '\t':
			return nil // a tab in the indentation: leave it to the parser
		default:
			col := len(text) - len(content)
			dash := content[0] == '-' && (len(content) == 1 || content[1] == ' ' || content[1] == '\r')
			if indent < 0 {
				if !dash {
					return nil // not a block sequence
				}
				indent, start = col, pos
			}
			switch {
			case col == indent && dash:
				items = append(items, line{pos, num})
			case col <= indent:
				end = pos
			}
		}
		pos += len(text) + 1
	}
	if len(items) < 2 {
		return nil
	}
	// The head: the document without its items, whose lines after them are renumbered once parsed.
	headData := make([]byte, 0, start+len(d.data)-end)
	headData = append(append(headData, d.data[:start]...), d.data[end:]...)
	apiVersion, kind, ok := listHead(headData, itemsKey+1)
	if !ok {
		return nil
	}
	gap := bytes.Count(d.data[start:end], []byte("\n"))
	part := func(first int, last bool) *listPart {
		return &listPart{first: first, last: last, indent: indent, apiVersion: apiVersion, kind: kind, gapAfter: itemsKey + 1, gap: gap}
	}
	out := []chunk{{offset: d.offset, line: d.line, data: headData, list: part(-1, false)}}
	for i := 0; i < len(items); {
		j := i + 1
		for j < len(items) && items[j].off-items[i].off < min {
			j++
		}
		runEnd := end
		if j < len(items) {
			runEnd = items[j].off
		}
		out = append(out, chunk{offset: d.offset + items[i].off, line: d.line + items[i].num, data: d.data[items[i].off:runEnd], list: part(i, j == len(items))})
		i = j
	}
	if len(out) < 3 {
		return nil // one run: nothing to share between cores
	}
	return out
}

// lineText is the line of data that begins at off, without its line feed.
func lineText(data []byte, off int) []byte {
	text := data[off:]
	if n := bytes.IndexByte(text, '\n'); n >= 0 {
		text = text[:n]
	}
	return text
}

// isItemsKey says whether a line is a top-level items key with nothing after it but a comment.
func isItemsKey(text []byte) bool {
	rest, ok := bytes.CutPrefix(text, []byte("items:"))
	if !ok {
		return false
	}
	rest = bytes.TrimLeft(rest, " \t\r")
	return len(rest) == 0 || rest[0] == '#'
}

// listHead parses the head of a List document read in parts: a mapping whose kind ends in List, and
// whose items key, on line itemsLine (from 1), has no value (its items were left out).
func listHead(data []byte, itemsLine int) (apiVersion, kind string, ok bool) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) != 1 {
		return "", "", false
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode || root.Column != 1 {
		return "", "", false
	}
	kind = scalarAt(root, "kind")
	found := false
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == "items" {
			if found || k.Line != itemsLine || k.Column != 1 || !isNull(v) || v.Value != "" || v.Tag != "!!null" {
				return "", "", false
			}
			found = true
		}
	}
	apiVersion = scalarAt(root, "apiVersion")
	return apiVersion, kind, found && apiVersion != "" && strings.HasSuffix(kind, "List")
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
	head := c.list != nil && c.list.first < 0
	_, r.err = eachDocument(c.data, c.line, func(doc *yaml.Node) {
		if head {
			renumber(doc, c.line+c.list.gapAfter, c.list.gap)
		}
		r.docs = append(r.docs, doc)
		if len(doc.Content) > 0 && (c.list == nil || head) {
			decodeAhead(file, doc.Content[0], "", r.decoded)
		}
	})
	if r.err != nil {
		return r
	}
	if p := c.list; p != nil && p.first >= 0 {
		// A run of items: one sequence where the items were, or the list is read whole.
		if len(r.docs) != 1 || len(r.docs[0].Content) != 1 || r.docs[0].Content[0].Kind != yaml.SequenceNode || r.docs[0].Content[0].Column != p.indent+1 {
			r.err = errors.New("items do not parse on their own")
			return r
		}
		for j, it := range listItems(r.docs[0].Content[0], p.apiVersion, p.kind) {
			decodeAhead(file, it, itemPath("", p.first+j), r.decoded)
		}
	}
	return r
}

// eachDocument parses the documents of data, which begins after line lines of its file, each on its
// own, and calls f with each, up to the first that is not well-formed: its error, and the lines of the
// file before that document (an error of the YAML parser counts lines from there). A document in the part
// of YAML manifests are written in is read by fastDocument, any other by the YAML parser.
func eachDocument(data []byte, line int, f func(doc *yaml.Node)) (before int, err error) {
	for _, d := range documents(data) {
		before = line + d.line
		if doc := fastDocument(d.data); doc != nil {
			if err := finishDocument(doc, before); err != nil {
				return before, err
			}
			f(doc)
			continue
		}
		dec := yaml.NewDecoder(bytes.NewReader(d.data))
		for {
			doc := &yaml.Node{}
			err := dec.Decode(doc)
			if errors.Is(err, io.EOF) {
				break
			}
			if err == nil {
				err = finishDocument(doc, before)
			}
			if err != nil {
				return before, err
			}
			f(doc)
		}
	}
	return before, nil
}

// renumber adds by to the line of every node after line after.
func renumber(n *yaml.Node, after, by int) {
	if n.Line > after {
		n.Line += by
	}
	for _, c := range n.Content {
		renumber(c, after, by)
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
	if its, ok := listOf(n); ok {
		for i, it := range its {
			decodeAhead(file, it, itemPath(path, i), out)
		}
		return
	}
	apiVersion, kind := scalarAt(n, "apiVersion"), scalarAt(n, "kind")
	if spec, ok := kindSpecs[kind]; ok && apiVersion != "" {
		if _, unmodelled := unmodelled(apiVersion, kind); !unmodelled {
			out[n] = decodeObject(file, n, path, kind, apiVersion, spec)
		}
	}
}

// listAheadItems is how many items a List read whole needs before they are decoded ahead in parallel.
var listAheadItems = 512

// decodeListAhead decodes the items of a large List (n) on every core, the way addObject will look for
// them; nil when n is not one.
func decodeListAhead(file string, n *yaml.Node) map[*yaml.Node]*decoded {
	n = resolveAlias(n)
	if n.Kind != yaml.MappingNode {
		return nil
	}
	its, ok := listOf(n)
	if !ok || len(its) < listAheadItems {
		return nil
	}
	workers := runtime.GOMAXPROCS(0)
	parts := make([]map[*yaml.Node]*decoded, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			m := map[*yaml.Node]*decoded{}
			for i := w; i < len(its); i += workers {
				decodeAhead(file, its[i], itemPath("", i), m)
			}
			parts[w] = m
		})
	}
	wg.Wait()
	out := parts[0]
	for _, m := range parts[1:] {
		maps.Copy(out, m)
	}
	return out
}

// listOf gives the items of a List object (a mapping), with its item kind, as addObject reads them; ok
// is false for any other object, or a List whose items are not a sequence.
func listOf(n *yaml.Node) (items []*yaml.Node, ok bool) {
	apiVersion, kind := scalarAt(n, "apiVersion"), scalarAt(n, "kind")
	if its := mapGet(n, "items"); strings.HasSuffix(kind, "List") && its != nil && its.Kind == yaml.SequenceNode {
		return listItems(its, apiVersion, kind), true
	}
	return nil, false
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
	obj any
	// content is what the object says, without the server's metadata: to tell a repeat of an object
	// from another object of the same name.
	content [sha256.Size]byte
	probs   Problems
	err     error // the object could not be decoded
}

// contentOf is the digest of an object's canonical JSON, without the server's metadata.
func contentOf(n *yaml.Node) ([sha256.Size]byte, error) {
	buf := jsonBuffers.Get().(*[]byte)
	defer jsonBuffers.Put(buf)
	raw, err := appendJSON((*buf)[:0], n, withoutServerFields)
	*buf = raw
	return sha256.Sum256(raw), err
}

var jsonBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// decodeObject checks n against the kind's type, decodes and validates it. An object without a name is
// validated once the loader has named it (from its generateName).
func decodeObject(file string, n *yaml.Node, path, kind, apiVersion string, spec kindSpec) *decoded {
	d := &decoded{obj: spec.newObj()}
	(&schemaChecker{file: file, probs: &d.probs}).checkAt(n, reflect.TypeOf(d.obj), path)
	if len(d.probs.Errors()) > 0 {
		return d
	}
	if d.err = decodeInto(n, d.obj, withoutServerFields); d.err != nil {
		return d
	}
	if d.content, d.err = contentOf(n); d.err != nil {
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
