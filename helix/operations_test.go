package helix_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/oauth"
	"github.com/twitchify-go/twitch/twitchtest"
)

// recorder keeps the raw answers a client received, so that a test can
// compare what a method decoded with what came over the wire.
type recorder struct {
	next http.RoundTripper

	mu      sync.Mutex
	answers []answer
}

type answer struct {
	status int
	body   []byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	r.mu.Lock()
	r.answers = append(r.answers, answer{resp.StatusCode, body})
	r.mu.Unlock()
	return resp, nil
}

func (r *recorder) last(t *testing.T) answer {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	assert.Assert(t, len(r.answers) > 0, "no answer recorded")
	return r.answers[len(r.answers)-1]
}

// sampleTime is the time every timestamp parameter is set to.
var sampleTime = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// TestEveryOperation calls every operation of the schema against the fake,
// with every parameter set (as far as its groups allow), and checks the
// request the fake received (method, path, query, body) and that the
// method decoded the whole answer: encoding what it decoded gives back the
// JSON that came over the wire. Paginated operations are walked with their
// All method too.
func TestEveryOperation(t *testing.T) {
	srv := twitchtest.NewServer()
	t.Cleanup(srv.Close)
	rec := &recorder{next: srv.Client().Transport}
	c := helix.New(clientID, srv.Token(token), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(&http.Client{Transport: rec}))
	ctx := context.Background()
	session := eventSubSession(t, srv)
	// The conduit operations keep real state in the fake too: one conduit
	// to delete, one for the others.
	var conduits []string
	for range 2 {
		res, err := c.CreateConduits(ctx, &helix.CreateConduitsParams{ShardCount: 1})
		assert.NilError(t, err)
		conduits = append(conduits, res.Data[0].ID)
	}

	ops := helix.Operations()
	clientValue := reflect.ValueOf(c)
	ran := 0
	var subscriptionID string
	for _, op := range ops {
		t.Run(op.Name, func(t *testing.T) {
			ran++
			method := clientValue.MethodByName(op.Name)
			assert.Assert(t, method.IsValid(), "no method Client.%s", op.Name)
			mt := method.Type()

			args := []reflect.Value{reflect.ValueOf(ctx)}
			wantQuery := url.Values{}
			wantBody := map[string]any{}
			if mt.NumIn() == 2 {
				params := reflect.New(mt.In(1).Elem())
				fillParams(t, op, params.Elem(), wantQuery, wantBody)
				// The EventSub operations keep real state in the fake.
				switch p := params.Interface().(type) {
				case *helix.CreateEventSubSubscriptionParams:
					cond, _ := twitchtest.SampleCondition("channel.follow", "2")
					*p = helix.CreateEventSubSubscriptionParams{
						Type: "channel.follow", Version: "2", Condition: cond,
						Transport: helix.EventSubTransportParams{Method: helix.EventSubTransportMethodWebSocket, SessionID: session},
					}
					wantBody = decodeJSON(t, mustJSON(t, p)).(map[string]any)
				case *helix.DeleteEventSubSubscriptionParams:
					p.ID = subscriptionID
					wantQuery = url.Values{"id": {subscriptionID}}
				case *helix.DeleteConduitParams:
					p.ID = conduits[0]
					wantQuery = url.Values{"id": {conduits[0]}}
				case *helix.UpdateConduitsParams:
					p.ID = conduits[1]
					wantBody["id"] = conduits[1]
				case *helix.UpdateConduitShardsParams:
					p.ConduitID = conduits[1]
					wantBody["conduit_id"] = conduits[1]
				case *helix.GetConduitShardsParams:
					p.ConduitID, p.After = conduits[1], "" // the fake's cursors are its own
					wantQuery.Set("conduit_id", conduits[1])
					wantQuery.Del("after")
				}
				args = append(args, params)
			}

			out := method.Call(args)
			errValue := out[len(out)-1]
			assert.Assert(t, errValue.IsNil(), "%v", errValue.Interface())

			// What the fake received.
			reqs := srv.Helix.Requests()
			got := reqs[len(reqs)-1]
			assert.Equal(t, got.Operation, op.Name)
			assert.Equal(t, got.Method, op.Method)
			assert.Equal(t, got.Path, op.Path)
			assert.Equal(t, got.Token, token)
			assert.Equal(t, got.ClientID, clientID)
			assert.DeepEqual(t, got.Query, wantQuery)
			if len(wantBody) > 0 {
				assert.DeepEqual(t, decodeJSON(t, got.Body), any(wantBody))
			} else {
				assert.Equal(t, len(got.Body), 0)
			}

			// What came back, and what the method made of it.
			ans := rec.last(t)
			assert.Equal(t, ans.status, op.Success)
			switch {
			case len(out) == 1: // no answer body
				assert.Equal(t, len(ans.body), 0)
			case mt.Out(0) == reflect.TypeFor[[]byte]():
				assert.DeepEqual(t, out[0].Bytes(), ans.body)
			default:
				decoded := mustJSON(t, out[0].Interface())
				want := decodeJSON(t, ans.body)
				got := decodeJSON(t, decoded)
				assert.DeepEqual(t, unixToRFC3339(want, got), got)
			}
			if res, ok := out[0].Interface().(*helix.CreateEventSubSubscriptionResponse); ok {
				subscriptionID = res.Data[0].ID
			}

			if op.Paginated {
				all := clientValue.MethodByName(op.Name + "All")
				assert.Assert(t, all.IsValid(), "no method Client.%sAll", op.Name)
				seq := all.Call(args)[0]
				n := 0
				for _, err := range seq.Seq2() {
					assert.Assert(t, err.IsNil(), "%v", err)
					n++
				}
				var page struct{ Data []json.RawMessage }
				assert.NilError(t, json.Unmarshal(rec.last(t).body, &page))
				assert.Equal(t, n, len(page.Data))
			}
		})
	}
	assert.Equal(t, ran, len(ops))
	assert.Assert(t, len(ops) >= 144)
}

// Nothing reachable through what Operations and LookupOperation return is
// the client's: changing all of it (every string, number and flag, in
// place, down to the scopes and parameter names) changes no request the
// client sends, nor what the next call of Operations returns.
func TestOperationsAreCopies(t *testing.T) {
	want := helix.Operations()
	before := requestsOfEveryOperation(t, want)

	ops := helix.Operations()
	for i := range ops {
		scribble(reflect.ValueOf(&ops[i]).Elem())
	}
	for _, op := range want {
		found, ok := helix.LookupOperation(op.Name)
		assert.Assert(t, ok, op.Name)
		scribble(reflect.ValueOf(&found).Elem())
		assert.Assert(t, found.Path != op.Path, "scribbled")
	}
	send := ops[slices.IndexFunc(ops, func(op helix.Operation) bool { return op.Name == "SendChatMessage-changed" })]
	assert.Equal(t, send.Path, "/chat/messages-changed", "the copy changed")
	assert.Equal(t, send.Auth[1].Scopes[1][0], oauth.ScopeUserBot+"-changed")

	after := requestsOfEveryOperation(t, want)
	assert.DeepEqual(t, after, before)
	assert.DeepEqual(t, helix.Operations(), want)
}

// scribble changes every string, number and bool reachable from v in
// place (slices' elements, not the slices).
func scribble(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "-changed")
	case reflect.Int:
		v.SetInt(v.Int() + 1)
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Slice:
		for i := range v.Len() {
			scribble(v.Index(i))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			scribble(v.Field(i))
		}
	default:
		panic("scribble: unexpected kind " + v.Kind().String())
	}
}

// requestsOfEveryOperation calls the method of each of ops, with every
// parameter set, and returns the requests a server received, as text:
// method, path, query, Client-Id and body.
func requestsOfEveryOperation(t *testing.T, ops []helix.Operation) []string {
	t.Helper()
	f := newFake(t, http.StatusOK, "{}")
	c := f.client(helix.WithMaxRetries(0))
	clientValue := reflect.ValueOf(c)
	for _, op := range ops {
		method := clientValue.MethodByName(op.Name)
		assert.Assert(t, method.IsValid(), "no method Client.%s", op.Name)
		args := []reflect.Value{reflect.ValueOf(context.Background())}
		if mt := method.Type(); mt.NumIn() == 2 {
			params := reflect.New(mt.In(1).Elem())
			fillParams(t, op, params.Elem(), url.Values{}, map[string]any{})
			args = append(args, params)
		}
		out := method.Call(args)
		assert.Assert(t, out[len(out)-1].IsNil(), "%s: %v", op.Name, out[len(out)-1].Interface())
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var reqs []string
	for _, r := range f.reqs {
		reqs = append(reqs, strings.Join([]string{r.Method, r.Path, r.RawQuery, r.Header.Get("Client-Id"), string(r.Body)}, " "))
	}
	assert.Equal(t, len(reqs), len(ops))
	return reqs
}

// eventSubSession opens a WebSocket to the fake and returns the session
// the welcome names, for creating subscriptions.
func eventSubSession(t *testing.T, srv *twitchtest.Server) string {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(srv.EventSub.URL, nil)
	assert.NilError(t, err)
	t.Cleanup(func() { ws.Close() })
	var welcome struct {
		Payload struct {
			Session struct{ ID string } `json:"session"`
		} `json:"payload"`
	}
	assert.NilError(t, ws.ReadJSON(&welcome))
	return welcome.Payload.Session.ID
}

// fillParams sets every parameter of params (a <Op>Params struct) that the
// operation's groups allow together, and records how each should travel:
// query parameters in wantQuery, body fields in wantBody.
func fillParams(t *testing.T, op helix.Operation, params reflect.Value, wantQuery url.Values, wantBody map[string]any) {
	t.Helper()
	// In a group of which at most one may be set, only the first is.
	skip := map[string]bool{}
	for _, g := range op.ParamGroups {
		if g.Rule == helix.RuleExactlyOne || g.Rule == helix.RuleAtMostOne {
			kept := false
			for _, name := range g.Params {
				switch {
				case skip[name]:
				case !kept:
					kept = true
				default:
					skip[name] = true
				}
			}
		}
	}
	typ := params.Type()
	for i := range typ.NumField() {
		f := typ.Field(i)
		v := params.Field(i)
		if name := f.Tag.Get("query"); name != "" {
			if skip[name] {
				continue
			}
			fill(v, name)
			wantQuery[name] = queryValues(t, v)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		assert.Assert(t, name != "" && name != "-", "%s.%s has neither a query nor a json tag", typ, f.Name)
		if skip[name] {
			continue
		}
		fill(v, name)
		wantBody[name] = decodeJSON(t, mustJSON(t, v.Interface()))
	}
}

// fill sets v to a value of its type that Twitch would take; strings say
// which parameter they are for.
func fill(v reflect.Value, name string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("v-" + name)
	case reflect.Int:
		v.SetInt(7)
	case reflect.Float64:
		v.SetFloat(2.5)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), name)
	case reflect.Slice:
		if v.Type() == reflect.TypeFor[json.RawMessage]() {
			v.SetBytes([]byte(`{"key":"v-` + name + `"}`))
			return
		}
		s := reflect.MakeSlice(v.Type(), 2, 2)
		fill(s.Index(0), name+"-0")
		fill(s.Index(1), name+"-1")
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		e := reflect.New(v.Type().Elem()).Elem()
		fill(e, name)
		m.SetMapIndex(reflect.ValueOf("key"), e)
		v.Set(m)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(sampleTime))
			return
		}
		for i := range v.NumField() {
			fill(v.Field(i), name+"."+v.Type().Field(i).Name)
		}
	default:
		panic("fill: unexpected kind " + v.Kind().String())
	}
}

// queryValues is how Twitch expects a parameter's value in the query.
func queryValues(t *testing.T, v reflect.Value) []string {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer:
		return queryValues(t, v.Elem())
	case reflect.Slice:
		var out []string
		for i := range v.Len() {
			out = append(out, queryValues(t, v.Index(i))...)
		}
		return out
	case reflect.String:
		return []string{v.String()}
	case reflect.Int:
		return []string{strconv.FormatInt(v.Int(), 10)}
	case reflect.Float64:
		return []string{strconv.FormatFloat(v.Float(), 'f', -1, 64)}
	case reflect.Bool:
		return []string{strconv.FormatBool(v.Bool())}
	case reflect.Struct:
		if tm, ok := v.Interface().(time.Time); ok {
			return []string{tm.Format(time.RFC3339)}
		}
	}
	t.Fatalf("no query form for %s", v.Type())
	return nil
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	assert.NilError(t, err)
	return data
}

func decodeJSON(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	assert.NilError(t, json.Unmarshal(data, &v), "%s", data)
	return v
}

// unixToRFC3339 returns want with each number that got holds as an RFC 3339
// string of the same second replaced by that string: Twitch sends some
// timestamps as Unix seconds, and helix.Time encodes every time in RFC 3339.
func unixToRFC3339(want, got any) any {
	switch w := want.(type) {
	case map[string]any:
		g, _ := got.(map[string]any)
		for k, x := range w {
			w[k] = unixToRFC3339(x, g[k])
		}
	case []any:
		g, _ := got.([]any)
		for i, x := range w {
			if i < len(g) {
				w[i] = unixToRFC3339(x, g[i])
			}
		}
	case float64:
		if g, ok := got.(string); ok {
			if at, err := time.Parse(time.RFC3339, g); err == nil && float64(at.Unix()) == w {
				return g
			}
		}
	}
	return want
}
