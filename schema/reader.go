package schema

import (
	"fmt"
	"strconv"
)

// obj reads one JSON object of a schema file. Every accessor marks its key as
// known; done reports the keys nobody asked for, so a misspelt key is an error
// rather than a silently ignored fact.
type obj struct {
	sink *errorSink
	file string
	path string
	n    *node
	seen map[string]bool
}

// asObj wraps n, reporting an error (and returning nil) when n is not an object.
func asObj(sink *errorSink, file, path string, n *node) *obj {
	if n.kind != kindObject {
		sink.add(file, path, "expected an object, found %s", n.kind)
		return nil
	}
	return &obj{sink: sink, file: file, path: path, n: n, seen: map[string]bool{}}
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
	o.sink.add(o.file, path, format, args...)
}

func (o *obj) has(key string) bool {
	_, ok := o.n.members[key]
	return ok
}

// get returns the member key if it has kind want; it reports a missing
// required key and a member of the wrong kind.
func (o *obj) get(key string, required bool, want kind) *node {
	o.seen[key] = true
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

// elem is one item of an array, with its JSON path.
type elem struct {
	n    *node
	path string
}

func (o *obj) array(key string, required bool) []elem {
	n := o.get(key, required, kindArray)
	if n == nil {
		return nil
	}
	if required && len(n.items) == 0 {
		o.errorf(key, "must not be empty")
	}
	out := make([]elem, len(n.items))
	for i, item := range n.items {
		out[i] = elem{n: item, path: fmt.Sprintf("%s[%d]", o.at(key), i)}
	}
	return out
}

func (o *obj) strings(key string, required bool) []string {
	var out []string
	for _, e := range o.array(key, required) {
		if e.n.kind != kindString {
			o.sink.add(o.file, e.path, "expected string, found %s", e.n.kind)
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
	return asObj(o.sink, o.file, o.at(key), n)
}

func (o *obj) objects(key string, required bool) []*obj {
	var out []*obj
	for _, e := range o.array(key, required) {
		if x := asObj(o.sink, o.file, e.path, e.n); x != nil {
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
