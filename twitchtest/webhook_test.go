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
	"strconv"
	"strings"
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
	At          time.Time // when it arrived
}

func (m received) id() string    { return m.Header.Get("Twitch-Eventsub-Message-Id") }
func (m received) kind() string  { return m.Header.Get("Twitch-Eventsub-Message-Type") }
func (m received) retry() string { return m.Header.Get("Twitch-Eventsub-Message-Retry") }
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
	m := received{Header: r.Header.Clone(), Body: body, At: time.Now()}
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

// wait waits until the fake has delivered everything (go test's timeout
// bounds it; in a bubble, a deadlock ends it first).
func wait(t *testing.T, srv *twitchtest.Server) {
	t.Helper()
	assert.NilError(t, srv.EventSub.WaitDeliveries(t.Context()))
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

// The signature of a known message, worked out apart from the fake
// (openssl dgst -sha256 -hmac over the message ID, the timestamp and the
// body): the fake signs as Twitch and the Twitch CLI do, so a callback
// that takes the fake's messages takes theirs.
func TestWebhookSignatureOfAKnownMessage(t *testing.T) {
	const (
		messageID = "e76c6bd4-55c9-4987-8304-da1588d8988b"
		timestamp = "2019-11-16T10:11:12.634234626Z"
		event     = `{"client_id":"client","user_id":"1337","user_login":"cool_user","user_name":"Cool_User"}`
		body      = `{"subscription":{"id":"subscription-1","status":"enabled","type":"user.authorization.grant","version":"1",` +
			`"condition":{"client_id":"client"},"created_at":"2000-01-01T00:00:00Z",` +
			`"transport":{"method":"webhook","callback":"https://bot.example/eventsub"},"cost":1},"event":` + event + `}`
		want = "sha256=2e86c4e030d06810661ecaec7c3b7a48bb746b6eb20041a5d6f35bc82022ca0a"
	)
	rc := newReceiver(nil)
	inBubble(t, rc, nil, func(t *testing.T, srv *twitchtest.Server, hc *http.Client) {
		id := mustSubscribe(t, hc, srv, "user.authorization.grant", grantCondition, "https://bot.example/eventsub")
		wait(t, srv)
		assert.Equal(t, rc.next(t).kind(), "webhook_callback_verification")
		at, err := time.Parse(time.RFC3339Nano, timestamp)
		assert.NilError(t, err)
		sent, err := srv.EventSub.Send(twitchtest.Notification{SubscriptionID: id, Event: json.RawMessage(event), MessageID: messageID, Timestamp: at})
		assert.NilError(t, err)
		assert.Equal(t, sent, messageID)
		wait(t, srv)
		m := rc.next(t)
		assert.Equal(t, string(m.Body), body)
		assert.Equal(t, m.Header.Get("Twitch-Eventsub-Message-Timestamp"), timestamp)
		assert.Equal(t, m.id(), messageID)
		assert.Equal(t, signature(secret, messageID, timestamp, []byte(body)), want, "the test's own HMAC")
		assert.Equal(t, m.Header.Get("Twitch-Eventsub-Message-Signature"), want)
		checkHeaders(t, m, "notification", "user.authorization.grant", "0")
	})
}

// The challenge enables a subscription only when the callback answers 2xx
// with exactly the challenge; anything else, or no answer within the
// timeout, fails it, after one attempt.
func TestWebhookChallenge(t *testing.T) {
	const timeout = 3 * time.Second
	for _, tc := range []struct {
		name   string
		answer func(r *http.Request, m received) (int, string)
		want   helix.EventSubSubscriptionStatus
		status int // of the attempt
	}{
		{"the challenge", nil, helix.EventSubSubscriptionStatusEnabled, 200},
		{"the challenge with 202", func(_ *http.Request, m received) (int, string) { return 202, m.challenge() }, helix.EventSubSubscriptionStatusEnabled, 202},
		{"another body", func(*http.Request, received) (int, string) { return 200, "hello" }, helix.EventSubSubscriptionStatusWebhookCallbackVerificationFailed, 200},
		{"the challenge and a newline", func(_ *http.Request, m received) (int, string) { return 200, m.challenge() + "\n" }, helix.EventSubSubscriptionStatusWebhookCallbackVerificationFailed, 200},
		{"a 500", func(_ *http.Request, m received) (int, string) { return 500, m.challenge() }, helix.EventSubSubscriptionStatusWebhookCallbackVerificationFailed, 500},
		{"no answer in time", func(r *http.Request, m received) (int, string) {
			<-r.Context().Done()
			return 200, m.challenge()
		}, helix.EventSubSubscriptionStatusWebhookCallbackVerificationFailed, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := newReceiver(tc.answer)
			inBubble(t, rc, []twitchtest.Option{twitchtest.WithWebhookTimeout(timeout)}, func(t *testing.T, srv *twitchtest.Server, hc *http.Client) {
				start := time.Now()
				id := mustSubscribe(t, hc, srv, "user.authorization.grant", grantCondition, "https://bot.example/eventsub")
				wait(t, srv)
				sub := subscriptionOf(t, srv, id)
				assert.Equal(t, sub.Status, tc.want)
				d := deliveryOf(t, srv, rc.next(t).id())
				assert.Equal(t, d.MessageType, "webhook_callback_verification")
				assert.Equal(t, len(d.Attempts), 1, "a challenge is sent once")
				assert.Equal(t, d.Attempts[0].Status, tc.status)
				if tc.status != 0 {
					assert.Equal(t, d.Attempts[0].ContentType, "text/plain; charset=utf-8")
				}
				if tc.status == 0 {
					assert.Assert(t, errors.Is(d.Attempts[0].Err, context.DeadlineExceeded), "%v", d.Attempts[0].Err)
					assert.Equal(t, time.Since(start), timeout)
				}
				_, err := srv.EventSub.Send(twitchtest.Notification{SubscriptionID: id})
				if tc.want == helix.EventSubSubscriptionStatusEnabled {
					assert.Equal(t, d.State, twitchtest.DeliveryDelivered)
					assert.NilError(t, err)
				} else {
					assert.Equal(t, d.State, twitchtest.DeliveryFailed)
					assert.ErrorContains(t, err, "not enabled")
				}
				wait(t, srv)
			})
		})
	}
}

// failNotifications answers the first n notifications with the answers
// given (a status, or 0 for no answer until the fake gives up), and the
// rest as the default receiver does.
func failNotifications(statuses ...int) func(r *http.Request, m received) (int, string) {
	var mu sync.Mutex
	return func(r *http.Request, m received) (int, string) {
		if m.kind() == "webhook_callback_verification" {
			return http.StatusOK, m.challenge()
		}
		if m.kind() != "notification" {
			return http.StatusNoContent, ""
		}
		mu.Lock()
		status := http.StatusNoContent
		if len(statuses) > 0 {
			status, statuses = statuses[0], statuses[1:]
		}
		mu.Unlock()
		if status == 0 {
			<-r.Context().Done()
			return http.StatusOK, ""
		}
		return status, ""
	}
}

// A failed notification (no answer in time, a 500) is sent again, the
// same message with the retry header one higher, after a backoff that
// doubles, until the callback takes it.
func TestWebhookRetries(t *testing.T) {
	rc := newReceiver(failNotifications(0, 500))
	inBubble(t, rc, nil, func(t *testing.T, srv *twitchtest.Server, hc *http.Client) {
		id := mustSubscribe(t, hc, srv, "user.authorization.grant", grantCondition, "https://bot.example/eventsub")
		wait(t, srv)
		rc.next(t) // the challenge
		start := time.Now()
		sent, err := srv.EventSub.Send(twitchtest.Notification{SubscriptionID: id})
		assert.NilError(t, err)
		wait(t, srv)

		got := rc.messages()[1:]
		assert.Equal(t, len(got), 3)
		for i, m := range got {
			checkHeaders(t, m, "notification", "user.authorization.grant", strconv.Itoa(i))
			assert.Equal(t, m.id(), sent)
			assert.Equal(t, m.Header.Get("Twitch-Eventsub-Message-Timestamp"), got[0].Header.Get("Twitch-Eventsub-Message-Timestamp"))
			assert.Equal(t, m.Header.Get("Twitch-Eventsub-Message-Signature"), got[0].Header.Get("Twitch-Eventsub-Message-Signature"))
			assert.Equal(t, string(m.Body), string(got[0].Body))
		}
		// 10 s timeout, 1 s backoff; a 500, 2 s backoff; taken.
		assert.Equal(t, got[0].At.Sub(start), time.Duration(0))
		assert.Equal(t, got[1].At.Sub(start), 11*time.Second)
		assert.Equal(t, got[2].At.Sub(start), 13*time.Second)

		d := deliveryOf(t, srv, sent)
		assert.Equal(t, d.State, twitchtest.DeliveryDelivered)
		assert.Equal(t, len(d.Attempts), 3)
		for i, a := range d.Attempts {
			assert.Equal(t, a.Retry, i)
		}
		assert.Assert(t, errors.Is(d.Attempts[0].Err, context.DeadlineExceeded), "%v", d.Attempts[0].Err)
		assert.Equal(t, d.Attempts[1].Status, 500)
		assert.Equal(t, d.Attempts[2].Status, http.StatusNoContent)
		assert.Assert(t, d.Attempts[2].OK() && !d.Attempts[1].OK() && !d.Attempts[0].OK())
		assert.Equal(t, subscriptionOf(t, srv, id).Status, helix.EventSubSubscriptionStatusEnabled)
	})
}

// A notification that fails every attempt (WithWebhookRetries sets how
// many and the backoff) revokes its subscription with
// notification_failures_exceeded and a revocation message; what it had
// left to deliver is cancelled.
func TestWebhookRevokedAfterRepeatedFailures(t *testing.T) {
	rc := newReceiver(failNotifications(503, 503, 503, 503))
	opts := []twitchtest.Option{twitchtest.WithWebhookRetries(2, 5*time.Second)}
	inBubble(t, rc, opts, func(t *testing.T, srv *twitchtest.Server, hc *http.Client) {
		id := mustSubscribe(t, hc, srv, "user.authorization.grant", grantCondition, "https://bot.example/eventsub")
		wait(t, srv)
		rc.next(t) // the challenge
		start := time.Now()
		var sent []string
		for range 3 {
			m, err := srv.EventSub.Send(twitchtest.Notification{SubscriptionID: id})
			assert.NilError(t, err)
			sent = append(sent, m)
		}
		wait(t, srv)

		got := rc.messages()[1:]
		assert.Equal(t, len(got), 4, "three attempts of the first notification, then the revocation")
		for i, m := range got[:3] {
			assert.Equal(t, m.id(), sent[0])
			assert.Equal(t, m.retry(), strconv.Itoa(i))
		}
		assert.Equal(t, got[1].At.Sub(start), 5*time.Second)
		assert.Equal(t, got[2].At.Sub(start), 15*time.Second)
		rev := got[3]
		checkHeaders(t, rev, "revocation", "user.authorization.grant", "0")
		assert.Equal(t, rev.At.Sub(start), 15*time.Second, "at once")
		var body struct {
			Subscription helix.EventSubSubscription `json:"subscription"`
		}
		assert.NilError(t, json.Unmarshal(rev.Body, &body))
		assert.Equal(t, body.Subscription.ID, id)
		assert.Equal(t, body.Subscription.Status, helix.EventSubSubscriptionStatusNotificationFailuresExceeded)

		assert.Equal(t, subscriptionOf(t, srv, id).Status, helix.EventSubSubscriptionStatusNotificationFailuresExceeded)
		assert.Equal(t, deliveryOf(t, srv, sent[0]).State, twitchtest.DeliveryFailed)
		assert.Equal(t, deliveryOf(t, srv, sent[1]).State, twitchtest.DeliveryCancelled)
		assert.Equal(t, len(deliveryOf(t, srv, sent[2]).Attempts), 0)
		assert.Equal(t, deliveryOf(t, srv, rev.id()).State, twitchtest.DeliveryDelivered)
		_, err := srv.EventSub.Notify([]eventsub.UserAuthorizationGrantEvent{{ClientID: "client"}}[0])
		assert.Assert(t, errors.Is(err, twitchtest.ErrNotFound), "%v", err)

		// Listed with its status until deleted.
		status, _, list := callWith(t, hc, srv, "GET", "/eventsub/subscriptions?status=notification_failures_exceeded", appToken, "")
		assert.Equal(t, status, http.StatusOK)
		assert.Equal(t, len(list["data"].([]any)), 1)
		status, _, _ = callWith(t, hc, srv, "DELETE", "/eventsub/subscriptions?id="+id, appToken, "")
		assert.Equal(t, status, http.StatusNoContent)
		assert.Equal(t, len(srv.EventSub.Subscriptions()), 0)
	})
}

// A callback that cannot be reached (connection refused, on the fake's
// own loopback-only client) fails its notifications as well.
func TestWebhookConnectionErrors(t *testing.T) {
	rc := newReceiver(nil)
	callback := httptest.NewServer(rc)
	srv := webhookFake(t, twitchtest.WithWebhookRetries(1, time.Millisecond))
	id := mustSubscribe(t, srv.Client(), srv, "user.authorization.grant", grantCondition, callback.URL)
	wait(t, srv)
	assert.Equal(t, subscriptionOf(t, srv, id).Status, helix.EventSubSubscriptionStatusEnabled)
	callback.Close()

	sent, err := srv.EventSub.Send(twitchtest.Notification{SubscriptionID: id})
	assert.NilError(t, err)
	wait(t, srv)
	d := deliveryOf(t, srv, sent)
	assert.Equal(t, d.State, twitchtest.DeliveryFailed)
	assert.Equal(t, len(d.Attempts), 2)
	for _, a := range d.Attempts {
		assert.Equal(t, a.Status, 0)
		assert.Assert(t, a.Err != nil)
	}
	assert.ErrorContains(t, d.Attempts[1].Err, "connection refused")
	assert.Equal(t, subscriptionOf(t, srv, id).Status, helix.EventSubSubscriptionStatusNotificationFailuresExceeded)

	// The default client reaches loopback addresses only.
	id = mustSubscribe(t, srv.Client(), srv, "user.authorization.grant", grantCondition, "https://192.0.2.1/eventsub")
	wait(t, srv)
	assert.Equal(t, subscriptionOf(t, srv, id).Status, helix.EventSubSubscriptionStatusWebhookCallbackVerificationFailed)
	ds := srv.EventSub.Deliveries()
	last := ds[len(ds)-1]
	assert.Equal(t, last.SubscriptionID, id)
	assert.ErrorContains(t, last.Attempts[0].Err, "loopback addresses only")
}

// Faults a test injects: a dropped attempt never reaches the callback and
// is retried, a delayed one leaves late, a duplicated one arrives twice;
// Replay sends a past message again exactly; SetFaults decides faults
// with a function.
func TestWebhookFaults(t *testing.T) {
	rc := newReceiver(nil)
	inBubble(t, rc, nil, func(t *testing.T, srv *twitchtest.Server, hc *http.Client) {
		id := mustSubscribe(t, hc, srv, "user.authorization.grant", grantCondition, "https://bot.example/eventsub")
		wait(t, srv)
		rc.next(t) // the challenge
		ctx := context.Background()

		assert.NilError(t, srv.EventSub.FailNext(id,
			twitchtest.DeliveryFault{Drop: true},
			twitchtest.DeliveryFault{Delay: 7 * time.Second},
			twitchtest.DeliveryFault{Duplicate: true}))
		start := time.Now()
		first, err := srv.EventSub.Send(twitchtest.Notification{SubscriptionID: id})
		assert.NilError(t, err)
		second, err := srv.EventSub.Send(twitchtest.Notification{SubscriptionID: id})
		assert.NilError(t, err)
		wait(t, srv)

		got := rc.messages()[1:]
		assert.Equal(t, len(got), 3)
		assert.Equal(t, got[0].id(), first)
		assert.Equal(t, got[0].retry(), "1", "the dropped attempt never arrived")
		assert.Equal(t, got[0].At.Sub(start), 8*time.Second, "1 s backoff after the drop, then 7 s of delay")
		assert.Equal(t, got[1].id(), second)
		assert.DeepEqual(t, got[2].Header, got[1].Header)
		assert.Equal(t, string(got[2].Body), string(got[1].Body))
		for _, m := range got {
			checkHeaders(t, m, "notification", "user.authorization.grant", m.retry())
		}

		d := deliveryOf(t, srv, first)
		assert.Equal(t, len(d.Attempts), 2)
		assert.Assert(t, d.Attempts[0].Fault.Drop && d.Attempts[0].Status == 0 && d.Attempts[0].Err != nil)
		assert.Equal(t, d.Attempts[1].Fault.Delay, 7*time.Second)
		assert.Assert(t, d.Attempts[1].OK())
		d = deliveryOf(t, srv, second)
		assert.Equal(t, len(d.Attempts), 2)
		assert.Assert(t, d.Attempts[0].Fault.Duplicate && !d.Attempts[0].Duplicate && d.Attempts[1].Duplicate)
		assert.Equal(t, d.State, twitchtest.DeliveryDelivered)

		// Replay: the same message, byte for byte.
		a, err := srv.EventSub.Replay(ctx, first)
		assert.NilError(t, err)
		assert.Assert(t, a.Replay && a.OK())
		msgs := rc.messages()
		assert.Equal(t, len(msgs), 5, "Replay returns once the callback has answered")
		again := msgs[4]
		assert.Equal(t, again.id(), first)
		assert.DeepEqual(t, again.Header, got[0].Header)
		assert.Equal(t, string(again.Body), string(got[0].Body))
		assert.Equal(t, len(deliveryOf(t, srv, first).Attempts), 3)
		_, err = srv.EventSub.Replay(ctx, "no-such-message")
		assert.Assert(t, errors.Is(err, twitchtest.ErrNotFound), "%v", err)

		// A function decides: drop every first attempt.
		srv.EventSub.SetFaults(func(d twitchtest.Delivery) twitchtest.DeliveryFault {
			return twitchtest.DeliveryFault{Drop: len(d.Attempts) == 0}
		})
		third, err := srv.EventSub.Send(twitchtest.Notification{SubscriptionID: id})
		assert.NilError(t, err)
		wait(t, srv)
		d = deliveryOf(t, srv, third)
		assert.Equal(t, len(d.Attempts), 2)
		assert.Assert(t, d.Attempts[0].Fault.Drop && d.Attempts[1].OK())
		srv.EventSub.SetFaults(nil)

		// Faults for any subscription, after the subscription's own.
		assert.NilError(t, srv.EventSub.FailNext("", twitchtest.DeliveryFault{Delay: time.Second}))
		assert.NilError(t, srv.EventSub.FailNext(id, twitchtest.DeliveryFault{Drop: true}))
		fourth, err := srv.EventSub.Send(twitchtest.Notification{SubscriptionID: id})
		assert.NilError(t, err)
		wait(t, srv)
		d = deliveryOf(t, srv, fourth)
		assert.Equal(t, len(d.Attempts), 2)
		assert.Assert(t, d.Attempts[0].Fault.Drop)
		assert.Equal(t, d.Attempts[1].Fault.Delay, time.Second)
		assert.Assert(t, d.Attempts[1].OK())

		err = srv.EventSub.FailNext("no-such-subscription", twitchtest.DeliveryFault{})
		assert.Assert(t, errors.Is(err, twitchtest.ErrNotFound), "%v", err)
	})
}

// Each subscription gets its messages one at a time and in order, through
// failures, retries, drops, delays and duplicates; subscriptions do not
// wait for each other.
func TestWebhookOrderPerSubscription(t *testing.T) {
	const perSub = 40
	var (
		mu       sync.Mutex
		inFlight = map[string]int{} // by subscription
		overlap  bool
		calls    int
	)
	answer := func(r *http.Request, m received) (int, string) {
		var body struct {
			Subscription helix.EventSubSubscription `json:"subscription"`
		}
		_ = json.Unmarshal(m.Body, &body)
		mu.Lock()
		inFlight[body.Subscription.ID]++
		overlap = overlap || inFlight[body.Subscription.ID] > 1
		calls++
		fail := calls%5 == 0
		mu.Unlock()
		defer func() {
			mu.Lock()
			inFlight[body.Subscription.ID]--
			mu.Unlock()
		}()
		switch {
		case m.kind() == "webhook_callback_verification":
			return http.StatusOK, m.challenge()
		case fail:
			return http.StatusInternalServerError, ""
		}
		time.Sleep(10 * time.Millisecond) // a callback that takes its time, on the bubble's clock
		return http.StatusNoContent, ""
	}
	rc := newReceiver(answer)
	inBubble(t, rc, []twitchtest.Option{twitchtest.WithWebhookRetries(10, time.Second)}, func(t *testing.T, srv *twitchtest.Server, hc *http.Client) {
		a := mustSubscribe(t, hc, srv, "stream.online", `{"broadcaster_user_id":"1"}`, "https://bot.example/a")
		b := mustSubscribe(t, hc, srv, "stream.online", `{"broadcaster_user_id":"2"}`, "https://bot.example/b")
		wait(t, srv)
		n := 0
		srv.EventSub.SetFaults(func(twitchtest.Delivery) twitchtest.DeliveryFault {
			mu.Lock()
			defer mu.Unlock()
			n++
			switch n % 7 {
			case 1:
				return twitchtest.DeliveryFault{Drop: true}
			case 3:
				return twitchtest.DeliveryFault{Delay: 3 * time.Second}
			case 5:
				return twitchtest.DeliveryFault{Duplicate: true}
			}
			return twitchtest.DeliveryFault{}
		})
		sent := map[string][]string{}
		for i := range perSub {
			for _, broadcaster := range []string{"1", "2"} {
				ids, err := srv.EventSub.Notify(&eventsub.StreamOnlineEvent{BroadcasterUserID: broadcaster, ID: strconv.Itoa(i)})
				assert.NilError(t, err)
				assert.Equal(t, len(ids), 1)
				sub := map[string]string{"1": a, "2": b}[broadcaster]
				sent[sub] = append(sent[sub], ids[0])
			}
		}
		wait(t, srv)

		got := map[string][]string{} // message IDs as they arrived, by subscription
		for _, m := range rc.messages() {
			var body struct {
				Subscription helix.EventSubSubscription `json:"subscription"`
			}
			assert.NilError(t, json.Unmarshal(m.Body, &body))
			if m.kind() == "notification" {
				got[body.Subscription.ID] = append(got[body.Subscription.ID], m.id())
			}
		}
		for _, sub := range []string{a, b} {
			assert.Equal(t, subscriptionOf(t, srv, sub).Status, helix.EventSubSubscriptionStatusEnabled)
			index := map[string]int{}
			for i, id := range sent[sub] {
				index[id] = i
				assert.Equal(t, deliveryOf(t, srv, id).State, twitchtest.DeliveryDelivered)
			}
			last := 0
			for _, id := range got[sub] {
				i, ok := index[id]
				assert.Assert(t, ok, "a message of another subscription: %s", id)
				assert.Assert(t, i == last || i == last+1, "message %d arrived after message %d", i, last)
				last = i
			}
			assert.Equal(t, last, perSub-1)
			assert.Assert(t, len(got[sub]) > perSub, "some were retried or duplicated: %d", len(got[sub]))
		}
		assert.Assert(t, !overlap, "two messages of one subscription were under way at once")
	})
}

// A batched type's notification carries "events"; webhook-only types work.
func TestWebhookBatchedAndWebhookOnlyTypes(t *testing.T) {
	rc := newReceiver(nil)
	srv := webhookFake(t, twitchtest.WithWebhookClient(twitchtest.HandlerClient(rc)))
	hc := srv.Client()
	for _, tc := range []struct{ typ, condition string }{
		{"drop.entitlement.grant", `{"organization_id":"org"}`},
		{"extension.bits_transaction.create", `{"extension_client_id":"ext"}`},
		{"user.authorization.grant", grantCondition},
		{"user.authorization.revoke", grantCondition},
		{"conduit.shard.disabled", grantCondition},
	} {
		mustSubscribe(t, hc, srv, tc.typ, tc.condition, "https://bot.example/eventsub")
		// Not over a WebSocket.
		status, _, answer := callWith(t, hc, srv, "POST", "/eventsub/subscriptions", userToken,
			fmt.Sprintf(`{"type":%q,"version":"1","condition":%s,"transport":{"method":"websocket","session_id":"x"}}`, tc.typ, tc.condition))
		assert.Equal(t, status, http.StatusBadRequest, "%s: %v", tc.typ, answer)
	}
	wait(t, srv)
	for _, sub := range srv.EventSub.Subscriptions() {
		assert.Equal(t, sub.Status, helix.EventSubSubscriptionStatusEnabled, sub.Type)
	}

	ids, err := srv.EventSub.Notify([]eventsub.DropEntitlementGrantEvent{{ID: "one"}, {ID: "two"}})
	assert.NilError(t, err)
	assert.Equal(t, len(ids), 1)
	_, err = srv.EventSub.Notify(&eventsub.ExtensionBitsTransactionCreateEvent{ExtensionClientID: "ext", ID: "tx"})
	assert.NilError(t, err)
	wait(t, srv)
	bodies := map[string]string{} // by type; the two subscriptions deliver in any order
	for _, m := range rc.messages() {
		if m.kind() == "notification" {
			bodies[m.Header.Get("Twitch-Eventsub-Subscription-Type")] = string(m.Body)
			n, err := eventsub.ParseNotification(m.Body)
			assert.NilError(t, err)
			switch ev := n.Event.(type) {
			case []eventsub.DropEntitlementGrantEvent:
				assert.Equal(t, len(ev), 2)
				assert.Equal(t, ev[1].ID, "two")
			case *eventsub.ExtensionBitsTransactionCreateEvent:
				assert.Equal(t, ev.ID, "tx")
			default:
				t.Fatalf("unexpected event %T", n.Event)
			}
		}
	}
	assert.Equal(t, len(bodies), 2)
	assert.Assert(t, is.Contains(bodies["drop.entitlement.grant"], `"events":[`))
	assert.Assert(t, !strings.Contains(bodies["drop.entitlement.grant"], `"event":`))
	assert.Assert(t, is.Contains(bodies["extension.bits_transaction.create"], `"event":{`))
}

// Webhook subscriptions take an app token, a callback Twitch would take
// (or a loopback one) and a secret of 10 to 100 ASCII characters, with
// Twitch's limits; each transport is listed and deleted with its token
// type, and an application sees its own subscriptions only.
func TestWebhookSubscriptionRules(t *testing.T) {
	rc := newReceiver(nil)
	srv := webhookFake(t, twitchtest.WithWebhookClient(twitchtest.HandlerClient(rc)), twitchtest.WithMaxTotalCost(8))
	srv.OAuth.AddToken("other-app-token", twitchtest.TokenInfo{Type: oauth.TokenApp, ClientID: "other"})
	hc := srv.Client()
	create := func(token, condition, callback, secret string) (int, string) {
		t.Helper()
		status, answer := subscribeWebhook(t, hc, srv, token, "user.authorization.grant", "1", condition, callback, secret)
		msg, _ := answer["message"].(string)
		return status, msg
	}
	cond := func(i int) string { return fmt.Sprintf(`{"client_id":"c%d"}`, i) }

	for i, tc := range []struct {
		name, token, condition, callback, secret string
		status                                   int
	}{
		{"a user token", userToken, cond(0), "https://bot.example/cb", secret, http.StatusUnauthorized},
		{"no callback", appToken, cond(0), "", secret, http.StatusBadRequest},
		{"http", appToken, cond(0), "http://bot.example/cb", secret, http.StatusBadRequest},
		{"another port", appToken, cond(0), "https://bot.example:8443/cb", secret, http.StatusBadRequest},
		{"not a URL", appToken, cond(0), "bot.example/cb", secret, http.StatusBadRequest},
		{"another scheme", appToken, cond(0), "ftp://127.0.0.1/cb", secret, http.StatusBadRequest},
		{"a short secret", appToken, cond(0), "https://bot.example/cb", "123456789", http.StatusBadRequest},
		{"a long secret", appToken, cond(0), "https://bot.example/cb", string(make([]byte, 101)), http.StatusBadRequest},
		{"a secret that is not ASCII", appToken, cond(0), "https://bot.example/cb", "sécret-sécret", http.StatusBadRequest},
		{"no condition", appToken, `{}`, "https://bot.example/cb", secret, http.StatusBadRequest},
		{"https on 443", appToken, cond(1), "https://bot.example:443/cb", "0123456789", http.StatusAccepted},
		{"loopback http", appToken, cond(2), "http://127.0.0.1:8080/cb", secret, http.StatusAccepted},
		{"localhost https", appToken, cond(3), "https://localhost:8443/cb", string(bytesOf('x', 100)), http.StatusAccepted},
		{"IPv6 loopback", appToken, cond(4), "http://[::1]:8080/cb", secret, http.StatusAccepted},
	} {
		status, msg := create(tc.token, tc.condition, tc.callback, tc.secret)
		assert.Check(t, is.Equal(status, tc.status), "%d %s: %s", i, tc.name, msg)
	}

	// The same type, version, condition and callback: a conflict; at most
	// three with other callbacks.
	status, _ := create(appToken, cond(1), "https://bot.example:443/cb", secret)
	assert.Equal(t, status, http.StatusConflict)
	status, _ = create(appToken, cond(1), "https://bot.example/other", secret)
	assert.Equal(t, status, http.StatusAccepted)
	status, _ = create(appToken, cond(1), "https://bot.example/third", secret)
	assert.Equal(t, status, http.StatusAccepted)
	status, msg := create(appToken, cond(1), "https://bot.example/fourth", secret)
	assert.Equal(t, status, http.StatusTooManyRequests, msg)
	// The cost limit (8) is the application's: 6 so far.
	status, _, _ = callAs(t, srv, "other", "POST", "/eventsub/subscriptions", "other-app-token",
		`{"type":"user.authorization.grant","version":"1","condition":{"client_id":"o"},"transport":{"method":"webhook","callback":"https://o.example/cb","secret":"0123456789"}}`)
	assert.Equal(t, status, http.StatusAccepted)
	status, _ = create(appToken, cond(5), "https://bot.example/cb", secret)
	assert.Equal(t, status, http.StatusAccepted)
	status, _ = create(appToken, cond(6), "https://bot.example/cb", secret)
	assert.Equal(t, status, http.StatusAccepted)
	status, msg = create(appToken, cond(7), "https://bot.example/cb", secret)
	assert.Equal(t, status, http.StatusTooManyRequests, msg)
	wait(t, srv)

	// An app token lists its application's webhook subscriptions, a user
	// token the WebSocket ones.
	list := func(clientID, token string) []any {
		t.Helper()
		status, _, answer := callAs(t, srv, clientID, "GET", "/eventsub/subscriptions", token, "")
		assert.Equal(t, status, http.StatusOK, "%v", answer)
		assert.Equal(t, answer["total"], float64(len(answer["data"].([]any))))
		return answer["data"].([]any)
	}
	mine := list("client", appToken)
	assert.Equal(t, len(mine), 8)
	assert.Equal(t, len(list("other", "other-app-token")), 1)
	assert.Equal(t, len(list("client", userToken)), 0)
	first := mine[0].(map[string]any)
	assert.Equal(t, first["status"], "enabled")
	assert.DeepEqual(t, first["transport"], map[string]any{"method": "webhook", "callback": "https://bot.example:443/cb"})

	id := first["id"].(string)
	status, _, _ = callAs(t, srv, "client", "DELETE", "/eventsub/subscriptions?id="+id, userToken, "")
	assert.Equal(t, status, http.StatusUnauthorized)
	status, _, _ = callAs(t, srv, "other", "DELETE", "/eventsub/subscriptions?id="+id, "other-app-token", "")
	assert.Equal(t, status, http.StatusNotFound)
	status, _, _ = callAs(t, srv, "client", "DELETE", "/eventsub/subscriptions?id="+id, appToken, "")
	assert.Equal(t, status, http.StatusNoContent)
	assert.Equal(t, len(list("client", appToken)), 7)
}

func bytesOf(b byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

// callAs is callWith with the Client-Id of another application.
func callAs(t *testing.T, srv *twitchtest.Server, clientID, method, path, token, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, srv.Helix.URL+path, strings.NewReader(body))
	assert.NilError(t, err)
	req.Header.Set("Client-Id", clientID)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := srv.Client().Do(req)
	assert.NilError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	assert.NilError(t, err)
	var m map[string]any
	if len(data) > 0 {
		assert.NilError(t, json.Unmarshal(data, &m), "%s", data)
	}
	return resp.StatusCode, resp.Header, m
}

// Get EventSub Subscriptions pages as Twitch does (100 by default), oldest
// first; a cursor holds when subscriptions before it are deleted; filters
// page too.
func TestWebhookListPages(t *testing.T) {
	ctx := context.Background()
	rc := newReceiver(nil)
	srv := webhookFake(t, twitchtest.WithWebhookClient(twitchtest.HandlerClient(rc)))
	hc := srv.Client()
	var want []string
	for i := range 120 {
		want = append(want, mustSubscribe(t, hc, srv, "user.authorization.grant", fmt.Sprintf(`{"client_id":"c%d"}`, i), "https://bot.example/cb"))
	}
	wait(t, srv)

	h := helix.New("client", srv.Token(appToken), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(hc))
	var got []string
	for sub, err := range h.GetEventSubSubscriptionsAll(ctx, nil) {
		assert.NilError(t, err)
		got = append(got, sub.ID)
	}
	assert.DeepEqual(t, got, want)
	var pages []twitchtest.HelixRequest
	for _, r := range srv.Helix.Requests() {
		if r.Operation == "GetEventSubSubscriptions" {
			pages = append(pages, r)
		}
	}
	assert.Equal(t, len(pages), 2)
	assert.Equal(t, pages[0].Query.Get("after"), "")
	assert.Assert(t, pages[1].Query.Get("after") != "")

	first, err := h.GetEventSubSubscriptions(ctx, nil)
	assert.NilError(t, err)
	assert.Equal(t, len(first.Data), 100)
	assert.Equal(t, first.Total, 120)
	assert.Equal(t, first.TotalCost, 120)
	assert.Assert(t, first.Pagination.Cursor != "")
	for _, id := range want[:10] {
		assert.NilError(t, h.DeleteEventSubSubscription(ctx, &helix.DeleteEventSubSubscriptionParams{ID: id}))
	}
	second, err := h.GetEventSubSubscriptions(ctx, &helix.GetEventSubSubscriptionsParams{After: first.Pagination.Cursor})
	assert.NilError(t, err)
	assert.Equal(t, len(second.Data), 20)
	assert.Equal(t, second.Data[0].ID, want[100])
	assert.Equal(t, second.Pagination.Cursor, "")
	assert.Equal(t, second.Total, 110)

	// A cursor the fake did not give: an empty last page.
	status, _, answer := call(t, srv, "GET", "/eventsub/subscriptions?after=somewhere", appToken, "")
	assert.Equal(t, status, http.StatusOK, "%v", answer)
	assert.DeepEqual(t, answer["data"], []any{})
	assert.DeepEqual(t, answer["pagination"], map[string]any{})
}

// The status, type, user_id and subscription_id filters, a page at a time
// (WithSubscriptionPageSize).
func TestWebhookListFilters(t *testing.T) {
	ctx := context.Background()
	rc := newReceiver(func(r *http.Request, m received) (int, string) {
		if r.URL.Path == "/fail" {
			return http.StatusForbidden, ""
		}
		return http.StatusOK, m.challenge()
	})
	srv := webhookFake(t, twitchtest.WithWebhookClient(twitchtest.HandlerClient(rc)), twitchtest.WithSubscriptionPageSize(2))
	hc := srv.Client()
	var online, offline []string
	for i := range 5 {
		user := strconv.Itoa(7 + i%2) // 7, 8, 7, 8, 7
		online = append(online, mustSubscribe(t, hc, srv, "stream.online", `{"broadcaster_user_id":"`+user+`"}`, "https://bot.example/ok/"+strconv.Itoa(i)))
	}
	offline = append(offline, mustSubscribe(t, hc, srv, "stream.offline", `{"broadcaster_user_id":"7"}`, "https://bot.example/fail"))
	wait(t, srv)

	h := helix.New("client", srv.Token(appToken), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(hc))
	ids := func(p *helix.GetEventSubSubscriptionsParams) []string {
		t.Helper()
		var out []string
		for sub, err := range h.GetEventSubSubscriptionsAll(ctx, p) {
			assert.NilError(t, err)
			out = append(out, sub.ID)
		}
		return out
	}
	assert.DeepEqual(t, ids(nil), append(append([]string(nil), online...), offline...))
	assert.DeepEqual(t, ids(&helix.GetEventSubSubscriptionsParams{Type: "stream.online"}), online)
	assert.DeepEqual(t, ids(&helix.GetEventSubSubscriptionsParams{UserID: "7"}), []string{online[0], online[2], online[4], offline[0]})
	assert.DeepEqual(t, ids(&helix.GetEventSubSubscriptionsParams{UserID: "8"}), []string{online[1], online[3]})
	assert.DeepEqual(t, ids(&helix.GetEventSubSubscriptionsParams{Status: helix.EventSubSubscriptionStatusWebhookCallbackVerificationFailed}), offline)
	assert.DeepEqual(t, ids(&helix.GetEventSubSubscriptionsParams{SubscriptionID: online[3]}), []string{online[3]})
	page, err := h.GetEventSubSubscriptions(ctx, &helix.GetEventSubSubscriptionsParams{UserID: "7"})
	assert.NilError(t, err)
	assert.Equal(t, len(page.Data), 2)
	assert.Equal(t, page.Total, 6, "total counts every subscription of the application")
}

// Deleting a webhook subscription cancels what it had left to deliver; the
// attempt under way ends as it ends.
func TestWebhookDeleteStopsDeliveries(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	rc := newReceiver(func(r *http.Request, m received) (int, string) {
		if m.kind() == "webhook_callback_verification" {
			return http.StatusOK, m.challenge()
		}
		entered <- struct{}{}
		<-release
		return http.StatusNoContent, ""
	})
	srv := webhookFake(t, twitchtest.WithWebhookClient(twitchtest.HandlerClient(rc)))
	hc := srv.Client()
	id := mustSubscribe(t, hc, srv, "user.authorization.grant", grantCondition, "https://bot.example/cb")
	wait(t, srv)
	var sent []string
	for range 3 {
		m, err := srv.EventSub.Send(twitchtest.Notification{SubscriptionID: id})
		assert.NilError(t, err)
		sent = append(sent, m)
	}
	<-entered
	status, _, _ := call(t, srv, "DELETE", "/eventsub/subscriptions?id="+id, appToken, "")
	assert.Equal(t, status, http.StatusNoContent)
	close(release)
	wait(t, srv)

	assert.Equal(t, len(rc.messages()), 2, "the challenge and the first notification")
	assert.Equal(t, len(deliveryOf(t, srv, sent[0]).Attempts), 1)
	assert.Equal(t, deliveryOf(t, srv, sent[0]).State, twitchtest.DeliveryCancelled)
	for _, id := range sent[1:] {
		d := deliveryOf(t, srv, id)
		assert.Equal(t, d.State, twitchtest.DeliveryCancelled)
		assert.Equal(t, len(d.Attempts), 0)
	}
	_, err := srv.EventSub.Send(twitchtest.Notification{SubscriptionID: id})
	assert.Assert(t, errors.Is(err, twitchtest.ErrNotFound), "%v", err)
}

// Close returns at once with a callback that hangs and a notification
// waiting to be retried; what was left is cancelled, and nothing is sent
// after.
func TestWebhookCloseWithAHangingCallback(t *testing.T) {
	entered := make(chan struct{}, 1)
	hang := newReceiver(func(r *http.Request, m received) (int, string) {
		entered <- struct{}{}
		<-r.Context().Done() // the fake's Close ends the request
		return http.StatusOK, m.challenge()
	})
	hanging := httptest.NewServer(hang)
	t.Cleanup(hanging.Close)
	failing := httptest.NewServer(newReceiver(failNotifications(500)))
	t.Cleanup(failing.Close)
	srv := webhookFake(t, twitchtest.WithWebhookRetries(3, time.Hour))

	failed := mustSubscribe(t, srv.Client(), srv, "user.authorization.grant", grantCondition, failing.URL)
	wait(t, srv)
	retried, err := srv.EventSub.Send(twitchtest.Notification{SubscriptionID: failed})
	assert.NilError(t, err)
	pending := mustSubscribe(t, srv.Client(), srv, "user.authorization.grant", grantCondition, hanging.URL)
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	err = srv.EventSub.WaitDeliveries(ctx)
	assert.Assert(t, errors.Is(err, context.DeadlineExceeded), "%v", err)

	closed := make(chan struct{})
	go func() {
		srv.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(10 * time.Second): // a bound, far above the few milliseconds Close takes
		t.Fatal("Close did not return with a callback hanging")
	}
	assert.NilError(t, srv.EventSub.WaitDeliveries(context.Background()))
	assert.Equal(t, subscriptionOf(t, srv, pending).Status, helix.EventSubSubscriptionStatusWebhookCallbackVerificationPending)
	for _, d := range srv.EventSub.Deliveries() {
		switch d.SubscriptionID {
		case failed:
			if d.MessageID == retried {
				assert.Equal(t, d.State, twitchtest.DeliveryCancelled)
				assert.Equal(t, len(d.Attempts), 1)
				assert.Equal(t, d.Attempts[0].Status, 500)
			}
		case pending:
			assert.Equal(t, d.State, twitchtest.DeliveryCancelled)
			assert.Equal(t, len(d.Attempts), 1)
			assert.Assert(t, errors.Is(d.Attempts[0].Err, context.Canceled), "%v", d.Attempts[0].Err)
		}
	}
	_, err = srv.EventSub.Send(twitchtest.Notification{SubscriptionID: failed})
	assert.ErrorContains(t, err, "closed")
	assert.Equal(t, len(hang.messages()), 1)
}

// The wait between retries doubles up to a minute.
func TestWebhookBackoffIsCapped(t *testing.T) {
	rc := newReceiver(failNotifications(500, 500, 500, 500, 500))
	inBubble(t, rc, []twitchtest.Option{twitchtest.WithWebhookRetries(5, 20*time.Second)}, func(t *testing.T, srv *twitchtest.Server, hc *http.Client) {
		id := mustSubscribe(t, hc, srv, "user.authorization.grant", grantCondition, "https://bot.example/eventsub")
		wait(t, srv)
		start := time.Now()
		_, err := srv.EventSub.Send(twitchtest.Notification{SubscriptionID: id})
		assert.NilError(t, err)
		wait(t, srv)
		var waits []time.Duration
		got := rc.messages()[1:]
		for i := 1; i < len(got); i++ {
			waits = append(waits, got[i].At.Sub(got[i-1].At))
		}
		assert.DeepEqual(t, waits, []time.Duration{20 * time.Second, 40 * time.Second, time.Minute, time.Minute, time.Minute})
		assert.Equal(t, time.Since(start), 4*time.Minute)
		assert.Equal(t, got[len(got)-1].retry(), "5")
		assert.Equal(t, subscriptionOf(t, srv, id).Status, helix.EventSubSubscriptionStatusEnabled)
	})
}

// BenchmarkWebhookDelivery measures notifications delivered (queued,
// signed, posted, their signatures checked by the receiver) over 50
// subscriptions: in memory, and over loopback HTTP with the fake's own
// client.
func BenchmarkWebhookDelivery(b *testing.B) {
	b.Run("memory", func(b *testing.B) {
		rc := newReceiver(nil)
		benchmarkDelivery(b, rc, "https://bot.example/cb", twitchtest.WithWebhookClient(twitchtest.HandlerClient(rc)))
	})
	b.Run("loopback", func(b *testing.B) {
		rc := newReceiver(nil)
		callback := httptest.NewServer(rc)
		defer callback.Close()
		benchmarkDelivery(b, rc, callback.URL)
	})
}

func benchmarkDelivery(b *testing.B, rc *receiver, callback string, opts ...twitchtest.Option) {
	rc.arrived = make(chan received, 1)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for range rc.arrived {
		}
	}()
	srv := twitchtest.NewServer(opts...)
	defer func() {
		srv.Close()
		close(rc.arrived)
		<-drained
	}()
	var ids []string
	for i := range 50 {
		body := fmt.Sprintf(`{"type":"stream.online","version":"1","condition":{"broadcaster_user_id":"%d"},`+
			`"transport":{"method":"webhook","callback":%q,"secret":%q}}`, i, callback, secret)
		req, err := http.NewRequest("POST", srv.Helix.URL+"/eventsub/subscriptions", strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Client-Id", "client")
		req.Header.Set("Authorization", "Bearer token")
		resp, err := srv.Client().Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var out struct {
			Data []helix.EventSubSubscription `json:"data"`
		}
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if err != nil || len(out.Data) != 1 {
			b.Fatalf("subscribe: %d %v", resp.StatusCode, err)
		}
		ids = append(ids, out.Data[0].ID)
	}
	if err := srv.EventSub.WaitDeliveries(context.Background()); err != nil {
		b.Fatal(err)
	}
	event := json.RawMessage(`{"id":"1","broadcaster_user_id":"1","broadcaster_user_login":"a","broadcaster_user_name":"A","type":"live","started_at":"2025-03-04T18:30:00Z"}`)
	b.ResetTimer()
	for i := range b.N {
		if _, err := srv.EventSub.Send(twitchtest.Notification{SubscriptionID: ids[i%len(ids)], Event: event}); err != nil {
			b.Fatal(err)
		}
	}
	if err := srv.EventSub.WaitDeliveries(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	for _, m := range rc.messages() {
		if !m.SignatureOK {
			b.Fatal("a bad signature")
		}
	}
}
