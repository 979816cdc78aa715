package model

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Most manifests are written in a small part of YAML: block mappings and sequences, one scalar per line,
// quoted or plain, short flow collections ({} and [a, b]) and literal blocks (|). fastDocument reads that
// part directly into the node tree the YAML parser would give (the same kinds, tags, styles, values,
// lines and columns; comments are not kept, as nothing reads them), several times faster. Anything
// outside it (anchors, tags, folded or indented blocks, multi-line scalars and flow collections, tabs,
// text other than ASCII, anything malformed) makes it give up on the document, which the YAML parser
// then reads: what it accepts and what it reports are the parser's.

// fastDocument parses one document (the text between two document start markers), or gives nil.
func fastDocument(data []byte) *yaml.Node {
	p := fastParser{data: data}
	return p.parse()
}

// fastReads says whether fastDocument reads data, without building its node tree: it then gives a
// tree, the YAML parser's own.
func fastReads(data []byte) bool {
	p := fastParser{data: data, check: true}
	return p.parse() != nil
}

func (p *fastParser) parse() (doc *yaml.Node) {
	if !p.split() {
		return nil
	}
	defer func() {
		if r := recover(); r != nil && r != errGiveUp {
			panic(r)
		}
	}()
	return p.document()
}

// errGiveUp unwinds the parser when the document is not in the part of YAML it reads.
var errGiveUp = &struct{ string }{"not in the fast parser's YAML"}

func giveUp() { panic(errGiveUp) }

// fline is one line of a document.
type fline struct {
	text   []byte // without its line break
	num    int    // from 1
	indent int    // leading spaces
	blank  bool   // nothing but spaces, or a comment
}

type fastParser struct {
	data    []byte
	lines   []fline
	i       int // the current line
	slab    []yaml.Node
	check   bool // only whether the document is read: every node is scratch
	scratch yaml.Node
}

// split cuts the document into lines; false when a byte is outside printable ASCII (tabs included).
func (p *fastParser) split() bool {
	for _, c := range p.data {
		if c >= 0x7f || c < 0x20 && c != '\n' && c != '\r' {
			return false
		}
	}
	data := p.data
	p.lines = make([]fline, 0, bytes.Count(data, []byte("\n"))+1)
	for num := 1; len(data) > 0; num++ {
		text := data
		if n := bytes.IndexByte(data, '\n'); n >= 0 {
			text, data = data[:n], data[n+1:]
		} else {
			data = nil
		}
		text = bytes.TrimSuffix(text, []byte("\r"))
		if bytes.IndexByte(text, '\r') >= 0 {
			return false
		}
		if marker(text, "...") || num > 1 && marker(text, "---") {
			return false // the document's end, or another document
		}
		l := fline{text: text, num: num}
		for l.indent < len(text) && text[l.indent] == ' ' {
			l.indent++
		}
		l.blank = l.indent == len(text) || text[l.indent] == '#'
		p.lines = append(p.lines, l)
	}
	return true
}

// next moves to the next line with content; false at the end.
func (p *fastParser) next() bool {
	for p.i < len(p.lines) && p.lines[p.i].blank {
		p.i++
	}
	return p.i < len(p.lines)
}

func (p *fastParser) document() *yaml.Node {
	start := 0 // the document starts at its marker, or its first node
	if len(p.lines) > 0 && marker(p.lines[0].text, "---") {
		start = 1
		if rest := bytes.TrimLeft(p.lines[0].text[3:], " "); len(rest) > 0 && rest[0] != '#' {
			giveUp() // content on the marker's line
		}
		p.i = 1
	}
	if !p.next() {
		giveUp() // an empty document
	}
	l := p.lines[p.i]
	column := 1 // the marker's, or the first node's
	if start == 0 {
		start, column = l.num, l.indent+1
	}
	doc := p.node(yaml.Node{Kind: yaml.DocumentNode, Line: start, Column: column})
	switch c := l.text[l.indent]; {
	case l.indent == 0 && (c == '{' || c == '['):
		doc.Content = []*yaml.Node{p.json()}
	case l.indent > 0 && c != '-':
		giveUp() // an indented document is read here only as a List's indented items (a sequence)
	default:
		doc.Content = []*yaml.Node{p.block(l.indent)}
	}
	if p.next() {
		giveUp() // a line the document's node did not take
	}
	return doc
}

// json reads a JSON document (kubectl get -o json), which YAML reads as flow collections over many lines:
// objects and arrays, double-quoted strings, numbers, true, false and null, with a key's colon and value
// on the key's line (as every JSON writer puts them). Its nodes are the YAML parser's: flow style,
// quoted strings, other scalars tagged as the parser resolves them.
func (p *fastParser) json() *yaml.Node {
	c := 0 // the column on the current line
	// space moves past spaces and line ends to the next character; along says it must be on this line.
	space := func(along bool) {
		for {
			text := p.lines[p.i].text
			for c < len(text) && text[c] == ' ' {
				c++
			}
			if c < len(text) {
				if text[c] == '#' {
					giveUp() // a comment: not JSON
				}
				return
			}
			if along || p.i+1 == len(p.lines) {
				giveUp()
			}
			p.i, c = p.i+1, 0
		}
	}
	var value func() *yaml.Node
	value = func() *yaml.Node {
		text := p.lines[p.i].text
		switch text[c] {
		case '"':
			n, end := p.quoted(c)
			c = end
			return n
		case '{', '[':
			open, closer := text[c], byte(']')
			n := p.node(yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle, Line: p.lines[p.i].num, Column: c + 1})
			if open == '{' {
				n.Kind, n.Tag, closer = yaml.MappingNode, "!!map", '}'
			}
			c++
			space(false)
			if p.lines[p.i].text[c] == closer {
				c++
				return n
			}
			for {
				if open == '{' {
					if p.lines[p.i].text[c] != '"' {
						giveUp() // JSON keys are strings
					}
					k := c
					key := value()
					if c-k > maxKey {
						giveUp()
					}
					space(true)
					if p.lines[p.i].text[c] != ':' {
						giveUp()
					}
					c++
					space(true)
					n.Content = append(n.Content, key)
				}
				n.Content = append(n.Content, value())
				space(false)
				switch p.lines[p.i].text[c] {
				case closer:
					c++
					return n
				case ',':
					c++
					space(false)
				default:
					giveUp()
				}
			}
		}
		end := c
		for end < len(text) && !strChr(" ,]}", text[end]) {
			end++
		}
		if !jsonLiteral(text[c:end]) {
			giveUp() // YAML's plain scalars, which JSON does not have
		}
		n := p.plain(text[c:end], c)
		c = end
		return n
	}
	n := value()
	if rest := p.lines[p.i].text[c:]; len(bytes.TrimLeft(rest, " ")) > 0 {
		giveUp()
	}
	p.i++
	return n
}

// jsonLiteral says whether s is a JSON number, true, false or null.
func jsonLiteral(s []byte) bool {
	switch string(s) {
	case "true", "false", "null":
		return true
	}
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - j
	}
	switch n := digits(); {
	case n == 0, n > 1 && s[i-n] == '0':
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// block reads the mapping or sequence whose first line is the current one, at indent n.
func (p *fastParser) block(n int) *yaml.Node {
	l := p.lines[p.i]
	if isDash(l.text[n:]) {
		return p.sequence(n)
	}
	return p.mapping(n, n)
}

func isDash(s []byte) bool { return len(s) > 0 && s[0] == '-' && (len(s) == 1 || s[1] == ' ') }

// sequence reads the entries at indent n from the current line.
func (p *fastParser) sequence(n int) *yaml.Node {
	seq := p.node(yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: p.lines[p.i].num, Column: n + 1})
	for p.next() {
		l := p.lines[p.i]
		if l.indent < n {
			break
		}
		if l.indent > n || !isDash(l.text[n:]) {
			if l.indent == n {
				break // a key after an indentless sequence
			}
			giveUp()
		}
		at := n + 1
		for at < len(l.text) && l.text[at] == ' ' {
			at++
		}
		switch rest := l.text[at:]; {
		case len(rest) == 0 || rest[0] == '#':
			giveUp() // the entry on the next lines, or null
		case isDash(rest):
			giveUp() // a sequence in a sequence on one line
		case p.isKey(rest):
			seq.Content = append(seq.Content, p.mapping(at, at))
		default:
			seq.Content = append(seq.Content, p.inline(at, n))
		}
	}
	return seq
}

// mapping reads the entries at indent n; the first key is at column first of the current line (after
// a sequence entry's dash, first may differ from the line's indent).
func (p *fastParser) mapping(n, first int) *yaml.Node {
	m := p.node(yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: p.lines[p.i].num, Column: first + 1})
	at := first
	for {
		l := p.lines[p.i]
		key, colon := p.key(at)
		m.Content = append(m.Content, key)
		at = colon + 1
		for at < len(l.text) && l.text[at] == ' ' {
			at++
		}
		if at < len(l.text) && l.text[at] != '#' {
			if at == colon+1 {
				giveUp() // no space after the colon
			}
			m.Content = append(m.Content, p.inline(at, n))
		} else {
			p.i++
			switch {
			case !p.next():
				giveUp() // an empty value at the end
			case p.lines[p.i].indent > n:
				m.Content = append(m.Content, p.block(p.lines[p.i].indent))
			case p.lines[p.i].indent == n && isDash(p.lines[p.i].text[n:]):
				m.Content = append(m.Content, p.sequence(n)) // indentless, as kubectl writes it
			default:
				giveUp() // an empty value
			}
		}
		if !p.next() || p.lines[p.i].indent < n {
			return m
		}
		if p.lines[p.i].indent > n || !p.isKey(p.lines[p.i].text[n:]) {
			giveUp()
		}
		at = n
	}
}

// isKey says whether s begins with a key and its colon.
func (p *fastParser) isKey(s []byte) bool {
	switch {
	case len(s) == 0:
		return false
	case s[0] == '"' || s[0] == '\'':
		end := closingQuote(s)
		return end > 0 && end+1 < len(s) && s[end+1] == ':'
	}
	i := plainKeyEnd(s)
	return i > 0
}

// plainKeyEnd is the index of the colon ending a plain key at the start of s, or -1.
func plainKeyEnd(s []byte) int {
	if !plainStart(s) {
		return -1
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case ':':
			if i+1 == len(s) || s[i+1] == ' ' {
				if s[i-1] == ' ' {
					return -1 // a space before the colon
				}
				return i
			}
		case '#':
			if s[i-1] == ' ' {
				return -1
			}
		}
	}
	return -1
}

// plainStart says whether a plain scalar may begin s (in either context, to keep it simple): not with
// an indicator, but with a dash followed by anything but a space or a flow indicator (-1, --flag).
func plainStart(s []byte) bool {
	if len(s) == 0 {
		return false
	}
	switch c := s[0]; c {
	case '-':
		return len(s) > 1 && !strChr(" ,[]{}", s[1])
	case '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', ' ':
		return false
	}
	return true
}

// maxKey is a little under the longest key the YAML parser accepts (1,024 characters to the colon).
const maxKey = 1000

// key reads the key at column at of the current line; colon is the column of its colon.
func (p *fastParser) key(at int) (key *yaml.Node, colon int) {
	key, colon = p.keyAt(at)
	if colon-at > maxKey {
		giveUp()
	}
	return key, colon
}

func (p *fastParser) keyAt(at int) (key *yaml.Node, colon int) {
	text := p.lines[p.i].text
	s := text[at:]
	if s[0] == '"' || s[0] == '\'' {
		key, end := p.quoted(at)
		if end >= len(text) || text[end] != ':' {
			giveUp()
		}
		return key, end
	}
	end := plainKeyEnd(s)
	if end < 0 {
		giveUp()
	}
	return p.plain(s[:end], at), at + end
}

// plain is a plain scalar at column at of the current line, tagged as the YAML parser resolves it.
func (p *fastParser) plain(b []byte, at int) *yaml.Node {
	if string(b) == "<<" {
		giveUp() // a merge key
	}
	if p.check {
		return p.node(yaml.Node{})
	}
	v, ok := commonWords[string(b)]
	if !ok {
		v = string(b)
	}
	n := p.node(yaml.Node{Kind: yaml.ScalarNode, Value: v, Line: p.lines[p.i].num, Column: at + 1})
	if v == "" || mayResolve[v[0]] {
		n.Tag = n.ShortTag() // the parser's own resolution: null, bool, int, float, timestamp or str
	} else {
		n.Tag = "!!str"
	}
	return n
}

// mayResolve are the first characters of the plain scalars the YAML parser may resolve to another tag
// than !!str (numbers, timestamps, null, true, false, .inf).
var mayResolve = func() (t [256]bool) {
	for _, c := range "+-0123456789yYnNtTfFoO~." {
		t[c] = true
	}
	return t
}()

// commonWords are the keys and values manifests repeat, shared rather than allocated for each.
var commonWords = func() map[string]string {
	m := map[string]string{}
	for _, w := range strings.Fields(`apiVersion kind metadata name namespace labels annotations spec status
		selector matchLabels matchExpressions template containers image ports port containerPort protocol TCP
		UDP SCTP podSelector namespaceSelector policyTypes Ingress Egress ingress egress from to ipBlock cidr
		except key operator values In NotIn Exists DoesNotExist app tier v1 apps/v1 networking.k8s.io/v1
		Deployment Pod Namespace Service NetworkPolicy StatefulSet DaemonSet replicas targetPort nodeName
		hostNetwork resources limits requests cpu memory env value args command volumeMounts volumes`) {
		m[w] = w
	}
	return m
}()

// node allocates a node from the parser's slab: a document's nodes live and die together.
func (p *fastParser) node(n yaml.Node) *yaml.Node {
	if p.check {
		p.scratch.Content = p.scratch.Content[:0]
		return &p.scratch
	}
	if len(p.slab) == cap(p.slab) {
		p.slab = make([]yaml.Node, 0, max(16, 2*(len(p.lines)-p.i))) // a line has a key and a value, mostly
	}
	p.slab = append(p.slab, n)
	return &p.slab[len(p.slab)-1]
}

// inline reads the value that begins at column at of the current line, in a node at indent n, and moves
// past it.
func (p *fastParser) inline(at, n int) *yaml.Node {
	l := p.lines[p.i]
	s := l.text[at:]
	var v *yaml.Node
	end := 0
	switch s[0] {
	case '"', '\'':
		v, end = p.quoted(at)
	case '[', '{':
		v, end = p.flow(at)
	case '|':
		return p.literal(at, n)
	default:
		if !plainStart(s) {
			giveUp()
		}
		end = len(l.text)
		for i := 1; i < len(s); i++ {
			if s[i] == '#' && s[i-1] == ' ' {
				end = at + i
				break
			}
			if s[i] == ':' && (i+1 == len(s) || s[i+1] == ' ') {
				giveUp() // a mapping where a scalar was expected
			}
		}
		for end > at && l.text[end-1] == ' ' {
			end--
		}
		v = p.plain(l.text[at:end], at)
	}
	p.rest(end)
	p.i++
	if p.next() && p.lines[p.i].indent > n {
		giveUp() // a scalar going on over the next lines
	}
	return v
}

// rest checks that nothing but spaces and a comment follows column end of the current line.
func (p *fastParser) rest(end int) {
	text := p.lines[p.i].text
	i := end
	for i < len(text) && text[i] == ' ' {
		i++
	}
	if i < len(text) && (text[i] != '#' || i == end) {
		giveUp()
	}
}

// closingQuote is the index in s of the quote closing the quoted scalar s begins with, or -1.
func closingQuote(s []byte) int {
	q := s[0]
	for i := 1; i < len(s); i++ {
		switch {
		case q == '"' && s[i] == '\\':
			i++
		case s[i] == q && q == '\'' && i+1 < len(s) && s[i+1] == '\'':
			i++
		case s[i] == q:
			return i
		}
	}
	return -1
}

// quoted reads the quoted scalar at column at of the current line; end is the column after it.
func (p *fastParser) quoted(at int) (*yaml.Node, int) {
	text := p.lines[p.i].text
	s := text[at:]
	c := closingQuote(s)
	if c < 0 {
		giveUp() // on the next lines
	}
	body := s[1:c]
	n := p.node(yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Line: p.lines[p.i].num, Column: at + 1})
	if s[0] == '\'' {
		n.Style = yaml.SingleQuotedStyle
		n.Value = string(bytes.ReplaceAll(body, []byte("''"), []byte("'")))
	} else {
		n.Style = yaml.DoubleQuotedStyle
		n.Value = unescape(body)
	}
	return n, at + c + 1
}

// unescape reads the escapes of a double-quoted scalar; any but the common ones give up.
func unescape(body []byte) string {
	if bytes.IndexByte(body, '\\') < 0 {
		return string(body)
	}
	out := make([]byte, 0, len(body))
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' {
			out = append(out, body[i])
			continue
		}
		i++
		switch body[i] {
		case '\\', '"':
			out = append(out, body[i])
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case 'r':
			out = append(out, '\r')
		case '0':
			out = append(out, 0)
		case 'x', 'u':
			width := 2
			if body[i] == 'u' {
				width = 4
			}
			if i+width >= len(body) {
				giveUp()
			}
			r, err := strconv.ParseUint(string(body[i+1:i+1+width]), 16, 32)
			if err != nil || r >= 0xd800 && r < 0xe000 {
				giveUp()
			}
			out = utf8.AppendRune(out, rune(r))
			i += width
		default:
			giveUp()
		}
	}
	return string(out)
}

// flow reads a flow collection that ends on the current line, at column at; end is the column after it.
func (p *fastParser) flow(at int) (*yaml.Node, int) {
	text := p.lines[p.i].text
	skip := func(i int) int {
		for i < len(text) && text[i] == ' ' {
			i++
		}
		if i >= len(text) || text[i] == '#' {
			giveUp() // going on over the next lines, or a comment inside
		}
		return i
	}
	var node func(i int, key bool) (*yaml.Node, int)
	node = func(i int, key bool) (*yaml.Node, int) {
		switch text[i] {
		case '"', '\'':
			return p.quoted(i)
		case '[', '{':
			if key {
				giveUp()
			}
			open, closer := text[i], byte(']')
			n := p.node(yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle, Line: p.lines[p.i].num, Column: i + 1})
			if open == '{' {
				n.Kind, n.Tag, closer = yaml.MappingNode, "!!map", '}'
			}
			j := skip(i + 1)
			if text[j] == closer {
				return n, j + 1
			}
			for {
				var v *yaml.Node
				k := j
				v, j = node(j, open == '{')
				n.Content = append(n.Content, v)
				if open == '{' {
					if j-k > maxKey {
						giveUp()
					}
					if j+1 >= len(text) || text[j] != ':' || text[j+1] != ' ' {
						giveUp()
					}
					v, j = node(skip(j+1), false)
					n.Content = append(n.Content, v)
				}
				j = skip(j)
				switch text[j] {
				case closer:
					return n, j + 1
				case ',':
					if j = skip(j + 1); text[j] == closer {
						giveUp() // a trailing comma
					}
				default:
					giveUp()
				}
			}
		}
		if !plainStart(text[i:]) {
			giveUp()
		}
		j := i
		for j < len(text) {
			c := text[j]
			if c == ',' || c == '[' || c == ']' || c == '{' || c == '}' || c == '#' && text[j-1] == ' ' {
				break
			}
			if c == '?' {
				giveUp() // the YAML parser ends a plain scalar there, and fails
			}
			if c == ':' && (j+1 == len(text) || strChr(" ,[]{}", text[j+1])) {
				break
			}
			j++
		}
		end := j
		for end > i && text[end-1] == ' ' {
			end--
		}
		if end == i {
			giveUp()
		}
		return p.plain(text[i:end], i), end
	}
	return node(at, false)
}

func strChr(set string, c byte) bool { return bytes.IndexByte([]byte(set), c) >= 0 }

// literal reads a literal block scalar (| or |-) whose indicator is at column at of the current line,
// in a node at indent n.
func (p *fastParser) literal(at, n int) *yaml.Node {
	l := p.lines[p.i]
	head := l.text[at+1:]
	strip := len(head) > 0 && head[0] == '-'
	if strip {
		head = head[1:]
	}
	if len(head) > 0 && head[0] != ' ' {
		giveUp() // keep (+), an indentation indicator, or something else
	}
	p.rest(len(l.text) - len(head))
	v := p.node(yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.LiteralStyle, Line: l.num, Column: at + 1})
	p.i++
	if p.i >= len(p.lines) {
		giveUp()
	}
	first := p.lines[p.i]
	indent := first.indent
	if indent <= n || indent == len(first.text) {
		giveUp() // empty, or beginning with a blank line
	}
	var b []byte
	blanks := 0 // blank lines not yet known to be inside the scalar
	for ; p.i < len(p.lines); p.i++ {
		t := p.lines[p.i].text
		if p.lines[p.i].indent == len(t) { // nothing but spaces
			if len(t) > indent {
				giveUp() // spaces that would be content
			}
			blanks++ // an empty line: inside the scalar if content follows
			continue
		}
		if p.lines[p.i].indent < indent {
			break
		}
		if p.i == len(p.lines)-1 && !bytes.HasSuffix(p.data, []byte("\n")) {
			giveUp() // the scalar ends the document without a line break
		}
		for ; blanks > 0; blanks-- {
			b = append(b, '\n')
		}
		b = append(append(b, t[indent:]...), '\n')
	}
	if !strip {
		v.Value = string(b) // clip: the content's last line break
	} else {
		v.Value = string(bytes.TrimSuffix(b, []byte("\n")))
	}
	if p.next() && p.lines[p.i].indent > n {
		giveUp()
	}
	return v
}
