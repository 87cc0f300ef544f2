package schema

import (
	"cmp"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/twitchify-go/twitch/schema/format"
)

// LoadDir reads and validates the schema in the folder dir. Errors name each
// file as dir joined with its path in the folder.
func LoadDir(dir string) (*Schema, error) {
	return Load(os.DirFS(dir), dir)
}

// Load reads and validates the schema in fsys; display prefixes the file
// names in errors. On any problem it returns a nil Schema and an ErrorList
// with every problem of every file.
func Load(fsys fs.FS, display string) (*Schema, error) {
	sink := errorSink{display: display}
	files := map[string][]byte{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			sink.add(p, "", "%v", err)
		case d.IsDir() && skipDir(p):
			return fs.SkipDir
		case !d.IsDir() && path.Ext(p) == ".json":
			data, err := fs.ReadFile(fsys, p)
			if err != nil {
				sink.add(p, "", "%v", err)
				return nil
			}
			files[p] = data
		}
		return nil
	})
	if err != nil {
		sink.add(".", "", "%v", err)
	}
	return loadFiles(files, sink)
}

// LoadFiles validates the schema made of files, by their slash-separated
// path in the schema folder, as Load does for the files of a folder; it
// ignores what Load would not read (curated/, testdata/ and files that are
// not JSON).
func LoadFiles(files map[string][]byte, display string) (*Schema, error) {
	kept := map[string][]byte{}
	for p, data := range files {
		if path.Ext(p) != ".json" {
			continue
		}
		skipped := false
		for dir := path.Dir(p); dir != "." && dir != "/"; dir = path.Dir(dir) {
			skipped = skipped || skipDir(dir)
		}
		if !skipped {
			kept[p] = data
		}
	}
	return loadFiles(kept, errorSink{display: display})
}

// skipDir reports whether the loader leaves out the folder p: the
// importer's input, which the importer checks, and the test data of the Go
// packages that live in the schema folder.
func skipDir(p string) bool {
	return p == "curated" || path.Base(p) == "testdata"
}

func loadFiles(files map[string][]byte, sink errorSink) (*Schema, error) {
	return newLoader(files, sink).run()
}

func newLoader(files map[string][]byte, sink errorSink) *loader {
	l := &loader{
		files:  files,
		sink:   sink,
		scopes: map[string]*Scope{},
		eventsub: &namespace{
			pkg:     "eventsub",
			types:   map[string]any{},
			goNames: map[string]string{},
		},
		helix: &namespace{
			pkg:     "helix",
			types:   map[string]any{},
			goNames: map[string]string{},
		},
		schema: &Schema{},
	}
	l.r = &reader{sink: &l.sink, shapes: map[reflect.Type]*shape{}}
	return l
}

func (l *loader) run() (*Schema, error) {
	l.load()
	if err := l.sink.err(); err != nil {
		return nil, err
	}
	return l.schema, nil
}

type loader struct {
	files    map[string][]byte // the schema's JSON files, by path in the folder
	sink     errorSink
	r        *reader
	scopes   map[string]*Scope
	eventsub *namespace
	helix    *namespace
	schema   *Schema
	// pending holds the fields of named objects, read once every named
	// type is known so that files may refer to each other in any order.
	pending []pendingObject
}

// namespace is the set of names of one generated Go package.
type namespace struct {
	pkg     string
	types   map[string]any    // schema type name -> *Object or *Enum
	goNames map[string]string // Go name -> where it is defined, for collisions
}

type pendingObject struct {
	o      *Object
	fields *obj
	ns     *namespace
}

// where formats a file and JSON path for messages.
func (l *loader) where(file, p string) string {
	if p == "" {
		return l.file(file)
	}
	return l.file(file) + ": " + p
}

func (l *loader) file(rel string) string { return path.Join(l.sink.display, rel) }

// claim reserves a Go name in a package; a second claim is an error.
func (l *loader) claim(ns *namespace, goName, file, p string) {
	l.claimKey(ns, goName, goName, file, p)
}

// claimMethod reserves the name of a generated method of a runtime type.
func (l *loader) claimMethod(ns *namespace, recv, goName, file, p string) {
	l.claimKey(ns, recv+"."+goName, goName, file, p)
}

func (l *loader) claimKey(ns *namespace, key, goName, file, p string) {
	if !validGoName(goName) {
		l.sink.add(file, p, "%q is not a valid exported Go name", goName)
		return
	}
	if prev, ok := ns.goNames[key]; ok {
		l.sink.add(file, p, "Go name %s is already used in package %s by %s", key, ns.pkg, prev)
		return
	}
	ns.goNames[key] = l.where(file, p)
}

func (l *loader) load() {
	for _, pkg := range []*namespace{l.eventsub, l.helix} {
		for _, name := range ReservedNames[pkg.pkg] {
			pkg.goNames[name] = "the hand-written runtime"
		}
	}

	var eventsubFiles, objectFiles, helixFiles, helixObjectFiles []string
	haveScopes := false
	for _, p := range slices.Sorted(maps.Keys(l.files)) {
		switch dir := path.Dir(p); {
		case p == "scopes.json":
			haveScopes = true
		case dir == "eventsub":
			eventsubFiles = append(eventsubFiles, p)
		case dir == "eventsub/objects":
			objectFiles = append(objectFiles, p)
		case dir == "helix":
			helixFiles = append(helixFiles, p)
		case dir == "helix/objects":
			helixObjectFiles = append(helixObjectFiles, p)
		default:
			l.sink.add(p, "", "unexpected schema file: JSON files belong in scopes.json, eventsub/, eventsub/objects/, helix/, helix/objects/ or curated/")
		}
	}
	if !haveScopes {
		l.sink.add("scopes.json", "", "missing: the schema needs its list of scopes")
	} else {
		l.readScopes("scopes.json")
	}

	// Named types first, so that any file may use any name.
	for _, f := range objectFiles {
		if root := l.readFile(f, reflect.TypeFor[format.Objects]()); root != nil {
			l.readNamedTypes(root, f, l.eventsub, nil)
			root.done()
		}
	}
	for _, f := range helixObjectFiles {
		if root := l.readFile(f, reflect.TypeFor[format.Objects]()); root != nil {
			l.readNamedTypes(root, f, l.helix, nil)
			root.done()
		}
	}
	helixRoots := map[string]*obj{}
	for _, f := range helixFiles {
		if root := l.readFile(f, reflect.TypeFor[format.Group]()); root != nil {
			g := &Group{Name: strings.TrimSuffix(path.Base(f), ".json"), File: f}
			g.Description = root.str("description", false)
			g.Objects, g.Enums = l.readNamedTypes(root, f, l.helix, g)
			helixRoots[f] = root
			l.schema.Helix.Groups = append(l.schema.Helix.Groups, g)
		}
	}
	l.resolvePending()

	l.readSubscriptions(eventsubFiles)
	for _, g := range l.schema.Helix.Groups {
		root := helixRoots[g.File]
		l.readOperations(root, g)
		root.done()
	}
	l.resolvePending()
	l.finish()
}

// readFile parses one file and returns its top-level object, whose format
// type is shape.
func (l *loader) readFile(rel string, shape reflect.Type) *obj {
	tree, err := parseTree(l.files[rel])
	if err != nil {
		l.sink.add(rel, "", "invalid JSON: %v", err)
		return nil
	}
	return l.r.asObj(shape, rel, "", tree)
}

var scopeName = regexp.MustCompile(`^[a-z0-9_]+(:[a-z0-9_]+)*$`)

func (l *loader) readScopes(rel string) {
	root := l.readFile(rel, reflect.TypeFor[format.Scopes]())
	if root == nil {
		return
	}
	goNames := map[string]string{}
	for _, o := range root.objects("scopes", true) {
		s := &Scope{Name: o.str("name", true), Description: o.str("description", false)}
		s.GoName = "Scope" + GoName(s.Name)
		if override := o.str("go_name", false); override != "" {
			s.GoName = override
		}
		o.done()
		switch {
		case s.Name == "":
			continue
		case !scopeName.MatchString(s.Name):
			o.errorf("name", "%q is not a scope name (lower-case words joined by ':')", s.Name)
		case l.scopes[s.Name] != nil:
			o.errorf("name", "duplicate scope %q", s.Name)
		case !validGoName(s.GoName):
			o.errorf("name", "%q is not a valid exported Go name", s.GoName)
		case goNames[s.GoName] != "":
			o.errorf("name", "Go name %s is already used by scope %q", s.GoName, goNames[s.GoName])
		default:
			goNames[s.GoName] = s.Name
			l.scopes[s.Name] = s
			l.schema.Scopes = append(l.schema.Scopes, s)
		}
	}
	root.done()
	slices.SortFunc(l.schema.Scopes, func(a, b *Scope) int { return cmp.Compare(a.Name, b.Name) })
}

// readNamedTypes reads the "objects" and "enums" of a file. The fields of
// objects are read later, by resolvePending.
func (l *loader) readNamedTypes(root *obj, rel string, ns *namespace, g *Group) ([]*Object, []*Enum) {
	var objects []*Object
	var enums []*Enum
	declare := func(o *obj, name string, v any) bool {
		if name == "" {
			return false
		}
		if _, dup := ns.types[name]; dup {
			o.errorf("name", "type %s is defined twice in %s", name, ns.pkg)
			return false
		}
		if _, builtin := builtinKinds[name]; builtin || name == "object" {
			o.errorf("name", "%s is a built-in type name", name)
			return false
		}
		l.claim(ns, name, rel, o.at("name"))
		ns.types[name] = v
		return true
	}
	for _, o := range root.objects("objects", false) {
		obj := &Object{GoName: o.str("name", true), Description: o.str("description", false), File: rel}
		if declare(o, obj.GoName, obj) {
			objects = append(objects, obj)
			l.pending = append(l.pending, pendingObject{o: obj, fields: o, ns: ns})
		}
	}
	for _, o := range root.objects("enums", false) {
		e := &Enum{GoName: o.str("name", true), Description: o.str("description", false), File: rel}
		l.readEnumValues(o.array("values", true), e, ns, rel)
		o.done()
		if declare(o, e.GoName, e) {
			enums = append(enums, e)
		}
	}
	switch ns {
	case l.eventsub:
		l.schema.EventSub.Objects = append(l.schema.EventSub.Objects, objects...)
		l.schema.EventSub.Enums = append(l.schema.EventSub.Enums, enums...)
	case l.helix:
		l.schema.Helix.Objects = append(l.schema.Helix.Objects, objects...)
		l.schema.Helix.Enums = append(l.schema.Helix.Enums, enums...)
	}
	return objects, enums
}

func (l *loader) resolvePending() {
	for len(l.pending) > 0 {
		p := l.pending[0]
		l.pending = l.pending[1:]
		p.o.Fields = l.readFields(p.fields, "fields", p.ns, p.o.GoName, fieldRules{})
		p.fields.done()
	}
}

// readEnumValues reads the values of an enum: each a string, or an object
// with "value", and optionally "go_name" (the part of the constant after the
// enum's name) and "description".
func (l *loader) readEnumValues(items []elem, e *Enum, ns *namespace, rel string) {
	seen := map[string]bool{}
	for _, item := range items {
		v := &EnumValue{}
		suffixPath := item.path
		switch item.n.kind {
		case kindString:
			v.Value = item.n.str
			v.GoName = GoName(v.Value)
		case kindObject:
			vo := l.r.asObj(item.shape, rel, item.path, item.n)
			v.Value = vo.str("value", false)
			if !vo.has("value") {
				vo.errorf("", `missing key "value"`)
			}
			v.GoName = GoName(v.Value)
			if override := vo.str("go_name", false); override != "" {
				v.GoName = override
				suffixPath = vo.at("go_name")
			}
			v.Description = vo.str("description", false)
			vo.done()
		default:
			l.sink.add(rel, item.path, "expected a string or an object, found %s", item.n.kind)
			continue
		}
		if seen[v.Value] {
			l.sink.add(rel, item.path, "duplicate enum value %q", v.Value)
			continue
		}
		seen[v.Value] = true
		if v.GoName == "" {
			l.sink.add(rel, item.path, "enum value %q has no Go name: give it a \"go_name\"", v.Value)
			continue
		}
		v.GoName = joinNames(e.GoName, v.GoName)
		if e.GoName != "" {
			l.claim(ns, v.GoName, rel, suffixPath)
		}
		e.Values = append(e.Values, v)
	}
}

// fieldRules say what a list of fields may contain.
type fieldRules struct {
	query bool // query parameters: scalars or arrays of scalars, "max" allowed
	// request is true for what only the caller sends: query parameters,
	// body fields and the members of the inline objects a body defines.
	request bool
	// condition is true for the fields of a subscription's condition, the
	// only fields that may have a "fill".
	condition bool
}

// readFields reads the list of fields under key. owner is the Go name that
// prefixes the names of inline objects and enums defined by these fields.
func (l *loader) readFields(o *obj, key string, ns *namespace, owner string, rules fieldRules) []*Field {
	var fields []*Field
	jsonNames := map[string]bool{}
	goNames := map[string]bool{}
	filled := map[string]string{} // fill -> the field that has it
	for _, fo := range o.objects(key, false) {
		f := l.readField(fo, ns, owner, rules)
		fo.done()
		if f == nil {
			continue
		}
		if other, dup := filled[f.Fill]; dup && f.Fill != "" {
			// Twitch takes one value of each in a condition (channel.raid
			// takes from_broadcaster_user_id or to_broadcaster_user_id).
			fo.errorf("fill", "field %q is filled with %q too: a client would fill both; leave one to the caller", other, f.Fill)
		}
		filled[f.Fill] = f.Name
		if jsonNames[f.Name] {
			fo.errorf("name", "duplicate field %q", f.Name)
			continue
		}
		if clash := slices.IndexFunc(f.Aliases, func(a string) bool { return jsonNames[a] }); clash >= 0 {
			fo.errorf(fmt.Sprintf("aliases[%d]", clash), "%q is the name or an alias of another field", f.Aliases[clash])
			continue
		}
		if goNames[f.GoName] {
			fo.errorf("name", "Go field name %s is used twice; give one a \"go_name\"", f.GoName)
			continue
		}
		jsonNames[f.Name], goNames[f.GoName] = true, true
		for _, a := range f.Aliases {
			jsonNames[a] = true
		}
		fields = append(fields, f)
	}
	return fields
}

// JSON names are words joined by "_" (and, in a few Twitch payloads, "-").
var fieldName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

func (l *loader) readField(fo *obj, ns *namespace, owner string, rules fieldRules) *Field {
	f := &Field{
		Name:        fo.str("name", true),
		Description: fo.str("description", false),
		Optional:    fo.boolean("optional"),
		Nullable:    fo.boolean("nullable"),
		Note:        fo.str("note", false),
	}
	expr := fo.str("type", true)
	f.GoName = GoName(f.Name)
	if override := fo.str("go_name", false); override != "" {
		f.GoName = override
	}
	if f.Name != "" && !fieldName.MatchString(f.Name) {
		fo.errorf("name", "%q is not a field name", f.Name)
		return nil
	}
	if f.Name != "" && !validGoName(f.GoName) {
		fo.errorf("name", "%q is not a valid exported Go name; give the field a \"go_name\"", f.GoName)
		return nil
	}
	if fo.has("max") {
		f.Max = fo.integer("max", false)
		switch {
		case !rules.query:
			fo.errorf("max", `"max" is only for repeated query parameters`)
		case !strings.HasPrefix(expr, "[]"):
			fo.errorf("max", `"max" needs a repeated parameter (type "[]...")`)
		case f.Max < 1:
			fo.errorf("max", "must be at least 1")
		}
	}
	if fill := fo.get("fill", false, kindString); fill != nil {
		f.Fill = fill.str
		switch f.Fill {
		case FillBroadcaster, FillUser, FillClientID:
			if !rules.condition {
				fo.errorf("fill", `"fill" is only for the fields of a subscription's condition`)
			}
		default:
			fo.errorf("fill", `must be %q, %q or %q (or no "fill" when the caller gives the value), not %q`, FillBroadcaster, FillUser, FillClientID, f.Fill)
		}
	}
	if expr == "" {
		return nil
	}
	f.Request = rules.request
	f.Aliases = fo.strings("aliases", false)
	if fo.has("aliases") && len(f.Aliases) == 0 {
		fo.errorf("aliases", "must not be empty")
	}
	for i, a := range f.Aliases {
		switch {
		case rules.request:
			fo.errorf(fmt.Sprintf("aliases[%d]", i), `"aliases" is for what Twitch sends: a parameter the caller sends has one name`)
		case !fieldName.MatchString(a):
			fo.errorf(fmt.Sprintf("aliases[%d]", i), "%q is not a field name", a)
		case a == f.Name || slices.Index(f.Aliases, a) < i:
			fo.errorf(fmt.Sprintf("aliases[%d]", i), "%q is listed twice", a)
		}
	}
	f.Type = l.readType(fo, expr, ns, joinNames(owner, f.GoName), rules)
	if f.Type == nil {
		return nil
	}
	if f.Fill != "" && f.Type.Kind != KindString {
		fo.errorf("fill", `a filled field is a "string" (an ID), not %q`, expr)
	}
	if rules.query {
		elem := f.Type
		if elem.Kind == KindArray {
			elem = elem.Elem
		}
		if !elem.Scalar() {
			fo.errorf("type", "a query parameter must be a scalar or an array of scalars, not %q", expr)
		}
		if f.Nullable {
			fo.errorf("nullable", "a query parameter cannot be null")
		}
		if f.Type.Kind == KindArray && f.Type.Elem.Kind != KindString && f.Type.Elem.Kind != KindEnum {
			fo.errorf("type", "a repeated query parameter must be []string or an array of an enum, not %q", expr)
		}
	}
	if f.Name == "" {
		return nil
	}
	return f
}

// readType resolves a type expression: "[]" prefixes for arrays, then a
// built-in name, "object" (with "fields"), or a named object or enum. A
// "string" with "enum" values defines an inline enum. Inline types are named
// inlineName unless the field gives a "type_name".
func (l *loader) readType(fo *obj, expr string, ns *namespace, inlineName string, rules fieldRules) *Type {
	// The containers, outermost first: "[]" for arrays, "map[string]" for
	// objects with arbitrary keys.
	base := expr
	var containers []Kind
	for {
		if rest, ok := strings.CutPrefix(base, "[]"); ok {
			base, containers = rest, append(containers, KindArray)
		} else if rest, ok := strings.CutPrefix(base, "map[string]"); ok {
			base, containers = rest, append(containers, KindMap)
		} else {
			break
		}
	}
	if override := fo.str("type_name", false); override != "" {
		inlineName = override
		if !fo.has("fields") && !fo.has("enum") {
			fo.errorf("type_name", `"type_name" names an inline object or enum; this field defines neither`)
		}
	}
	var t *Type
	switch {
	case base == "object":
		if !fo.has("fields") {
			fo.errorf("type", `type "object" needs "fields"`)
			return nil
		}
		o := &Object{GoName: inlineName, File: fo.file, Inline: true}
		l.claim(ns, o.GoName, fo.file, fo.at("type"))
		o.Fields = l.readFields(fo, "fields", ns, o.GoName, fieldRules{request: rules.request})
		t = &Type{Kind: KindObject, Object: o}
	case fo.has("fields"):
		fo.get("fields", false, kindArray)
		fo.errorf("fields", `"fields" is only for type "object" or "[]object", not %q`, expr)
		return nil
	case base == "string" && fo.has("enum"):
		e := &Enum{GoName: inlineName, File: fo.file, Inline: true}
		l.claim(ns, e.GoName, fo.file, fo.at("enum"))
		l.readEnumValues(fo.array("enum", true), e, ns, fo.file)
		t = &Type{Kind: KindEnum, Enum: e}
	case fo.has("enum"):
		fo.get("enum", false, kindArray)
		fo.errorf("enum", `"enum" is only for type "string" or "[]string", not %q`, expr)
		return nil
	default:
		if k, ok := builtinKinds[base]; ok {
			if k == KindPagination && ns != l.helix {
				fo.errorf("type", `type "pagination" is only for Helix responses`)
				return nil
			}
			t = &Type{Kind: k}
			if base == "unix_timestamp" {
				t.Unix = true
				if rules.request {
					fo.errorf("type", `type "unix_timestamp" is for what Twitch sends; a parameter the caller sends is a "timestamp"`)
					return nil
				}
			}
			break
		}
		switch v := ns.types[base].(type) {
		case *Object:
			t = &Type{Kind: KindObject, Object: v}
		case *Enum:
			t = &Type{Kind: KindEnum, Enum: v}
		default:
			fo.errorf("type", "unknown type %q", base)
			return nil
		}
	}
	for i := len(containers) - 1; i >= 0; i-- {
		t = &Type{Kind: containers[i], Elem: t}
	}
	return t
}

var (
	typeName    = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)+$`)
	versionName = regexp.MustCompile(`^([1-9][0-9]*|beta)$`)
)

// subscriptionFile is an EventSub file read up to its condition and event,
// which wait until every subscription's Go name is known.
type subscriptionFile struct {
	s    *Subscription
	root *obj
}

func (l *loader) readSubscriptions(files []string) {
	var subs []subscriptionFile
	seen := map[string]string{}
	for _, rel := range files {
		root := l.readFile(rel, reflect.TypeFor[format.Subscription]())
		if root == nil {
			continue
		}
		s := &Subscription{
			File:        rel,
			Type:        root.str("type", true),
			Version:     root.str("version", true),
			Status:      root.str("status", true),
			DocURL:      root.str("doc_url", true),
			Description: root.str("description", false),
			Note:        root.str("note", false),
			Transports:  root.strings("transports", true),
		}
		s.Auth = l.readAuth(root, "auth")
		switch payload := root.str("payload", false); payload {
		case "", "event":
		case "events":
			s.Batched = true
		default:
			root.errorf("payload", `must be "event" or "events", not %q`, payload)
		}
		if s.Type != "" && !typeName.MatchString(s.Type) {
			root.errorf("type", "%q is not a subscription type name (lower-case words joined by '.')", s.Type)
		}
		if s.Version != "" && !versionName.MatchString(s.Version) {
			root.errorf("version", `%q is not a version: a positive number or "beta"`, s.Version)
		}
		switch s.Status {
		case "", StatusStable, StatusNew, StatusBeta:
		default:
			root.errorf("status", `must be "stable", "new" or "beta", not %q`, s.Status)
		}
		if (s.Version == "beta") != (s.Status == StatusBeta) && s.Version != "" && s.Status != "" {
			root.errorf("status", `version "beta" and status "beta" go together`)
		}
		l.checkDocURL(root, s.DocURL)
		seenTransport := map[string]bool{}
		for i, t := range s.Transports {
			switch {
			case t != TransportWebhook && t != TransportWebSocket && t != TransportConduit:
				root.r.sink.add(root.file, root.at("transports")+"["+strconv.Itoa(i)+"]", `unknown transport %q (webhook, websocket or conduit)`, t)
			case seenTransport[t]:
				root.r.sink.add(root.file, root.at("transports")+"["+strconv.Itoa(i)+"]", `duplicate transport %q`, t)
			}
			seenTransport[t] = true
		}
		if !typeName.MatchString(s.Type) || !versionName.MatchString(s.Version) {
			l.readRejected(root)
			continue
		}
		want := s.Type + ".v" + s.Version + ".json"
		if s.Version == "beta" {
			want = s.Type + ".beta.json"
		}
		if path.Base(rel) != want {
			root.errorf("", "file name must be %s for type %s version %s", want, s.Type, s.Version)
		}
		key := s.Type + " version " + s.Version
		if prev, dup := seen[key]; dup {
			root.errorf("", "duplicate subscription type %s (also in %s)", key, l.file(prev))
			l.readRejected(root)
			continue
		}
		seen[key] = rel
		subs = append(subs, subscriptionFile{s: s, root: root})
	}

	// The lowest numbered version of a type takes the bare Go name, later
	// versions add "V<n>", and beta versions add "Beta".
	lowest := map[string]int{}
	for _, sf := range subs {
		if n, err := strconv.Atoi(sf.s.Version); err == nil {
			if cur, ok := lowest[sf.s.Type]; !ok || n < cur {
				lowest[sf.s.Type] = n
			}
		}
	}
	for _, sf := range subs {
		s, root := sf.s, sf.root
		s.GoName = GoName(s.Type)
		if n, err := strconv.Atoi(s.Version); err != nil {
			s.GoName += "Beta"
		} else if n != lowest[s.Type] {
			s.GoName += "V" + s.Version
		}
		if override := root.str("go_name", false); override != "" {
			s.GoName = override
		}
		if !validGoName(s.GoName) {
			root.errorf("go_name", "%q is not a valid exported Go name", s.GoName)
			l.readRejected(root)
			continue
		}
		l.claimMethod(l.eventsub, "Dispatcher", "On"+s.GoName, s.File, "type")
		s.Condition = l.readPart(root, "condition", s.GoName+"Condition", s.File, l.eventsub)
		s.Event = l.readPart(root, "event", s.GoName+"Event", s.File, l.eventsub)
		root.done()
		if s.Condition != nil {
			for _, f := range s.Condition.Fields {
				if f.Type.Kind != KindString {
					root.errorf("condition", "condition field %q must be a string: Twitch sends every condition value as one", f.Name)
				}
				if f.GoName == "TypeInfo" {
					root.errorf("condition", "condition field %q would clash with the TypeInfo method; give it a \"go_name\"", f.Name)
				}
			}
		}
		if s.Condition != nil && s.Event != nil {
			l.schema.EventSub.Subscriptions = append(l.schema.EventSub.Subscriptions, s)
		}
	}
}

// readRejected reads the rest of a subscription file that cannot be part of
// the schema (its type or version is bad, or taken), so that its other
// problems are reported too. Its Go names go to a scratch namespace, where
// they cannot clash with the real ones.
func (l *loader) readRejected(root *obj) {
	scratch := &namespace{pkg: l.eventsub.pkg, types: l.eventsub.types, goNames: map[string]string{}}
	root.str("go_name", false)
	l.readPart(root, "condition", "RejectedCondition", root.file, scratch)
	l.readPart(root, "event", "RejectedEvent", root.file, scratch)
	root.done()
}

// readPart reads the condition or event object of a subscription file.
func (l *loader) readPart(root *obj, key, goName, rel string, ns *namespace) *Object {
	part := root.object(key, true)
	if part == nil {
		return nil
	}
	o := &Object{GoName: goName, File: rel, Inline: true, Description: part.str("description", false)}
	l.claim(ns, goName, rel, part.path)
	o.Fields = l.readFields(part, "fields", ns, strings.TrimSuffix(goName, "Event"), fieldRules{condition: key == "condition"})
	if !part.has("fields") {
		part.errorf("", `missing key "fields"`)
	}
	part.done()
	return o
}

func (l *loader) checkDocURL(o *obj, u string) {
	if u != "" && !strings.HasPrefix(u, "https://") {
		o.errorf("doc_url", "must be an https:// URL, not %q", u)
	}
}

// readAuth reads a list of {"token_type", "scopes", "description"}.
func (l *loader) readAuth(o *obj, key string) []*Auth {
	var out []*Auth
	seen := map[string]bool{}
	for _, ao := range o.objects(key, false) {
		a := &Auth{TokenType: ao.str("token_type", true), Description: ao.str("description", false)}
		switch {
		case a.TokenType == "":
		case a.TokenType != TokenApp && a.TokenType != TokenUser && a.TokenType != TokenJWT:
			ao.errorf("token_type", `must be "app", "user" or "jwt", not %q`, a.TokenType)
		case seen[a.TokenType]:
			ao.errorf("token_type", "token type %q is listed twice", a.TokenType)
		}
		seen[a.TokenType] = true
		for _, group := range ao.array("scopes", false) {
			if group.n.kind != kindArray || len(group.n.items) == 0 {
				l.sink.add(ao.file, group.path, `expected a non-empty array of scope names (a "one of" group)`)
				continue
			}
			var scopes []*Scope
			for i, item := range group.n.items {
				p := group.path + "[" + strconv.Itoa(i) + "]"
				if item.kind != kindString {
					l.sink.add(ao.file, p, "expected a scope name, found %s", item.kind)
					continue
				}
				s, ok := l.scopes[item.str]
				if !ok {
					l.sink.add(ao.file, p, "unknown scope %q (not in scopes.json)", item.str)
					continue
				}
				scopes = append(scopes, s)
			}
			a.Scopes = append(a.Scopes, scopes)
		}
		ao.done()
		out = append(out, a)
	}
	return out
}

var (
	opPath    = regexp.MustCompile(`^(/[a-z0-9_]+)+$`)
	opMethods = map[string]bool{"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true}
)

func (l *loader) readOperations(root *obj, g *Group) {
	for _, o := range root.objects("operations", true) {
		op := &Operation{
			GoName:      o.str("name", true),
			Method:      o.str("method", true),
			Path:        o.str("path", true),
			DocURL:      o.str("doc_url", true),
			Description: o.str("description", false),
			Note:        o.str("note", false),
			Success:     o.integer("success", true),
			Group:       g,
		}
		op.Auth = l.readAuth(o, "auth")
		l.checkDocURL(o, op.DocURL)
		if op.Method != "" && !opMethods[op.Method] {
			o.errorf("method", "unknown HTTP method %q", op.Method)
		}
		if op.Path != "" && !opPath.MatchString(op.Path) {
			o.errorf("path", "%q is not a Helix path (\"/\" then lower-case words, no query)", op.Path)
		}
		named := validGoName(op.GoName)
		switch {
		case op.GoName == "":
		case !named:
			o.errorf("name", "%q is not a valid exported Go name", op.GoName)
		default:
			l.claimMethod(l.helix, "Client", op.GoName, g.File, o.at("name"))
			l.claim(l.helix, op.ParamsName(), g.File, o.at("name"))
		}
		op.Query = l.readFields(o, "query", l.helix, op.ParamsName(), fieldRules{query: true, request: true})
		if bo := o.object("body", false); bo != nil {
			if !bo.has("fields") {
				bo.errorf("", `missing key "fields"`)
			}
			op.Body = l.readFields(bo, "fields", l.helix, op.ParamsName(), fieldRules{request: true})
			bo.done()
			if op.Method == "GET" || op.Method == "DELETE" {
				o.errorf("body", "a %s request has no body", op.Method)
			}
			for _, f := range op.Body {
				for _, q := range op.Query {
					if f.GoName == q.GoName {
						o.errorf("body", "body field %q and query parameter %q share the Go name %s; give one a \"go_name\"", f.Name, q.Name, f.GoName)
					}
				}
			}
		}
		op.ParamGroups = l.readParamGroups(o, op)
		if ro := o.object("response", false); ro != nil {
			op.Response = &Object{GoName: op.GoName + "Response", File: g.File, Inline: true, Description: ro.str("description", false)}
			if named {
				l.claim(l.helix, op.Response.GoName, g.File, ro.path)
			}
			op.ResponseType = ro.str("content_type", false)
			switch {
			case op.ResponseType != "":
				if ro.has("fields") {
					ro.errorf("content_type", `a response is either JSON "fields" or a "content_type", not both`)
				}
				op.Response = nil
			case !ro.has("fields"):
				ro.errorf("", `missing key "fields"`)
			}
			if op.Response != nil {
				op.Response.Fields = l.readFields(ro, "fields", l.helix, op.GoName, fieldRules{})
			}
			ro.done()
		}
		switch {
		case op.Success == 0:
		case op.Success < 200 || op.Success > 299:
			o.errorf("success", "%d is not a 2xx status", op.Success)
		case op.Success == 204 && op.Response != nil:
			o.errorf("response", "a 204 response has no body")
		case op.Success != 204 && op.Response == nil && op.ResponseType == "":
			o.errorf("", `missing key "response": only a 204 success has no body`)
		}
		l.checkPagination(o, op)
		o.done()
		if named && op.Method != "" && op.Path != "" {
			g.Operations = append(g.Operations, op)
		}
	}
}

var paramRules = map[string]bool{RuleExactlyOne: true, RuleAtLeastOne: true, RuleAtMostOne: true}

// readParamGroups reads the rules over several parameters of op, whose
// query and body are read.
func (l *loader) readParamGroups(o *obj, op *Operation) []*ParamGroup {
	var out []*ParamGroup
	for _, pg := range o.objects("param_groups", false) {
		g := &ParamGroup{
			Rule:        pg.str("rule", false),
			MaxTotal:    pg.integer("max_total", false),
			Description: pg.str("description", false),
			Note:        pg.str("note", false),
		}
		names := pg.strings("params", true)
		if names != nil && len(names) < 2 {
			pg.errorf("params", "a group needs at least two parameters")
		}
		seen := map[string]bool{}
		for i, name := range names {
			at := fmt.Sprintf("params[%d]", i)
			if seen[name] {
				pg.errorf(at, "parameter %q is listed twice", name)
				continue
			}
			seen[name] = true
			f := findField(op.Query, name)
			if b := findField(op.Body, name); b != nil {
				if f != nil {
					pg.errorf(at, "%q is both a query parameter and a body field", name)
					continue
				}
				f = b
			}
			switch {
			case f == nil:
				pg.errorf(at, "the operation has no query parameter or body field %q", name)
				continue
			case !f.Optional:
				pg.errorf(at, "parameter %q must be optional: a group says when it is needed", name)
			case g.MaxTotal > 0 && f.Type.Kind != KindArray:
				pg.errorf(at, "parameter %q is not repeated, so max_total cannot count it", name)
			}
			g.Params = append(g.Params, f)
		}
		switch {
		case g.Rule != "" && !paramRules[g.Rule]:
			pg.errorf("rule", "unknown rule %q (want exactly_one, at_least_one or at_most_one)", g.Rule)
		case g.MaxTotal < 0:
			pg.errorf("max_total", "%d is not a count", g.MaxTotal)
		case g.Rule == "" && g.MaxTotal == 0 && pg.has("params"):
			pg.errorf("", `a group needs a "rule", a "max_total" or both`)
		}
		pg.done()
		out = append(out, g)
	}
	return out
}

func findField(fields []*Field, name string) *Field {
	for _, f := range fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// checkPagination sets Paginated when the response carries a cursor, and
// checks what the Helix runtime's page iterator relies on.
func (l *loader) checkPagination(o *obj, op *Operation) {
	if op.Response == nil {
		return
	}
	var cursor, data *Field
	for _, f := range op.Response.Fields {
		if f.Type.Kind == KindPagination {
			cursor = f
		}
		if f.Name == "data" {
			data = f
		}
	}
	if cursor == nil {
		return
	}
	op.Paginated = true
	if validGoName(op.GoName) {
		l.claimMethod(l.helix, "Client", op.AllName(), op.Group.File, o.at("name"))
	}
	if cursor.Name != "pagination" {
		o.errorf("response", `the cursor field must be named "pagination", not %q`, cursor.Name)
	}
	if data == nil || data.Type.Kind != KindArray {
		o.errorf("response", `a paginated response needs an array field "data"`)
	}
	after := false
	for _, q := range op.Query {
		after = after || (q.Name == "after" && q.Type.Kind == KindString)
	}
	if !after {
		o.errorf("query", `a paginated operation needs a string query parameter "after"`)
	}
}

// finish runs the checks that need the whole schema, and sorts.
func (l *loader) finish() {
	ops := map[string]*Operation{}
	routes := map[string]*Operation{}
	for _, g := range l.schema.Helix.Groups {
		for _, op := range g.Operations {
			if prev, dup := ops[op.GoName]; dup {
				l.sink.add(g.File, "", "duplicate operation %s (also in %s)", op.GoName, l.file(prev.Group.File))
				continue
			}
			route := op.Method + " " + op.Path
			if prev, dup := routes[route]; dup {
				l.sink.add(g.File, "", "duplicate operation %s: %s is also %s in %s", op.GoName, route, prev.GoName, l.file(prev.Group.File))
				continue
			}
			ops[op.GoName], routes[route] = op, op
			l.schema.Helix.Operations = append(l.schema.Helix.Operations, op)
		}
	}
	byGoName := func(a, b *Object) int { return cmp.Compare(a.GoName, b.GoName) }
	enumsByGoName := func(a, b *Enum) int { return cmp.Compare(a.GoName, b.GoName) }
	slices.SortFunc(l.schema.Helix.Groups, func(a, b *Group) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(l.schema.Helix.Operations, func(a, b *Operation) int { return cmp.Compare(a.GoName, b.GoName) })
	slices.SortFunc(l.schema.Helix.Objects, byGoName)
	slices.SortFunc(l.schema.Helix.Enums, enumsByGoName)
	slices.SortFunc(l.schema.EventSub.Objects, byGoName)
	slices.SortFunc(l.schema.EventSub.Enums, enumsByGoName)
	slices.SortFunc(l.schema.EventSub.Subscriptions, func(a, b *Subscription) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), compareVersions(a.Version, b.Version))
	})
}

// compareVersions orders numbered versions by number, and "beta" first.
func compareVersions(a, b string) int {
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	switch {
	case errA != nil && errB != nil:
		return cmp.Compare(a, b)
	case errA != nil:
		return -1
	case errB != nil:
		return 1
	}
	return cmp.Compare(x, y)
}
