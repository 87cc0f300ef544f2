package helix_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/helix"
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
	srv := twitchtest.NewServer(t)
	rec := &recorder{next: srv.Client().Transport}
	c := helix.New(clientID, srv.Token(token), helix.WithBaseURL(srv.HelixURL), helix.WithHTTPClient(&http.Client{Transport: rec}))
	ctx := context.Background()
	session := eventSubSession(t, srv)

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
				}
				args = append(args, params)
			}

			out := method.Call(args)
			errValue := out[len(out)-1]
			assert.Assert(t, errValue.IsNil(), "%v", errValue.Interface())

			// What the fake received.
			reqs := srv.HelixRequests()
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
				assert.DeepEqual(t, unixToRFC3339(want), decodeJSON(t, decoded))
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

// eventSubSession opens a WebSocket to the fake and returns the session
// the welcome names, for creating subscriptions.
func eventSubSession(t *testing.T, srv *twitchtest.Server) string {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(srv.EventSubURL, nil)
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
func fillParams(t *testing.T, op *helix.Operation, params reflect.Value, wantQuery url.Values, wantBody map[string]any) {
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

// unixToRFC3339 returns v with the numbers the fake sends for Unix-seconds
// timestamps as helix.Time encodes them again: RFC 3339 strings. The fake's
// only such numbers are its sample instant.
func unixToRFC3339(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = unixToRFC3339(x)
		}
	case []any:
		for i, x := range t {
			t[i] = unixToRFC3339(x)
		}
	case float64:
		if t == 1735787045 {
			return time.Unix(int64(t), 0).UTC().Format(time.RFC3339)
		}
	}
	return v
}
