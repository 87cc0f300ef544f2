package schema

import (
	"io/fs"
	"os"
	"reflect"
	"slices"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/schema/format"
)

// formatTypes are the types of package format, found from the file types
// through their fields.
func formatTypes() []reflect.Type {
	var out []reflect.Type
	var visit func(t reflect.Type)
	visit = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || slices.Contains(out, t) {
			return
		}
		out = append(out, t)
		for i := range t.NumField() {
			visit(t.Field(i).Type)
		}
	}
	for _, root := range []any{format.Scopes{}, format.Subscription{}, format.Group{}, format.Objects{}} {
		visit(reflect.TypeOf(root))
	}
	return out
}

// The format types are the one description of the file format: the loader
// asks for every key they declare (and, as every load checks, for no
// other). A key added to format and forgotten by the loader fails here.
func TestLoaderReadsEveryKeyOfTheFormat(t *testing.T) {
	files := map[string][]byte{}
	err := fs.WalkDir(os.DirFS("../gen/testdata/schema"), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files[p], err = os.ReadFile("../gen/testdata/schema/" + p)
		return err
	})
	assert.NilError(t, err)
	l := newLoader(files, errorSink{display: "gen/testdata/schema"})
	_, err = l.run()
	assert.NilError(t, err)

	for _, typ := range formatTypes() {
		s := l.r.shapes[typ]
		assert.Assert(t, s != nil, "the loader never reads a %s", typ)
		for key := range s.keys {
			assert.Assert(t, s.asked[key], "the loader never reads key %q of %s", key, typ)
		}
	}
}

// A key the loader reads must be declared by its format type, as the JSON
// kind the type gives it.
func TestLoaderKeysMustBeDeclared(t *testing.T) {
	r := &reader{sink: &errorSink{display: "schema"}, shapes: map[reflect.Type]*shape{}}
	tree, err := parseTree([]byte(`{"name": "x", "type": "string", "max": 3}`))
	assert.NilError(t, err)
	o := r.asObj(reflect.TypeFor[format.Field](), "f.json", "fields[0]", tree)
	o.str("name", true)
	o.str("nonsense", false)
	o.str("max", false)
	o.done()
	assert.Error(t, r.sink.err(), `schema/f.json: fields[0]: the loader reads key "nonsense", which format.Field does not declare
schema/f.json: fields[0]: the loader reads key "max" as string, which format.Field declares as int
schema/f.json: fields[0].type: unknown key "type"`)
}
