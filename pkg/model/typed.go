package model

import (
	"encoding"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Decoding a checked YAML node into a typed object. The API server decodes the JSON kubectl sends with
// encoding/json semantics; decodeInto gives exactly that result, but writes the values straight from the
// node tree for the shapes Kubernetes types have (structs of json-tagged fields, maps with string keys,
// slices, strings, booleans, integers, IntOrString), which is several times cheaper than writing JSON text
// and reading it back. Whatever else a type holds (floats, interfaces, []byte, custom decoders) goes through
// encoding/json for that value alone. Should the direct way meet anything it does not read exactly as
// encoding/json would (a number out of range, a value of the wrong shape), the whole object is decoded
// through JSON instead, so results and error messages stay encoding/json's own.

// errViaJSON says the direct decoder leaves the object to encoding/json.
var errViaJSON = errors.New("decoded through JSON")

var textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()

// decodeInto decodes a checked YAML node into obj, as the API server would decode the JSON kubectl sends,
// leaving out the keys skip names.
func decodeInto(n *yaml.Node, obj any, skip keyFilter) error {
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return errors.New("decodeInto needs a non-nil pointer")
	}
	if err := decodeValue(n, v.Elem(), skip); err == nil {
		return nil
	}
	v.Elem().SetZero()
	raw, err := appendJSON(nil, n, skip)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, obj)
}

// decodeValue writes the value of n into v (addressable), or returns errViaJSON.
func decodeValue(n *yaml.Node, v reflect.Value, skip keyFilter) error {
	n = resolveAlias(n)
	if n.Kind == yaml.ScalarNode && classify(n) == scalarNull {
		switch v.Kind() {
		case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
			v.SetZero()
			return nil
		}
		if u, ok := v.Addr().Interface().(json.Unmarshaler); ok {
			return viaJSONError(u.UnmarshalJSON([]byte("null")))
		}
		return nil // null leaves any other value as it is
	}
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	t := v.Type()
	switch decoderOf(t) {
	case intOrString:
		return decodeIntOrString(n, v)
	case jsonUnmarshaler:
		raw, err := appendJSON(nil, n, skip)
		if err != nil {
			return errViaJSON
		}
		return viaJSONError(v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(raw))
	case textUnmarshaler:
		return decodeSubtree(n, v, skip)
	}
	switch t.Kind() {
	case reflect.Struct:
		return decodeStruct(n, v, skip)
	case reflect.Map:
		return decodeMap(n, v, skip)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return decodeSubtree(n, v, skip) // base64
		}
		if n.Kind != yaml.SequenceNode {
			return errViaJSON
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, e := range n.Content {
			if err := decodeValue(e, s.Index(i), nil); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.String:
		if n.Kind != yaml.ScalarNode || classify(n) != scalarString || !utf8.ValidString(n.Value) {
			return errViaJSON
		}
		v.SetString(n.Value)
		return nil
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || classify(n) != scalarBool {
			return errViaJSON
		}
		b, ok := yaml11Bools[n.Value]
		if !ok {
			var err error
			if b, err = strconv.ParseBool(strings.ToLower(n.Value)); err != nil {
				return errViaJSON
			}
		}
		v.SetBool(b)
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, ok := intScalar(n)
		if !ok || v.OverflowInt(i) {
			return errViaJSON
		}
		v.SetInt(i)
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		i, ok := intScalar(n)
		if !ok || i < 0 || v.OverflowUint(uint64(i)) {
			return errViaJSON
		}
		v.SetUint(uint64(i))
		return nil
	case reflect.Float32, reflect.Float64, reflect.Interface:
		return decodeSubtree(n, v, skip)
	}
	return errViaJSON
}

// customDecoder is how a type decodes itself, if it does.
type customDecoder int

const (
	noCustomDecoder customDecoder = iota
	intOrString                   // read directly
	jsonUnmarshaler               // UnmarshalJSON
	textUnmarshaler               // UnmarshalText, through encoding/json
)

var customDecoders sync.Map // reflect.Type -> customDecoder

// decoderOf says how a type decodes itself; asking reflect costs more than a map look-up, and every value
// of every object asks.
func decoderOf(t reflect.Type) customDecoder {
	if d, ok := customDecoders.Load(t); ok {
		return d.(customDecoder)
	}
	d := noCustomDecoder
	switch pt := reflect.PointerTo(t); {
	case t == intOrStringType:
		d = intOrString
	case pt.Implements(unmarshalerType):
		d = jsonUnmarshaler
	case pt.Implements(textUnmarshalerType):
		d = textUnmarshaler
	}
	customDecoders.Store(t, d)
	return d
}

// intScalar is an integer scalar as appendJSON writes it, when it fits in an int64.
func intScalar(n *yaml.Node) (int64, bool) {
	if n.Kind != yaml.ScalarNode || classify(n) != scalarInt {
		return 0, false
	}
	i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
	return i, err == nil
}

// decodeIntOrString reads a port or target port: an integer that fits in int32, or a string.
func decodeIntOrString(n *yaml.Node, v reflect.Value) error {
	if n.Kind != yaml.ScalarNode {
		return errViaJSON
	}
	switch classify(n) {
	case scalarInt:
		if i, ok := intScalar(n); ok && int64(int32(i)) == i {
			v.Set(reflect.ValueOf(intstr.FromInt32(int32(i))))
			return nil
		}
	case scalarString:
		if utf8.ValidString(n.Value) {
			v.Set(reflect.ValueOf(intstr.FromString(n.Value)))
			return nil
		}
	}
	return errViaJSON
}

// decodeSubtree decodes one value through its JSON text.
func decodeSubtree(n *yaml.Node, v reflect.Value, skip keyFilter) error {
	raw, err := appendJSON(nil, n, skip)
	if err != nil {
		return errViaJSON
	}
	return viaJSONError(json.Unmarshal(raw, v.Addr().Interface()))
}

func viaJSONError(err error) error {
	if err != nil {
		return errViaJSON
	}
	return nil
}

func decodeStruct(n *yaml.Node, v reflect.Value, skip keyFilter) error {
	if n.Kind != yaml.MappingNode {
		return errViaJSON
	}
	fields := typedFields(v.Type())
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := keyString(resolveAlias(n.Content[i]))
		drop, inner := skip.apply(key, n.Content[i+1])
		if drop {
			continue
		}
		f, ok := fields.byName[key]
		if !ok {
			if fields.folds(key) {
				return errViaJSON // encoding/json would match it regardless of case
			}
			continue // ignored, as encoding/json does (the checker has warned about it)
		}
		if f.viaJSON {
			return errViaJSON
		}
		fv, ok := fieldByIndex(v, f.index)
		if !ok {
			return errViaJSON
		}
		if err := decodeValue(n.Content[i+1], fv, inner); err != nil {
			return err
		}
	}
	return nil
}

// fieldByIndex is the field at index, allocating embedded pointers on the way.
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				if !v.CanSet() {
					return v, false
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

func decodeMap(n *yaml.Node, v reflect.Value, skip keyFilter) error {
	t := v.Type()
	if t.Key().Kind() != reflect.String || reflect.PointerTo(t.Key()).Implements(textUnmarshalerType) {
		return decodeSubtree(n, v, skip)
	}
	if n.Kind != yaml.MappingNode {
		return errViaJSON
	}
	if v.IsNil() {
		v.Set(reflect.MakeMapWithSize(t, len(n.Content)/2))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := keyString(resolveAlias(n.Content[i]))
		drop, inner := skip.apply(key, n.Content[i+1])
		if drop {
			continue
		}
		if !utf8.ValidString(key) {
			return errViaJSON
		}
		elem := reflect.New(t.Elem()).Elem()
		if err := decodeValue(n.Content[i+1], elem, inner); err != nil {
			return err
		}
		v.SetMapIndex(reflect.ValueOf(key).Convert(t.Key()), elem)
	}
	return nil
}

// typedField is where a JSON field of a struct lives.
type typedField struct {
	index   []int
	viaJSON bool // a field encoding/json treats in its own way (",string", a name two fields claim)
}

type typedStruct struct {
	byName map[string]typedField
	lower  map[string]bool // the names in lower case, for case-insensitive matches
}

func (s typedStruct) folds(key string) bool { return s.lower[strings.ToLower(key)] }

var typedCache sync.Map // reflect.Type -> typedStruct

// typedFields are the JSON fields of a struct type, with embedded structs' fields promoted, as
// jsonFields names them for the checker.
func typedFields(t reflect.Type) typedStruct {
	if s, ok := typedCache.Load(t); ok {
		return s.(typedStruct)
	}
	s := typedStruct{byName: map[string]typedField{}, lower: map[string]bool{}}
	depth := map[string]int{}
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() && !f.Anonymous {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" && opts == "" {
				continue
			}
			at := append(append([]int(nil), index...), i)
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
				walk(ft, at)
				continue
			}
			if !f.IsExported() {
				continue
			}
			field := typedField{index: at}
			if o := strings.Split(opts, ","); slices.Contains(o, "inline") || slices.Contains(o, "string") {
				field.viaJSON = true // not a Go embedding, or quoted: encoding/json's own rules
			}
			if name == "" {
				name = f.Name
			}
			if d, seen := depth[name]; seen {
				if d == len(at) {
					field.viaJSON = true // a tie encoding/json resolves by its own rules
				} else if d < len(at) {
					continue // the shallower field wins
				}
			}
			depth[name] = len(at)
			s.byName[name] = field
			s.lower[strings.ToLower(name)] = true
		}
	}
	walk(t, nil)
	typedCache.Store(t, s)
	return s
}
