package model

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The API server reads manifests the way kubectl sends them: YAML 1.1 (through sigs.k8s.io/yaml), then
// strict JSON decoding into typed structs. These helpers do the same, but walk the YAML node tree so every
// problem carries its line, and they keep going after the first problem.

// yaml11Bools are the plain scalars that YAML 1.1 reads as booleans while YAML 1.2 reads them as strings.
var yaml11Bools = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
	"n": false, "N": false, "no": false, "No": false, "NO": false, "off": false, "Off": false, "OFF": false,
}

// isYAML11Bool says whether s is one of yaml11Bools, without a map look-up for the many scalars that
// cannot be.
func isYAML11Bool(s string) bool {
	if len(s) == 0 || len(s) > 3 {
		return false
	}
	switch s[0] {
	case 'y', 'Y', 'n', 'N', 'o', 'O':
		_, ok := yaml11Bools[s]
		return ok
	}
	return false
}

// scalarKind is what a YAML scalar is, as YAML 1.1 would read it.
type scalarKind int

const (
	scalarString scalarKind = iota
	scalarInt
	scalarFloat
	scalarBool
	scalarNull
)

func (k scalarKind) String() string {
	return [...]string{"string", "integer", "number", "boolean", "null"}[k]
}

func classify(n *yaml.Node) scalarKind {
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return scalarString
	}
	if n.Tag == "!!str" && isYAML11Bool(n.Value) {
		return scalarBool
	}
	switch n.ShortTag() {
	case "!!int":
		return scalarInt
	case "!!float":
		return scalarFloat
	case "!!bool":
		return scalarBool
	case "!!null":
		return scalarNull
	}
	return scalarString
}

// resolveAlias follows YAML aliases so anchors behave like copies.
func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// keyString is a mapping key as kubectl sends it: YAML 1.1 reads an unquoted on, yes, y ... as a boolean,
// which becomes the key "true" or "false".
func keyString(k *yaml.Node) string {
	if k.Kind == yaml.ScalarNode && classify(k) == scalarBool {
		if b, ok := yaml11Bools[k.Value]; ok {
			return strconv.FormatBool(b)
		}
	}
	return k.Value
}

// appendJSON appends the JSON kubectl would send for a YAML node: YAML 1.1 scalars (through
// sigs.k8s.io/yaml), mapping keys sorted, a repeated key's last value winning. It writes the JSON text
// directly, without building the value in between, since every manifest of a large cluster passes here.
// A keyFilter leaves keys of a mapping out (drop), or filters the keys of their value with inner.
type keyFilter func(key string, v *yaml.Node) (drop bool, inner keyFilter)

// apply asks the filter about a key; no filter keeps every key.
func (f keyFilter) apply(key string, v *yaml.Node) (drop bool, inner keyFilter) {
	if f == nil {
		return false, nil
	}
	return f(key, v)
}

func appendJSON(buf []byte, n *yaml.Node, skip keyFilter) ([]byte, error) {
	n = resolveAlias(n)
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return append(buf, "null"...), nil
		}
		return appendJSON(buf, n.Content[0], skip)
	case yaml.MappingNode:
		return appendMapping(buf, n, skip)
	case yaml.SequenceNode:
		buf = append(buf, '[')
		for i, c := range n.Content {
			if i > 0 {
				buf = append(buf, ',')
			}
			var err error
			if buf, err = appendJSON(buf, c, nil); err != nil {
				return buf, err
			}
		}
		return append(buf, ']'), nil
	}
	switch classify(n) {
	case scalarBool:
		b, ok := yaml11Bools[n.Value]
		if !ok {
			b, _ = strconv.ParseBool(strings.ToLower(n.Value))
		}
		return strconv.AppendBool(buf, b), nil
	case scalarInt:
		if i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil {
			return strconv.AppendInt(buf, i, 10), nil
		}
		num, err := json.Marshal(json.Number(n.Value)) // beyond int64: kept as written when JSON allows it
		return append(buf, num...), err
	case scalarFloat:
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return appendJSONString(buf, n.Value), nil
		}
		num, err := json.Marshal(f)
		return append(buf, num...), err
	case scalarNull:
		return append(buf, "null"...), nil
	}
	return appendJSONString(buf, n.Value), nil
}

// appendMapping writes a mapping's pairs sorted by key, the last of repeated keys, leaving out those
// skip names.
func appendMapping(buf []byte, n *yaml.Node, skip keyFilter) ([]byte, error) {
	type pair struct {
		key string
		v   *yaml.Node
	}
	pairs := make([]pair, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		pairs = append(pairs, pair{keyString(resolveAlias(n.Content[i])), n.Content[i+1]})
	}
	slices.SortStableFunc(pairs, func(a, b pair) int { return strings.Compare(a.key, b.key) })
	buf = append(buf, '{')
	first := true
	for i, p := range pairs {
		if i+1 < len(pairs) && pairs[i+1].key == p.key {
			continue // a later value of the same key wins
		}
		drop, inner := skip.apply(p.key, p.v)
		if drop {
			continue
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = appendJSONString(buf, p.key)
		buf = append(buf, ':')
		var err error
		if buf, err = appendJSON(buf, p.v, inner); err != nil {
			return buf, err
		}
	}
	return append(buf, '}'), nil
}

// appendJSONString writes s as a JSON string; invalid UTF-8 becomes U+FFFD, as encoding/json does.
func appendJSONString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				buf = append(buf, '\\', c)
			case c < 0x20:
				buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				buf = append(buf, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, `\ufffd`...)
		} else {
			buf = append(buf, s[i:i+size]...)
		}
		i += size
	}
	return append(buf, '"')
}

// mapGet returns the value node of key in a mapping node, or nil.
func mapGet(n *yaml.Node, key string) *yaml.Node {
	n = resolveAlias(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if resolveAlias(n.Content[i]).Value == key {
			return resolveAlias(n.Content[i+1])
		}
	}
	return nil
}

// has reports whether the path of keys and indexes is present in the document (a field given, even if
// empty or null), for the fields a schema marks required.
func has(n *yaml.Node, path ...any) bool {
	n = resolveAlias(n)
	for _, p := range path {
		if n == nil {
			return false
		}
		switch k := p.(type) {
		case string:
			n = mapGet(n, k)
		case int:
			if n.Kind != yaml.SequenceNode || k < 0 || k >= len(n.Content) {
				return false
			}
			n = resolveAlias(n.Content[k])
		}
	}
	return n != nil
}

// lineAt follows a path of keys and indexes ("spec", "ingress", 0) and returns the line of the deepest node
// found on the way, so a problem always points as close to its field as the input allows.
func lineAt(n *yaml.Node, path ...any) int {
	n = resolveAlias(n)
	if n == nil {
		return 0
	}
	line := n.Line
	for _, p := range path {
		var next *yaml.Node
		switch k := p.(type) {
		case string:
			next = mapGet(n, k)
		case int:
			if n.Kind == yaml.SequenceNode && k >= 0 && k < len(n.Content) {
				next = resolveAlias(n.Content[k])
			}
		}
		if next == nil {
			return line
		}
		n = next
		line = n.Line
	}
	return line
}

// schemaChecker reports unknown fields and type mismatches against a Go API type, all of them.
type schemaChecker struct {
	file  string
	probs *Problems
	base  string     // the path of the checked node
	steps []pathStep // from base to the field being checked, written out only for a problem
}

// pathStep is a field or key (name), or a list item (index, when name is "").
type pathStep struct {
	name  string
	index int
}

// path is the field being checked.
func (c *schemaChecker) path() string {
	p := c.base
	for _, s := range c.steps {
		if s.name == "" {
			p = fmt.Sprintf("%s[%d]", p, s.index)
		} else {
			p = joinPath(p, s.name)
		}
	}
	return p
}

func (c *schemaChecker) add(n *yaml.Node, msg string) {
	*c.probs = append(*c.probs, Problem{File: c.file, Line: n.Line, Field: c.path(), Message: msg})
}

// addField reports a problem of the field whose key is k, below the field being checked.
func (c *schemaChecker) addField(k *yaml.Node, msg string) {
	c.steps = append(c.steps, pathStep{name: k.Value})
	c.add(k, msg)
	c.steps = c.steps[:len(c.steps)-1]
}

// checkStep checks n as the step s below the field being checked.
func (c *schemaChecker) checkStep(n *yaml.Node, t reflect.Type, s pathStep) {
	c.steps = append(c.steps, s)
	c.check(n, t)
	c.steps = c.steps[:len(c.steps)-1]
}

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	intOrStringType = reflect.TypeFor[intstr.IntOrString]()
	quantityType    = reflect.TypeFor[resource.Quantity]()
	timeType        = reflect.TypeFor[metav1.Time]()
)

func (c *schemaChecker) check(n *yaml.Node, t reflect.Type) {
	n = resolveAlias(n)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.ScalarNode && classify(n) == scalarNull {
		return
	}
	switch t {
	case intOrStringType:
		if n.Kind == yaml.ScalarNode && classify(n) == scalarFloat {
			if f, err := strconv.ParseFloat(n.Value, 64); err == nil && f == math.Trunc(f) {
				return // 80.0: the API server reads the number 80
			}
		}
		c.scalarOf(n, "integer or string", scalarInt, scalarString)
		return
	case quantityType:
		before := len(*c.probs)
		c.scalarOf(n, "quantity", scalarInt, scalarFloat, scalarString)
		if len(*c.probs) == before {
			if _, err := resource.ParseQuantity(n.Value); err != nil {
				c.add(n, fmt.Sprintf("invalid quantity %q: a number with an optional suffix, like 100Gi, 500m or 2", n.Value))
			}
		}
		return
	case timeType:
		c.scalarOf(n, "timestamp string", scalarString)
		return
	}
	if decoderOf(t) == jsonUnmarshaler {
		return // other custom types decode themselves; json.Unmarshal reports their problems
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			c.add(n, "expected an object, got "+nodeKind(n))
			return
		}
		fields := jsonFields(t)
		var seen map[string]bool
		if len(n.Content) > 64 {
			seen = map[string]bool{} // more keys than a type has fields: comparing them all would cost more
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := resolveAlias(n.Content[i]), n.Content[i+1]
			dup := seen[k.Value]
			if seen == nil {
				dup = repeats(n, i)
			}
			if dup {
				c.addField(k, "duplicate field")
			}
			if seen != nil {
				seen[k.Value] = true
			}
			ft, ok := fields[k.Value]
			if !ok {
				c.addField(k, fmt.Sprintf("unknown field %q", k.Value))
				continue
			}
			c.checkStep(v, ft, pathStep{name: k.Value})
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			c.add(n, "expected an object, got "+nodeKind(n))
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := resolveAlias(n.Content[i])
			if k.Kind == yaml.ScalarNode && classify(k) == scalarBool {
				*c.probs = append(*c.probs, Problem{File: c.file, Line: k.Line, Field: c.path(), Severity: Warning, Message: fmt.Sprintf(
					"key %q is a boolean in YAML 1.1, as kubectl and the API server read it: it is stored as %q; quote it to mean %q", k.Value, keyString(k), k.Value)})
			}
			c.checkStep(n.Content[i+1], t.Elem(), pathStep{name: keyString(k)})
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			c.scalarOf(n, "base64 string", scalarString)
			return
		}
		if n.Kind != yaml.SequenceNode {
			c.add(n, "expected a list, got "+nodeKind(n))
			return
		}
		for i, e := range n.Content {
			c.checkStep(e, t.Elem(), pathStep{index: i})
		}
	case reflect.String:
		c.scalarOf(n, "string", scalarString)
	case reflect.Bool:
		c.scalarOf(n, "boolean", scalarBool)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		c.scalarOf(n, "integer", scalarInt)
	case reflect.Float32, reflect.Float64:
		c.scalarOf(n, "number", scalarInt, scalarFloat)
	}
}

// repeats says whether the key at index i of mapping n is one of the keys before it. An object has a
// handful of fields: comparing them costs less than filling a map.
func repeats(n *yaml.Node, i int) bool {
	k := resolveAlias(n.Content[i]).Value
	for j := 0; j < i; j += 2 {
		if resolveAlias(n.Content[j]).Value == k {
			return true
		}
	}
	return false
}

// scalarOf checks that n is a scalar of one of the wanted kinds and explains YAML 1.1 surprises.
func (c *schemaChecker) scalarOf(n *yaml.Node, want string, kinds ...scalarKind) {
	if n.Kind != yaml.ScalarNode {
		c.add(n, fmt.Sprintf("expected %s, got %s", want, nodeKind(n)))
		return
	}
	got := classify(n)
	for _, k := range kinds {
		if k == got {
			return
		}
	}
	if _, ok := yaml11Bools[n.Value]; ok && got == scalarBool && n.Tag == "!!str" {
		c.add(n, fmt.Sprintf("unquoted %q is a boolean in YAML 1.1, as kubectl and the API server read it; quote it (\"%s\")", n.Value, n.Value))
		return
	}
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		c.add(n, fmt.Sprintf("expected %s, got the quoted string %q (write it without quotes)", want, n.Value))
		return
	}
	c.add(n, fmt.Sprintf("expected %s, got %s %q (quote it if a string is meant)", want, got, n.Value))
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "an object"
	case yaml.SequenceNode:
		return "a list"
	}
	return classify(n).String() + " " + strconv.Quote(n.Value)
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var fieldCache sync.Map // reflect.Type -> map[string]reflect.Type

// jsonFields maps the JSON names of a struct's fields (inline structs flattened) to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if v, ok := fieldCache.Load(t); ok {
		return v.(map[string]reflect.Type)
	}
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" && opts == "" {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					out[k] = v
				}
				continue
			}
		}
		if strings.Contains(opts, "inline") {
			for k, v := range jsonFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	fieldCache.Store(t, out)
	return out
}
