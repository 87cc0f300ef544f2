package schema

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

// baseSchema is a small valid schema; each bad-input case edits one file.
func baseSchema() map[string]string {
	return map[string]string{
		"scopes.json": `{"scopes": [{"name": "thing:read"}, {"name": "thing:manage", "description": "Manage things."}]}`,
		"eventsub/thing.update.v1.json": `{
  "type": "thing.update",
  "version": "1",
  "status": "stable",
  "doc_url": "https://example.com/docs#thingupdate",
  "auth": [{"token_type": "user", "scopes": [["thing:read", "thing:manage"]]}],
  "transports": ["websocket"],
  "condition": {
    "fields": [
      {"name": "broadcaster_user_id", "type": "string", "fill": "broadcaster"},
      {"name": "moderator_user_id", "type": "string", "fill": "user"},
      {"name": "reward_id", "type": "string", "optional": true}
    ]
  },
  "event": {
    "fields": [
      {"name": "user_id", "type": "string"},
      {"name": "badge", "type": "Badge"},
      {"name": "kind", "type": "string", "enum": ["a", "b"]},
      {"name": "at", "type": "timestamp", "optional": true},
      {"name": "ends", "type": "unix_timestamp", "aliases": ["ends_at", "end"]}
    ]
  }
}`,
		"eventsub/objects/shared.json": `{
  "objects": [{"name": "Badge", "fields": [{"name": "set_id", "type": "string"}, {"name": "color", "type": "Color"}]}],
  "enums": [{"name": "Color", "values": ["red", {"value": "", "go_name": "None"}]}]
}`,
		"helix/things.json": `{
  "operations": [
    {
      "name": "GetThings",
      "method": "GET",
      "path": "/things",
      "doc_url": "https://example.com/docs#get-things",
      "auth": [{"token_type": "app"}],
      "query": [
        {"name": "id", "type": "[]string", "optional": true, "max": 100},
        {"name": "after", "type": "string", "optional": true}
      ],
      "response": {"fields": [{"name": "data", "type": "[]Thing"}, {"name": "pagination", "type": "pagination"}]},
      "success": 200
    }
  ],
  "objects": [{"name": "Thing", "fields": [{"name": "id", "type": "string"}]}]
}`,
	}
}

func load(files map[string]string) (*Schema, error) {
	fsys := fstest.MapFS{}
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return Load(fsys, "schema")
}

// edit returns the base schema with old replaced by new in one file.
func edit(t *testing.T, file, old, new string) map[string]string {
	t.Helper()
	files := baseSchema()
	assert.Assert(t, strings.Contains(files[file], old), "%s does not contain %q", file, old)
	files[file] = strings.Replace(files[file], old, new, 1)
	return files
}

func TestLoadBase(t *testing.T) {
	s, err := load(baseSchema())
	assert.NilError(t, err)

	assert.Equal(t, len(s.Scopes), 2)
	assert.Equal(t, s.Scopes[0].GoName, "ScopeThingManage")
	assert.Equal(t, s.Scopes[0].Description, "Manage things.")

	assert.Equal(t, len(s.EventSub.Subscriptions), 1)
	sub := s.EventSub.Subscriptions[0]
	assert.Equal(t, sub.GoName, "ThingUpdate")
	assert.Equal(t, sub.Condition.GoName, "ThingUpdateCondition")
	assert.Equal(t, sub.Event.GoName, "ThingUpdateEvent")
	assert.Equal(t, sub.Auth[0].Scopes[0][1].Name, "thing:manage")
	var fills []string
	for _, f := range sub.Condition.Fields {
		fills = append(fills, f.Name+"="+f.Fill)
	}
	assert.DeepEqual(t, fills, []string{"broadcaster_user_id=broadcaster", "moderator_user_id=user", "reward_id="})
	badge := sub.Event.Fields[1]
	assert.Equal(t, badge.Type.Kind, KindObject)
	assert.Equal(t, badge.Type.Object, s.EventSub.Objects[0], "a reference points at the one shared object")
	kind := sub.Event.Fields[2]
	assert.Equal(t, kind.Type.Enum.GoName, "ThingUpdateKind", "an inline enum is named after its owner and field")
	assert.Equal(t, kind.Type.Enum.Values[1].GoName, "ThingUpdateKindB")
	assert.Assert(t, sub.Event.Fields[3].Optional)
	assert.Equal(t, s.EventSub.Enums[0].Values[1].GoName, "ColorNone")
	ends := sub.Event.Fields[4]
	assert.Equal(t, ends.Type.Kind, KindTimestamp)
	assert.Assert(t, ends.Type.Unix, "unix_timestamp is a timestamp sent as Unix seconds")
	assert.Assert(t, !sub.Event.Fields[3].Type.Unix)
	assert.DeepEqual(t, ends.Aliases, []string{"ends_at", "end"})
	assert.Assert(t, !ends.Request)

	op := s.Helix.Operations[0]
	assert.Equal(t, op.GoName, "GetThings")
	assert.Equal(t, op.Response.GoName, "GetThingsResponse")
	assert.Assert(t, op.Paginated)
	assert.Equal(t, op.Query[0].Max, 100)
	assert.Equal(t, op.Query[0].Type.Kind, KindArray)
	assert.Equal(t, op.Group.Name, "things")
	assert.Assert(t, op.Query[0].Request, "only the caller sends a query parameter")
	assert.Assert(t, !op.Response.Fields[0].Request)
}

// TestLoadErrors covers each kind of bad input: the error names the file and
// the JSON path, and says what is wrong.
func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string // the whole error
	}{
		{
			name:  "misspelt type",
			files: edit(t, "eventsub/thing.update.v1.json", `"name": "user_id", "type": "string"`, `"name": "user_id", "type": "strng"`),
			want:  `schema/eventsub/thing.update.v1.json: event.fields[0].type: unknown type "strng"`,
		},
		{
			name:  "missing version",
			files: edit(t, "eventsub/thing.update.v1.json", `"version": "1",`, ``),
			want:  `schema/eventsub/thing.update.v1.json: missing key "version"`,
		},
		{
			name: "duplicate type",
			files: func() map[string]string {
				files := baseSchema()
				files["eventsub/thing.update.v1.copy.json"] = files["eventsub/thing.update.v1.json"]
				return files
			}(),
			want: "schema/eventsub/thing.update.v1.copy.json: file name must be thing.update.v1.json for type thing.update version 1\n" +
				"schema/eventsub/thing.update.v1.json: duplicate subscription type thing.update version 1 (also in schema/eventsub/thing.update.v1.copy.json)",
		},
		{
			name:  "dangling reference",
			files: edit(t, "eventsub/thing.update.v1.json", `"type": "Badge"`, `"type": "Badges"`),
			want:  `schema/eventsub/thing.update.v1.json: event.fields[1].type: unknown type "Badges"`,
		},
		{
			name:  "unknown scope",
			files: edit(t, "eventsub/thing.update.v1.json", `"thing:manage"]`, `"thing:write"]`),
			want:  `schema/eventsub/thing.update.v1.json: auth[0].scopes[0][1]: unknown scope "thing:write" (not in scopes.json)`,
		},
		{
			name:  "unknown key",
			files: edit(t, "eventsub/thing.update.v1.json", `"timestamp", "optional": true`, `"timestamp", "optinal": true`),
			want:  `schema/eventsub/thing.update.v1.json: event.fields[3].optinal: unknown key "optinal"`,
		},
		{
			name:  "wrong JSON kind",
			files: edit(t, "eventsub/thing.update.v1.json", `"timestamp", "optional": true`, `"timestamp", "optional": "yes"`),
			want:  `schema/eventsub/thing.update.v1.json: event.fields[3].optional: expected boolean, found string`,
		},
		{
			name:  "invalid Go name",
			files: edit(t, "helix/things.json", `"name": "GetThings"`, `"name": "getThings"`),
			want:  `schema/helix/things.json: operations[0].name: "getThings" is not a valid exported Go name`,
		},
		{
			name: "duplicate operation",
			files: func() map[string]string {
				files := baseSchema()
				files["helix/more.json"] = strings.Replace(files["helix/things.json"], `"objects": [{"name": "Thing", "fields": [{"name": "id", "type": "string"}]}]`, `"objects": []`, 1)
				return files
			}(),
			want: "schema/helix/things.json: operations[0].name: Go name Client.GetThings is already used in package helix by schema/helix/more.json: operations[0].name\n" +
				"schema/helix/things.json: operations[0].name: Go name GetThingsParams is already used in package helix by schema/helix/more.json: operations[0].name\n" +
				"schema/helix/things.json: operations[0].response: Go name GetThingsResponse is already used in package helix by schema/helix/more.json: operations[0].response\n" +
				"schema/helix/things.json: operations[0].name: Go name Client.GetThingsAll is already used in package helix by schema/helix/more.json: operations[0].name\n" +
				"schema/helix/things.json: duplicate operation GetThings (also in schema/helix/more.json)",
		},
		{
			name:  "reserved runtime name",
			files: edit(t, "eventsub/objects/shared.json", `{"name": "Badge"`, `{"name": "Dispatcher"`),
			want: "schema/eventsub/objects/shared.json: objects[0].name: Go name Dispatcher is already used in package eventsub by the hand-written runtime\n" +
				`schema/eventsub/thing.update.v1.json: event.fields[1].type: unknown type "Badge"`,
		},
		{
			name:  "syntax error",
			files: edit(t, "helix/things.json", `"success": 200`, `"success": 200,`),
			want:  `schema/helix/things.json: invalid JSON: line 15: invalid character '}' looking for beginning of object key string`,
		},
		{
			name:  "duplicate JSON key",
			files: edit(t, "eventsub/thing.update.v1.json", `"status": "stable",`, `"status": "stable", "status": "beta",`),
			want:  `schema/eventsub/thing.update.v1.json: invalid JSON: line 4: duplicate key "status"`,
		},
		{
			name: "file outside the layout",
			files: func() map[string]string {
				files := baseSchema()
				files["evensub/thing.update.v1.json"] = files["eventsub/thing.update.v1.json"]
				return files
			}(),
			want: `schema/evensub/thing.update.v1.json: unexpected schema file: JSON files belong in scopes.json, eventsub/, eventsub/objects/, helix/, helix/objects/ or curated/`,
		},
		{
			name: "missing scopes.json",
			files: func() map[string]string {
				files := baseSchema()
				delete(files, "scopes.json")
				return files
			}(),
			want: `schema/eventsub/thing.update.v1.json: auth[0].scopes[0][0]: unknown scope "thing:read" (not in scopes.json)` + "\n" +
				`schema/eventsub/thing.update.v1.json: auth[0].scopes[0][1]: unknown scope "thing:manage" (not in scopes.json)` + "\n" +
				"schema/scopes.json: missing: the schema needs its list of scopes",
		},
		{
			name: "bad version and status",
			files: edit(t, "eventsub/thing.update.v1.json", `"version": "1",
  "status": "stable",`, `"version": "v1",
  "status": "gold",`),
			want: `schema/eventsub/thing.update.v1.json: version: "v1" is not a version: a positive number or "beta"` + "\n" +
				`schema/eventsub/thing.update.v1.json: status: must be "stable", "new" or "beta", not "gold"`,
		},
		{
			name:  "beta version needs beta status",
			files: edit(t, "eventsub/thing.update.v1.json", `"version": "1",`, `"version": "beta",`),
			want: "schema/eventsub/thing.update.v1.json: status: version \"beta\" and status \"beta\" go together\n" +
				"schema/eventsub/thing.update.v1.json: file name must be thing.update.beta.json for type thing.update version beta",
		},
		{
			name:  "unknown transport and payload",
			files: edit(t, "eventsub/thing.update.v1.json", `"transports": ["websocket"],`, `"transports": ["websocket", "carrier_pigeon", "websocket"], "payload": "batch",`),
			want: `schema/eventsub/thing.update.v1.json: payload: must be "event" or "events", not "batch"` + "\n" +
				`schema/eventsub/thing.update.v1.json: transports[1]: unknown transport "carrier_pigeon" (webhook, websocket or conduit)` + "\n" +
				`schema/eventsub/thing.update.v1.json: transports[2]: duplicate transport "websocket"`,
		},
		{
			name:  "non-string condition field",
			files: edit(t, "eventsub/thing.update.v1.json", `{"name": "broadcaster_user_id", "type": "string", "fill": "broadcaster"}`, `{"name": "broadcaster_user_id", "type": "int"}`),
			want:  `schema/eventsub/thing.update.v1.json: condition: condition field "broadcaster_user_id" must be a string: Twitch sends every condition value as one`,
		},
		{
			name:  "enum value without a Go name",
			files: edit(t, "eventsub/objects/shared.json", `{"value": "", "go_name": "None"}`, `""`),
			want:  `schema/eventsub/objects/shared.json: enums[0].values[1]: enum value "" has no Go name: give it a "go_name"`,
		},
		{
			name:  "inline type clashes with a named one",
			files: edit(t, "eventsub/thing.update.v1.json", `"name": "kind", "type": "string", "enum": ["a", "b"]`, `"name": "kind", "type": "string", "type_name": "Color", "enum": ["a", "b"]`),
			want:  `schema/eventsub/thing.update.v1.json: event.fields[2].enum: Go name Color is already used in package eventsub by schema/eventsub/objects/shared.json: enums[0].name`,
		},
		{
			name:  "duplicate field",
			files: edit(t, "eventsub/thing.update.v1.json", `{"name": "at", "type": "timestamp"`, `{"name": "user_id", "type": "timestamp"`),
			want:  `schema/eventsub/thing.update.v1.json: event.fields[3].name: duplicate field "user_id"`,
		},
		{
			name:  "max on a single query parameter",
			files: edit(t, "helix/things.json", `{"name": "after", "type": "string", "optional": true}`, `{"name": "after", "type": "string", "optional": true, "max": 5}`),
			want:  `schema/helix/things.json: operations[0].query[1].max: "max" needs a repeated parameter (type "[]...")`,
		},
		{
			name:  "object query parameter",
			files: edit(t, "helix/things.json", `{"name": "id", "type": "[]string", "optional": true, "max": 100}`, `{"name": "id", "type": "Thing"}`),
			want:  `schema/helix/things.json: operations[0].query[0].type: a query parameter must be a scalar or an array of scalars, not "Thing"`,
		},
		{
			name:  "paginated without after",
			files: edit(t, "helix/things.json", `{"name": "after", "type": "string", "optional": true}`, `{"name": "before", "type": "string", "optional": true}`),
			want:  `schema/helix/things.json: operations[0].query: a paginated operation needs a string query parameter "after"`,
		},
		{
			name: "bad parameter groups",
			files: edit(t, "helix/things.json", `"success": 200`, `"success": 200, "param_groups": [
				{"params": ["id", "after", "id"], "rule": "one"},
				{"params": ["id", "nope"]},
				{"params": ["id"], "max_total": 3},
				{"params": ["id", "after"], "max_total": 3}
			]`),
			want: "schema/helix/things.json: operations[0].param_groups[0].params[2]: parameter \"id\" is listed twice\n" +
				"schema/helix/things.json: operations[0].param_groups[0].rule: unknown rule \"one\" (want exactly_one, at_least_one or at_most_one)\n" +
				"schema/helix/things.json: operations[0].param_groups[1].params[1]: the operation has no query parameter or body field \"nope\"\n" +
				"schema/helix/things.json: operations[0].param_groups[1]: a group needs a \"rule\", a \"max_total\" or both\n" +
				"schema/helix/things.json: operations[0].param_groups[2].params: a group needs at least two parameters\n" +
				"schema/helix/things.json: operations[0].param_groups[3].params[1]: parameter \"after\" is not repeated, so max_total cannot count it",
		},
		{
			name:  "204 with a body",
			files: edit(t, "helix/things.json", `"success": 200`, `"success": 204`),
			want:  `schema/helix/things.json: operations[0].response: a 204 response has no body`,
		},
		{
			name:  "GET with a body and a bad method",
			files: edit(t, "helix/things.json", `"method": "GET",`, `"method": "FETCH", "body": {"fields": []},`),
			want:  `schema/helix/things.json: operations[0].method: unknown HTTP method "FETCH"`,
		},
		{
			name:  "path with a query",
			files: edit(t, "helix/things.json", `"path": "/things"`, `"path": "/things?x=1"`),
			want:  `schema/helix/things.json: operations[0].path: "/things?x=1" is not a Helix path ("/" then lower-case words, no query)`,
		},
		{
			name:  "doc URL not https",
			files: edit(t, "helix/things.json", `"doc_url": "https://example.com/docs#get-things"`, `"doc_url": "example.com"`),
			want:  `schema/helix/things.json: operations[0].doc_url: must be an https:// URL, not "example.com"`,
		},
		{
			name:  "pagination outside Helix",
			files: edit(t, "eventsub/thing.update.v1.json", `"type": "timestamp"`, `"type": "pagination"`),
			want:  `schema/eventsub/thing.update.v1.json: event.fields[3].type: type "pagination" is only for Helix responses`,
		},
		{
			name:  "alias of a parameter",
			files: edit(t, "helix/things.json", `{"name": "after", "type": "string", "optional": true}`, `{"name": "after", "type": "string", "optional": true, "aliases": ["cursor"]}`),
			want:  `schema/helix/things.json: operations[0].query[1].aliases[0]: "aliases" is for what Twitch sends: a parameter the caller sends has one name`,
		},
		{
			name:  "alias that is another field's name",
			files: edit(t, "eventsub/thing.update.v1.json", `"aliases": ["ends_at", "end"]`, `"aliases": ["ends_at", "user_id"]`),
			want:  `schema/eventsub/thing.update.v1.json: event.fields[4].aliases[1]: "user_id" is the name or an alias of another field`,
		},
		{
			name:  "alias twice",
			files: edit(t, "eventsub/thing.update.v1.json", `"aliases": ["ends_at", "end"]`, `"aliases": ["ends_at", "ends_at"]`),
			want:  `schema/eventsub/thing.update.v1.json: event.fields[4].aliases[1]: "ends_at" is listed twice`,
		},
		{
			name:  "bad alias",
			files: edit(t, "eventsub/thing.update.v1.json", `"aliases": ["ends_at", "end"]`, `"aliases": ["ends at"]`),
			want:  `schema/eventsub/thing.update.v1.json: event.fields[4].aliases[0]: "ends at" is not a field name`,
		},
		{
			name:  "no aliases",
			files: edit(t, "eventsub/thing.update.v1.json", `"aliases": ["ends_at", "end"]`, `"aliases": []`),
			want:  `schema/eventsub/thing.update.v1.json: event.fields[4].aliases: must not be empty`,
		},
		{
			name:  "unix timestamp sent by the caller",
			files: edit(t, "helix/things.json", `{"name": "after", "type": "string", "optional": true}`, `{"name": "after", "type": "string", "optional": true}, {"name": "since", "type": "unix_timestamp", "optional": true}`),
			want:  `schema/helix/things.json: operations[0].query[2].type: type "unix_timestamp" is for what Twitch sends; a parameter the caller sends is a "timestamp"`,
		},
		{
			name:  "unknown fill",
			files: edit(t, "eventsub/thing.update.v1.json", `"fill": "user"`, `"fill": "moderator"`),
			want:  `schema/eventsub/thing.update.v1.json: condition.fields[1].fill: must be "broadcaster", "user" or "client_id" (or no "fill" when the caller gives the value), not "moderator"`,
		},
		{
			name:  "empty fill",
			files: edit(t, "eventsub/thing.update.v1.json", `"fill": "user"`, `"fill": ""`),
			want:  `schema/eventsub/thing.update.v1.json: condition.fields[1].fill: must be "broadcaster", "user" or "client_id" (or no "fill" when the caller gives the value), not ""`,
		},
		{
			name:  "fill that is not a string",
			files: edit(t, "eventsub/thing.update.v1.json", `"fill": "user"`, `"fill": ["user"]`),
			want:  `schema/eventsub/thing.update.v1.json: condition.fields[1].fill: expected string, found array`,
		},
		{
			name:  "fill on an event field",
			files: edit(t, "eventsub/thing.update.v1.json", `{"name": "user_id", "type": "string"}`, `{"name": "user_id", "type": "string", "fill": "user"}`),
			want:  `schema/eventsub/thing.update.v1.json: event.fields[0].fill: "fill" is only for the fields of a subscription's condition`,
		},
		{
			name:  "fill on a query parameter",
			files: edit(t, "helix/things.json", `{"name": "after", "type": "string", "optional": true}`, `{"name": "after", "type": "string", "optional": true, "fill": "user"}`),
			want:  `schema/helix/things.json: operations[0].query[1].fill: "fill" is only for the fields of a subscription's condition`,
		},
		{
			name:  "fill on a field of an object",
			files: edit(t, "eventsub/objects/shared.json", `{"name": "set_id", "type": "string"}`, `{"name": "set_id", "type": "string", "fill": "broadcaster"}`),
			want:  `schema/eventsub/objects/shared.json: objects[0].fields[0].fill: "fill" is only for the fields of a subscription's condition`,
		},
		{
			name:  "fill on a field that is not a string",
			files: edit(t, "eventsub/thing.update.v1.json", `{"name": "reward_id", "type": "string", "optional": true}`, `{"name": "reward_id", "type": "int", "optional": true, "fill": "client_id"}`),
			want: `schema/eventsub/thing.update.v1.json: condition.fields[2].fill: a filled field is a "string" (an ID), not "int"` + "\n" +
				`schema/eventsub/thing.update.v1.json: condition: condition field "reward_id" must be a string: Twitch sends every condition value as one`,
		},
		{
			name:  "one fill on two fields",
			files: edit(t, "eventsub/thing.update.v1.json", `{"name": "reward_id", "type": "string", "optional": true}`, `{"name": "reward_id", "type": "string", "optional": true, "fill": "broadcaster"}`),
			want:  `schema/eventsub/thing.update.v1.json: condition.fields[2].fill: field "broadcaster_user_id" is filled with "broadcaster" too: a client would fill both; leave one to the caller`,
		},
		{
			name:  "fields on a scalar",
			files: edit(t, "eventsub/thing.update.v1.json", `{"name": "user_id", "type": "string"}`, `{"name": "user_id", "type": "string", "fields": []}`),
			want:  `schema/eventsub/thing.update.v1.json: event.fields[0].fields: "fields" is only for type "object" or "[]object", not "string"`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := load(tc.files)
			assert.Assert(t, is.Nil(s))
			assert.Error(t, err, tc.want)
			var list ErrorList
			assert.Assert(t, errors.As(err, &list))
			var one *Error
			assert.Assert(t, errors.As(err, &one), "errors.As reaches a single *Error")
			assert.Equal(t, one.File, list[0].File)
		})
	}
}

// Every problem of every file is reported, not only the first.
func TestLoadReportsEveryProblem(t *testing.T) {
	files := edit(t, "eventsub/thing.update.v1.json", `"type": "Badge"`, `"type": "Badges"`)
	files["helix/things.json"] = strings.Replace(files["helix/things.json"], `"method": "GET"`, `"method": "GOT"`, 1)
	files["helix/things.json"] = strings.Replace(files["helix/things.json"], `"success": 200`, `"success": 200, "colour": "red"`, 1)
	files["scopes.json"] = `{"scopes": [{"name": "thing:read"}, {"name": "thing:read"}, {"name": "thing:manage"}]}`
	_, err := load(files)
	assert.Error(t, err, `schema/eventsub/thing.update.v1.json: event.fields[1].type: unknown type "Badges"`+"\n"+
		`schema/helix/things.json: operations[0].method: unknown HTTP method "GOT"`+"\n"+
		`schema/helix/things.json: operations[0].colour: unknown key "colour"`+"\n"+
		`schema/scopes.json: scopes[1].name: duplicate scope "thing:read"`)
}

// The rules that name subscription versions.
func TestSubscriptionGoNames(t *testing.T) {
	files := baseSchema()
	v1 := files["eventsub/thing.update.v1.json"]
	files["eventsub/thing.update.v2.json"] = strings.Replace(v1, `"version": "1"`, `"version": "2"`, 1)
	files["eventsub/thing.update.beta.json"] = strings.Replace(strings.Replace(v1, `"version": "1"`, `"version": "beta"`, 1), `"status": "stable"`, `"status": "beta"`, 1)
	files["eventsub/thing.create.v3.json"] = strings.Replace(strings.Replace(v1, `"version": "1"`, `"version": "3"`, 1), `"thing.update"`, `"thing.create"`, 1)
	files["eventsub/thing.delete.v2.json"] = strings.Replace(strings.Replace(strings.Replace(v1, `"version": "1"`, `"version": "2"`, 1), `"thing.update"`, `"thing.delete"`, 1), `"status": "stable",`, `"status": "stable", "go_name": "ThingDeleteV2",`, 1)
	s, err := load(files)
	assert.NilError(t, err)
	var got []string
	for _, sub := range s.EventSub.Subscriptions {
		got = append(got, sub.Type+" "+sub.Version+" "+sub.GoName)
	}
	assert.DeepEqual(t, got, []string{
		"thing.create 3 ThingCreate", // the lowest version present takes the bare name
		"thing.delete 2 ThingDeleteV2",
		"thing.update beta ThingUpdateBeta",
		"thing.update 1 ThingUpdate",
		"thing.update 2 ThingUpdateV2",
	})
}

func TestLoadDirRealSchema(t *testing.T) {
	s, err := LoadDir("../schema")
	assert.NilError(t, err)
	assert.Assert(t, len(s.EventSub.Subscriptions) > 0)
	assert.Assert(t, len(s.Helix.Operations) > 0)
}
