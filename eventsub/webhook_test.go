package eventsub_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	"gotest.tools/v3/poll"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
)

// A signed notification is handled; a request whose signature does not
// match its ID, timestamp and body with the secret is refused 403, one
// without the header or with a malformed one 400, and each refusal is
// reported; nothing refused reaches a handler.
func TestWebhookSignature(t *testing.T) {
	var f *follows
	hs := startWebhook(t, newHookHelix(t), func(w *eventsub.Webhook) { f = collectFollowsIn(&w.Dispatcher) })

	good := newMessage("m-good", eventsub.MessageNotification, followBody("s1", 1))
	rec := serve(hs.w, good.request())
	assert.Equal(t, rec.Code, http.StatusNoContent, rec.Body.String())
	assert.Equal(t, wait(t, f.ch, "the event"), "1")

	for _, tc := range []struct {
		name   string
		req    func() *http.Request
		status int
		reason string
	}{
		{"wrong secret", func() *http.Request {
			m := newMessage("m-1", eventsub.MessageNotification, followBody("s1", 2))
			m.secret = otherSecret
			return m.request()
		}, http.StatusForbidden, "does not match the body"},
		{"changed body", func() *http.Request {
			m := newMessage("m-2", eventsub.MessageNotification, followBody("s1", 3))
			r := m.request()
			changed := followBody("s1", 4)
			r.Body, r.ContentLength = readCloser(changed), int64(len(changed))
			return r
		}, http.StatusForbidden, "does not match the body"},
		{"changed timestamp", func() *http.Request {
			m := newMessage("m-3", eventsub.MessageNotification, followBody("s1", 5))
			r := m.request()
			r.Header.Set("Twitch-Eventsub-Message-Timestamp", time.Now().Add(time.Second).UTC().Format(time.RFC3339Nano))
			return r
		}, http.StatusForbidden, "does not match the body"},
		{"changed ID", func() *http.Request {
			m := newMessage("m-4", eventsub.MessageNotification, followBody("s1", 6))
			r := m.request()
			r.Header.Set("Twitch-Eventsub-Message-Id", "m-4-other")
			return r
		}, http.StatusForbidden, "does not match the body"},
		{"missing signature", func() *http.Request {
			r := newMessage("m-5", eventsub.MessageNotification, followBody("s1", 7)).request()
			r.Header.Del("Twitch-Eventsub-Message-Signature")
			return r
		}, http.StatusBadRequest, "header Twitch-Eventsub-Message-Signature is missing"},
		{"no sha256= prefix", func() *http.Request {
			r := newMessage("m-6", eventsub.MessageNotification, followBody("s1", 8)).request()
			r.Header.Set("Twitch-Eventsub-Message-Signature", strings.TrimPrefix(r.Header.Get("Twitch-Eventsub-Message-Signature"), "sha256="))
			return r
		}, http.StatusBadRequest, "is not sha256= and 64 hex digits"},
		{"short signature", func() *http.Request {
			r := newMessage("m-7", eventsub.MessageNotification, followBody("s1", 9)).request()
			r.Header.Set("Twitch-Eventsub-Message-Signature", r.Header.Get("Twitch-Eventsub-Message-Signature")[:70])
			return r
		}, http.StatusBadRequest, "is not sha256= and 64 hex digits"},
		{"not hex", func() *http.Request {
			r := newMessage("m-8", eventsub.MessageNotification, followBody("s1", 10)).request()
			r.Header.Set("Twitch-Eventsub-Message-Signature", "sha256="+strings.Repeat("zz", 32))
			return r
		}, http.StatusBadRequest, "is not sha256= and 64 hex digits"},
		{"sha1", func() *http.Request {
			r := newMessage("m-9", eventsub.MessageNotification, followBody("s1", 11)).request()
			r.Header.Set("Twitch-Eventsub-Message-Signature", "sha1="+strings.Repeat("ab", 32))
			return r
		}, http.StatusBadRequest, "is not sha256= and 64 hex digits"},
		{"missing ID", func() *http.Request {
			r := newMessage("m-10", eventsub.MessageNotification, followBody("s1", 12)).request()
			r.Header.Del("Twitch-Eventsub-Message-Id")
			return r
		}, http.StatusBadRequest, "header Twitch-Eventsub-Message-Id is missing"},
		{"missing timestamp", func() *http.Request {
			r := newMessage("m-11", eventsub.MessageNotification, followBody("s1", 13)).request()
			r.Header.Del("Twitch-Eventsub-Message-Timestamp")
			return r
		}, http.StatusBadRequest, "header Twitch-Eventsub-Message-Timestamp is missing"},
		{"missing type", func() *http.Request {
			r := newMessage("m-12", eventsub.MessageNotification, followBody("s1", 14)).request()
			r.Header.Del("Twitch-Eventsub-Message-Type")
			return r
		}, http.StatusBadRequest, "header Twitch-Eventsub-Message-Type is missing"},
		{"a long, unsigned ID", func() *http.Request {
			m := newMessage(strings.Repeat("x", 5000), eventsub.MessageNotification, followBody("s1", 16))
			m.secret = otherSecret
			return m.request()
		}, http.StatusForbidden, "to a notification message (" + strings.Repeat("x", 100) + "...): header"},
		{"a GET", func() *http.Request {
			r := newMessage("m-13", eventsub.MessageNotification, followBody("s1", 15)).request()
			r.Method = http.MethodGet
			return r
		}, http.StatusMethodNotAllowed, "method GET: Twitch posts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(hs.w, tc.req())
			assert.Equal(t, rec.Code, tc.status, rec.Body.String())
			re := hs.ev.requestError(t)
			assert.Equal(t, re.StatusCode, tc.status)
			assert.Assert(t, !re.Signed)
			assert.ErrorContains(t, re, tc.reason)
			assert.Assert(t, !strings.Contains(re.Error(), testSecret), "the secret in %q", re)
			assert.Assert(t, !strings.Contains(rec.Body.String(), testSecret), "the secret in the answer")
		})
	}
	// Nothing refused was handled: the next signed event is the next one.
	rec = serve(hs.w, newMessage("m-last", eventsub.MessageNotification, followBody("s1", 99)).request())
	assert.Equal(t, rec.Code, http.StatusNoContent)
	assert.Equal(t, wait(t, f.ch, "the event"), "99")
	assert.DeepEqual(t, f.handled(), []string{"1", "99"})
}

func readCloser(b []byte) *readCloserT { return &readCloserT{bytes.NewReader(b)} }

type readCloserT struct{ *bytes.Reader }

func (readCloserT) Close() error { return nil }

// While a secret is rotated, messages signed with the old one and the new
// one are both taken; without WithPreviousSecret, the old one is refused.
func TestWebhookSecretRotation(t *testing.T) {
	var f *follows
	hs := startWebhook(t, newHookHelix(t), func(w *eventsub.Webhook) { f = collectFollowsIn(&w.Dispatcher) },
		eventsub.WithPreviousSecret(otherSecret))
	old := newMessage("m-old", eventsub.MessageNotification, followBody("s1", 1))
	old.secret = otherSecret
	assert.Equal(t, serve(hs.w, old.request()).Code, http.StatusNoContent)
	assert.Equal(t, serve(hs.w, newMessage("m-new", eventsub.MessageNotification, followBody("s1", 2)).request()).Code, http.StatusNoContent)
	third := newMessage("m-third", eventsub.MessageNotification, followBody("s1", 3))
	third.secret = "a third secret, never given"
	assert.Equal(t, serve(hs.w, third.request()).Code, http.StatusForbidden)
	assert.ErrorContains(t, hs.ev.requestError(t), "not signed with the secret or the previous one")
	assert.Equal(t, wait(t, f.ch, "the old secret's event"), "1")
	assert.Equal(t, wait(t, f.ch, "the new secret's event"), "2")

	plain := startWebhook(t, newHookHelix(t), nil)
	assert.Equal(t, serve(plain.w, old.request()).Code, http.StatusForbidden)
	assert.ErrorContains(t, plain.ev.requestError(t), "not signed with the secret (if this is Twitch")
}

// A message is handled once: the same message again, or a retry of one
// already handled, is acknowledged and not handled again; a message sent
// more than 10 minutes ago (or 10 minutes ahead) is refused.
func TestWebhookReplay(t *testing.T) {
	var f *follows
	hs := startWebhook(t, newHookHelix(t), func(w *eventsub.Webhook) { f = collectFollowsIn(&w.Dispatcher) })

	m := newMessage("m-1", eventsub.MessageNotification, followBody("s1", 1))
	assert.Equal(t, serve(hs.w, m.request()).Code, http.StatusNoContent)
	assert.Equal(t, wait(t, f.ch, "the event"), "1")
	// The same request again: a replay.
	assert.Equal(t, serve(hs.w, m.request()).Code, http.StatusNoContent)
	// Twitch's retry: the same ID, a later timestamp, the retry header.
	retry := m
	retry.timestamp = time.Now().Add(30 * time.Second).UTC().Format(time.RFC3339Nano)
	r := retry.request()
	r.Header.Set("Twitch-Eventsub-Message-Retry", "1")
	assert.Equal(t, serve(hs.w, r).Code, http.StatusNoContent)

	// Seen is seen before anything else of the body is read: a retry is
	// acknowledged whatever it holds.
	odd := m
	odd.body = []byte(`{"not":"the same"}`)
	assert.Equal(t, serve(hs.w, odd.request()).Code, http.StatusNoContent)

	// Copies of one message sent at once: one is handled.
	for round := range 50 {
		var wg sync.WaitGroup
		copyOf := newMessage("m-copies-"+strconv.Itoa(round), eventsub.MessageNotification, followBody("s1", 1000+round))
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if code := serve(hs.w, copyOf.request()).Code; code != http.StatusNoContent {
					t.Errorf("a copy: %d", code)
				}
			}()
		}
		wg.Wait()
		assert.Equal(t, wait(t, f.ch, "the copies' event"), strconv.Itoa(1000+round))
	}

	stale := newMessage("m-2", eventsub.MessageNotification, followBody("s1", 2))
	stale.timestamp = time.Now().Add(-10*time.Minute - time.Second).UTC().Format(time.RFC3339Nano)
	assert.Equal(t, serve(hs.w, stale.request()).Code, http.StatusForbidden)
	re := hs.ev.requestError(t)
	assert.Assert(t, re.Signed)
	assert.ErrorContains(t, re, "more than 10 minutes ago")

	ahead := newMessage("m-3", eventsub.MessageNotification, followBody("s1", 3))
	ahead.timestamp = time.Now().Add(10*time.Minute + time.Second).UTC().Format(time.RFC3339Nano)
	assert.Equal(t, serve(hs.w, ahead.request()).Code, http.StatusForbidden)
	assert.ErrorContains(t, hs.ev.requestError(t), "more than 10 minutes from now")

	badTime := newMessage("m-4", eventsub.MessageNotification, followBody("s1", 4))
	badTime.timestamp = "yesterday"
	assert.Equal(t, serve(hs.w, badTime.request()).Code, http.StatusBadRequest)
	assert.ErrorContains(t, hs.ev.requestError(t), `is not an RFC 3339 time: "yesterday"`)

	// Within the window, the next one is handled, and it is the only other.
	assert.Equal(t, serve(hs.w, newMessage("m-5", eventsub.MessageNotification, followBody("s1", 5)).request()).Code, http.StatusNoContent)
	assert.Equal(t, wait(t, f.ch, "the event"), "5")
	assert.Equal(t, len(f.handled()), 52)
	none(t, f.ch, "event")
	none(t, hs.ev.errs, "report")
}

// A challenge is answered, as text/plain with the challenge, for a
// subscription the Webhook wants, even before its creation has returned
// (the fake sends it first); a challenge for another is refused.
func TestWebhookChallenge(t *testing.T) {
	fake := newHookHelix(t)
	hs := startWebhook(t, fake, func(w *eventsub.Webhook) {
		assert.NilError(t, w.Subscribe(context.Background(), followCondition("1")))
	})
	assert.DeepEqual(t, fake.answers, []string{"200 challenge-new-1"})
	subs := hs.w.Subscriptions()
	assert.Equal(t, len(subs), 1)
	assert.Assert(t, subs[0].Active)
	assert.Equal(t, subs[0].Subscription.ID, "new-1")

	// The wanted subscription again, its condition's fields in another
	// order: answered.
	wanted := followSub("new-1", "1", helix.EventSubSubscriptionStatusWebhookCallbackVerificationPending)
	wanted.Condition = []byte(`{"moderator_user_id":"1","broadcaster_user_id":"1"}`)
	rec := serve(hs.w, newMessage("c-1", "webhook_callback_verification", challengeBody("pogchamp-kappa", wanted)).request())
	assert.Equal(t, rec.Code, http.StatusOK)
	assert.Equal(t, rec.Header().Get("Content-Type"), "text/plain")
	assert.Equal(t, rec.Body.String(), "pogchamp-kappa")

	for _, sub := range []helix.EventSubSubscription{
		followSub("x-1", "2", helix.EventSubSubscriptionStatusWebhookCallbackVerificationPending),                                   // another condition
		followSub("x-2", "1", helix.EventSubSubscriptionStatusWebhookCallbackVerificationPending),                                   // the same, another ID
		{ID: "x-3", Type: "channel.follow", Version: "1", Condition: []byte(`{"broadcaster_user_id":"1","moderator_user_id":"1"}`)}, // another version
		{ID: "x-4", Type: "stream.online", Version: "1", Condition: []byte(`{"broadcaster_user_id":"1"}`)},                          // another type
	} {
		rec := serve(hs.w, newMessage("c-"+sub.ID, "webhook_callback_verification", challengeBody("nope", sub)).request())
		assert.Equal(t, rec.Code, http.StatusForbidden, sub.ID)
		assert.Assert(t, !strings.Contains(rec.Body.String(), "nope"))
		re := hs.ev.requestError(t)
		assert.ErrorContains(t, re, "a challenge for a subscription the Webhook does not want: "+sub.Type+" version "+sub.Version)
	}
	// A challenge without its challenge, or signed otherwise.
	rec = serve(hs.w, newMessage("c-5", "webhook_callback_verification", []byte(`{"subscription":{"id":"new-1"}}`)).request())
	assert.Equal(t, rec.Code, http.StatusBadRequest)
	assert.ErrorContains(t, hs.ev.requestError(t), "the body has no challenge or no subscription")
}

// Before Run and after Close, every request is answered 503, for Twitch
// to send it again later.
func TestWebhookNotRunning(t *testing.T) {
	fake := newHookHelix(t)
	w := eventsub.NewWebhook(fake.client(), testCallback, testSecret)
	assert.NilError(t, w.Subscribe(context.Background(), followCondition("1")))
	rec := serve(w, newMessage("m-1", eventsub.MessageNotification, followBody("s1", 1)).request())
	assert.Equal(t, rec.Code, http.StatusServiceUnavailable)
	assert.Equal(t, rec.Body.String(), "the Webhook is not running (Run has not started, or has returned)\n")
	// Not even a challenge for what it wants.
	sub := followSub("new-1", "1", helix.EventSubSubscriptionStatusWebhookCallbackVerificationPending)
	rec = serve(w, newMessage("c-1", "webhook_callback_verification", challengeBody("too early", sub)).request())
	assert.Equal(t, rec.Code, http.StatusServiceUnavailable)

	hs := startWebhook(t, fake, nil)
	assert.Equal(t, serve(hs.w, newMessage("m-1", eventsub.MessageNotification, followBody("s1", 1)).request()).Code, http.StatusNoContent)
	assert.NilError(t, hs.w.Close())
	assert.ErrorIs(t, wait(t, hs.runErr, "Run"), eventsub.ErrClosed)
	rec = serve(hs.w, newMessage("m-2", eventsub.MessageNotification, followBody("s1", 2)).request())
	assert.Equal(t, rec.Code, http.StatusServiceUnavailable)
	assert.Error(t, hs.w.Subscribe(context.Background(), followCondition("1")), eventsub.ErrClosed.Error())
}

// A revocation takes the subscription out of those wanted, and is
// reported to OnRevoked and, with what to do, to OnError; sent again, it
// is acknowledged and not reported again.
func TestWebhookRevocation(t *testing.T) {
	fake := newHookHelix(t)
	hs := startWebhook(t, fake, func(w *eventsub.Webhook) {
		assert.NilError(t, w.Subscribe(context.Background(), followCondition("1")))
		assert.NilError(t, w.Subscribe(context.Background(), followCondition("2")))
	})
	m := newMessage("r-1", eventsub.MessageRevocation, []byte(fmt.Sprintf(`{"subscription":{"id":"new-1","status":"notification_failures_exceeded","type":"channel.follow","version":"2","cost":0,`+
		`"condition":{"broadcaster_user_id":"1","moderator_user_id":"1"},"transport":{"method":"webhook","callback":%q},"created_at":"2025-03-14T09:27:01Z"}}`, testCallback)))
	assert.Equal(t, serve(hs.w, m.request()).Code, http.StatusNoContent)
	revoked := wait(t, hs.ev.revoked, "OnRevoked")
	assert.Equal(t, revoked.ID, "new-1")
	assert.Equal(t, revoked.Status, helix.EventSubSubscriptionStatusNotificationFailuresExceeded)
	err := wait(t, hs.ev.errs, "the report")
	var re *eventsub.RevokedError
	assert.Assert(t, errors.As(err, &re), "%T %v", err, err)
	assert.Equal(t, re.Subscription.ID, "new-1")
	assert.ErrorContains(t, err, "Twitch revoked the subscription to channel.follow version 2 (new-1): notification_failures_exceeded: "+
		"too many of its notifications went unanswered or failed; check that the callback URL reaches ServeHTTP")
	subs := hs.w.Subscriptions()
	assert.Equal(t, len(subs), 1)
	assert.DeepEqual(t, subs[0].Condition, followCondition("2"))

	// Again: acknowledged, not reported.
	assert.Equal(t, serve(hs.w, m.request()).Code, http.StatusNoContent)
	// A revocation of a subscription the Webhook does not know: OnRevoked
	// only.
	other := newMessage("r-2", eventsub.MessageRevocation, []byte(`{"subscription":{"id":"elsewhere","status":"authorization_revoked","type":"user.update","version":"1"}}`))
	assert.Equal(t, serve(hs.w, other.request()).Code, http.StatusNoContent)
	assert.Equal(t, wait(t, hs.ev.revoked, "OnRevoked").ID, "elsewhere")
	none(t, hs.ev.revoked, "revocation")
	none(t, hs.ev.errs, "report")
	// A revocation without a subscription is refused.
	bad := newMessage("r-3", eventsub.MessageRevocation, []byte(`{"subscription":null}`))
	assert.Equal(t, serve(hs.w, bad.request()).Code, http.StatusBadRequest)
	assert.ErrorContains(t, hs.ev.requestError(t), "the body has no subscription")
}

// A body over 512 KiB is refused 413, whether its length is told or not;
// one of 512 KiB is read (and refused here for what it holds).
func TestWebhookSizeLimit(t *testing.T) {
	hs := startWebhook(t, newHookHelix(t), nil)
	big := bytes.Repeat([]byte("a"), eventsub.MaxMessageSize+1)
	m := newMessage("m-big", eventsub.MessageNotification, big)
	rec := serve(hs.w, m.request())
	assert.Equal(t, rec.Code, http.StatusRequestEntityTooLarge)
	assert.ErrorContains(t, hs.ev.requestError(t), fmt.Sprintf("a body of %d bytes: the most a Webhook reads is %d", len(big), eventsub.MaxMessageSize))

	r := m.request()
	r.ContentLength = -1 // chunked: not told
	rec = serve(hs.w, r)
	assert.Equal(t, rec.Code, http.StatusRequestEntityTooLarge)
	assert.ErrorContains(t, hs.ev.requestError(t), "a body over 524288 bytes")

	r = m.request()
	r.ContentLength = 10 // a lie
	rec = serve(hs.w, r)
	assert.Equal(t, rec.Code, http.StatusRequestEntityTooLarge)
	hs.ev.requestError(t)

	// A notification whose length is not told, or told wrong, is read
	// whole all the same.
	for i, length := range []int64{-1, 0, 10} {
		m := newMessage("m-chunked-"+strconv.Itoa(i), eventsub.MessageNotification, followBody("s1", i))
		r := m.request()
		r.ContentLength = length
		assert.Equal(t, serve(hs.w, r).Code, http.StatusNoContent, length)
	}

	full := newMessage("m-full", eventsub.MessageNotification, big[:eventsub.MaxMessageSize])
	rec = serve(hs.w, full.request())
	assert.Equal(t, rec.Code, http.StatusBadRequest)
	assert.ErrorContains(t, hs.ev.requestError(t), "eventsub: notification:")
}

// Signed but broken: bad JSON, a key twice, no subscription, an unknown
// message type. Each is refused 400 and reported; none is remembered as
// seen, so that the same ID, once well formed, is handled.
func TestWebhookBadInput(t *testing.T) {
	var f *follows
	hs := startWebhook(t, newHookHelix(t), func(w *eventsub.Webhook) { f = collectFollowsIn(&w.Dispatcher) })
	for _, tc := range []struct {
		name   string
		typ    eventsub.MessageType
		body   string
		reason string
	}{
		{"broken JSON", eventsub.MessageNotification, `{"subscription":`, "eventsub: notification:"},
		{"not an object", eventsub.MessageNotification, `[]`, "eventsub: notification:"},
		{"a key twice", eventsub.MessageNotification, strings.Replace(string(followBody("s1", 1)), `"user_id":"1"`, `"user_id":"1","user_id":"2"`, 1), "user_id"},
		{"no subscription", eventsub.MessageNotification, `{"event":{}}`, "subscription is missing"},
		{"no event", eventsub.MessageNotification, `{"subscription":{"id":"s1","type":"channel.follow","version":"2"}}`, "event is missing"},
		{"a wrong type", eventsub.MessageNotification, strings.Replace(string(followBody("s1", 1)), `"user_id":"1"`, `"user_id":1`, 1), "user_id"},
		{"unknown message type", "session_welcome", string(followBody("s1", 1)), `unknown message type "session_welcome"`},
		{"empty body", eventsub.MessageNotification, ``, "eventsub: notification:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(hs.w, newMessage("m-bad", tc.typ, []byte(tc.body)).request())
			assert.Equal(t, rec.Code, http.StatusBadRequest, rec.Body.String())
			re := hs.ev.requestError(t)
			assert.Assert(t, re.Signed)
			assert.Equal(t, re.MessageID, "m-bad")
			assert.ErrorContains(t, re, tc.reason)
		})
	}
	assert.Equal(t, serve(hs.w, newMessage("m-bad", eventsub.MessageNotification, followBody("s1", 7)).request()).Code, http.StatusNoContent)
	assert.Equal(t, wait(t, f.ch, "the event"), "7")
	assert.DeepEqual(t, f.handled(), []string{"7"})
}

// When the queue is full, a notification is answered 503 and not
// remembered: Twitch's retry of it is handled, in its place.
func TestWebhookFullQueue(t *testing.T) {
	var mu sync.Mutex
	var got []string
	release := make(chan struct{})
	started := make(chan struct{}, 10)
	hs := startWebhook(t, newHookHelix(t), func(w *eventsub.Webhook) {
		w.OnChannelFollow(func(_ context.Context, e *eventsub.ChannelFollowEvent) {
			started <- struct{}{}
			<-release
			mu.Lock()
			got = append(got, e.UserID)
			mu.Unlock()
		})
	}, eventsub.WithQueueSize(2))
	send := func(n int) int {
		return serve(hs.w, newMessage("m-"+strconv.Itoa(n), eventsub.MessageNotification, followBody("s1", n)).request()).Code
	}
	assert.Equal(t, send(1), http.StatusNoContent)
	wait(t, started, "the handler of 1") // taken from the queue, blocked
	assert.Equal(t, send(2), http.StatusNoContent)
	assert.Equal(t, send(3), http.StatusNoContent)
	assert.Equal(t, send(4), http.StatusServiceUnavailable) // 2 and 3 fill the queue
	re := hs.ev.requestError(t)
	assert.Equal(t, re.StatusCode, http.StatusServiceUnavailable)
	assert.ErrorContains(t, re, "the queue is full (2 notifications)")
	close(release)
	poll.WaitOn(t, func(poll.LogT) poll.Result {
		mu.Lock()
		defer mu.Unlock()
		if len(got) < 3 {
			return poll.Continue("%d handled", len(got))
		}
		return poll.Success()
	})
	assert.Equal(t, send(4), http.StatusNoContent) // the retry
	poll.WaitOn(t, func(poll.LogT) poll.Result {
		mu.Lock()
		defer mu.Unlock()
		if len(got) < 4 {
			return poll.Continue("%d handled", len(got))
		}
		return poll.Success()
	})
	mu.Lock()
	assert.DeepEqual(t, got, []string{"1", "2", "3", "4"})
	mu.Unlock()
}

// A handler that panics is recovered and reported; the next event is
// handled.
func TestWebhookHandlerPanic(t *testing.T) {
	handled := make(chan string, 10)
	hs := startWebhook(t, newHookHelix(t), func(w *eventsub.Webhook) {
		w.OnChannelFollow(func(_ context.Context, e *eventsub.ChannelFollowEvent) {
			if e.UserID == "1" {
				panic("handler bug")
			}
			handled <- e.UserID
		})
	})
	assert.Equal(t, serve(hs.w, newMessage("m-1", eventsub.MessageNotification, followBody("s1", 1)).request()).Code, http.StatusNoContent)
	assert.Equal(t, serve(hs.w, newMessage("m-2", eventsub.MessageNotification, followBody("s1", 2)).request()).Code, http.StatusNoContent)
	err := wait(t, hs.ev.errs, "the panic")
	var pe *eventsub.HandlerPanicError
	assert.Assert(t, errors.As(err, &pe), "%T %v", err, err)
	assert.Equal(t, pe.Value, "handler bug")
	assert.Equal(t, pe.Type, "channel.follow")
	assert.Assert(t, bytes.Contains(pe.Stack, []byte("webhook_test.go")), "%s", pe.Stack)
	assert.Equal(t, wait(t, handled, "the next event"), "2")
}

// With several workers, the events of each subscription are handled one
// at a time, in the order they arrived, while subscriptions run side by
// side.
func TestWebhookOrderPerSubscription(t *testing.T) {
	const subs, each = 8, 300
	var mu sync.Mutex
	got := map[string][]int{}
	busy := map[string]bool{}
	overlap := 0
	done := make(chan struct{}, subs*each)
	hs := startWebhook(t, newHookHelix(t), func(w *eventsub.Webhook) {
		w.OnChannelFollow(func(_ context.Context, e *eventsub.ChannelFollowEvent) {
			n, _ := strconv.Atoi(e.UserID)
			sub := "s" + strconv.Itoa(n%subs)
			mu.Lock()
			if busy[sub] {
				overlap++
			}
			busy[sub] = true
			mu.Unlock()
			for range n % 3 {
				runtime.Gosched() // uneven work, for the workers to interleave
			}
			mu.Lock()
			busy[sub] = false
			got[sub] = append(got[sub], n)
			mu.Unlock()
			done <- struct{}{}
		})
	}, eventsub.WithWorkers(4), eventsub.WithQueueSize(subs*each))
	var wg sync.WaitGroup
	for i := range each {
		// Each round posts one event per subscription, concurrently; the
		// rounds are in order.
		for s := range subs {
			wg.Add(1)
			go func(n int) {
				defer wg.Done()
				code := serve(hs.w, newMessage("m-"+strconv.Itoa(n), eventsub.MessageNotification, followBody("s"+strconv.Itoa(n%subs), n)).request()).Code
				if code != http.StatusNoContent {
					t.Errorf("event %d: %d", n, code)
				}
			}(i*subs + s)
		}
		wg.Wait()
	}
	for range subs * each {
		wait(t, done, "the events")
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, overlap, 0, "handlers of one subscription ran at once")
	for s := range subs {
		seq := got["s"+strconv.Itoa(s)]
		assert.Equal(t, len(seq), each)
		for i, n := range seq {
			assert.Equal(t, n, i*subs+s, "subscription s%d, event %d", s, i)
		}
	}
}

// Close returns when called from a handler, or from a callback; Run then
// returns ErrClosed, nothing more is handled, and ServeHTTP answers 503.
func TestWebhookCloseFromHandler(t *testing.T) {
	closed := make(chan error, 1)
	var calls int
	var mu sync.Mutex
	hs := startWebhook(t, newHookHelix(t), func(w *eventsub.Webhook) {
		w.OnChannelFollow(func(_ context.Context, e *eventsub.ChannelFollowEvent) {
			mu.Lock()
			calls++
			mu.Unlock()
			closed <- w.Close()
		})
	}, eventsub.WithQueueSize(10))
	assert.Equal(t, serve(hs.w, newMessage("m-1", eventsub.MessageNotification, followBody("s1", 1)).request()).Code, http.StatusNoContent)
	assert.NilError(t, wait(t, closed, "Close to return in the handler"))
	assert.ErrorIs(t, wait(t, hs.runErr, "Run"), eventsub.ErrClosed)
	assert.Equal(t, serve(hs.w, newMessage("m-2", eventsub.MessageNotification, followBody("s1", 2)).request()).Code, http.StatusServiceUnavailable)
	mu.Lock()
	assert.Equal(t, calls, 1)
	mu.Unlock()

	// From OnReady.
	fake := newHookHelix(t)
	var w *eventsub.Webhook
	w = eventsub.NewWebhook(fake.client(), testCallback, testSecret, eventsub.OnReady(func() { closed <- w.Close() }))
	fake.target = w
	runErr := make(chan error, 1)
	go func() { runErr <- w.Run(context.Background()) }()
	assert.NilError(t, wait(t, closed, "Close to return in OnReady"))
	assert.ErrorIs(t, wait(t, runErr, "Run"), eventsub.ErrClosed)
}

// Options for the WebSocket Client given to a Webhook, and the reverse,
// are errors from Run and Subscribe; so are bad arguments.
func TestWebhookValidation(t *testing.T) {
	h := newHookHelix(t).client()
	for _, tc := range []struct {
		h        *helix.Client
		callback string
		secret   string
		opts     []eventsub.Option
		want     string
	}{
		{h, testCallback, testSecret, []eventsub.Option{eventsub.WithKeepalive(10)}, "eventsub: WithKeepalive applies to the WebSocket Client, not to a Webhook"},
		{h, testCallback, testSecret, []eventsub.Option{eventsub.WithBaseURL("wss://x"), eventsub.OnConnected(nil)},
			"eventsub: WithBaseURL applies to the WebSocket Client, not to a Webhook\neventsub: OnConnected applies to the WebSocket Client, not to a Webhook"},
		{nil, testCallback, testSecret, nil, "eventsub: NewWebhook: the *helix.Client to subscribe with is nil"},
		{h, "/eventsub", testSecret, nil, `eventsub: NewWebhook: callback URL "/eventsub": not an absolute http(s) URL (Twitch posts to https:// on port 443)`},
		{h, testCallback, "short", nil, "eventsub: NewWebhook: the secret has 5 characters: Twitch takes 10 to 100"},
		{h, testCallback, "é-not-ascii-at-all", nil, "eventsub: NewWebhook: the secret has a character that is not printable ASCII at byte 0"},
		{h, testCallback, testSecret, []eventsub.Option{eventsub.WithPreviousSecret("x")}, "eventsub: WithPreviousSecret: the secret has 1 characters: Twitch takes 10 to 100"},
		{h, testCallback, testSecret, []eventsub.Option{eventsub.WithQueueSize(0)}, "eventsub: WithQueueSize(0): the queue must hold at least 1 notification"},
		{h, testCallback, testSecret, []eventsub.Option{eventsub.WithWorkers(0)}, "eventsub: WithWorkers(0): 1 to 1024 workers, and at most the queue's size"},
		{h, testCallback, testSecret, []eventsub.Option{eventsub.WithWorkers(4), eventsub.WithQueueSize(3)}, "eventsub: WithWorkers(4): 1 to 1024 workers, and at most the queue's size"},
	} {
		w := eventsub.NewWebhook(tc.h, tc.callback, tc.secret, tc.opts...)
		assert.Error(t, w.Run(context.Background()), tc.want)
		assert.Error(t, w.Subscribe(context.Background(), followCondition("1")), tc.want)
		assert.Error(t, w.Unsubscribe(context.Background(), followCondition("1")), tc.want)
		assert.NilError(t, w.Close())
	}
	for _, opt := range []eventsub.Option{eventsub.WithDeleteStale(), eventsub.WithQueueSize(5), eventsub.WithWorkers(2), eventsub.WithPreviousSecret(testSecret)} {
		c := eventsub.New(h, opt)
		assert.ErrorContains(t, c.Run(context.Background()), "applies to a Webhook, not to the WebSocket Client")
	}
}

// A Webhook checks a condition as the WebSocket client does, but for the
// webhook transport: the types delivered by webhook only are taken, and a
// type delivered over a WebSocket only is refused.
func TestWebhookSubscribeChecks(t *testing.T) {
	w := eventsub.NewWebhook(newHookHelix(t).client(), testCallback, testSecret)
	ctx := context.Background()
	assert.NilError(t, w.Subscribe(ctx, &eventsub.DropEntitlementGrantCondition{OrganizationID: "org"}))
	assert.NilError(t, w.Subscribe(ctx, &eventsub.UserAuthorizationGrantCondition{ClientID: "client-id"}))
	err := w.Subscribe(ctx, &eventsub.ChannelFollowCondition{BroadcasterUserID: "1"})
	var ie *eventsub.InvalidSubscriptionError
	assert.Assert(t, errors.As(err, &ie), "%v", err)
	assert.Equal(t, ie.Field, "moderator_user_id")
	// The WebSocket Client refuses the webhook-only type.
	c := eventsub.New(newHookHelix(t).client())
	assert.ErrorContains(t, c.Subscribe(ctx, &eventsub.DropEntitlementGrantCondition{OrganizationID: "org"}), "not over a WebSocket")
	for _, info := range eventsub.Types() {
		cond := info.NewCondition()
		err := w.Subscribe(ctx, cond)
		switch {
		case errors.As(err, &ie) && ie.Field == "":
			assert.ErrorContains(t, err, "not to a webhook")
			assert.Assert(t, !slicesContains(info.Transports, eventsub.TransportWebhook), info.Type)
		case err != nil:
			assert.Assert(t, errors.As(err, &ie), "%v", err) // a required field left empty
		}
	}
}

func slicesContains(ts []eventsub.TransportMethod, t eventsub.TransportMethod) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

// Over a real connection on the loopback: the fake's challenges come over
// HTTP to an httptest.Server that serves the Webhook, and so do signed
// notifications.
func TestWebhookOverHTTP(t *testing.T) {
	fake := newHookHelix(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	fake.deliver = func(r *http.Request) (*http.Response, error) {
		req, err := http.NewRequest(r.Method, srv.URL+"/eventsub", r.Body)
		if err != nil {
			return nil, err
		}
		req.Header = r.Header
		return srv.Client().Do(req)
	}
	var f *follows
	hs := runWebhook(t, fake, func(w *eventsub.Webhook) {
		mux := http.NewServeMux()
		mux.Handle("POST /eventsub", w)
		srv.Config.Handler = mux
		f = collectFollowsIn(&w.Dispatcher)
		assert.NilError(t, w.Subscribe(context.Background(), followCondition("1")))
	})
	wait(t, hs.ev.ready, "OnReady")
	assert.Equal(t, fake.list()[0].Status, helix.EventSubSubscriptionStatusEnabled)
	for n := range 3 {
		m := newMessage("m-"+strconv.Itoa(n), eventsub.MessageNotification, followBody("new-1", n))
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/eventsub", bytes.NewReader(m.body))
		assert.NilError(t, err)
		req.Header = m.request().Header
		res, err := srv.Client().Do(req)
		assert.NilError(t, err)
		res.Body.Close()
		assert.Equal(t, res.StatusCode, http.StatusNoContent)
	}
	for n := range 3 {
		assert.Equal(t, wait(t, f.ch, "the events"), strconv.Itoa(n))
	}
}

// No log line and no report holds a secret, whatever the Webhook meets.
func TestWebhookNeverTellsTheSecret(t *testing.T) {
	var mu sync.Mutex
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	fake := newHookHelix(t, followSub("stale", "9", helix.EventSubSubscriptionStatusEnabled))
	fake.refuse["stream.online"] = http.StatusForbidden
	hs := runWebhook(t, fake, func(w *eventsub.Webhook) {
		assert.NilError(t, w.Subscribe(context.Background(), followCondition("1")))
	}, eventsub.WithLogger(logger), eventsub.WithPreviousSecret(otherSecret), eventsub.WithDeleteStale(), eventsub.WithQueueSize(1))
	wait(t, hs.ev.ready, "OnReady")
	wrong := newMessage("m-1", eventsub.MessageNotification, followBody("s1", 1))
	wrong.secret = "not the secret at all"
	var reports []string
	for _, r := range []*http.Request{
		wrong.request(),
		newMessage("m-2", eventsub.MessageNotification, []byte(`{`)).request(),
		newMessage("m-3", "webhook_callback_verification", challengeBody("x", followSub("x", "2", ""))).request(),
	} {
		serve(hs.w, r)
		reports = append(reports, hs.ev.requestError(t).Error())
	}
	err := hs.w.Subscribe(context.Background(), &eventsub.StreamOnlineCondition{BroadcasterUserID: "1"})
	assert.ErrorContains(t, err, "403")
	assert.NilError(t, hs.w.Close())
	mu.Lock()
	all := logs.String() + strings.Join(reports, "\n") + err.Error()
	mu.Unlock()
	assert.Assert(t, strings.Contains(all, "does not match the body"), all)
	for _, secret := range []string{testSecret, otherSecret} {
		assert.Assert(t, !strings.Contains(all, secret), "the secret %q in:\n%s", secret, all)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
