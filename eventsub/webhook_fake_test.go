package eventsub_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
)

// This file holds what the Webhook's tests are made of: a signing helper
// that builds Twitch's requests, and hookHelix, a small Helix that lists,
// creates and deletes webhook subscriptions and sends the challenge of
// each it creates, as Twitch does, before its answer to the creation.
// The Helix client reaches it in memory, so that tests which need
// minutes to pass run in a testing/synctest bubble.

const (
	testCallback = "https://example.com/eventsub"
	testSecret   = "a secret of the tests"
	otherSecret  = "another secret, rotated"
)

// sign is Twitch's signature of a message: sha256= and the hex of the
// HMAC-SHA256 of its ID, timestamp and body.
func sign(secret, id, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(id))
	mac.Write([]byte(timestamp))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// message is one request as Twitch sends it to a callback.
type message struct {
	id, typ   string
	timestamp string
	body      []byte
	secret    string // signs it
}

// newMessage is a message of the type typ, sent now, signed with the
// tests' secret.
func newMessage(id string, typ eventsub.MessageType, body []byte) message {
	return message{id: id, typ: string(typ), timestamp: time.Now().UTC().Format(time.RFC3339Nano), body: body, secret: testSecret}
}

// request builds m's request, with every header Twitch sends.
func (m message) request() *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/eventsub", bytes.NewReader(m.body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Twitch-Eventsub-Message-Id", m.id)
	r.Header.Set("Twitch-Eventsub-Message-Retry", "0")
	r.Header.Set("Twitch-Eventsub-Message-Type", m.typ)
	r.Header.Set("Twitch-Eventsub-Message-Signature", sign(m.secret, m.id, m.timestamp, m.body))
	r.Header.Set("Twitch-Eventsub-Message-Timestamp", m.timestamp)
	r.Header.Set("Twitch-Eventsub-Subscription-Type", "channel.follow")
	r.Header.Set("Twitch-Eventsub-Subscription-Version", "2")
	return r
}

// serve has h answer r, and returns the answer.
func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// followBody is a webhook notification of channel.follow for the
// subscription subID, whose event's user ID carries n.
func followBody(subID string, n int) []byte {
	return fmt.Appendf(nil, `{"subscription":{"id":%q,"status":"enabled","type":"channel.follow","version":"2","cost":0,`+
		`"condition":{"broadcaster_user_id":"1","moderator_user_id":"1"},"transport":{"method":"webhook","callback":%q},"created_at":"2025-03-14T09:27:01Z"},`+
		`"event":{"user_id":"%d","user_login":"u","user_name":"U","broadcaster_user_id":"1","broadcaster_user_login":"b","broadcaster_user_name":"B","followed_at":"2025-03-14T09:41:12Z"}}`,
		subID, testCallback, n)
}

// challengeBody is a webhook_callback_verification for sub.
func challengeBody(challenge string, sub helix.EventSubSubscription) []byte {
	body, err := json.Marshal(map[string]any{"challenge": challenge, "subscription": sub})
	if err != nil {
		panic(err)
	}
	return body
}

// followSub is a channel.follow subscription of broadcaster id to the
// tests' callback, as Twitch lists it.
func followSub(subID, id string, status helix.EventSubSubscriptionStatus) helix.EventSubSubscription {
	return helix.EventSubSubscription{
		ID: subID, Status: status, Type: "channel.follow", Version: "2",
		Condition: json.RawMessage(fmt.Sprintf(`{"broadcaster_user_id":%q,"moderator_user_id":%q}`, id, id)),
		Transport: helix.EventSubTransport{Method: helix.EventSubTransportMethodWebhook, Callback: testCallback},
	}
}

// Modes of hookHelix's challenges.
type challengeMode int

const (
	challengeSync   challengeMode = iota // sent before the creation is answered; enabled if answered right
	challengeNever                       // never sent: the subscription stays pending
	challengeFailed                      // sent, and the subscription fails whatever the answer
)

// hookHelix is a Helix for webhook subscriptions.
type hookHelix struct {
	t        testing.TB
	mu       sync.Mutex
	subs     []helix.EventSubSubscription
	secrets  map[string]string // by subscription ID
	next     int
	mode     challengeMode
	refuse   map[string]int // type → status of the refusal
	pageSize int
	// target answers the challenges; deliver, when set, sends them
	// instead (over a network).
	target  http.Handler
	deliver func(*http.Request) (*http.Response, error)
	// calls counts the requests, by method.
	calls map[string]int
	// answers are the challenges' answers: status and body.
	answers []string
	// created are the creations asked for, secrets left out.
	created []helix.CreateEventSubSubscriptionParams
}

func newHookHelix(t testing.TB, subs ...helix.EventSubSubscription) *hookHelix {
	f := &hookHelix{t: t, secrets: map[string]string{}, refuse: map[string]int{}, pageSize: 2, calls: map[string]int{}}
	f.subs = append(f.subs, subs...)
	return f
}

// client is a Helix client with an app token that reaches f in memory.
func (f *hookHelix) client() *helix.Client {
	return helix.New("client-id", oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "app-token"}),
		helix.WithBaseURL("https://api.example.com/helix"),
		helix.WithHTTPClient(&http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
			rec := httptest.NewRecorder()
			f.ServeHTTP(rec, r)
			return rec.Result(), nil
		})}))
}

type roundTripper func(*http.Request) (*http.Response, error)

func (rt roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return rt(r) }

// add puts sub in f's list, as if made elsewhere.
func (f *hookHelix) add(sub helix.EventSubSubscription) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.subs = append(f.subs, sub)
}

// list returns the subscriptions at f, sorted by ID.
func (f *hookHelix) list() []helix.EventSubSubscription {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := slices.Clone(f.subs)
	slices.SortFunc(out, func(a, b helix.EventSubSubscription) int { return cmpString(a.ID, b.ID) })
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (f *hookHelix) count(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

func (f *hookHelix) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls[r.Method]++
	f.mu.Unlock()
	if r.URL.Path != "/helix/eventsub/subscriptions" || r.Header.Get("Authorization") != "Bearer app-token" {
		http.Error(rw, `{"status":404,"message":"not here"}`, http.StatusNotFound)
		return
	}
	switch r.Method {
	case http.MethodGet:
		f.get(rw, r)
	case http.MethodPost:
		f.post(rw, r)
	case http.MethodDelete:
		f.del(rw, r)
	}
}

func (f *hookHelix) get(rw http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	var all []helix.EventSubSubscription
	for _, s := range f.subs {
		if (q.Get("type") == "" || s.Type == q.Get("type")) && (q.Get("subscription_id") == "" || s.ID == q.Get("subscription_id")) {
			all = append(all, s)
		}
	}
	f.mu.Unlock()
	from, _ := strconv.Atoi(q.Get("after"))
	from = min(from, len(all))
	to := min(from+f.pageSize, len(all))
	cursor := ""
	if to < len(all) {
		cursor = strconv.Itoa(to)
	}
	writeJSON(rw, http.StatusOK, map[string]any{"data": nonNil(all[from:to]), "total": len(all), "total_cost": 0, "max_total_cost": 10000,
		"pagination": map[string]any{"cursor": cursor}})
}

func nonNil(s []helix.EventSubSubscription) []helix.EventSubSubscription {
	if s == nil {
		return []helix.EventSubSubscription{}
	}
	return s
}

func writeJSON(rw http.ResponseWriter, status int, v any) {
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(status)
	_ = json.NewEncoder(rw).Encode(v)
}

func (f *hookHelix) post(rw http.ResponseWriter, r *http.Request) {
	var p helix.CreateEventSubSubscriptionParams
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		writeJSON(rw, http.StatusBadRequest, map[string]any{"status": 400, "message": err.Error()})
		return
	}
	if p.Transport.Method != helix.EventSubTransportMethodWebhook || p.Transport.Callback == "" || len(p.Transport.Secret) < 10 {
		writeJSON(rw, http.StatusBadRequest, map[string]any{"status": 400, "message": "not a webhook transport"})
		return
	}
	var cond bytes.Buffer
	_ = json.Compact(&cond, p.Condition)
	f.mu.Lock()
	asked := p
	asked.Transport.Secret = ""
	f.created = append(f.created, asked)
	if status, ok := f.refuse[p.Type]; ok {
		f.mu.Unlock()
		writeJSON(rw, status, map[string]any{"error": http.StatusText(status), "status": status, "message": "refused by the test"})
		return
	}
	for _, s := range f.subs {
		if s.Type == p.Type && s.Version == p.Version && bytes.Equal(s.Condition, cond.Bytes()) && s.Transport.Callback == p.Transport.Callback {
			f.mu.Unlock()
			writeJSON(rw, http.StatusConflict, map[string]any{"error": "Conflict", "status": 409, "message": "subscription already exists"})
			return
		}
	}
	f.next++
	sub := helix.EventSubSubscription{
		ID: fmt.Sprintf("new-%d", f.next), Status: helix.EventSubSubscriptionStatusWebhookCallbackVerificationPending,
		Type: p.Type, Version: p.Version, Condition: json.RawMessage(cond.Bytes()),
		Transport: helix.EventSubTransport{Method: helix.EventSubTransportMethodWebhook, Callback: p.Transport.Callback},
	}
	f.subs = append(f.subs, sub)
	f.secrets[sub.ID] = p.Transport.Secret
	mode := f.mode
	f.mu.Unlock()
	if mode != challengeNever {
		sub = f.challenge(sub, p.Transport.Secret, mode)
	}
	writeJSON(rw, http.StatusAccepted, map[string]any{"data": []helix.EventSubSubscription{sub}, "total": 1, "total_cost": 0, "max_total_cost": 10000})
}

// challenge sends sub's challenge, and enables sub if it was answered
// right; it returns sub as it stands then, still pending (as Twitch
// answers a creation).
func (f *hookHelix) challenge(sub helix.EventSubSubscription, secret string, mode challengeMode) helix.EventSubSubscription {
	challenge := "challenge-" + sub.ID
	m := message{id: "verify-" + sub.ID, typ: "webhook_callback_verification", timestamp: time.Now().UTC().Format(time.RFC3339Nano),
		body: challengeBody(challenge, sub), secret: secret}
	req := m.request()
	var status int
	var body []byte
	if f.deliver != nil {
		req.RequestURI = ""
		req.URL.Scheme, req.URL.Host = "", ""
		res, err := f.deliver(req)
		if err == nil {
			status = res.StatusCode
			body, _ = io.ReadAll(res.Body)
			res.Body.Close()
		}
	} else {
		rec := serve(f.target, req)
		status, body = rec.Code, rec.Body.Bytes()
	}
	ok := status == http.StatusOK && string(body) == challenge
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers = append(f.answers, fmt.Sprintf("%d %s", status, body))
	for i := range f.subs {
		if f.subs[i].ID == sub.ID {
			switch {
			case mode == challengeFailed || !ok:
				f.subs[i].Status = helix.EventSubSubscriptionStatusWebhookCallbackVerificationFailed
			default:
				f.subs[i].Status = helix.EventSubSubscriptionStatusEnabled
			}
		}
	}
	return sub
}

func (f *hookHelix) del(rw http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.IndexFunc(f.subs, func(s helix.EventSubSubscription) bool { return s.ID == id })
	if i < 0 {
		writeJSON(rw, http.StatusNotFound, map[string]any{"error": "Not Found", "status": 404, "message": "no such subscription"})
		return
	}
	f.subs = slices.Delete(f.subs, i, i+1)
	rw.WriteHeader(http.StatusNoContent)
}

// hookEvents collects what a Webhook's callbacks report.
type hookEvents struct {
	ready   chan struct{}
	revoked chan helix.EventSubSubscription
	errs    chan error
}

func newHookEvents() *hookEvents {
	return &hookEvents{ready: make(chan struct{}, 10), revoked: make(chan helix.EventSubSubscription, 100), errs: make(chan error, 10_000)}
}

// options are the callbacks that feed the channels. A report that does
// not fit is dropped: no callback blocks.
func (e *hookEvents) options() []eventsub.Option {
	return []eventsub.Option{
		eventsub.OnReady(func() { e.ready <- struct{}{} }),
		eventsub.OnRevoked(func(s helix.EventSubSubscription) { e.revoked <- s }),
		eventsub.OnError(func(err error) {
			select {
			case e.errs <- err:
			default:
			}
		}),
		eventsub.WithLogger(testLogger()),
	}
}

// requestError waits for the next report, which must be a refusal.
func (e *hookEvents) requestError(t *testing.T) *eventsub.WebhookRequestError {
	t.Helper()
	err := wait(t, e.errs, "a report")
	re, ok := err.(*eventsub.WebhookRequestError)
	assert.Assert(t, ok, "a %T: %v", err, err)
	return re
}

// hookHarness is a running Webhook against a hookHelix.
type hookHarness struct {
	w      *eventsub.Webhook
	fake   *hookHelix
	ev     *hookEvents
	runErr chan error
}

// startWebhook runs a Webhook against fake until OnReady; the test's
// cleanup closes it and expects ErrClosed from Run unless the test took
// Run's error. configure registers handlers and subscribes before Run.
func startWebhook(t *testing.T, fake *hookHelix, configure func(*eventsub.Webhook), opts ...eventsub.Option) *hookHarness {
	t.Helper()
	hs := runWebhook(t, fake, configure, opts...)
	select {
	case <-hs.ev.ready:
	case err := <-hs.runErr:
		t.Fatalf("Run returned before OnReady: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for OnReady")
	}
	return hs
}

// runWebhook starts a Webhook's Run against fake.
func runWebhook(t *testing.T, fake *hookHelix, configure func(*eventsub.Webhook), opts ...eventsub.Option) *hookHarness {
	t.Helper()
	ev := newHookEvents()
	w := eventsub.NewWebhook(fake.client(), testCallback, testSecret, append(ev.options(), opts...)...)
	fake.target = w
	if configure != nil {
		configure(w)
	}
	hs := &hookHarness{w: w, fake: fake, ev: ev, runErr: make(chan error, 1)}
	done := make(chan error, 1)
	go func() {
		err := w.Run(context.Background())
		hs.runErr <- err
		done <- err
	}()
	t.Cleanup(func() {
		assert.NilError(t, w.Close())
		err := wait(t, done, "Run to return")
		if len(hs.runErr) > 0 { // the test did not take it
			assert.ErrorIs(t, err, eventsub.ErrClosed)
		}
	})
	return hs
}

// collectFollowsIn collects the user IDs of channel.follow events d
// dispatches, in order.
func collectFollowsIn(d *eventsub.Dispatcher) *follows {
	f := &follows{ch: make(chan string, 20000)}
	d.OnChannelFollow(func(_ context.Context, e *eventsub.ChannelFollowEvent) {
		f.mu.Lock()
		f.ids = append(f.ids, e.UserID)
		f.mu.Unlock()
		f.ch <- e.UserID
	})
	return f
}

// handled returns the user IDs handled so far.
func (f *follows) handled() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.ids)
}
