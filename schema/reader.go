package schema

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// obj reads one JSON object of a schema file. Every accessor marks its key as
// known; done reports the keys nobody asked for, so a misspelt key is an error
// rather than a silently ignored fact.
//
// Each object has a shape: the type of package format that describes it
// (format.Field for a field, format.Subscription for an EventSub file...).
// The loader may only ask for keys the shape declares, as the JSON kind the
// shape gives them, so the format types stay the one description of the
// file format: a key the loader reads and format does not declare is
// reported as a problem of the loader, and a test checks that the loader
// asks for every key format declares.
type obj struct {
	r     *reader
	file  string
	path  string
	n     *node
	shape *shape
	seen  map[string]bool
}

// reader is what the objects of one load share: where problems go, the
// shapes met so far, and which of their keys the loader asked for.
type reader struct {
	sink   *errorSink
	shapes map[reflect.Type]*shape
}

// shape is the keys of one type of package format.
type shape struct {
	name  string                  // "format.Field", for messages
	keys  map[string]reflect.Type // JSON key -> Go type of the struct field
	asked map[string]bool         // the keys the loader asked for
}

func (r *reader) shapeOf(t reflect.Type) *shape {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if s, ok := r.shapes[t]; ok {
		return s
	}
	s := &shape{name: t.String(), keys: map[string]reflect.Type{}, asked: map[string]bool{}}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && name != "" && name != "-" {
			s.keys[name] = f.Type
		}
	}
	r.shapes[t] = s
	return s
}

// asObj wraps n, reporting an error (and returning nil) when n is not an
// object; shape is the format type n is an instance of.
func (r *reader) asObj(shape reflect.Type, file, path string, n *node) *obj {
	if n.kind != kindObject {
		r.sink.add(file, path, "expected an object, found %s", n.kind)
		return nil
	}
	return &obj{r: r, file: file, path: path, n: n, shape: r.shapeOf(shape), seen: map[string]bool{}}
}

func (o *obj) at(key string) string {
	if o.path == "" {
		return key
	}
	return o.path + "." + key
}

func (o *obj) errorf(key, format string, args ...any) {
	path := o.path
	if key != "" {
		path = o.at(key)
	}
	o.r.sink.add(o.file, path, format, args...)
}

// declared returns the Go type the shape gives key, and records that the
// loader asked for it. A key the shape does not declare, or declares as
// another JSON kind, is the loader's mistake, reported as a problem so that
// the tests of the loader fail.
func (o *obj) declared(key string, want kind) reflect.Type {
	t, ok := o.shape.keys[key]
	switch {
	case !ok:
		o.errorf("", "the loader reads key %q, which %s does not declare", key, o.shape.name)
		return nil
	case !acceptsKind(t, want):
		o.errorf("", "the loader reads key %q as %s, which %s declares as %s", key, want, o.shape.name, t)
		return nil
	}
	o.shape.asked[key] = true
	return t
}

var unmarshaler = reflect.TypeFor[json.Unmarshaler]()

// acceptsKind reports whether a value of JSON kind k can decode into t.
func acceptsKind(t reflect.Type, k kind) bool {
	if reflect.PointerTo(t).Implements(unmarshaler) {
		return true
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return k == kindString
	case reflect.Bool:
		return k == kindBool
	case reflect.Int:
		return k == kindNumber
	case reflect.Slice:
		return k == kindArray
	case reflect.Struct, reflect.Map:
		return k == kindObject
	}
	return false
}

func (o *obj) has(key string) bool {
	_, ok := o.n.members[key]
	return ok
}

// get returns the member key if it has kind want; it reports a missing
// required key and a member of the wrong kind.
func (o *obj) get(key string, required bool, want kind) *node {
	o.seen[key] = true
	if o.declared(key, want) == nil {
		return nil
	}
	n, ok := o.n.members[key]
	if !ok {
		if required {
			o.errorf("", "missing key %s", strconv.Quote(key))
		}
		return nil
	}
	if n.kind != want {
		o.errorf(key, "expected %s, found %s", want, n.kind)
		return nil
	}
	return n
}

func (o *obj) str(key string, required bool) string {
	n := o.get(key, required, kindString)
	if n == nil {
		return ""
	}
	if n.str == "" && required {
		o.errorf(key, "must not be empty")
	}
	return n.str
}

func (o *obj) boolean(key string) bool {
	n := o.get(key, false, kindBool)
	return n != nil && n.boolean
}

func (o *obj) integer(key string, required bool) int {
	n := o.get(key, required, kindNumber)
	if n == nil {
		return 0
	}
	v, err := strconv.Atoi(n.number.String())
	if err != nil {
		o.errorf(key, "expected an integer, found %s", n.number)
		return 0
	}
	return v
}

// elem is one item of an array, with its JSON path and, for an array of
// objects, the format type of its items.
type elem struct {
	n     *node
	path  string
	shape reflect.Type
}

func (o *obj) array(key string, required bool) []elem {
	n := o.get(key, required, kindArray)
	if n == nil {
		return nil
	}
	if required && len(n.items) == 0 {
		o.errorf(key, "must not be empty")
	}
	items := o.shape.keys[key].Elem()
	out := make([]elem, len(n.items))
	for i, item := range n.items {
		out[i] = elem{n: item, path: fmt.Sprintf("%s[%d]", o.at(key), i), shape: items}
	}
	return out
}

// obj reads the item e as an object of its array's item type.
func (o *obj) elemObj(e elem) *obj {
	return o.r.asObj(e.shape, o.file, e.path, e.n)
}

func (o *obj) strings(key string, required bool) []string {
	var out []string
	for _, e := range o.array(key, required) {
		if e.n.kind != kindString {
			o.r.sink.add(o.file, e.path, "expected string, found %s", e.n.kind)
			continue
		}
		out = append(out, e.n.str)
	}
	return out
}

func (o *obj) object(key string, required bool) *obj {
	n := o.get(key, required, kindObject)
	if n == nil {
		return nil
	}
	return o.r.asObj(o.shape.keys[key], o.file, o.at(key), n)
}

func (o *obj) objects(key string, required bool) []*obj {
	var out []*obj
	for _, e := range o.array(key, required) {
		if x := o.elemObj(e); x != nil {
			out = append(out, x)
		}
	}
	return out
}

// done reports every key of the object that no accessor asked for.
func (o *obj) done() {
	for _, k := range o.n.keys {
		if !o.seen[k] {
			o.errorf(k, "unknown key %s", strconv.Quote(k))
		}
	}
}
