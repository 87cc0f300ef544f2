package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"reflect"
	"slices"
	"strings"

	"github.com/twitchify-go/twitch/schema/format"
)

// Curation is what the reference pages get wrong or leave out, written down
// so that every import applies it again: the files in schema/curated. The
// wire format, as Twitch's example payloads show it, wins over a table;
// each fix carries a note saying why.
type Curation struct {
	// Subscriptions are keyed by "<type> <version>": "channel.follow 2".
	Subscriptions map[string]*Patch `json:"subscriptions,omitempty"`
	// Operations are keyed by the operation's anchor in the API reference:
	// "get-users".
	Operations map[string]*Patch `json:"operations,omitempty"`
	// Scopes are keyed by name; a patch sets go_name or description.
	Scopes map[string]json.RawMessage `json:"scopes,omitempty"`
	// Anchors repair dead links of the reference: "<page>#<anchor>" maps
	// to the anchor of that page the link means.
	Anchors map[string]Anchor `json:"anchors,omitempty"`
	// Examples that are wrong (a typo the tables and the other examples
	// contradict, an error body shown as a success), by "<page>#<anchor>
	// <heading>". The conformance test leaves out the wrong keys and
	// checks the rest, or leaves out a wrong example whole.
	Examples map[string]ExampleFix `json:"examples,omitempty"`

	files map[string]string // where each key was curated, for errors
}

// ExampleFix says what is wrong in an example of the reference.
type ExampleFix struct {
	// Keys are the wrong members, each a path of member names from the
	// example's top, array items left out: "event.sub.sub_plan",
	// "data.guests.id". Without keys, the whole example is wrong.
	Keys []string `json:"keys,omitempty"`
	Note string   `json:"note"` // why
}

// Anchor is where a dead link of the reference should lead, and why.
type Anchor struct {
	Use  string `json:"use"`
	Note string `json:"note"`
}

// Patch edits one subscription file or operation.
type Patch struct {
	// Set holds keys of the subscription file (or operation) to set, as
	// they are written in the schema: {"go_name": "...", "transports": [...]}.
	Set json.RawMessage `json:"set,omitempty"`
	// Fields edit fields by path: the part ("condition", "event", "query",
	// "body" or "response") and the names down to the field:
	// "event.message.fragments". A field patch sets any key of a field, or:
	//   {"remove": true}                       the field does not exist
	//   {"rename": "new_name"}                 the wire uses another name
	//   {"add": {...field...}, "after": "x"}   a field the tables leave out
	Fields map[string]json.RawMessage `json:"fields,omitempty"`
}

// fieldPatch is the shape of a field patch, for checking its keys.
type fieldPatch struct {
	format.Field
	Add    *format.Field `json:"add"`
	After  string        `json:"after"`
	Remove bool          `json:"remove"`
	Rename string        `json:"rename"`
}

// LoadCuration reads every JSON file at the top of fsys (schema/curated);
// display names the folder in errors. No files is an empty curation.
func LoadCuration(fsys fs.FS, display string) (*Curation, error) {
	c := &Curation{
		Subscriptions: map[string]*Patch{},
		Operations:    map[string]*Patch{},
		Scopes:        map[string]json.RawMessage{},
		Anchors:       map[string]Anchor{},
		Examples:      map[string]ExampleFix{},
		files:         map[string]string{},
	}
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		if err := c.add(path.Join(display, name), data); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// add merges one curation file into c.
func (c *Curation) add(name string, data []byte) error {
	var one Curation
	if err := strictDecode(data, &one); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return errors.Join(
		mergePatches(c, name, "subscription", c.Subscriptions, one.Subscriptions),
		mergePatches(c, name, "operation", c.Operations, one.Operations),
		merge(c, name, "anchor", c.Anchors, one.Anchors, func(k string, a Anchor) error {
			if !strings.Contains(k, "#") || a.Use == "" {
				return fmt.Errorf("anchors[%q]: a key is \"<page>#<anchor>\" and its value needs \"use\"", k)
			}
			return nil
		}),
		merge(c, name, "example", c.Examples, one.Examples, func(k string, fix ExampleFix) error {
			if fix.Note == "" {
				return fmt.Errorf("examples[%q]: say in \"note\" why the example is wrong", k)
			}
			for i, key := range fix.Keys {
				if key == "" || slices.Contains(strings.Split(key, "."), "") || slices.Index(fix.Keys, key) < i {
					return fmt.Errorf("examples[%q].keys[%d]: %q is not a path of member names, or is listed twice", k, i, key)
				}
			}
			return nil
		}),
		merge(c, name, "scope", c.Scopes, one.Scopes, nil),
	)
}

// merge adds the entries of one curation file (name) to dst, refusing a
// key another file already curates, and any entry check refuses.
func merge[V any](c *Curation, name, kind string, dst, src map[string]V, check func(string, V) error) error {
	for _, k := range sortedKeys(src) {
		if prev, dup := c.files[kind+" "+k]; dup {
			return fmt.Errorf("%s: %s %q is curated in %s too", name, kind, k, prev)
		}
		if check != nil {
			if err := check(k, src[k]); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		c.files[kind+" "+k] = name
		dst[k] = src[k]
	}
	return nil
}

// mergePatches adds the patches of one curation file (name) to dst. Two
// files may patch one subscription or operation (one file for descriptions,
// another for the parameter groups of every operation), but never the same
// key of its set or the same field.
func mergePatches(c *Curation, name, kind string, dst, src map[string]*Patch) error {
	for _, k := range sortedKeys(src) {
		p := src[k]
		prev := dst[k]
		if prev == nil {
			c.files[kind+" "+k] = name
			dst[k] = p
			continue
		}
		where := fmt.Sprintf("%s: %s %q", name, kind, k)
		set, err := mergeObjects(prev.Set, p.Set)
		if err != nil {
			return fmt.Errorf("%s: set: %w (also curated in %s)", where, err, c.files[kind+" "+k])
		}
		fields := maps.Clone(prev.Fields)
		for _, path := range sortedKeys(p.Fields) {
			if _, dup := fields[path]; dup {
				return fmt.Errorf("%s: field %q is curated in %s too", where, path, c.files[kind+" "+k])
			}
			if fields == nil {
				fields = map[string]json.RawMessage{}
			}
			fields[path] = p.Fields[path]
		}
		c.files[kind+" "+k] += ", " + name
		dst[k] = &Patch{Set: set, Fields: fields}
	}
	return nil
}

// mergeObjects joins two JSON objects that share no key.
func mergeObjects(a, b json.RawMessage) (json.RawMessage, error) {
	if len(a) == 0 {
		return b, nil
	}
	if len(b) == 0 {
		return a, nil
	}
	var x, y map[string]json.RawMessage
	if err := json.Unmarshal(a, &x); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &y); err != nil {
		return nil, err
	}
	for _, k := range sortedKeys(y) {
		if _, dup := x[k]; dup {
			return nil, fmt.Errorf("key %q is set twice", k)
		}
		x[k] = y[k]
	}
	return json.Marshal(x)
}

func strictDecode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("unexpected data after the JSON value")
	}
	return nil
}

// apply edits the imported files. Every patch must find what it edits: a
// patch that finds nothing is stale, and an error.
// A patch that sets the type of a field in unread settles it.
func (c *Curation) apply(subs []*format.Subscription, groups []*format.Group, scopes *format.Scopes, unread map[*format.Field]string) []error {
	var errs []error
	bySub := map[string]*format.Subscription{}
	for _, s := range subs {
		bySub[s.Type+" "+s.Version] = s
	}
	for _, key := range sortedKeys(c.Subscriptions) {
		where := fmt.Sprintf("%s: subscriptions[%q]", c.files["subscription "+key], key)
		s := bySub[key]
		if s == nil {
			errs = append(errs, fmt.Errorf("%s: the reference has no such subscription type and version", where))
			continue
		}
		p := c.Subscriptions[key]
		parts := map[string]*[]*format.Field{"condition": &s.Condition.Fields, "event": &s.Event.Fields}
		errs = append(errs, p.applyFields(where, parts, unread)...)
		if err := p.applySet(where, s); err != nil {
			errs = append(errs, err)
		}
	}

	byAnchor := map[string]*format.Operation{}
	for _, g := range groups {
		for _, op := range g.Operations {
			byAnchor[anchorOf(op)] = op
		}
	}
	for _, key := range sortedKeys(c.Operations) {
		where := fmt.Sprintf("%s: operations[%q]", c.files["operation "+key], key)
		op := byAnchor[key]
		if op == nil {
			errs = append(errs, fmt.Errorf("%s: the reference has no such operation", where))
			continue
		}
		p := c.Operations[key]
		if op.Body == nil {
			op.Body = &format.Part{}
		}
		if op.Response == nil {
			op.Response = &format.Part{}
		}
		parts := map[string]*[]*format.Field{"query": &op.Query, "body": &op.Body.Fields, "response": &op.Response.Fields}
		errs = append(errs, p.applyFields(where, parts, unread)...)
		if len(op.Body.Fields) == 0 {
			op.Body = nil
		}
		if len(op.Response.Fields) == 0 && op.Response.ContentType == "" {
			op.Response = nil
		}
		if err := p.applySet(where, op); err != nil {
			errs = append(errs, err)
		}
	}

	byScope := map[string]*format.Scope{}
	for i := range scopes.Scopes {
		byScope[scopes.Scopes[i].Name] = &scopes.Scopes[i]
	}
	for _, key := range sortedKeys(c.Scopes) {
		where := fmt.Sprintf("%s: scopes[%q]", c.files["scope "+key], key)
		s := byScope[key]
		if s == nil {
			errs = append(errs, fmt.Errorf("%s: the scopes page has no such scope", where))
			continue
		}
		if err := strictDecode(c.Scopes[key], &format.Scope{}); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
			continue
		}
		if err := setKeys(s, c.Scopes[key]); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
		}
	}
	return errs
}

// applySet decodes Set onto target, which must know every key.
func (p *Patch) applySet(where string, target any) error {
	if len(p.Set) == 0 {
		return nil
	}
	// Decoding into a fresh value of the same type checks the keys;
	// decoding onto target then changes only the keys Set has.
	scratch := newLike(target)
	if err := strictDecode(p.Set, scratch); err != nil {
		return fmt.Errorf("%s.set: %w", where, err)
	}
	if err := setKeys(target, p.Set); err != nil {
		return fmt.Errorf("%s.set: %w", where, err)
	}
	return nil
}

// setKeys sets the fields of the struct that target points to whose JSON
// keys raw has, each to the value raw gives it, replacing the old value
// whole: json.Unmarshal onto target would decode an array into the old
// slice's elements and keep what the patch leaves out.
func setKeys(target any, raw json.RawMessage) error {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return err
	}
	dst := reflect.ValueOf(target).Elem()
	fresh := reflect.New(dst.Type())
	if err := json.Unmarshal(raw, fresh.Interface()); err != nil {
		return err
	}
	for i := range dst.NumField() {
		name, _, _ := strings.Cut(dst.Type().Field(i).Tag.Get("json"), ",")
		if _, ok := keys[name]; ok && name != "" && name != "-" {
			dst.Field(i).Set(fresh.Elem().Field(i))
		}
	}
	return nil
}

func newLike(v any) any {
	switch v.(type) {
	case *format.Subscription:
		return &format.Subscription{}
	case *format.Operation:
		return &format.Operation{}
	}
	return &format.Field{}
}

// applyFields applies the field patches: removals and renames first, then
// settings, then additions, each in path order, so the result does not
// depend on map order.
func (p *Patch) applyFields(where string, parts map[string]*[]*format.Field, unread map[*format.Field]string) []error {
	var errs []error
	type op struct {
		path  string
		patch fieldPatch
		raw   json.RawMessage
	}
	var ops []op
	for _, path := range sortedKeys(p.Fields) {
		var fp fieldPatch
		if err := strictDecode(p.Fields[path], &fp); err != nil {
			errs = append(errs, fmt.Errorf("%s.fields[%q]: %w", where, path, err))
			continue
		}
		ops = append(ops, op{path, fp, p.Fields[path]})
	}
	rank := func(o op) int {
		switch {
		case o.patch.Remove || o.patch.Rename != "":
			return 0
		case o.patch.Add != nil:
			return 2
		}
		return 1
	}
	slices.SortStableFunc(ops, func(a, b op) int { return rank(a) - rank(b) })

	// Adds may follow fields that other adds bring: place them in rounds
	// until no round places one more.
	var adds []op
	for _, o := range ops {
		if o.patch.Add != nil {
			adds = append(adds, o)
			continue
		}
		if err := applyFieldPatch(where, parts, o.path, o.patch, o.raw, unread); err != nil {
			errs = append(errs, err)
		}
	}
	for len(adds) > 0 {
		var later []op
		var lastErrs []error
		for _, o := range adds {
			if err := applyFieldPatch(where, parts, o.path, o.patch, o.raw, unread); err != nil {
				later, lastErrs = append(later, o), append(lastErrs, err)
			}
		}
		if len(later) == len(adds) {
			errs = append(errs, lastErrs...)
			break
		}
		adds = later
	}
	return errs
}

// applyFieldPatch applies one field patch at path.
func applyFieldPatch(where string, parts map[string]*[]*format.Field, path string, patch fieldPatch, raw json.RawMessage, unread map[*format.Field]string) error {
	at := fmt.Sprintf("%s.fields[%q]", where, path)
	partName, rest, _ := strings.Cut(path, ".")
	list, ok := parts[partName]
	if !ok || rest == "" {
		return fmt.Errorf("%s: a path starts with one of %s and names a field", at, strings.Join(sortedKeys(parts), ", "))
	}
	names := strings.Split(rest, ".")
	parent, err := walkFields(list, names[:len(names)-1])
	if err != nil {
		return fmt.Errorf("%s: %w", at, err)
	}
	last := names[len(names)-1]
	i := slices.IndexFunc(*parent, func(f *format.Field) bool { return f.Name == last })
	switch {
	case patch.Add != nil:
		if i >= 0 {
			return fmt.Errorf("%s: the field already exists; set its keys instead of adding it", at)
		}
		pos := len(*parent)
		if patch.After != "" {
			j := slices.IndexFunc(*parent, func(f *format.Field) bool { return f.Name == patch.After })
			if j < 0 {
				return fmt.Errorf("%s: no field %q to add after", at, patch.After)
			}
			pos = j + 1
		}
		f := *patch.Add
		f.Name = last
		if patch.Note != "" && f.Note == "" {
			f.Note = patch.Note
		}
		*parent = slices.Insert(*parent, pos, &f)
	case i < 0:
		return fmt.Errorf("%s: no such field (the reference changed, or the patch is stale)", at)
	case patch.Remove:
		*parent = slices.Delete(*parent, i, i+1)
	default:
		f := (*parent)[i]
		if patch.Rename != "" {
			f.Name = patch.Rename
		}
		before := f.Type
		if err := setKeys(f, raw); err != nil {
			return fmt.Errorf("%s: %w", at, err)
		}
		if f.Type != before {
			retype(f, patch.Fields != nil, patch.Enum != nil)
		}
		if patch.Type != "" {
			delete(unread, f)
		}
	}
	return nil
}

// retype drops what a field's new type cannot have: members unless it is an
// object, an enum unless it is a string.
func retype(f *format.Field, keepFields, keepEnum bool) {
	base := strings.TrimPrefix(strings.TrimPrefix(f.Type, "[]"), "map[string]")
	if base != "object" && !keepFields {
		f.Fields = nil
	}
	if base != "string" && !keepEnum {
		f.Enum = nil
	}
	if base != "object" && base != "string" {
		f.TypeName = ""
	}
}

// walkFields follows names down the members of list.
func walkFields(list *[]*format.Field, names []string) (*[]*format.Field, error) {
	for _, n := range names {
		i := slices.IndexFunc(*list, func(f *format.Field) bool { return f.Name == n })
		if i < 0 {
			return nil, fmt.Errorf("no field %q", n)
		}
		list = &(*list)[i].Fields
	}
	return list, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
