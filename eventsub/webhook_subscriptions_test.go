package eventsub_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
)

// onlyOurs returns the subscriptions at f to the tests' callback, as
// "ID status type condition".
func onlyOurs(f *hookHelix) []string {
	var out []string
	for _, s := range f.list() {
		if s.Transport.Method == helix.EventSubTransportMethodWebhook && s.Transport.Callback == testCallback {
			out = append(out, s.ID+" "+string(s.Status)+" "+s.Type+" "+string(s.Condition))
		}
	}
	return out
}

// Run reconciles what Twitch has for the callback with what is wanted: a
// match is kept (whatever the order of its condition's fields), a failed
// copy and a second copy are deleted and the subscription made again,
// the missing are created (a batched, webhook-only type with batching),
// the stale are deleted with WithDeleteStale and left alone without;
// other callbacks' and other transports' are not touched. The list is
// read across pages.
func TestWebhookReconcile(t *testing.T) {
	for _, deleteStale := range []bool{true, false} {
		t.Run(map[bool]string{true: "WithDeleteStale", false: "leave stale"}[deleteStale], func(t *testing.T) {
			keep := followSub("old-keep", "1", helix.EventSubSubscriptionStatusEnabled)
			// Its fields in another order, and one the schema does not know
			// (Twitch's addition): the same subscription.
			keep.Condition = []byte(`{"moderator_user_id":"1","broadcaster_user_id":"1","added_later":"x"}`)
			second := followSub("old-keep-2", "1", helix.EventSubSubscriptionStatusEnabled)
			failed := followSub("old-failed", "3", helix.EventSubSubscriptionStatusNotificationFailuresExceeded)
			stale := followSub("old-stale", "9", helix.EventSubSubscriptionStatusEnabled)
			elsewhere := followSub("old-elsewhere", "4", helix.EventSubSubscriptionStatusEnabled)
			elsewhere.Transport.Callback = "https://other.example.com/eventsub"
			socket := followSub("old-socket", "4", helix.EventSubSubscriptionStatusEnabled)
			socket.Transport = helix.EventSubTransport{Method: helix.EventSubTransportMethodWebSocket, SessionID: "abc"}
			fake := newHookHelix(t, keep, elsewhere, second, failed, socket, stale)

			var opts []eventsub.Option
			if deleteStale {
				opts = append(opts, eventsub.WithDeleteStale())
			}
			hs := startWebhook(t, fake, func(w *eventsub.Webhook) {
				ctx := context.Background()
				for _, id := range []string{"1", "3", "4"} {
					assert.NilError(t, w.Subscribe(ctx, followCondition(id)))
				}
				assert.NilError(t, w.Subscribe(ctx, &eventsub.DropEntitlementGrantCondition{OrganizationID: "org"}))
			}, opts...)

			want := []string{ // made in the order of their keys: type, version, condition
				"new-1 enabled channel.follow {\"broadcaster_user_id\":\"3\",\"moderator_user_id\":\"3\"}",
				"new-2 enabled channel.follow {\"broadcaster_user_id\":\"4\",\"moderator_user_id\":\"4\"}",
				"new-3 enabled drop.entitlement.grant {\"organization_id\":\"org\"}",
				"old-keep enabled channel.follow {\"moderator_user_id\":\"1\",\"broadcaster_user_id\":\"1\",\"added_later\":\"x\"}",
			}
			if !deleteStale {
				want = append(want, "old-stale enabled channel.follow {\"broadcaster_user_id\":\"9\",\"moderator_user_id\":\"9\"}")
			}
			assert.DeepEqual(t, onlyOurs(fake), want)
			var others []string
			for _, s := range fake.list() {
				if s.Transport.Callback != testCallback {
					others = append(others, s.ID)
				}
			}
			assert.DeepEqual(t, others, []string{"old-elsewhere", "old-socket"})

			// The batched type was asked for with batching, the others without.
			assert.Equal(t, len(fake.created), 3)
			assert.Equal(t, fake.created[2].Type, "drop.entitlement.grant")
			assert.Assert(t, fake.created[2].IsBatchingEnabled != nil && *fake.created[2].IsBatchingEnabled)
			assert.Assert(t, fake.created[0].IsBatchingEnabled == nil)
			assert.Equal(t, fake.created[0].Transport.Callback, testCallback)

			var active []string
			for _, s := range hs.w.Subscriptions() {
				assert.Assert(t, s.Active, "%+v", s)
				assert.NilError(t, s.Err)
				active = append(active, s.Subscription.ID)
			}
			assert.DeepEqual(t, active, []string{"old-keep", "new-1", "new-2", "new-3"})
			// The list was read in pages of two, through its cursor.
			assert.Assert(t, fake.count(http.MethodGet) >= 4, fake.count(http.MethodGet))
		})
	}
}

// A subscription found pending is kept, and followed until its callback
// is verified: OnReady waits for it.
func TestWebhookReconcilePending(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pending := followSub("old-pending", "1", helix.EventSubSubscriptionStatusWebhookCallbackVerificationPending)
		fake := newHookHelix(t, pending)
		began := time.Now()
		hs := runWebhook(t, fake, func(w *eventsub.Webhook) {
			assert.NilError(t, w.Subscribe(context.Background(), followCondition("1")))
		})
		synctest.Wait()
		none(t, hs.ev.ready, "OnReady")
		time.Sleep(3 * time.Second) // in the bubble: the list is read a few times meanwhile
		gets := fake.count(http.MethodGet)
		assert.Assert(t, gets >= 3 && gets <= 5, gets)
		// Twitch's challenge for it comes now.
		fake.challenge(pending, testSecret, challengeSync)
		wait(t, hs.ev.ready, "OnReady")
		// At once, or 250 ms later if the fake had not enabled it yet: the
		// answered challenge wakes the wait, which would otherwise read
		// the list next at 3.5 s.
		took := time.Since(began)
		assert.Assert(t, took == 3*time.Second || took == 3250*time.Millisecond, took)
		assert.DeepEqual(t, fake.answers, []string{"200 challenge-old-pending"})
		assert.DeepEqual(t, onlyOurs(fake), []string{"old-pending enabled channel.follow {\"broadcaster_user_id\":\"1\",\"moderator_user_id\":\"1\"}"})
		assert.Equal(t, fake.count(http.MethodPost), 0)
	})
}

// A subscription whose callback is never verified is followed for a
// minute, the list read a bounded number of times; then Run says what to
// check, and the subscription is deleted for the next Run to make again.
// One that fails verification is reported at once.
func TestWebhookVerificationFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake := newHookHelix(t)
		fake.mode = challengeNever
		began := time.Now()
		hs := runWebhook(t, fake, func(w *eventsub.Webhook) {
			assert.NilError(t, w.Subscribe(context.Background(), followCondition("1")))
		})
		err := <-hs.runErr // the bubble fails the test if it never comes
		assert.Equal(t, time.Since(began), time.Minute)
		assert.Assert(t, errors.Is(err, eventsub.ErrCallbackVerification), "%v", err)
		var se *eventsub.SubscriptionError
		assert.Assert(t, errors.As(err, &se))
		assert.Equal(t, se.Type, "channel.follow")
		assert.Error(t, err, "eventsub: subscribe to channel.follow version 2: Twitch did not verify the callback "+testCallback+
			" (still webhook_callback_verification_pending after 1m0s): check that the URL reaches the Webhook's ServeHTTP from the internet, over HTTPS on port 443, while Run runs")
		gets := fake.count(http.MethodGet)
		assert.Assert(t, gets >= 8 && gets <= 14, "the list was read %d times", gets)
		assert.DeepEqual(t, onlyOurs(fake), []string(nil))
		none(t, hs.ev.ready, "OnReady")
		subs := hs.w.Subscriptions()
		assert.Equal(t, len(subs), 1)
		assert.Assert(t, !subs[0].Active)
		assert.Assert(t, errors.Is(subs[0].Err, eventsub.ErrCallbackVerification))
	})
	synctest.Test(t, func(t *testing.T) {
		fake := newHookHelix(t)
		fake.mode = challengeFailed
		began := time.Now()
		hs := runWebhook(t, fake, func(w *eventsub.Webhook) {
			assert.NilError(t, w.Subscribe(context.Background(), followCondition("1")))
		})
		err := <-hs.runErr
		assert.Assert(t, time.Since(began) < time.Second, time.Since(began))
		assert.Error(t, err, "eventsub: subscribe to channel.follow version 2: Twitch did not verify the callback "+testCallback+
			" (webhook_callback_verification_failed): check that the URL reaches the Webhook's ServeHTTP from the internet, over HTTPS on port 443, while Run runs")
		assert.DeepEqual(t, onlyOurs(fake), []string(nil))
	})
}

// A subscription Twitch refuses is returned by Run as a
// *SubscriptionError wrapping Twitch's answer, with the scopes the user
// must have granted the application.
func TestWebhookReconcileRefused(t *testing.T) {
	fake := newHookHelix(t)
	fake.refuse["channel.follow"] = http.StatusForbidden
	hs := runWebhook(t, fake, func(w *eventsub.Webhook) {
		assert.NilError(t, w.Subscribe(context.Background(), followCondition("1")))
		assert.NilError(t, w.Subscribe(context.Background(), &eventsub.StreamOnlineCondition{BroadcasterUserID: "1"}))
	})
	err := wait(t, hs.runErr, "Run")
	assert.Assert(t, errors.Is(err, helix.ErrForbidden), "%v", err)
	var se *eventsub.SubscriptionError
	assert.Assert(t, errors.As(err, &se))
	assert.Equal(t, se.StatusCode, http.StatusForbidden)
	assert.Error(t, err, "eventsub: subscribe to channel.follow version 2: Twitch refused it (403 Forbidden: refused by the test): "+
		"the user the condition names must have authorized the application with moderator:read:followers")
	none(t, hs.ev.ready, "OnReady")
	// The other was made, and is left for the next Run.
	assert.DeepEqual(t, onlyOurs(fake), []string{"new-1 enabled stream.online {\"broadcaster_user_id\":\"1\"}"})
}

// Once Run has started, Subscribe creates the subscription and returns
// when it is enabled, or why not; Unsubscribe deletes it.
func TestWebhookSubscribeWhileRunning(t *testing.T) {
	fake := newHookHelix(t)
	hs := startWebhook(t, fake, nil)
	ctx := context.Background()
	assert.NilError(t, hs.w.Subscribe(ctx, followCondition("5")))
	assert.DeepEqual(t, onlyOurs(fake), []string{"new-1 enabled channel.follow {\"broadcaster_user_id\":\"5\",\"moderator_user_id\":\"5\"}"})
	subs := hs.w.Subscriptions()
	assert.Equal(t, len(subs), 1)
	assert.Assert(t, subs[0].Active)
	assert.NilError(t, hs.w.Subscribe(ctx, followCondition("5"))) // already wanted: nothing sent
	assert.Equal(t, fake.count(http.MethodPost), 1)

	fake.refuse["stream.online"] = http.StatusBadRequest
	err := hs.w.Subscribe(ctx, &eventsub.StreamOnlineCondition{BroadcasterUserID: "5"})
	var se *eventsub.SubscriptionError
	assert.Assert(t, errors.As(err, &se), "%v", err)
	assert.Equal(t, se.StatusCode, http.StatusBadRequest)

	fake.mode = challengeFailed
	err = hs.w.Subscribe(ctx, followCondition("6"))
	assert.Assert(t, errors.Is(err, eventsub.ErrCallbackVerification), "%v", err)
	fake.mode = challengeSync

	// Made meanwhile by another instance: Twitch answers 409, and the
	// existing one is taken.
	fake.add(followSub("other-instance", "7", helix.EventSubSubscriptionStatusEnabled))
	assert.NilError(t, hs.w.Subscribe(ctx, followCondition("7")))
	for _, s := range hs.w.Subscriptions() {
		if c, ok := s.Condition.(*eventsub.ChannelFollowCondition); ok && c.BroadcasterUserID == "7" {
			assert.Equal(t, s.Subscription.ID, "other-instance")
			assert.Assert(t, s.Active)
		}
	}

	assert.NilError(t, hs.w.Unsubscribe(ctx, followCondition("5")))
	assert.NilError(t, hs.w.Unsubscribe(ctx, followCondition("7")))
	assert.DeepEqual(t, onlyOurs(fake), []string(nil))
	none(t, hs.ev.errs, "report")
}

// A subscription unsubscribed from while it is created is refused its
// challenge and deleted once its creation returns.
func TestWebhookUnsubscribeWhileCreating(t *testing.T) {
	fake := newHookHelix(t)
	hs := startWebhook(t, fake, nil)
	w := hs.w
	fake.target = http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		assert.NilError(t, w.Unsubscribe(context.Background(), followCondition("1")))
		w.ServeHTTP(rw, r)
	})
	assert.NilError(t, w.Subscribe(context.Background(), followCondition("1")))
	assert.Equal(t, fake.answers[0][:4], "403 ")
	re := hs.ev.requestError(t)
	assert.Assert(t, strings.Contains(re.Reason, "a challenge for a subscription the Webhook does not want"), re.Reason)
	assert.DeepEqual(t, onlyOurs(fake), []string(nil))
	assert.Equal(t, fake.count(http.MethodDelete), 1)
	assert.Equal(t, len(w.Subscriptions()), 0)
}

// laterCondition is the condition of a type the schema does not know.
type laterCondition struct {
	ChannelID string `json:"channel_id"`
	Mode      string `json:"mode,omitempty"`
}

func (laterCondition) TypeInfo() eventsub.TypeInfo {
	return eventsub.TypeInfo{Type: "future.thing", Version: "1"}
}

// A type the schema does not know can be subscribed to; its challenge is
// matched whatever the order of its condition's fields and the empty ones
// Twitch adds, and its notifications arrive as a *RawEvent.
func TestWebhookUnknownType(t *testing.T) {
	fake := newHookHelix(t)
	raw := make(chan *eventsub.RawEvent, 1)
	hs := startWebhook(t, fake, func(w *eventsub.Webhook) {
		assert.NilError(t, w.Subscribe(context.Background(), laterCondition{ChannelID: "1"}))
		w.OnNotification(func(_ context.Context, n *eventsub.Notification) {
			if e, ok := n.Event.(*eventsub.RawEvent); ok {
				raw <- e
			}
		})
	})
	assert.DeepEqual(t, onlyOurs(fake), []string{"new-1 enabled future.thing {\"channel_id\":\"1\"}"})
	sub := helix.EventSubSubscription{ID: "new-1", Type: "future.thing", Version: "1", Condition: []byte(`{"mode":"","channel_id":"1","extra":null}`)}
	rec := serve(hs.w, newMessage("c-1", "webhook_callback_verification", challengeBody("again", sub)).request())
	assert.Equal(t, rec.Code, http.StatusOK, rec.Body.String())
	sub.Condition = []byte(`{"channel_id":"2"}`)
	rec = serve(hs.w, newMessage("c-2", "webhook_callback_verification", challengeBody("other", sub)).request())
	assert.Equal(t, rec.Code, http.StatusForbidden)
	hs.ev.requestError(t)

	body := []byte(`{"subscription":{"id":"new-1","type":"future.thing","version":"1","condition":{"channel_id":"1"}},"event":{"anything":[1,2]}}`)
	assert.Equal(t, serve(hs.w, newMessage("m-1", eventsub.MessageNotification, body).request()).Code, http.StatusNoContent)
	assert.Equal(t, string(wait(t, raw, "the raw event").JSON), `{"anything":[1,2]}`)
}
