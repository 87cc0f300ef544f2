package twitchtest_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/oauth"
	"github.com/twitchify-go/twitch/twitchtest"
)

const (
	appToken  = "app-token"
	userToken = "user-token"
	secret    = "s3cre7-for-tests"
	// grantCondition is a condition of user.authorization.grant, a type
	// only webhooks deliver.
	grantCondition = `{"client_id":"client"}`
)

// received is a webhook message a receiver got.
type received struct {
	Header http.Header
	Body   []byte
	// SignatureOK says whether the signature header is the HMAC-SHA256 of
	// the message ID, timestamp and body with the receiver's secret.
	SignatureOK bool
}

func (m received) id() string      { return m.Header.Get("Twitch-Eventsub-Message-Id") }
func (m received) kind() string    { return m.Header.Get("Twitch-Eventsub-Message-Type") }
func (m received) retry() string   { return m.Header.Get("Twitch-Eventsub-Message-Retry") }
func (m received) challenge() string {
	var body struct {
		Challenge string `json:"challenge"`
	}
	_ = json.Unmarshal(m.Body, &body)
	return body.Challenge
}

// receiver is a webhook callback written for these tests: it checks every
// message's signature with crypto/hmac, records the message, and answers
// with answer, by default the challenge to a challenge (as text) and 204
// to anything else.
type receiver struct {
	secret string
	answer func(r *http.Request, m received) (int, string)

	mu      sync.Mutex
	got     []received
	arrived chan received // every message, as it arrives
}

func newReceiver(answer func(r *http.Request, m received) (int, string)) *receiver {
	return &receiver{secret: secret, answer: answer, arrived: make(chan received, 10000)}
}

// signature computes a message's signature independently of the fake.
func signature(secret, id, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(id + timestamp))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	m := received{Header: r.Header.Clone(), Body: body}
	want := signature(rc.secret, m.id(), r.Header.Get("Twitch-Eventsub-Message-Timestamp"), body)
	m.SignatureOK = hmac.Equal([]byte(want), []byte(r.Header.Get("Twitch-Eventsub-Message-Signature")))
	rc.mu.Lock()
	rc.got = append(rc.got, m)
	rc.mu.Unlock()
	rc.arrived <- m
	status, answer := http.StatusNoContent, ""
	switch {
	case rc.answer != nil:
		status, answer = rc.answer(r, m)
	case m.kind() == "webhook_callback_verification":
		status, answer = http.StatusOK, m.challenge()
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, answer)
}

// messages returns what the receiver got, oldest first.
func (rc *receiver) messages() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// next returns the next message to arrive, failing the test when none
// comes within a minute (a bound; in a bubble, a deadlock ends it first).
func (rc *receiver) next(t *testing.T) received {
	t.Helper()
	select {
	case m := <-rc.arrived:
		return m
	case <-time.After(time.Minute):
		t.Fatal("no webhook message arrived")
		return received{}
	}
}

// webhookFake starts a fake that knows an app token and a user token of
// the application "client", with opts.
func webhookFake(t *testing.T, opts ...twitchtest.Option) *twitchtest.Server {
	t.Helper()
	srv := newFake(t, opts...)
	srv.OAuth.AddToken(appToken, twitchtest.TokenInfo{Type: oauth.TokenApp, ClientID: "client"})
	srv.OAuth.AddToken(userToken, twitchtest.TokenInfo{UserID: "141981764", Login: "twitchdev", ClientID: "client"})
	return srv
}

// subscribeWebhook creates a webhook subscription through Helix with hc and
// returns the status and the answer.
func subscribeWebhook(t *testing.T, hc *http.Client, srv *twitchtest.Server, token, typ, version, condition, callback, secret string) (int, map[string]any) {
	t.Helper()
	transport, _ := json.Marshal(map[string]string{"method": "webhook", "callback": callback, "secret": secret})
	body := fmt.Sprintf(`{"type":%q,"version":%q,"condition":%s,"transport":%s}`, typ, version, condition, transport)
	status, _, answer := callWith(t, hc, srv, "POST", "/eventsub/subscriptions", token, body)
	return status, answer
}

// mustSubscribe creates a webhook subscription to version 1 of a type (2
// of channel.follow) and returns its ID.
func mustSubscribe(t *testing.T, hc *http.Client, srv *twitchtest.Server, typ, condition, callback string) string {
	t.Helper()
	version := "1"
	if typ == "channel.follow" {
		version = "2"
	}
	status, answer := subscribeWebhook(t, hc, srv, appToken, typ, version, condition, callback, secret)
	assert.Equal(t, status, http.StatusAccepted, "%v", answer)
	sub := answer["data"].([]any)[0].(map[string]any)
	assert.Equal(t, sub["status"], "webhook_callback_verification_pending")
	return sub["id"].(string)
}

// subscriptionOf returns the fake's subscription with the ID.
func subscriptionOf(t *testing.T, srv *twitchtest.Server, id string) helix.EventSubSubscription {
	t.Helper()
	for _, sub := range srv.EventSub.Subscriptions() {
		if sub.ID == id {
			return sub
		}
	}
	t.Fatalf("no subscription %s", id)
	return helix.EventSubSubscription{}
}

// deliveryOf returns the fake's record of a message.
func deliveryOf(t *testing.T, srv *twitchtest.Server, messageID string) twitchtest.Delivery {
	t.Helper()
	for _, d := range srv.EventSub.Deliveries() {
		if d.MessageID == messageID {
			return d
		}
	}
	t.Fatalf("no delivery %s", messageID)
	return twitchtest.Delivery{}
}

// wait waits until the fake has delivered everything.
func wait(t *testing.T, srv *twitchtest.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	assert.NilError(t, srv.EventSub.WaitDeliveries(ctx))
}

// inBubble runs f in a testing/synctest bubble, with a fake started
// outside it whose webhook messages go to rc in memory; hc reaches the
// fake's Helix from the bubble.
func inBubble(t *testing.T, rc *receiver, opts []twitchtest.Option, f func(t *testing.T, srv *twitchtest.Server, hc *http.Client)) {
	t.Helper()
	srv := webhookFake(t, append(opts, twitchtest.WithWebhookClient(twitchtest.HandlerClient(rc)))...)
	synctest.Test(t, func(t *testing.T) { f(t, srv, srv.InMemoryClient()) })
}

var (
	uuidPattern      = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	timestampPattern = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$`)
)

// checkHeaders checks the headers Twitch (and the Twitch CLI) send with
// every webhook message.
func checkHeaders(t *testing.T, m received, kind, typ, retry string) {
	t.Helper()
	version := "1"
	if typ == "channel.follow" {
		version = "2"
	}
	assert.Check(t, m.SignatureOK, "signature %q", m.Header.Get("Twitch-Eventsub-Message-Signature"))
	assert.Check(t, is.Equal(m.Header.Get("Content-Type"), "application/json"))
	assert.Check(t, is.Equal(m.kind(), kind))
	assert.Check(t, is.Equal(m.retry(), retry))
	assert.Check(t, is.Equal(m.Header.Get("Twitch-Eventsub-Subscription-Type"), typ))
	assert.Check(t, is.Equal(m.Header.Get("Twitch-Eventsub-Subscription-Version"), version))
	assert.Check(t, is.Regexp(uuidPattern, m.id()))
	ts := m.Header.Get("Twitch-Eventsub-Message-Timestamp")
	assert.Check(t, is.Regexp(timestampPattern, ts))
	at, err := time.Parse(time.RFC3339Nano, ts)
	assert.Check(t, err)
	assert.Check(t, is.Equal(at.Format(time.RFC3339Nano), ts), "the canonical RFC 3339 form, as the CLI signs it")
	assert.Check(t, is.Regexp(`^sha256=[0-9a-f]{64}$`, m.Header.Get("Twitch-Eventsub-Message-Signature")))
}

// A webhook subscription over a loopback callback: the challenge, then a
// notification and a revocation, each signed and with all of Twitch's
// headers; the subscription is pending, then enabled, then revoked.
func TestWebhookChallengeNotificationRevocation(t *testing.T) {
	rc := newReceiver(nil)
	callback := httptest.NewServer(rc)
	t.Cleanup(callback.Close)
	srv := webhookFake(t)
	hc := srv.Client()

	id := mustSubscribe(t, hc, srv, "channel.follow", `{"broadcaster_user_id":"1","moderator_user_id":"1"}`, callback.URL+"/eventsub")
	challenge := rc.next(t)
	checkHeaders(t, challenge, "webhook_callback_verification", "channel.follow", "0")
	var body struct {
		Challenge    string                     `json:"challenge"`
		Subscription helix.EventSubSubscription `json:"subscription"`
	}
	assert.NilError(t, json.Unmarshal(challenge.Body, &body))
	assert.Check(t, body.Challenge != "")
	assert.Equal(t, body.Subscription.ID, id)
	assert.Equal(t, body.Subscription.Status, helix.EventSubSubscriptionStatusWebhookCallbackVerificationPending)
	assert.Equal(t, body.Subscription.Transport.Method, helix.EventSubTransportMethodWebhook)
	assert.Equal(t, body.Subscription.Transport.Callback, callback.URL+"/eventsub")

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sub, err := srv.EventSub.WaitSubscription(ctx, "channel.follow")
	assert.NilError(t, err)
	assert.Equal(t, sub.ID, id)
	assert.Equal(t, sub.Status, helix.EventSubSubscriptionStatusEnabled)
	wait(t, srv)
	assert.Equal(t, deliveryOf(t, srv, challenge.id()).State, twitchtest.DeliveryDelivered)

	ids, err := srv.EventSub.Notify(&eventsub.ChannelFollowEvent{BroadcasterUserID: "1", UserID: "2", UserLogin: "gopher"})
	assert.NilError(t, err)
	assert.Equal(t, len(ids), 1)
	n := rc.next(t)
	checkHeaders(t, n, "notification", "channel.follow", "0")
	assert.Equal(t, n.id(), ids[0])
	parsed, err := eventsub.ParseNotification(n.Body)
	assert.NilError(t, err)
	assert.Equal(t, parsed.Subscription.ID, id)
	assert.Equal(t, parsed.Subscription.Status, helix.EventSubSubscriptionStatusEnabled)
	follow, ok := parsed.Event.(*eventsub.ChannelFollowEvent)
	assert.Assert(t, ok, "%T", parsed.Event)
	assert.Equal(t, follow.UserLogin, "gopher")
	assert.Assert(t, !regexp.MustCompile(secret).Match(n.Body), "the secret is never sent")

	assert.NilError(t, srv.EventSub.Revoke(id, "authorization_revoked"))
	rev := rc.next(t)
	checkHeaders(t, rev, "revocation", "channel.follow", "0")
	var revoked struct {
		Subscription helix.EventSubSubscription `json:"subscription"`
	}
	assert.NilError(t, json.Unmarshal(rev.Body, &revoked))
	assert.Equal(t, revoked.Subscription.ID, id)
	assert.Equal(t, string(revoked.Subscription.Status), "authorization_revoked")
	assert.Equal(t, string(subscriptionOf(t, srv, id).Status), "authorization_revoked", "listed until deleted")
	_, err = srv.EventSub.Notify(&eventsub.ChannelFollowEvent{BroadcasterUserID: "1"})
	assert.Assert(t, errors.Is(err, twitchtest.ErrNotFound), "a revoked subscription gets nothing: %v", err)
	wait(t, srv)
	assert.Equal(t, len(rc.messages()), 3)
}
