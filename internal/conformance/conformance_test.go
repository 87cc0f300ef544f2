package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
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

// examples imports the saved pages, with the schema's curation, and
// returns their examples.
func examples(t *testing.T) []importer.Example {
	t.Helper()
	root := moduleRoot(t)
	docs := filepath.Join(root, "..", "shared", "twitch-docs")
	if _, err := os.Stat(filepath.Join(docs, importer.PageAPIReference)); err != nil {
		t.Skipf("no saved reference pages in %s (they sit beside the module in CI): %v", docs, err)
	}
	curated := filepath.Join(root, "schema", "curated")
	cur, err := importer.LoadCuration(os.DirFS(curated), curated)
	assert.NilError(t, err)
	res, err := importer.Import(context.Background(), importer.Dir(docs), cur)
	assert.NilError(t, err)
	return res.Examples
}

// tally counts what the test did with the examples.
type tally struct {
	checked, repaired, invalid, skipped int
}

func TestExamples(t *testing.T) {
	var n tally
	var invalid, wrong []string
	for _, ex := range examples(t) {
		where := fmt.Sprintf("%s#%s (%s)", ex.Page, ex.Section, ex.Heading)
		if ex.Wrong != "" {
			wrong = append(wrong, fmt.Sprintf("%s: %s", where, ex.Wrong))
			continue
		}
		data, kind := payload(ex)
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
	}
	for _, line := range invalid {
		t.Logf("not valid JSON in the docs, not checked: %s", line)
	}
	for _, line := range wrong {
		t.Logf("wrong in the docs (schema/curated says why), not checked: %s", line)
	}
	t.Logf("examples checked: %d (%d of them after repairing comments, trailing commas or elisions); not valid JSON: %d; wrong, per curation: %d; not JSON examples (requests without a body, other formats): %d",
		n.checked, n.repaired, n.invalid, len(wrong), n.skipped)
	assert.Assert(t, n.checked > 300, "too few examples checked: %d", n.checked)
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
	if err := json.Unmarshal(data, &req); err != nil {
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
	again, err := json.Marshal(v.Interface())
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

func strict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
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

func sameInstant(a, b string) bool {
	x, errA := time.Parse(time.RFC3339Nano, a)
	y, errB := time.Parse(time.RFC3339Nano, b)
	return errA == nil && errB == nil && x.Equal(y)
}

func show(v any) string {
	data, err := json.Marshal(v)
	if err != nil || len(data) > 80 {
		return fmt.Sprintf("%T", v)
	}
	return string(data)
}
