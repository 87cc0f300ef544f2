package importer

import (
	"context"
	"errors"
	"go/build"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
	"gotest.tools/v3/golden"

	"github.com/twitchify-go/twitch/gen"
	"github.com/twitchify-go/twitch/schema/format"
)

// The fixtures in testdata/pages are small pages we wrote in the shape of
// Twitch's: every structure the importer reads, and a few of the reference's
// mistakes. testdata/curated fixes those mistakes.

func fixtureCuration(t *testing.T) *Curation {
	t.Helper()
	cur, err := LoadCuration(os.DirFS("testdata/curated"), "testdata/curated")
	assert.NilError(t, err)
	return cur
}

func importFixtures(t *testing.T, cur *Curation) (*Result, error) {
	t.Helper()
	return Import(context.Background(), Dir("testdata/pages"), cur)
}

// TestImportFixtures compares every file the fixtures give with
// testdata/golden; run `go test ./schema/importer -update` to accept a
// change.
func TestImportFixtures(t *testing.T) {
	res, err := importFixtures(t, fixtureCuration(t))
	assert.NilError(t, err)
	var names []string
	for _, p := range sortedKeys(res.Files) {
		names = append(names, p)
		golden.Assert(t, string(res.Files[p]), filepath.Join("golden", p))
	}
	golden.Assert(t, strings.Join(names, "\n")+"\n", "golden/files.txt")

	// The imported files are a schema that loads.
	assert.NilError(t, Check(fstest.MapFS{}, "schema", res.Files))
}

func TestImportExamples(t *testing.T) {
	res, err := importFixtures(t, fixtureCuration(t))
	assert.NilError(t, err)
	var got []string
	for _, ex := range res.Examples {
		got = append(got, ex.Page+"#"+ex.Section+" "+ex.Heading+" "+ex.Type+" "+ex.Version+" "+ex.Operation)
	}
	assert.DeepEqual(t, got, []string{
		"eventsub-subscription-types.html#widgetspin Widget Spin Webhook Example widget.spin 1 ",
		"eventsub-subscription-types.html#widgetspin Widget Spin Notification Example widget.spin 1 ",
		"reference.html#get-widgets Example Request   GetWidgets",
		"reference.html#get-widgets Example Response   GetWidgets",
		"reference.html#update-widget Example Request   UpdateWidget",
	})
	assert.Equal(t, res.Examples[4].Wrong, "Sends gears the widget does not have; a made-up reason for the test.")
	assert.Assert(t, is.Len(res.Examples[4].WrongKeys, 0), "the whole example is wrong")
	assert.Equal(t, res.Examples[3].Wrong, "")
	assert.Equal(t, res.Examples[1].Wrong, "Sends speed, which the wire does not have; a made-up reason for the test.")
	assert.DeepEqual(t, res.Examples[1].WrongKeys, []string{"event.speed"})

	// What the tables give, before curation.
	assert.DeepEqual(t, res.TableFields["widget.spin 1"][:3], []string{"condition.broadcaster_user_id", "condition.widget_id", "event.widget_id"})
	assert.Assert(t, is.Contains(res.TableFields["widget.spin 1"], "event.speed"), "curation removes it; the table has it")

	// The text is kept as the page has it, even when it is not valid JSON.
	assert.Assert(t, strings.Contains(string(res.Examples[1].JSON), "// a comment"))
}

// Without the curation, the fixtures' mistakes are errors that name the
// page and the section, all at once, and there is no result.
func TestImportNeedsCuration(t *testing.T) {
	res, err := importFixtures(t, nil)
	assert.Assert(t, is.Nil(res))
	assert.Error(t, err, `eventsub-reference.html: section "widget-peek-event-moved": heading not found`)

	// With the anchor repaired, the next problems show, together.
	cur := &Curation{Anchors: map[string]Anchor{"eventsub-reference.html#widget-peek-event-moved": {Use: "widget-peek-event"}}}
	res, err = importFixtures(t, cur)
	assert.Assert(t, is.Nil(res))
	assert.Error(t, err, `reference.html: section "update-widget": the URL gives no HTTP method, and no curation sets one`+"\n"+
		`reference.html: section "update-widget": row 4 (spec): type "Spec" is defined nowhere on the page; curate the field's type`)
}

// A page whose structure is not what the importer knows gets an error that
// names the page and the section; nothing is half imported.
func TestImportUnexpectedStructure(t *testing.T) {
	for _, tc := range []struct {
		name, page, old, new, want string
	}{
		{
			name: "no table of subscription types",
			page: PageSubscriptionTypes, old: `<h1 id="subscription-types">`, new: `<h1 id="types">`,
			want: `eventsub-subscription-types.html: section "subscription-types": heading not found`,
		},
		{
			name: "a section without its request table",
			page: PageSubscriptionTypes, old: `<td><code>transport</code></td><td><a href="/docs/eventsub/eventsub-reference/#transport">`, new: `<td><code>transports</code></td><td><a href="/docs/eventsub/eventsub-reference/#transport">`,
			want: `eventsub-subscription-types.html: section "widgetspin": no request body table (with condition and transport rows)`,
		},
		{
			name: "a field table without a type column",
			page: PageEventSubReference, old: `<thead><tr><th>Name</th><th>Type</th><th>Required?</th><th>Description</th></tr></thead>
  <tbody>
    <tr><td><code>broadcaster_user_id</code>`, new: `<thead><tr><th>Name</th><th>Kind</th><th>Required?</th><th>Description</th></tr></thead>
  <tbody>
    <tr><td><code>broadcaster_user_id</code>`,
			want: `eventsub-reference.html: section "widget-spin-condition": a field table needs Name and Type columns, found ["name" "kind" "required" "description"]`,
		},
		{
			name: "a field name that is not one",
			page: PageEventSubReference, old: `<td><code>turns</code></td>`, new: `<td><code>the turns</code></td>`,
			want: `eventsub-reference.html: section "widget-spin-event": row 2: "the turns" is not a field name`,
		},
		{
			name: "an operation without a URL",
			page: PageAPIReference, old: `<p><code>GET https://api.twitch.tv/helix/widgets</code></p>`, new: `<p>Somewhere.</p>`,
			want: `reference.html: section "get-widgets": no URL of the form "GET https://api.twitch.tv/helix/..."`,
		},
		{
			name: "a dead link in the table of endpoints",
			page: PageAPIReference, old: `<a href="#get-widgets">`, new: `<a href="#get-gadgets">`,
			want: `reference.html: section "twitch-api-reference": row 1 links to #get-gadgets, which is not on the page`,
		},
		{
			name: "no scopes",
			page: PageScopes, old: `<th>Scope Name</th>`, new: `<th>Name</th>`,
			want: `scopes.html: section "scopes": no table of scopes (a first column named Scope Name)`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := editedPage(t, tc.page, tc.old, tc.new)
			res, err := Import(context.Background(), src, fixtureCuration(t))
			assert.Assert(t, is.Nil(res))
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

// editedPage is the fixtures with old replaced by new in one page.
func editedPage(t *testing.T, page, old, new string) Source {
	t.Helper()
	pages := mapSource{}
	for _, name := range []string{PageSubscriptionTypes, PageEventSubReference, PageAPIReference, PageScopes} {
		data, err := os.ReadFile(filepath.Join("testdata/pages", name))
		assert.NilError(t, err)
		pages[name] = string(data)
	}
	assert.Assert(t, strings.Contains(pages[page], old), "%s does not contain %q", page, old)
	pages[page] = strings.ReplaceAll(pages[page], old, new)
	return pages
}

type mapSource map[string]string

func (m mapSource) Page(_ context.Context, name string) ([]byte, error) {
	data, ok := m[name]
	if !ok {
		return nil, errors.New("no such page")
	}
	return []byte(data), nil
}

// The default source fetches the live pages; here a fake serves them.
func TestLiveSource(t *testing.T) {
	mux := http.NewServeMux()
	urls := map[string]string{}
	for _, name := range []string{PageSubscriptionTypes, PageEventSubReference, PageAPIReference, PageScopes} {
		mux.HandleFunc("/docs/"+name, func(w http.ResponseWriter, r *http.Request) {
			http.ServeFile(w, r, filepath.Join("testdata/pages", name))
		})
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, name := range []string{PageSubscriptionTypes, PageEventSubReference, PageAPIReference, PageScopes} {
		urls[name] = srv.URL + "/docs/" + name
	}
	live, err := Import(context.Background(), Live(srv.Client(), urls), fixtureCuration(t))
	assert.NilError(t, err)
	saved, err := importFixtures(t, fixtureCuration(t))
	assert.NilError(t, err)
	assert.DeepEqual(t, live.Files, saved.Files)

	// A page that is not there is an error naming it.
	urls[PageScopes] = srv.URL + "/docs/missing.html"
	_, err = Import(context.Background(), Live(srv.Client(), urls), fixtureCuration(t))
	assert.ErrorContains(t, err, "scopes.html: GET "+srv.URL+"/docs/missing.html: 404 Not Found")
}

func TestCurationErrors(t *testing.T) {
	for _, tc := range []struct {
		name, curation, want string
	}{
		{
			name:     "unknown key",
			curation: `{"subscriptions": {"widget.spin 2": {"sett": {}}}}`,
			want:     `c.json: json: unknown field "sett"`,
		},
		{
			name:     "a subscription the reference lacks",
			curation: `{"subscriptions": {"widget.spin 9": {"set": {"description": "x"}}}}`,
			want:     `c.json: subscriptions["widget.spin 9"]: the reference has no such subscription type and version`,
		},
		{
			name:     "a stale field patch",
			curation: `{"subscriptions": {"widget.spin 2": {"fields": {"event.feet": {"optional": true}}}}}`,
			want:     `c.json: subscriptions["widget.spin 2"].fields["event.feet"]: no such field (the reference changed, or the patch is stale)`,
		},
		{
			name:     "a path through a missing field",
			curation: `{"operations": {"get-widgets": {"fields": {"response.items.id": {"optional": true}}}}}`,
			want:     `c.json: operations["get-widgets"].fields["response.items.id"]: no field "items"`,
		},
		{
			name:     "a path without a part",
			curation: `{"operations": {"get-widgets": {"fields": {"data": {"optional": true}}}}}`,
			want:     `c.json: operations["get-widgets"].fields["data"]: a path starts with one of body, query, response and names a field`,
		},
		{
			name:     "adding a field that exists",
			curation: `{"operations": {"get-widgets": {"fields": {"query.first": {"add": {"type": "int"}}}}}}`,
			want:     `c.json: operations["get-widgets"].fields["query.first"]: the field already exists; set its keys instead of adding it`,
		},
		{
			name:     "an unknown key of a field patch",
			curation: `{"operations": {"get-widgets": {"fields": {"query.first": {"optinal": true}}}}}`,
			want:     `c.json: operations["get-widgets"].fields["query.first"]: json: unknown field "optinal"`,
		},
		{
			name:     "an unknown key of set",
			curation: `{"operations": {"get-widgets": {"set": {"verb": "GET"}}}}`,
			want:     `c.json: operations["get-widgets"].set: json: unknown field "verb"`,
		},
		{
			name:     "an operation the reference lacks",
			curation: `{"operations": {"get-gadgets": {"set": {"name": "GetGadgets"}}}}`,
			want:     `c.json: operations["get-gadgets"]: the reference has no such operation`,
		},
		{
			name:     "an example the pages lack",
			curation: `{"examples": {"reference.html#get-widgets Example Nope": {"note": "wrong"}}}`,
			want:     `c.json: examples["reference.html#get-widgets Example Nope"]: the pages have no such example`,
		},
		{
			name:     "an example without a note",
			curation: `{"examples": {"reference.html#get-widgets Example Response": {"keys": ["data.id"]}}}`,
			want:     `c.json: examples["reference.html#get-widgets Example Response"]: say in "note" why the example is wrong`,
		},
		{
			name:     "a key that is no path",
			curation: `{"examples": {"reference.html#get-widgets Example Response": {"keys": ["data..id"], "note": "x"}}}`,
			want:     `c.json: examples["reference.html#get-widgets Example Response"].keys[0]: "data..id" is not a path of member names, or is listed twice`,
		},
		{
			name:     "a scope the page lacks",
			curation: `{"scopes": {"gadget:read": {"description": "x"}}}`,
			want:     `c.json: scopes["gadget:read"]: the scopes page has no such scope`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fixes, err := os.ReadFile("testdata/curated/fixes.json")
			assert.NilError(t, err)
			fsys := fstest.MapFS{"fixes.json": {Data: fixes}, "c.json": {Data: []byte(tc.curation)}}
			cur, err := LoadCuration(fsys, "")
			if err == nil {
				_, err = importFixtures(t, cur)
			}
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

func TestCurationFilesMayShareAnOperationButNotAKey(t *testing.T) {
	a := `{"operations": {"get-widgets": {"set": {"description": "Gets widgets."}, "fields": {"query.id": {"max": 10}}}}}`
	for _, tc := range []struct {
		name, b, want string
	}{
		{
			name: "same set key",
			b:    `{"operations": {"get-widgets": {"set": {"description": "Other."}}}}`,
			want: `curated/b.json: operation "get-widgets": set: key "description" is set twice (also curated in curated/a.json)`,
		},
		{
			name: "same field",
			b:    `{"operations": {"get-widgets": {"fields": {"query.id": {"max": 5}}}}}`,
			want: `curated/b.json: operation "get-widgets": field "query.id" is curated in curated/a.json too`,
		},
		{
			name: "same anchor",
			b:    `{"anchors": {"p#x": {"use": "y"}}, "operations": {}}`,
			want: "",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{"a.json": {Data: []byte(a)}, "b.json": {Data: []byte(tc.b)}}
			_, err := LoadCuration(fsys, "curated")
			if tc.want == "" {
				assert.NilError(t, err)
				return
			}
			assert.Error(t, err, tc.want)
		})
	}

	fsys := fstest.MapFS{
		"a.json": {Data: []byte(a)},
		"b.json": {Data: []byte(`{"operations": {"get-widgets": {"set": {"param_groups": [{"params": ["id", "name"], "rule": "exactly_one"}]}, "fields": {"query.name": {"max": 3}}}}}`)},
	}
	cur, err := LoadCuration(fsys, "curated")
	assert.NilError(t, err)
	p := cur.Operations["get-widgets"]
	assert.Equal(t, string(p.Set), `{"description":"Gets widgets.","param_groups":[{"params":["id","name"],"rule":"exactly_one"}]}`)
	assert.DeepEqual(t, sortedKeys(p.Fields), []string{"query.id", "query.name"})
}

func TestCompare(t *testing.T) {
	res, err := importFixtures(t, fixtureCuration(t))
	assert.NilError(t, err)
	old := fstest.MapFS{}
	for p, data := range res.Files {
		old[p] = &fstest.MapFile{Data: data}
	}
	changes, err := Compare(old, res.Files)
	assert.NilError(t, err)
	assert.Equal(t, len(changes), 0, "the same files: no changes")

	// A field and an operation gone, a type changed, a scope and a file more.
	edit := func(p, from, to string) {
		data := string(old[p].Data)
		assert.Assert(t, strings.Contains(data, from), "%s: %q", p, from)
		old[p] = &fstest.MapFile{Data: []byte(strings.Replace(data, from, to, 1))}
	}
	edit("eventsub/widget.spin.v1.json", `{"name": "turns", "type": "int"}`, `{"name": "turns", "type": "float"}, {"name": "gone", "type": "bool"}`)
	edit("scopes.json", `{"name": "chat:read"},`, `{"name": "chat:read"}, {"name": "chat:edit"},`)
	old["eventsub/widget.old.v1.json"] = &fstest.MapFile{Data: []byte(`{"type": "widget.old", "version": "1"}`)}
	old["eventsub/objects/keep.json"] = &fstest.MapFile{Data: []byte(`{}`)}
	delete(old, "helix/widget_calendars.json")

	changes, err = Compare(old, res.Files)
	assert.NilError(t, err)
	var got []string
	for _, c := range changes {
		got = append(got, string(c.Kind)+" "+c.Path)
		for _, d := range c.Details {
			got = append(got, "    "+d)
		}
	}
	assert.DeepEqual(t, got, []string{
		"delete eventsub/widget.old.v1.json",
		"    subscription type widget.old version 1 removed",
		"update eventsub/widget.spin.v1.json",
		`    event.turns.type: "float" -> "int"`,
		"    event.gone: removed",
		"create helix/widget_calendars.json",
		"    group widget_calendars with operations GetWidgetCalendar added",
		"update scopes.json",
		"    chat:edit: removed",
	})
}

func TestCheckAndWrite(t *testing.T) {
	res, err := importFixtures(t, fixtureCuration(t))
	assert.NilError(t, err)
	dir := t.TempDir()
	assert.NilError(t, os.MkdirAll(filepath.Join(dir, "eventsub", "objects"), 0o755))
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "eventsub", "objects", "hand.json"), []byte(`{"objects": []}`), 0o644))
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "eventsub", "gone.v1.json"), []byte(`{}`), 0o644))

	// A schema that would not load is refused.
	broken := map[string][]byte{}
	for p, data := range res.Files {
		broken[p] = data
	}
	broken["scopes.json"] = []byte(`{"scopes": []}`)
	err = Check(os.DirFS(dir), dir, broken)
	assert.ErrorContains(t, err, `unknown scope "widget:read" (not in scopes.json)`)

	assert.NilError(t, Check(os.DirFS(dir), dir, res.Files))
	changes, err := Compare(os.DirFS(dir), res.Files)
	assert.NilError(t, err)
	assert.NilError(t, Write(gen.DirFS(dir), changes, res.Files))
	changes, err = Compare(os.DirFS(dir), res.Files)
	assert.NilError(t, err)
	assert.Equal(t, len(changes), 0, "written: nothing left to change")
	_, err = os.Stat(filepath.Join(dir, "eventsub", "gone.v1.json"))
	assert.Assert(t, errors.Is(err, os.ErrNotExist), "an imported file the pages no longer give is removed")
	_, err = os.Stat(filepath.Join(dir, "eventsub", "objects", "hand.json"))
	assert.NilError(t, err, "hand-written objects are never touched")
}

func TestEncodeFile(t *testing.T) {
	data, err := encodeFile(&format.Part{Fields: []*format.Field{
		{Name: "short", Type: "string"},
		{Name: "kind", Type: "string", Enum: []format.EnumValue{{Value: "a"}, {Value: "", GoName: "None"}}, Description: "<tags> & ampersands stay readable."},
		{Name: "nested", Type: "object", Fields: []*format.Field{
			{Name: "a_rather_long_field_name_number_one", Type: "string"},
			{Name: "a_rather_long_field_name_number_two", Type: "timestamp", Optional: true},
		}},
	}})
	assert.NilError(t, err)
	golden.Assert(t, string(data), "golden/format.json")
}

func TestSingular(t *testing.T) {
	for in, want := range map[string]string{
		"Users": "User", "Categories": "Category", "VIPs": "VIP", "ChatSettings": "", "HypeTrainStatus": "", "Glasses": "", "Chat": "",
	} {
		assert.Equal(t, singular(in), want, "singular(%q)", in)
	}
}

// The importer is a tool's library: it must not pull package testing (or
// testing/fstest) into the programs that use it.
func TestImportsNoTestingPackage(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	assert.NilError(t, err)
	for _, imp := range pkg.Imports {
		assert.Assert(t, imp != "testing" && !strings.HasPrefix(imp, "testing/"), "package importer imports %s", imp)
	}
}

func TestOperationName(t *testing.T) {
	for title, want := range map[string]string{
		"Send a Shoutout":          "SendShoutout",
		"Start a raid":             "StartRaid",
		"Cancel a raid":            "CancelRaid",
		"Get the Widget":           "GetWidget",
		"Create an EventSub Thing": "CreateEventSubThing",
		"Get Users":                "GetUsers",
		"Get Channel Information":  "GetChannelInformation",
		"Check AutoMod Status":     "CheckAutoModStatus",
	} {
		assert.Equal(t, operationName(title), want, title)
	}
}

// The rule gives a fill by the field's name, and user_id only in the types
// where the reference says whose ID it is; everything else is the caller's
// (or curation's) to say.
func TestConditionFillRule(t *testing.T) {
	for _, tc := range []struct{ typ, field, want string }{
		{"channel.follow", "broadcaster_user_id", "broadcaster"},
		{"channel.ad_break.begin", "broadcaster_id", "broadcaster"},
		{"channel.follow", "moderator_user_id", "user"},
		{"channel.chat.message", "user_id", "user"},
		{"channel.chat_settings.update", "user_id", "user"},
		{"user.update", "user_id", "user"},
		{"user.whisper.message", "user_id", "user"},
		{"channel.chatter.join", "user_id", ""}, // not a chat type: unknown until curated
		{"channel.follow", "user_id", ""},
		{"channel.raid", "to_broadcaster_user_id", ""}, // curated: a choice between two optional fields
		{"channel.raid", "from_broadcaster_user_id", ""},
		{"conduit.shard.disabled", "client_id", "client_id"},
		{"conduit.shard.disabled", "conduit_id", ""},
		{"extension.bits_transaction.create", "extension_client_id", "client_id"},
		{"drop.entitlement.grant", "organization_id", ""},
		{"channel.channel_points_custom_reward.update", "reward_id", ""},
	} {
		assert.Equal(t, conditionFill(tc.typ, tc.field), tc.want, "%s %s", tc.typ, tc.field)
	}
}

// A type that needs scopes and has no field for the token's user is the
// broadcaster's own: its channel field is the token's user. Without scopes,
// or with a moderator field, the channel may be any.
func TestOwnChannelOnly(t *testing.T) {
	fields := func(names ...string) []*format.Field {
		var out []*format.Field
		for _, n := range names {
			out = append(out, &format.Field{Name: n, Fill: conditionFill("channel.x", n)})
		}
		return out
	}
	fills := func(fs []*format.Field) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Name+"="+f.Fill)
		}
		return out
	}
	for _, tc := range []struct {
		fields []*format.Field
		scoped bool
		want   []string
	}{
		{fields("broadcaster_user_id"), true, []string{"broadcaster_user_id=user"}}, // channel.subscribe
		{fields("broadcaster_id"), true, []string{"broadcaster_id=user"}},           // channel.ad_break.begin
		{fields("broadcaster_user_id", "reward_id"), true, []string{"broadcaster_user_id=user", "reward_id="}},
		{fields("broadcaster_user_id"), false, []string{"broadcaster_user_id=broadcaster"}}, // stream.online
		{fields("broadcaster_user_id", "moderator_user_id"), true, []string{"broadcaster_user_id=broadcaster", "moderator_user_id=user"}},
	} {
		ownChannelOnly(tc.fields, tc.scoped)
		assert.DeepEqual(t, fills(tc.fields), tc.want)
	}
}
