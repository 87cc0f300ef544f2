package eventsub_test

import (
	"context"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/oauth"
	"github.com/twitchify-go/twitch/twitchtest"
)

// These tests run Webhooks against twitchtest's fake Twitch, which
// creates, lists and deletes webhook subscriptions, sends their challenges
// and delivers their notifications signed as Twitch does, retrying what
// fails. Each runs in a testing/synctest bubble: the Webhooks' Helix
// reaches the fake through InMemoryClient, and the fake posts to them in
// memory (HandlerClient), so that the fake's retries and the Webhooks'
// waits run on the bubble's clock.

const (
	fakeAppToken = "app-token"
	fakeCallback = "https://bot.example/eventsub"
	fakeOther    = "https://other.example/eventsub"
)

// callbacks routes the fake's posts to the Webhook of their callback's
// host, which a test may change.
type callbacks struct {
	mu    sync.Mutex
	hooks map[string]http.Handler // by host
}

func (c *callbacks) set(host string, h http.Handler) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hooks[host] = h
}

func (c *callbacks) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	h := c.hooks[r.Host]
	c.mu.Unlock()
	if h == nil {
		http.Error(rw, "no one here", http.StatusServiceUnavailable)
		return
	}
	h.ServeHTTP(rw, r)
}

// fakeTwitch starts a fake that posts to cbs and knows the application's
// app token; it is closed at the test's end.
func fakeTwitch(t *testing.T, cbs *callbacks, opts ...twitchtest.Option) *twitchtest.Server {
	t.Helper()
	srv := twitchtest.NewServer(append(opts, twitchtest.WithWebhookClient(twitchtest.HandlerClient(cbs)))...)
	t.Cleanup(srv.Close)
	srv.OAuth.AddToken(fakeAppToken, twitchtest.TokenInfo{Type: oauth.TokenApp, ClientID: "client-id"})
	return srv
}

// fakeWebhook is a Webhook at callback that reaches srv's Helix in memory
// (from a bubble), mounted in cbs, and its callbacks' events.
func fakeWebhook(srv *twitchtest.Server, cbs *callbacks, callback string, opts ...eventsub.Option) (*eventsub.Webhook, *hookEvents) {
	h := helix.New("client-id", srv.Token(fakeAppToken), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.InMemoryClient()))
	ev := newHookEvents()
	w := eventsub.NewWebhook(h, callback, testSecret, append(ev.options(), opts...)...)
	cbs.set(hostOf(callback), w)
	return w, ev
}

func hostOf(callback string) string {
	switch callback {
	case fakeCallback:
		return "bot.example"
	case fakeOther:
		return "other.example"
	case callbackA:
		return "a.example"
	case callbackB:
		return "b.example"
	}
	panic(callback)
}

// runUntilReady runs w until OnReady, and returns Run's result channel.
func runUntilReady(t *testing.T, w *eventsub.Webhook, ev *hookEvents) chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- w.Run(context.Background()) }()
	select {
	case <-ev.ready:
	case err := <-done:
		t.Fatalf("Run returned before OnReady: %v", err)
	}
	return done
}

// closeWebhook closes w and checks that Run returned ErrClosed.
func closeWebhook(t *testing.T, w *eventsub.Webhook, done chan error) {
	t.Helper()
	assert.NilError(t, w.Close())
	assert.ErrorIs(t, <-done, eventsub.ErrClosed)
}

// listed returns the fake's subscriptions to a callback, as "ID status
// broadcaster".
func listed(srv *twitchtest.Server, callback string) map[string]string {
	out := map[string]string{}
	for _, s := range srv.EventSub.Subscriptions() {
		if s.Transport.Callback == callback {
			out[s.ID] = string(s.Status) + " " + string(s.Condition)
		}
	}
	return out
}

// followOf is a channel.follow event in broadcaster b's channel whose
// user ID carries n.
func followOf(b, n int) *eventsub.ChannelFollowEvent {
	e := followEvent(n)
	e.BroadcasterUserID = strconv.Itoa(b)
	return e
}

// Reconcile against the fake: an earlier run of the program left
// subscriptions to 1, 3 and 9 on the callback, and Twitch revoked 3; the
// program now wants 1, 3 and 4. After Run: 1 is kept as it was, 3 is made
// again, 4 is made, 9 is deleted (WithDeleteStale), and another
// callback's subscription is not touched. Notifications then arrive.
func TestWebhookFakeReconcile(t *testing.T) {
	cbs := &callbacks{hooks: map[string]http.Handler{}}
	srv := fakeTwitch(t, cbs, twitchtest.WithSubscriptionPageSize(2))
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		before, ev := fakeWebhook(srv, cbs, fakeCallback)
		for _, b := range []string{"1", "3", "9"} {
			assert.NilError(t, before.Subscribe(ctx, followCondition(b)))
		}
		done := runUntilReady(t, before, ev)
		old := map[string]string{}
		for _, s := range before.Subscriptions() {
			old[s.Condition.(*eventsub.ChannelFollowCondition).BroadcasterUserID] = s.Subscription.ID
		}
		other, otherEv := fakeWebhook(srv, cbs, fakeOther)
		assert.NilError(t, other.Subscribe(ctx, followCondition("9")))
		otherDone := runUntilReady(t, other, otherEv)
		closeWebhook(t, before, done)
		assert.NilError(t, srv.EventSub.Revoke(old["3"], "notification_failures_exceeded"))
		assert.NilError(t, srv.EventSub.WaitDeliveries(ctx)) // posted once, to no one: 503
		assert.Equal(t, len(listed(srv, fakeCallback)), 3)

		after, ev := fakeWebhook(srv, cbs, fakeCallback, eventsub.WithDeleteStale())
		f := collectFollowsIn(&after.Dispatcher)
		for _, b := range []string{"1", "3", "4"} {
			assert.NilError(t, after.Subscribe(ctx, followCondition(b)))
		}
		done = runUntilReady(t, after, ev)
		now := listed(srv, fakeCallback)
		assert.Equal(t, len(now), 3, "%v", now)
		assert.Equal(t, now[old["1"]], `enabled {"broadcaster_user_id":"1","moderator_user_id":"1"}`)
		byBroadcaster := map[string]string{}
		for _, s := range after.Subscriptions() {
			assert.Assert(t, s.Active, "%+v", s)
			byBroadcaster[s.Condition.(*eventsub.ChannelFollowCondition).BroadcasterUserID] = s.Subscription.ID
		}
		assert.Equal(t, byBroadcaster["1"], old["1"])
		assert.Assert(t, byBroadcaster["3"] != old["3"])
		assert.Equal(t, now[byBroadcaster["3"]], `enabled {"broadcaster_user_id":"3","moderator_user_id":"3"}`)
		assert.Equal(t, now[byBroadcaster["4"]], `enabled {"broadcaster_user_id":"4","moderator_user_id":"4"}`)
		assert.Equal(t, len(listed(srv, fakeOther)), 1)

		for i, b := range []int{1, 3, 4} {
			_, err := srv.EventSub.Notify(followOf(b, i))
			assert.NilError(t, err)
		}
		assert.NilError(t, srv.EventSub.WaitDeliveries(ctx))
		synctest.Wait()
		got := f.handled()
		slices.Sort(got)
		assert.DeepEqual(t, got, []string{"0", "1", "2"})
		closeWebhook(t, after, done)
		closeWebhook(t, other, otherDone)
		assert.NilError(t, srv.EventSub.WaitDeliveries(ctx))
	})
}

// The fake's Replay sends a delivered message again, byte for byte, as an
// attacker would: acknowledged and not handled within 10 minutes, refused
// after. A subscription whose notification the callback never takes is
// revoked by the fake with notification_failures_exceeded, and the
// Webhook says what to do.
func TestWebhookFakeReplayAndFailures(t *testing.T) {
	cbs := &callbacks{hooks: map[string]http.Handler{}}
	srv := fakeTwitch(t, cbs)
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		w, ev := fakeWebhook(srv, cbs, fakeCallback)
		f := collectFollowsIn(&w.Dispatcher)
		assert.NilError(t, w.Subscribe(ctx, followCondition("1")))
		done := runUntilReady(t, w, ev)
		ids, err := srv.EventSub.Notify(followOf(1, 7))
		assert.NilError(t, err)
		assert.NilError(t, srv.EventSub.WaitDeliveries(ctx))
		assert.Equal(t, <-f.ch, "7")

		a, err := srv.EventSub.Replay(ctx, ids[0])
		assert.NilError(t, err)
		assert.Equal(t, a.Status, http.StatusNoContent)
		time.Sleep(10*time.Minute + time.Second)
		a, err = srv.EventSub.Replay(ctx, ids[0])
		assert.NilError(t, err)
		assert.Equal(t, a.Status, http.StatusForbidden)
		re := ev.requestError(t)
		assert.ErrorContains(t, re, "more than 10 minutes ago")
		synctest.Wait()
		assert.DeepEqual(t, f.handled(), []string{"7"})

		// Every attempt of the next notification is lost on the way.
		sub := w.Subscriptions()[0].Subscription.ID
		assert.NilError(t, srv.EventSub.FailNext(sub, slices.Repeat([]twitchtest.DeliveryFault{{Drop: true}}, 4)...))
		_, err = srv.EventSub.Notify(followOf(1, 8))
		assert.NilError(t, err)
		assert.NilError(t, srv.EventSub.WaitDeliveries(ctx))
		revoked := <-ev.revoked
		assert.Equal(t, revoked.ID, sub)
		assert.Equal(t, revoked.Status, helix.EventSubSubscriptionStatusNotificationFailuresExceeded)
		err = <-ev.errs
		assert.ErrorContains(t, err, "notification_failures_exceeded: too many of its notifications went unanswered or failed")
		assert.Equal(t, len(w.Subscriptions()), 0)
		closeWebhook(t, w, done)
	})
}

// The soak: 10,000 notifications over 50 subscriptions, while the fake
// drops, delays or duplicates 5% of its attempts (and retries what it
// lost): every event reaches its handler once, in order per
// subscription.
func TestWebhookFakeSoak(t *testing.T) {
	const subs, total = 50, 10_000
	cbs := &callbacks{hooks: map[string]http.Handler{}}
	srv := fakeTwitch(t, cbs)
	var drops, delays, duplicates atomic.Int64
	var rngMu sync.Mutex
	rng := rand.New(rand.NewPCG(1, 2))
	began := time.Now() // the wall clock: the bubble's stands still while work is done
	var elapsed time.Duration
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		start := time.Now()
		w, ev := fakeWebhook(srv, cbs, fakeCallback, eventsub.WithWorkers(4))
		var mu sync.Mutex
		got := map[string][]int{}
		w.OnChannelFollow(func(_ context.Context, e *eventsub.ChannelFollowEvent) {
			n, _ := strconv.Atoi(e.UserID)
			mu.Lock()
			got[e.BroadcasterUserID] = append(got[e.BroadcasterUserID], n)
			mu.Unlock()
		})
		for b := range subs {
			assert.NilError(t, w.Subscribe(ctx, followCondition(strconv.Itoa(b))))
		}
		done := runUntilReady(t, w, ev)
		srv.EventSub.SetFaults(func(d twitchtest.Delivery) twitchtest.DeliveryFault {
			rngMu.Lock()
			defer rngMu.Unlock()
			if d.MessageType != "notification" || rng.IntN(100) >= 5 {
				return twitchtest.DeliveryFault{}
			}
			switch rng.IntN(3) {
			case 0:
				drops.Add(1)
				return twitchtest.DeliveryFault{Drop: true}
			case 1:
				delays.Add(1)
				return twitchtest.DeliveryFault{Delay: 2 * time.Second}
			}
			duplicates.Add(1)
			return twitchtest.DeliveryFault{Duplicate: true}
		})
		for n := range total {
			ids, err := srv.EventSub.Notify(followOf(n%subs, n))
			assert.NilError(t, err)
			assert.Equal(t, len(ids), 1)
		}
		assert.NilError(t, srv.EventSub.WaitDeliveries(ctx))
		synctest.Wait()
		elapsed = time.Since(start)
		mu.Lock()
		for b := range subs {
			seq := got[strconv.Itoa(b)]
			assert.Equal(t, len(seq), total/subs, "subscription %d", b)
			for i, n := range seq {
				if n != i*subs+b {
					t.Fatalf("subscription %d: event %d is %d, not %d", b, i, n, i*subs+b)
				}
			}
		}
		mu.Unlock()
		for _, d := range srv.EventSub.Deliveries() {
			assert.Equal(t, d.State, twitchtest.DeliveryDelivered, "%s", d.MessageID)
		}
		none(t, ev.revoked, "revocation")
		closeWebhook(t, w, done)
	})
	t.Logf("%d notifications over %d subscriptions: %d attempts dropped, %d delayed 2 s, %d duplicated; "+
		"%v on the bubble's clock, %v on the wall clock", total, subs, drops.Load(), delays.Load(), duplicates.Load(),
		elapsed, time.Since(began).Round(time.Millisecond))
	assert.Assert(t, drops.Load() > 50 && delays.Load() > 50 && duplicates.Load() > 50)
}
