package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
	ijson "github.com/twitchify-go/twitch/internal/json"
	"github.com/twitchify-go/twitch/schema"
	"github.com/twitchify-go/twitch/schema/importer"
)

// moduleRoot is the folder of go.mod above the test's folder.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	assert.NilError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}

// imported imports the saved pages, with the schema's curation, once for
// the tests of the package.
func imported(t *testing.T) *importer.Result {
	t.Helper()
	root := moduleRoot(t)
	docs := filepath.Join(root, "..", "shared", "twitch-docs")
	if _, err := os.Stat(filepath.Join(docs, importer.PageAPIReference)); err != nil {
		t.Skipf("no saved reference pages in %s (they sit beside the module in CI): %v", docs, err)
	}
	importOnce.Do(func() {
		curated := filepath.Join(root, "schema", "curated")
		cur, err := importer.LoadCuration(os.DirFS(curated), curated)
		if err != nil {
			importErr = err
			return
		}
		importResult, importErr = importer.Import(context.Background(), importer.Dir(docs), cur)
	})
	assert.NilError(t, importErr)
	return importResult
}

var (
	importOnce   sync.Once
	importResult *importer.Result
	importErr    error
)

// tally counts what the test did with the examples.
type tally struct {
	checked, repaired, invalid, skipped, keysSkipped int
}

func TestExamples(t *testing.T) {
	var n tally
	var invalid, wrong, partly []string
	// Notification examples (or events shown alone) checked, by "<type>
	// <version>": all of them, and those checked only without their
	// wrong keys.
	notified, notifiedWhole := map[string]bool{}, map[string]bool{}
	wrongWhole := map[string]bool{} // types and versions with an example wrong as a whole
	shown := map[string]bool{}      // types and versions with a notification example
	for _, ex := range imported(t).Examples {
		where := fmt.Sprintf("%s#%s (%s)", ex.Page, ex.Section, ex.Heading)
		data, kind := payload(ex)
		if kind == "notification" || kind == "event" {
			shown[ex.Type+" "+ex.Version] = true
		}
		if ex.Wrong != "" && len(ex.WrongKeys) == 0 {
			wrong = append(wrong, fmt.Sprintf("%s: %s", where, ex.Wrong))
			wrongWhole[ex.Type+" "+ex.Version] = ex.Type != ""
			continue
		}
		if kind == "" {
			n.skipped++
			continue
		}
		if !json.Valid(data) {
			fixed := repair(data)
			if !json.Valid(fixed) {
				n.invalid++
				invalid = append(invalid, fmt.Sprintf("%s: %s", where, firstError(data)))
				continue
			}
			n.repaired++
			data = fixed
		}
		if len(ex.WrongKeys) > 0 {
			var removed int
			var problems []string
			data, removed, problems = withoutKeys(data, ex.WrongKeys)
			for _, p := range problems {
				t.Errorf("%s: schema/curated: %s", where, p)
			}
			n.keysSkipped += removed
			partly = append(partly, fmt.Sprintf("%s: without %s (%d values): %s", where, strings.Join(ex.WrongKeys, ", "), removed, ex.Wrong))
		}
		n.checked++
		var problems []string
		switch kind {
		case "notification":
			problems = checkNotification(ex, data)
		case "subscription request":
			problems = checkSubscriptionRequest(ex, data)
		case "event":
			problems = checkEvent(ex, data)
		case "helix response":
			problems = checkHelix(ex, data, false)
		case "helix request":
			problems = checkHelix(ex, data, true)
		}
		for _, p := range problems {
			t.Errorf("%s: %s: %s", where, kind, p)
		}
		if kind == "notification" || kind == "event" {
			key := ex.Type + " " + ex.Version
			notified[key] = true
			notifiedWhole[key] = notifiedWhole[key] || len(ex.WrongKeys) == 0
		}
	}
	for _, line := range invalid {
		t.Logf("not valid JSON in the docs, not checked: %s", line)
	}
	for _, line := range wrong {
		t.Logf("wrong in the docs (schema/curated says why), not checked: %s", line)
	}
	for _, line := range partly {
		t.Logf("checked without the keys schema/curated says are wrong: %s", line)
	}
	var none, onlyPartly []string
	for _, info := range eventsub.Types() {
		key := info.Type + " " + info.Version
		switch {
		case !notified[key]:
			none = append(none, key)
		case !notifiedWhole[key]:
			onlyPartly = append(onlyPartly, key)
		}
	}
	t.Logf("examples checked: %d (%d of them after repairing comments, trailing commas or elisions; %d without keys that are wrong, %d values left out); not valid JSON: %d; wrong as a whole, per curation: %d; not JSON examples (requests without a body, other formats): %d",
		n.checked, n.repaired, len(partly), n.keysSkipped, n.invalid, len(wrong), n.skipped)
	t.Logf("subscription types and versions with a notification example checked: %d of %d; %d of them only without wrong keys (%s); none: %s",
		len(eventsub.Types())-len(none), len(eventsub.Types()), len(onlyPartly), strings.Join(onlyPartly, ", "), strings.Join(none, ", "))
	assert.Assert(t, n.checked > 300, "too few examples checked: %d", n.checked)
	for _, key := range none {
		assert.Assert(t, !shown[key] || wrongWhole[key], "%s: no notification example checked, and none is wrong as a whole: curate the wrong keys, not the example", key)
	}
}

// withoutKeys returns data without the members at paths (member names
// from the top, through every item of an array), how many values it
// removed, and a problem for each path that matches nothing: a stale
// curation.
func withoutKeys(data []byte, paths []string) ([]byte, int, []string) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return data, 0, []string{err.Error()}
	}
	removed := 0
	var problems []string
	for _, p := range paths {
		n := removeKey(v, strings.Split(p, "."))
		if n == 0 {
			problems = append(problems, fmt.Sprintf("the example has no key %s to leave out", p))
		}
		removed += n
	}
	out, err := json.Marshal(v)
	if err != nil {
		return data, 0, []string{err.Error()}
	}
	return out, removed, problems
}

func removeKey(v any, names []string) int {
	switch t := v.(type) {
	case []any:
		n := 0
		for _, item := range t {
			n += removeKey(item, names)
		}
		return n
	case map[string]any:
		child, ok := t[names[0]]
		switch {
		case !ok:
			return 0
		case len(names) == 1:
			delete(t, names[0])
			return 1
		}
		return removeKey(child, names[1:])
	}
	return 0
}

// payload returns the JSON an example holds and what kind of example it is,
// or "" for an example that holds no JSON to check.
func payload(ex importer.Example) ([]byte, string) {
	text := bytes.TrimSpace(ex.JSON)
	if ex.Type != "" {
		switch {
		case bytes.Contains(text, []byte(`"subscription"`)):
			return text, "notification"
		case bytes.Contains(text, []byte(`"transport"`)):
			return text, "subscription request"
		case len(text) > 0 && text[0] == '{':
			return text, "event" // an event object shown alone
		}
		return nil, ""
	}
	if strings.HasPrefix(ex.Heading, "Example Request") {
		body := curlBody(string(text))
		if body == "" {
			return nil, ""
		}
		return []byte(body), "helix request"
	}
	if strings.HasPrefix(ex.Heading, "Example Response") && len(text) > 0 && (text[0] == '{' || text[0] == '[') {
		return text, "helix response"
	}
	return nil, ""
}

var dataFlag = regexp.MustCompile(`(?:-d|--data-raw|--data|-b)\s+'?`)

// curlBody is the JSON body of a curl (or Twitch CLI) command: from the
// brace after its data flag to the matching brace.
func curlBody(cmd string) string {
	loc := dataFlag.FindStringIndex(cmd)
	if loc == nil {
		return ""
	}
	rest := cmd[loc[1]:]
	end := strings.Index(rest, "'")
	if end < 0 {
		return strings.TrimSpace(rest)
	}
	return strings.TrimSpace(rest[:end])
}

var (
	lineComment   = regexp.MustCompile(`(?m)\s*//[^"\n]*$`)
	trailingComma = regexp.MustCompile(`,(\s*[}\]])`)
	elision       = regexp.MustCompile(`(?m),?\s*^\s*\.(\s*\.){2,}\s*$`)
	curlyQuotes   = strings.NewReplacer("“", `"`, "”", `"`)
)

// repair undoes what makes many docs examples invalid JSON: comments,
// trailing commas, "..." standing for more items, and curly quotes.
func repair(data []byte) []byte {
	s := curlyQuotes.Replace(string(data))
	s = lineComment.ReplaceAllString(s, "")
	s = elision.ReplaceAllString(s, "")
	s = trailingComma.ReplaceAllString(s, "$1")
	return []byte(s)
}

func firstError(data []byte) string {
	var v any
	err := json.Unmarshal(data, &v)
	if err == nil {
		return "valid"
	}
	return err.Error()
}

// checkNotification decodes a notification payload: its subscription, and
// its event into the generated type of its subscription type.
func checkNotification(ex importer.Example, data []byte) []string {
	var raw struct {
		Subscription json.RawMessage `json:"subscription"`
		Event        json.RawMessage `json:"event"`
		Events       json.RawMessage `json:"events"`
	}
	if err := strict(data, &raw); err != nil {
		return []string{"top level: " + err.Error()}
	}
	var problems []string
	problems = append(problems, roundTrip("subscription", raw.Subscription, reflect.TypeOf(helix.EventSubSubscription{}))...)

	n, err := eventsub.ParseNotification(data)
	if err != nil {
		return append(problems, err.Error())
	}
	info, known := n.TypeInfo()
	if !known {
		return append(problems, fmt.Sprintf("subscription type %s version %s is not in the schema", n.Subscription.Type, n.Subscription.Version))
	}
	if n.Subscription.Type != ex.Type || n.Subscription.Version != ex.Version {
		return append(problems, fmt.Sprintf("the example is of %s version %s, in the section of %s version %s", n.Subscription.Type, n.Subscription.Version, ex.Type, ex.Version))
	}
	event := raw.Event
	if info.Batched {
		event = raw.Events
	}
	problems = append(problems, roundTrip("event", event, reflect.TypeOf(n.Event))...)
	if c, err := n.Condition(); err != nil {
		problems = append(problems, err.Error())
	} else {
		problems = append(problems, roundTrip("subscription.condition", n.Subscription.Condition, reflect.TypeOf(c))...)
	}
	return problems
}

// checkEvent decodes an event object shown without its notification into
// the generated event type of the section's subscription type.
func checkEvent(ex importer.Example, data []byte) []string {
	info, ok := eventsub.Lookup(ex.Type, ex.Version)
	if !ok {
		return []string{fmt.Sprintf("subscription type %s version %s is not in the schema", ex.Type, ex.Version)}
	}
	key := "event"
	if info.Batched {
		key = "events"
	}
	wrapped := fmt.Sprintf(`{"subscription": {"type": %q, "version": %q}, %q: %s}`, ex.Type, ex.Version, key, data)
	n, err := eventsub.ParseNotification([]byte(wrapped))
	if err != nil {
		return []string{err.Error()}
	}
	return roundTrip("event", data, reflect.TypeOf(n.Event))
}

// checkSubscriptionRequest decodes a Create EventSub Subscription body, and
// its condition into the generated condition of its type.
func checkSubscriptionRequest(ex importer.Example, data []byte) []string {
	problems := roundTrip("body", data, reflect.TypeOf(helix.CreateEventSubSubscriptionParams{}))
	var req helix.CreateEventSubSubscriptionParams
	if err := ijson.Unmarshal(data, &req); err != nil {
		return append(problems, err.Error())
	}
	info, ok := eventsub.Lookup(req.Type, req.Version)
	if !ok {
		return append(problems, fmt.Sprintf("subscription type %s version %s is not in the schema", req.Type, req.Version))
	}
	if req.Type != ex.Type || req.Version != ex.Version {
		problems = append(problems, fmt.Sprintf("the example is of %s version %s, in the section of %s version %s", req.Type, req.Version, ex.Type, ex.Version))
	}
	return append(problems, roundTrip("condition", req.Condition, reflect.TypeOf(info.NewCondition()))...)
}

// checkHelix decodes a Helix example response into the operation's
// response type, or a request body into its params type.
func checkHelix(ex importer.Example, data []byte, request bool) []string {
	m, ok := reflect.TypeOf(&helix.Client{}).MethodByName(ex.Operation)
	if !ok {
		return []string{fmt.Sprintf("helix.Client has no method %s", ex.Operation)}
	}
	// Func type: (receiver, ctx[, params]) -> (response, error) or error.
	if request {
		if m.Type.NumIn() < 3 {
			return []string{ex.Operation + " takes no parameters, but the example sends a body"}
		}
		return roundTrip("body", data, m.Type.In(2))
	}
	if m.Type.NumOut() < 2 {
		return []string{ex.Operation + " returns no response body, but the example shows one"}
	}
	if m.Type.Out(0).Kind() == reflect.Slice {
		return nil // not JSON: the method returns bytes
	}
	return roundTrip("response", data, m.Type.Out(0))
}

// roundTrip decodes data strictly into a new value of typ (a pointer type
// or not), encodes it again, and reports every value of data that does not
// come back.
func roundTrip(what string, data []byte, typ reflect.Type) []string {
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	v := reflect.New(typ)
	if err := strict(data, v.Interface()); err != nil {
		return []string{fmt.Sprintf("%s: decoding into %s: %v", what, typ, err)}
	}
	again, err := ijson.Marshal(v.Interface())
	if err != nil {
		return []string{fmt.Sprintf("%s: encoding %s: %v", what, typ, err)}
	}
	var want, got any
	_ = json.Unmarshal(data, &want)
	_ = json.Unmarshal(again, &got)
	var problems []string
	compare(&problems, what, want, got)
	return problems
}

// strict decodes as the module decodes what Twitch sends, but refuses the
// keys that no field takes.
func strict(data []byte, v any) error {
	return ijson.UnmarshalStrict(data, v)
}

// compare reports where got lacks a value of want. A null or zero value may
// come back absent (an optional field); everything else must come back
// equal: numbers as numbers, timestamps as instants.
func compare(problems *[]string, path string, want, got any) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			*problems = append(*problems, fmt.Sprintf("%s: was an object, came back %s", path, show(got)))
			return
		}
		for k, wv := range w {
			gv, present := g[k]
			if !present {
				if !isZero(wv) {
					*problems = append(*problems, fmt.Sprintf("%s.%s: %s did not come back", path, k, show(wv)))
				}
				continue
			}
			compare(problems, path+"."+k, wv, gv)
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			*problems = append(*problems, fmt.Sprintf("%s: was %s, came back %s", path, show(want), show(got)))
			return
		}
		for i := range w {
			compare(problems, fmt.Sprintf("%s[%d]", path, i), w[i], g[i])
		}
	case nil:
		if got != nil {
			*problems = append(*problems, fmt.Sprintf("%s: was null, came back %s (make the field nullable)", path, show(got)))
		}
	case string:
		g, ok := got.(string)
		if ok && g == w {
			return
		}
		if ok && sameInstant(w, g) {
			return
		}
		*problems = append(*problems, fmt.Sprintf("%s: was %s, came back %s", path, show(want), show(got)))
	case float64:
		// A timestamp sent as Unix seconds comes back as RFC 3339 (0,
		// Twitch's none, as ""), like every other timestamp.
		if g, ok := got.(string); ok && unixInstant(w, g) {
			return
		}
		if !reflect.DeepEqual(want, got) {
			*problems = append(*problems, fmt.Sprintf("%s: was %s, came back %s", path, show(want), show(got)))
		}
	default:
		if !reflect.DeepEqual(want, got) {
			*problems = append(*problems, fmt.Sprintf("%s: was %s, came back %s", path, show(want), show(got)))
		}
	}
}

func isZero(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return t == ""
	case float64:
		return t == 0
	case bool:
		return !t
	}
	return false
}

// sameInstant reports whether two strings are the same instant in RFC 3339;
// "" is the zero instant.
func sameInstant(a, b string) bool {
	x, errA := parseInstant(a)
	y, errB := parseInstant(b)
	return errA == nil && errB == nil && x.Equal(y)
}

// unixInstant reports whether sec Unix seconds and the RFC 3339 string s
// are the same instant; 0 and "" are the zero instant.
func unixInstant(sec float64, s string) bool {
	y, err := parseInstant(s)
	if err != nil {
		return false
	}
	if sec == 0 {
		return y.IsZero()
	}
	whole, frac := math.Modf(sec)
	return time.Unix(int64(whole), int64(frac*1e9)).Equal(y)
}

func parseInstant(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

func show(v any) string {
	data, err := json.Marshal(v)
	if err != nil || len(data) > 80 {
		return fmt.Sprintf("%T", v)
	}
	return string(data)
}

// sources are, by "<type> <version>", the paths of the condition and event
// fields that Twitch's reference gives a subscription type: the rows of
// its tables, and the keys of its examples ("event.message.text", array
// items left out). Keys the curation says are wrong are no source.
func sources(t *testing.T, res *importer.Result) map[string]map[string]bool {
	t.Helper()
	src := map[string]map[string]bool{}
	add := func(key, path string) {
		if src[key] == nil {
			src[key] = map[string]bool{}
		}
		src[key][path] = true
	}
	for key, paths := range res.TableFields {
		for _, p := range paths {
			add(key, p)
		}
	}
	for _, ex := range res.Examples {
		if ex.Type == "" || ex.Wrong != "" && len(ex.WrongKeys) == 0 {
			continue
		}
		data, kind := payload(ex)
		if !json.Valid(data) {
			data = repair(data)
		}
		data, _, _ = withoutKeys(data, ex.WrongKeys)
		var v map[string]any
		if kind == "" || json.Unmarshal(data, &v) != nil {
			continue
		}
		key := ex.Type + " " + ex.Version
		switch kind {
		case "notification":
			if sub, ok := v["subscription"].(map[string]any); ok {
				keyPaths(func(p string) { add(key, p) }, "condition", sub["condition"])
			}
			keyPaths(func(p string) { add(key, p) }, "event", v["event"])
			keyPaths(func(p string) { add(key, p) }, "event", v["events"])
		case "subscription request":
			keyPaths(func(p string) { add(key, p) }, "condition", v["condition"])
		case "event":
			keyPaths(func(p string) { add(key, p) }, "event", v)
		}
	}
	return src
}

// keyPaths calls add with the path of every member of v, below prefix.
func keyPaths(add func(string), prefix string, v any) {
	switch t := v.(type) {
	case []any:
		for _, item := range t {
			keyPaths(add, prefix, item)
		}
	case map[string]any:
		for k, x := range t {
			add(prefix + "." + k)
			keyPaths(add, prefix+"."+k, x)
		}
	}
}

// unsourced lists the condition and event fields of the schema that have
// no source: no table row or example key at their path (or at an alias's),
// and no curated note that says where they come from. A member of a named
// object (ChatBadge.set_id) needs a source at one of the object's uses, in
// any subscription type: they are one object. It also returns how many
// fields it looked at.
func unsourced(s *schema.Schema, src map[string]map[string]bool) (missing []string, total int) {
	type member struct {
		o    *schema.Object
		name string
	}
	named := map[member]bool{} // a member of a named object: sourced at some use
	var order []member
	for _, sub := range s.EventSub.Subscriptions {
		key := sub.Type + " " + sub.Version
		var walk func(prefix string, o *schema.Object, depth int)
		walk = func(prefix string, o *schema.Object, depth int) {
			for _, f := range o.Fields {
				p := prefix + "." + f.Name
				sourced := src[key][p] || f.Note != ""
				for _, a := range f.Aliases {
					sourced = sourced || src[key][prefix+"."+a]
				}
				if o.Inline {
					total++
					if !sourced {
						missing = append(missing, fmt.Sprintf("%s: %s", key, p))
					}
				} else {
					m := member{o, f.Name}
					if _, seen := named[m]; !seen {
						total++
						order = append(order, m)
					}
					named[m] = named[m] || sourced
				}
				typ := f.Type
				for typ.Kind == schema.KindArray || typ.Kind == schema.KindMap {
					typ = typ.Elem
				}
				if typ.Kind == schema.KindObject && depth < 8 {
					walk(p, typ.Object, depth+1)
				}
			}
		}
		walk("condition", sub.Condition, 0)
		walk("event", sub.Event, 0)
	}
	for _, m := range order {
		if !named[m] {
			missing = append(missing, fmt.Sprintf("%s.%s (at every use)", m.o.GoName, m.name))
		}
	}
	return missing, total
}

// Every condition and event field of the schema has a source, so that a
// field nobody saw is not invented: a table row, an example key, or a
// curated note.
func TestEventFieldsHaveASource(t *testing.T) {
	res := imported(t)
	s, err := schema.LoadDir(filepath.Join(moduleRoot(t), "schema"))
	assert.NilError(t, err)
	missing, total := unsourced(s, sources(t, res))
	t.Logf("condition and event fields: %d; without a table row, an example key or a curated note: %d", total, len(missing))
	for _, m := range missing {
		t.Errorf("no source for %s: the reference's tables and examples do not have it; give it a note in schema/curated saying where it comes from, or remove it", m)
	}
}

// A field that no table, example or note accounts for is reported, in an
// event and in a named object; a note is a source.
func TestInventedFieldIsCaught(t *testing.T) {
	res := imported(t)
	s, err := schema.LoadDir(filepath.Join(moduleRoot(t), "schema"))
	assert.NilError(t, err)
	src := sources(t, res)

	var follow *schema.Subscription
	for _, sub := range s.EventSub.Subscriptions {
		if sub.Type == "channel.follow" && sub.Version == "2" {
			follow = sub
		}
	}
	assert.Assert(t, follow != nil)
	str := &schema.Type{Kind: schema.KindString}
	follow.Event.Fields = append(follow.Event.Fields,
		&schema.Field{Name: "followed_twice", GoName: "FollowedTwice", Type: str},
		&schema.Field{Name: "explained", GoName: "Explained", Type: str, Note: "A curated note says where it comes from."})
	badge := s.EventSub.Objects[slices.IndexFunc(s.EventSub.Objects, func(o *schema.Object) bool { return o.GoName == "ChatBadge" })]
	badge.Fields = append(badge.Fields, &schema.Field{Name: "sparkle", GoName: "Sparkle", Type: str})

	missing, _ := unsourced(s, src)
	assert.DeepEqual(t, missing, []string{"channel.follow 2: event.followed_twice", "ChatBadge.sparkle (at every use)"})
}

// exampleOf returns, decoded, the first notification example of a
// subscription type and version, without the keys the curation says are
// wrong.
func exampleOf(t *testing.T, typ, version string) map[string]any {
	t.Helper()
	for _, ex := range imported(t).Examples {
		if ex.Type != typ || ex.Version != version || ex.Wrong != "" && len(ex.WrongKeys) == 0 {
			continue
		}
		data, kind := payload(ex)
		if kind != "notification" {
			continue
		}
		if !json.Valid(data) {
			data = repair(data)
		}
		data, _, _ = withoutKeys(data, ex.WrongKeys)
		var v map[string]any
		assert.NilError(t, json.Unmarshal(data, &v))
		return v
	}
	t.Fatalf("no notification example of %s version %s", typ, version)
	return nil
}

// A chat notification of a charity donation has the charity's name and
// the amount inside charity_donation, as the reference's table nests them
// (no example of the reference shows one; this is its chat notification
// example, made a donation).
func TestChatNotificationCharityDonation(t *testing.T) {
	v := exampleOf(t, "channel.chat.notification", "1")
	event := v["event"].(map[string]any)
	event["notice_type"], event["resub"] = "charity_donation", nil
	event["charity_donation"] = map[string]any{
		"charity_name": "Example Charity",
		"amount":       map[string]any{"value": 1000, "decimal_places": 2, "currency": "USD"},
	}
	data, err := json.Marshal(v)
	assert.NilError(t, err)

	n, err := eventsub.ParseNotification(data)
	assert.NilError(t, err)
	e := n.Event.(*eventsub.ChannelChatNotificationEvent)
	assert.Equal(t, e.NoticeType, eventsub.ChatNoticeTypeCharityDonation)
	assert.DeepEqual(t, e.CharityDonation, &eventsub.ChatNotificationCharityDonation{
		CharityName: "Example Charity",
		Amount:      eventsub.CharityAmount{Value: 1000, DecimalPlaces: 2, Currency: "USD"},
	})
	raw, err := json.Marshal(event)
	assert.NilError(t, err)
	assert.DeepEqual(t, roundTrip("event", raw, reflect.TypeOf(e)), []string(nil))

	// The event itself has no charity members: they were always zero there.
	again, err := json.Marshal(e)
	assert.NilError(t, err)
	var keys map[string]json.RawMessage
	assert.NilError(t, json.Unmarshal(again, &keys))
	for _, k := range []string{"charity_name", "amount"} {
		_, ok := keys[k]
		assert.Assert(t, !ok, "the event has a member %s of its own", k)
	}
}

// The charity campaign events read the broadcaster's ID, login and name
// under the reference's names and under those of Twitch's CLI; the
// reference's names win when both are there, and encoding writes them.
func TestCharityCampaignAliases(t *testing.T) {
	for _, typ := range []string{"channel.charity_campaign.start", "channel.charity_campaign.progress", "channel.charity_campaign.stop"} {
		t.Run(typ, func(t *testing.T) {
			v := exampleOf(t, typ, "1")
			event := v["event"].(map[string]any)
			decode := func(event map[string]any) *eventsub.ChannelCharityCampaignStartEvent {
				t.Helper()
				v["event"] = event
				data, err := json.Marshal(v)
				assert.NilError(t, err)
				n, err := eventsub.ParseNotification(data)
				assert.NilError(t, err)
				// The three types have the same broadcaster fields.
				var out eventsub.ChannelCharityCampaignStartEvent
				again, err := json.Marshal(n.Event)
				assert.NilError(t, err)
				assert.NilError(t, json.Unmarshal(again, &out))
				return &out
			}
			reference := decode(event)
			assert.Equal(t, reference.BroadcasterID, event["broadcaster_id"])
			assert.Assert(t, reference.BroadcasterLogin != "" && reference.BroadcasterName != "")

			cli := maps.Clone(event)
			for _, f := range []string{"id", "login", "name"} {
				cli["broadcaster_user_"+f] = cli["broadcaster_"+f]
				delete(cli, "broadcaster_"+f)
			}
			assert.DeepEqual(t, decode(cli), reference)

			// A WebSocket frame, which ParseMessage decodes in one pass.
			frame, err := json.Marshal(map[string]any{
				"metadata": map[string]any{
					"message_id": "m1", "message_type": "notification", "message_timestamp": "2025-01-02T03:04:05Z",
					"subscription_type": typ, "subscription_version": "1",
				},
				"payload": map[string]any{"subscription": v["subscription"], "event": cli},
			})
			assert.NilError(t, err)
			msg, err := eventsub.ParseMessage(frame)
			assert.NilError(t, err)
			again, err := json.Marshal(msg.Notification.Event)
			assert.NilError(t, err)
			var fromFrame eventsub.ChannelCharityCampaignStartEvent
			assert.NilError(t, json.Unmarshal(again, &fromFrame))
			assert.DeepEqual(t, &fromFrame, reference)

			both := maps.Clone(cli)
			both["broadcaster_id"] = event["broadcaster_id"]
			both["broadcaster_user_id"] = "someone else"
			assert.DeepEqual(t, decode(both), reference)

			// Encoding writes the reference's names only.
			info, _ := eventsub.Lookup(typ, "1")
			data, _ := json.Marshal(map[string]any{"subscription": map[string]any{"type": typ, "version": "1"}, "event": cli})
			n, err := eventsub.ParseNotification(data)
			assert.NilError(t, err)
			got, known := n.TypeInfo()
			assert.Assert(t, known)
			assert.DeepEqual(t, got, info)
			out, err := json.Marshal(n.Event)
			assert.NilError(t, err)
			var keys map[string]any
			assert.NilError(t, json.Unmarshal(out, &keys))
			assert.Equal(t, keys["broadcaster_id"], event["broadcaster_id"])
			for _, f := range []string{"id", "login", "name"} {
				_, ok := keys["broadcaster_user_"+f]
				assert.Assert(t, !ok, "encoding wrote broadcaster_user_%s", f)
			}
		})
	}
}

// Timestamps compare by instant: Unix seconds and RFC 3339, "" and the
// zero instant.
func TestCompareTimestamps(t *testing.T) {
	for _, tc := range []struct {
		want, got any
		same      bool
	}{
		{"2025-01-02T03:04:05Z", "2025-01-02T04:04:05+01:00", true},
		{1735787045.0, "2025-01-02T03:04:05Z", true},
		{1735787045.5, "2025-01-02T03:04:05.5Z", true},
		{0.0, "", true},
		{"", "", true},
		{1735787045.0, "2025-01-02T03:04:06Z", false},
		{1.0, "1", false},
		{1.0, 1.0, true},
		{"2025-01-02T03:04:05Z", "", false},
	} {
		var problems []string
		compare(&problems, "x", tc.want, tc.got)
		assert.Equal(t, len(problems) == 0, tc.same, "%v and %v: %v", tc.want, tc.got, problems)
	}
}
