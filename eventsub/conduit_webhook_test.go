package eventsub_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/twitchtest"
)

// These tests run Conduits with webhook shards (WithWebhookShards)
// against twitchtest's fake, in testing/synctest bubbles: the fake posts
// each shard's challenge and messages in memory to the Conduit mounted at
// its callback's host (callbacks), and the Conduit's Helix reaches the
// fake in memory.

const (
	callbackA = "https://a.example/eventsub"
	callbackB = "https://b.example/eventsub"
)

// hookConduit is a Conduit of webhook shards at callback, mounted in cbs:
// one process of the application.
func hookConduit(srv *twitchtest.Server, cbs *callbacks, callback string, opts ...eventsub.Option) (*eventsub.Conduit, *conduitEvents) {
	ev := newConduitEvents()
	base := []eventsub.Option{
		eventsub.WithWebhookShards(callback, testSecret),
		eventsub.OnReady(func() { ev.ready <- struct{}{} }),
		eventsub.OnError(func(err error) { send(ev.errs, err) }),
		eventsub.WithLogger(testLogger()),
	}
	c := eventsub.NewConduit(appHelix(srv), slices.Concat(base, opts)...)
	cbs.set(hostOf(callback), c)
	return c, ev
}

// hookFake is a fake that posts to cbs and sends a conduit's
// notifications to its shards in turn.
func hookFake(t *testing.T, cbs *callbacks, opts ...twitchtest.Option) *twitchtest.Server {
	t.Helper()
	return fakeTwitch(t, cbs, append([]twitchtest.Option{twitchtest.WithShardRoundRobin()}, opts...)...)
}

// callbacksAtFake returns the fake's enabled webhook shards of a conduit:
// ID and callback.
func callbacksAtFake(t *testing.T, srv *twitchtest.Server, conduit string) map[string]string {
	t.Helper()
	shards, err := srv.EventSub.Shards(conduit)
	assert.NilError(t, err)
	out := map[string]string{}
	for _, s := range shards {
		if s.Status == string(helix.ConduitShardStatusEnabled) && s.Transport.Method == "webhook" {
			out[s.ID] = s.Transport.Callback
		}
	}
	return out
}

// callbacksOf returns the callbacks of the webhook shards cs run.
func callbacksOf(cs ...*eventsub.Conduit) map[string]string {
	out := map[string]string{}
	for _, c := range cs {
		for _, s := range c.Shards() {
			out[s.ID] = s.Callback
		}
	}
	return out
}

// Two processes of webhook shards share a conduit: each assigns its own
// shards to its callback in one request, answers their challenges, and
// is ready once Twitch has verified them; notifications spread over the
// four shards each reach a handler once, and a message posted again is
// acknowledged and not handled again.
func TestConduitWebhookShards(t *testing.T) {
	cbs := &callbacks{hooks: map[string]http.Handler{}}
	srv := hookFake(t, cbs)
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		a, aev := hookConduit(srv, cbs, callbackA, eventsub.WithShardCount(4), eventsub.WithShards("0-1"))
		fa := followsOf(t, a)
		began := time.Now()
		aDone := runConduit(t, a, aev)
		// Ready as soon as the challenges are answered (they come at once,
		// in memory), before any read of the shards.
		assert.Equal(t, time.Since(began), time.Duration(0))
		b, bev := hookConduit(srv, cbs, callbackB, eventsub.WithConduitID(a.ID()), eventsub.WithShards("2-3"))
		fb := followsOf(t, b)
		bDone := runConduit(t, b, bev)
		// OnReady comes once the challenges are answered; the fake enables
		// a shard once it has read the answer.
		synctest.Wait()

		assert.Equal(t, requests(srv, "UpdateConduitShards"), 2, "one request per process")
		assert.Equal(t, len(srv.EventSub.Subscriptions()), 1, "B finds A's subscription")
		want := map[string]string{"0": callbackA, "1": callbackA, "2": callbackB, "3": callbackB}
		assert.DeepEqual(t, callbacksAtFake(t, srv, a.ID()), want)
		assert.DeepEqual(t, callbacksOf(a, b), want)
		for _, s := range slices.Concat(a.Shards(), b.Shards()) {
			assert.Equal(t, s.Session, "")
			assert.Assert(t, !s.AssignedAt.IsZero() && !s.VerifiedAt.IsZero(), "shard %s: %+v", s.ID, s)
			assert.Assert(t, !s.TakenOver)
		}
		challenges := 0
		for _, d := range srv.EventSub.Deliveries() {
			if d.MessageType == "webhook_callback_verification" {
				challenges++
				assert.Equal(t, d.State, twitchtest.DeliveryDelivered, "shard %s", d.ShardID)
			}
		}
		assert.Equal(t, challenges, 4)

		var ids []string
		for i := range 40 {
			ids = append(ids, notify(t, srv, followEvent(i)))
		}
		assert.NilError(t, srv.EventSub.WaitDeliveries(ctx))
		got := slices.Concat(receive(t, fa, 20), receive(t, fb, 20))
		slices.SortFunc(got, func(x, y string) int { return len(x)*1000 - len(y)*1000 + strings.Compare(x, y) })
		assert.DeepEqual(t, got, numbers(0, 40))

		// Posted again, byte for byte: acknowledged, not handled again.
		for _, id := range ids[:4] {
			at, err := srv.EventSub.Replay(ctx, id)
			assert.NilError(t, err)
			assert.Equal(t, at.Status, http.StatusNoContent)
		}
		synctest.Wait()
		none(t, fa.ch, "an event handled twice")
		none(t, fb.ch, "an event handled twice")
		none(t, aev.errs, "an error")
		none(t, bev.errs, "an error")
		closeConduit(t, a, aDone)
		closeConduit(t, b, bDone)
	})
}

// The callback answers a challenge only for a shard of its conduit (one
// that another process runs too); anything else signed but unwanted is
// refused 403 and reported, a subscription's challenge 400; unsigned
// requests are refused before their body is read; before Run and after,
// 503. Without WithWebhookShards, a Conduit answers 404.
func TestConduitWebhookShardChallenges(t *testing.T) {
	cbs := &callbacks{hooks: map[string]http.Handler{}}
	srv := hookFake(t, cbs)
	synctest.Test(t, func(t *testing.T) {
		c, ev := hookConduit(srv, cbs, callbackA, eventsub.WithShardCount(4), eventsub.WithShards("0-1,3"))
		shardChallenge := func(id, challenge, conduit, shard string) *http.Request {
			body, err := json.Marshal(map[string]any{"challenge": challenge, "conduit_shard": map[string]string{"conduit_id": conduit, "shard": shard}})
			assert.NilError(t, err)
			return newMessage(id, "webhook_callback_verification", body).request()
		}
		rec := serve(c, shardChallenge("early", "too-early", "x", "0"))
		assert.Equal(t, rec.Code, http.StatusServiceUnavailable)
		assert.Equal(t, rec.Body.String(), "the Conduit is not running (Run has not started, or has returned)\n")

		done := runConduit(t, c, ev)
		id := c.ID()
		rec = serve(c, shardChallenge("c-1", "pogchamp-kappa", id, "1"))
		assert.Equal(t, rec.Code, http.StatusOK)
		assert.Equal(t, rec.Body.String(), "pogchamp-kappa")
		assert.Equal(t, rec.Header().Get("Content-Length"), "14")
		assert.Equal(t, rec.Header().Get("Content-Type"), "text/plain")

		// A shard of another process: answered, as processes may share
		// the callback's URL behind a load balancer.
		rec = serve(c, shardChallenge("c-2", "kappa-2", id, "2"))
		assert.Equal(t, rec.Code, http.StatusOK)
		assert.Equal(t, rec.Body.String(), "kappa-2")

		for _, tc := range []struct{ conduit, shard string }{
			{id, "-1"},         // not a shard ID
			{"other", "1"},     // another conduit
			{id, "one"},        // not a shard ID
			{id, "4"},          // beyond the conduit
			{"", "0"},          // no conduit
			{id, "0" + "\x00"}, // a NUL
			{id, "+1"},         // not as Twitch writes shard 1
		} {
			rec := serve(c, shardChallenge("c-"+tc.conduit+tc.shard, "nope", tc.conduit, tc.shard))
			assert.Equal(t, rec.Code, http.StatusForbidden, "%+v", tc)
			assert.Assert(t, !strings.Contains(rec.Body.String(), "nope"))
			var re *eventsub.WebhookRequestError
			assert.Assert(t, errorAs(wait(t, ev.errs, "the report"), &re))
			assert.Assert(t, re.Signed)
			assert.ErrorContains(t, re, "which this Conduit does not serve (it runs shards 0-1, 3 of conduit")
		}
		// A subscription's challenge: a Webhook's, not a Conduit's.
		sub := followSub("s-1", "1", helix.EventSubSubscriptionStatusWebhookCallbackVerificationPending)
		rec = serve(c, newMessage("c-sub", "webhook_callback_verification", challengeBody("nope", sub)).request())
		assert.Equal(t, rec.Code, http.StatusBadRequest)
		var re *eventsub.WebhookRequestError
		assert.Assert(t, errorAs(wait(t, ev.errs, "the report"), &re))
		assert.ErrorContains(t, re, "no conduit_shard: a Conduit answers the challenges of its shards only")
		// Signed with another secret.
		m := newMessage("c-other", "webhook_callback_verification", []byte(`{"challenge":"nope","conduit_shard":{"conduit_id":"`+id+`","shard":"0"}}`))
		m.secret = otherSecret
		rec = serve(c, m.request())
		assert.Equal(t, rec.Code, http.StatusForbidden)
		assert.Assert(t, errorAs(wait(t, ev.errs, "the report"), &re))
		assert.Assert(t, !re.Signed)

		closeConduit(t, c, done)
		rec = serve(c, shardChallenge("late", "too-late", id, "0"))
		assert.Equal(t, rec.Code, http.StatusServiceUnavailable)

		ws, _ := newConduit(srv)
		rec = serve(ws, shardChallenge("ws", "nope", id, "0"))
		assert.Equal(t, rec.Code, http.StatusNotFound)
		assert.Equal(t, rec.Body.String(), "the Conduit has no webhook shards (WithWebhookShards)\n")
	})
}

// A callback that does not reach the Conduit: Twitch fails the shards'
// verification, and Run fails with an error that matches
// ErrCallbackVerification and names each shard and what to check.
func TestConduitWebhookShardVerificationFails(t *testing.T) {
	cbs := &callbacks{hooks: map[string]http.Handler{}}
	srv := hookFake(t, cbs)
	synctest.Test(t, func(t *testing.T) {
		c, ev := hookConduit(srv, cbs, callbackA, eventsub.WithShardCount(2))
		cbs.set(hostOf(callbackA), nil) // mounted nowhere
		began := time.Now()
		err := c.Run(context.Background())
		assert.Assert(t, errors.Is(err, eventsub.ErrCallbackVerification), "%v", err)
		for _, shard := range []string{"0", "1"} {
			assert.ErrorContains(t, err, "eventsub: conduit shard "+shard+": Twitch could not verify the webhook callback: callback "+callbackA+
				": Twitch's challenge did not reach the Conduit's ServeHTTP, or was not answered")
		}
		assert.Assert(t, time.Since(began) < 10*time.Second, "took %v", time.Since(began))
		select {
		case <-ev.ready:
			t.Fatal("OnReady")
		default:
		}
	})
}

// A webhook shard that stays pending (its challenge never answered) fails
// Run after a bounded wait.
func TestConduitWebhookShardVerificationTimesOut(t *testing.T) {
	cbs := &callbacks{hooks: map[string]http.Handler{}}
	srv := hookFake(t, cbs)
	synctest.Test(t, func(t *testing.T) {
		c, ev := hookConduit(srv, cbs, callbackA, eventsub.WithShardCount(1))
		stuck := make(chan struct{})
		defer close(stuck)
		cbs.set(hostOf(callbackA), http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-stuck }))
		began := time.Now()
		err := c.Run(context.Background())
		assert.Assert(t, errors.Is(err, eventsub.ErrCallbackVerification), "%v", err)
		assert.ErrorContains(t, err, "eventsub: conduit shard 0: Twitch could not verify the webhook callback: callback "+callbackA+": still not verified after 1m0s")
		assert.Equal(t, time.Since(began), time.Minute)
		none(t, ev.ready, "OnReady")
	})
}

// Takeover of webhook shards: a process that dies leaves its callback
// failing; Twitch disables its shards after the failures, and the live
// process assigns them to its own callback. While they were failing,
// their notifications were lost (Twitch does not send a notification a
// webhook shard failed to another shard): the figures say how many.
func TestConduitWebhookShardTakeover(t *testing.T) {
	cbs := &callbacks{hooks: map[string]http.Handler{}}
	srv := hookFake(t, cbs, twitchtest.WithWebhookRetries(1, time.Second))
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		a, aev := hookConduit(srv, cbs, callbackA, eventsub.WithShardCount(4), eventsub.WithShards("0-1"))
		fa := followsOf(t, a)
		assert.NilError(t, a.Subscribe(ctx, &eventsub.ConduitShardDisabledCondition{ClientID: "client-id"}))
		aDone := runConduit(t, a, aev)
		id := a.ID()
		b, bev := hookConduit(srv, cbs, callbackB, eventsub.WithConduitID(id), eventsub.WithShards("2-3"))
		bDone := runConduit(t, b, bev)
		closeConduit(t, b, bDone) // its callback answers 503 from now on
		died := time.Now()

		for i := range 8 { // two failures at each of B's shards disable them
			notify(t, srv, followEvent(i))
		}
		assert.NilError(t, srv.EventSub.WaitDeliveries(ctx))
		waitCtx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		for _, shard := range []string{"2", "3"} {
			_, err := srv.EventSub.WaitShard(waitCtx, id, shard, string(helix.ConduitShardStatusEnabled))
			assert.NilError(t, err)
		}
		took := time.Since(died)
		assert.Assert(t, took <= 30*time.Second, "took %v", took)
		synctest.Wait()
		assert.DeepEqual(t, callbacksAtFake(t, srv, id), map[string]string{"0": callbackA, "1": callbackA, "2": callbackA, "3": callbackA})
		for _, s := range a.Shards() {
			assert.Equal(t, s.TakenOver, s.ID == "2" || s.ID == "3", "shard %s", s.ID)
		}
		lost := 0
		for _, d := range srv.EventSub.Deliveries() {
			if d.MessageType == "notification" && d.SubscriptionType == "channel.follow" && d.State == twitchtest.DeliveryFailed {
				lost++
			}
		}
		handled := receive(t, fa, 8-lost)
		t.Logf("webhook shards: B's shards served again %v after it closed (the fake's clock); %d of 8 follows lost at B's failing callback, %d handled", took, lost, len(handled))
		assert.Equal(t, lost, 4, "the four sent to B's shards")

		for i := 8; i < 16; i++ {
			notify(t, srv, followEvent(i))
		}
		assert.NilError(t, srv.EventSub.WaitDeliveries(ctx))
		assert.DeepEqual(t, receive(t, fa, 8), numbers(8, 16))
		closeConduit(t, a, aDone)
	})
}

// A webhook shard of the process's own, disabled while its process runs,
// is assigned to its callback again at the next read.
func TestConduitWebhookShardReasserted(t *testing.T) {
	cbs := &callbacks{hooks: map[string]http.Handler{}}
	srv := hookFake(t, cbs)
	synctest.Test(t, func(t *testing.T) {
		c, ev := hookConduit(srv, cbs, callbackA, eventsub.WithShardCount(2))
		done := runConduit(t, c, ev)
		assert.NilError(t, srv.EventSub.DisableShard(c.ID(), "1", string(helix.ConduitShardStatusNotificationFailuresExceeded)))
		time.Sleep(eventsub.ConduitPollEvery * 5 / 4)
		synctest.Wait()
		assert.DeepEqual(t, callbacksAtFake(t, srv, c.ID()), map[string]string{"0": callbackA, "1": callbackA})
		assert.Equal(t, assignments(t, srv, "1"), 2)
		none(t, ev.errs, "an error")
		closeConduit(t, c, done)
	})
}

// A revocation posted to a webhook shard reaches OnRevoked and OnError,
// once; a handler may Close the Conduit, and Run returns.
func TestConduitWebhookShardRevocationAndClose(t *testing.T) {
	cbs := &callbacks{hooks: map[string]http.Handler{}}
	srv := hookFake(t, cbs)
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		revoked := make(chan helix.EventSubSubscription, 2)
		c, ev := hookConduit(srv, cbs, callbackA, eventsub.WithShardCount(1), eventsub.OnRevoked(func(s helix.EventSubSubscription) { revoked <- s }))
		var closed atomic.Bool
		c.OnChannelFollow(func(context.Context, *eventsub.ChannelFollowEvent) {
			assert.NilError(t, c.Close())
			closed.Store(true)
		})
		assert.NilError(t, c.Subscribe(ctx, followCondition("1")))
		assert.NilError(t, c.Subscribe(ctx, followCondition("2")))
		done := runConduit(t, c, ev)
		subs := c.Subscriptions()
		assert.NilError(t, srv.EventSub.Revoke(subs[0].Subscription.ID, "authorization_revoked"))
		got := wait(t, revoked, "the revocation")
		assert.Equal(t, got.ID, subs[0].Subscription.ID)
		var re *eventsub.RevokedError
		assert.Assert(t, errorAs(wait(t, ev.errs, "the report"), &re))
		assert.Equal(t, len(c.Subscriptions()), 1)
		// Posted again: acknowledged, not reported again.
		for _, d := range srv.EventSub.Deliveries() {
			if d.MessageType == "revocation" {
				at, err := srv.EventSub.Replay(ctx, d.MessageID)
				assert.NilError(t, err)
				assert.Equal(t, at.Status, http.StatusNoContent)
			}
		}
		synctest.Wait()
		none(t, revoked, "a second OnRevoked")

		_, err := srv.EventSub.Send(twitchtest.Notification{SubscriptionID: subs[1].Subscription.ID, Event: followEvent(1)})
		assert.NilError(t, err)
		assert.ErrorIs(t, wait(t, done, "Run"), eventsub.ErrClosed)
		assert.Assert(t, closed.Load())
	})
}

// A flood of refused requests never waits for a slow OnError: each is
// answered at once, the reports queue up to a bound, and OnError hears
// how many were dropped beyond it.
func TestConduitWebhookShardRefusalsDoNotWait(t *testing.T) {
	cbs := &callbacks{hooks: map[string]http.Handler{}}
	srv := hookFake(t, cbs)
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var mu sync.Mutex
		var reports []error
		c, ev := hookConduit(srv, cbs, callbackA, eventsub.WithShardCount(1), eventsub.OnError(func(err error) {
			<-release
			mu.Lock()
			reports = append(reports, err)
			mu.Unlock()
		}))
		done := make(chan error, 1)
		go func() { done <- c.Run(context.Background()) }()
		<-ev.ready
		const flood = 3000
		for i := range flood {
			m := newMessage("bad-"+strconv.Itoa(i), eventsub.MessageNotification, followBody("s1", i))
			m.secret = otherSecret
			assert.Equal(t, serve(c, m.request()).Code, http.StatusForbidden)
		}
		close(release)
		synctest.Wait()
		mu.Lock()
		n, summary := len(reports), ""
		for _, err := range reports {
			if strings.Contains(err.Error(), "reports of refused requests were dropped") {
				summary = err.Error()
			}
		}
		mu.Unlock()
		assert.Assert(t, n > 0 && n <= 1024+2, "%d reports", n)
		assert.Assert(t, summary != "", "no word of the dropped reports")
		t.Logf("%d refused requests answered while OnError was stuck; OnError then got %d reports, one of them %q", flood, n, summary)
		assert.NilError(t, c.Close())
		assert.ErrorIs(t, <-done, eventsub.ErrClosed)
	})
}

// A revocation posted to a webhook shard is answered at once, whatever
// OnRevoked does: the callbacks run on a goroutine of Run's, one that
// Close waits for, not on the request's.
func TestConduitWebhookShardRevocationDoesNotWait(t *testing.T) {
	cbs := &callbacks{hooks: map[string]http.Handler{}}
	srv := hookFake(t, cbs)
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		release := make(chan struct{})
		var once sync.Once
		free := func() { once.Do(func() { close(release) }) }
		defer free() // should the test fail, OnRevoked returns
		var inRevoked atomic.Bool
		c, ev := hookConduit(srv, cbs, callbackA, eventsub.WithShardCount(1), eventsub.OnRevoked(func(helix.EventSubSubscription) {
			inRevoked.Store(true)
			<-release
			inRevoked.Store(false)
		}))
		assert.NilError(t, c.Subscribe(ctx, followCondition("1")))
		done := runConduit(t, c, ev)
		sub := c.Subscriptions()[0].Subscription
		body, err := json.Marshal(map[string]any{"subscription": sub})
		assert.NilError(t, err)
		answered := make(chan int, 1)
		go func() { answered <- serve(c, newMessage("rev-1", eventsub.MessageRevocation, body).request()).Code }()
		synctest.Wait()
		assert.Assert(t, inRevoked.Load(), "OnRevoked was not called")
		select {
		case code := <-answered:
			assert.Equal(t, code, http.StatusNoContent)
		default:
			t.Fatal("the revocation's request waits for OnRevoked")
		}
		assert.Equal(t, len(c.Subscriptions()), 0, "the subscription is forgotten at once")

		closed := make(chan struct{})
		go func() { _ = c.Close(); close(closed) }()
		synctest.Wait()
		select {
		case <-closed:
			t.Fatal("Close returned while OnRevoked runs")
		default:
		}
		free()
		<-closed
		assert.Assert(t, !inRevoked.Load())
		assert.ErrorIs(t, <-done, eventsub.ErrClosed)
	})
}

// Processes that share one callback URL behind a load balancer (as
// WithWebhookShards allows): a shard's challenge may reach a process that
// does not run the shard. It answers it all the same (a shard of its
// conduit, signed with the secret), and the shard's owner is ready once
// Twitch lists the shard enabled.
func TestConduitWebhookShardsOneCallback(t *testing.T) {
	cbs := &callbacks{hooks: map[string]http.Handler{}}
	srv := hookFake(t, cbs)
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		a, aev := hookConduit(srv, cbs, callbackA, eventsub.WithShardCount(4), eventsub.WithShards("0-1"))
		fa := followsOf(t, a)
		aDone := runConduit(t, a, aev)
		// B serves the same URL; the load balancer sends this test's
		// requests to A.
		b, bev := hookConduit(srv, cbs, callbackA, eventsub.WithConduitID(a.ID()), eventsub.WithShards("2-3"))
		cbs.set(hostOf(callbackA), a)
		bDone := runConduit(t, b, bev)
		synctest.Wait()
		assert.DeepEqual(t, callbacksAtFake(t, srv, a.ID()), map[string]string{"0": callbackA, "1": callbackA, "2": callbackA, "3": callbackA})
		for _, s := range b.Shards() {
			assert.Assert(t, !s.VerifiedAt.IsZero(), "shard %s", s.ID)
		}
		for i := range 8 {
			notify(t, srv, followEvent(i))
		}
		assert.NilError(t, srv.EventSub.WaitDeliveries(ctx))
		assert.DeepEqual(t, receive(t, fa, 8), numbers(0, 8))
		none(t, aev.errs, "an error")
		none(t, bev.errs, "an error")
		closeConduit(t, a, aDone)
		closeConduit(t, b, bDone)
	})
}

// A process whose own callback stops passing Twitch's verification does
// not take its shard back from the process that took it over: the shard
// settles with the taker, the failure is reported once, and nobody is
// told of overlapping owners.
func TestConduitWebhookShardBrokenCallbackLeftToTaker(t *testing.T) {
	cbs := &callbacks{hooks: map[string]http.Handler{}}
	srv := hookFake(t, cbs)
	synctest.Test(t, func(t *testing.T) {
		a, aev := hookConduit(srv, cbs, callbackA, eventsub.WithShardCount(3), eventsub.WithShards("0-1"))
		aDone := runConduit(t, a, aev)
		id := a.ID()
		b, bev := newConduit(srv, eventsub.WithConduitID(id), eventsub.WithShards("2"))
		bDone := runConduit(t, b, bev)
		cbs.set(hostOf(callbackA), http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Twitch-Eventsub-Message-Type") == "webhook_callback_verification" {
				http.Error(rw, "broken", http.StatusInternalServerError)
				return
			}
			a.ServeHTTP(rw, r)
		}))
		assert.NilError(t, srv.EventSub.DisableShard(id, "1", string(helix.ConduitShardStatusNotificationFailuresExceeded)))

		time.Sleep(6 * eventsub.ConduitPollEvery) // in the bubble: a minute of reads
		synctest.Wait()
		settled := assignments(t, srv, "1")
		time.Sleep(6 * eventsub.ConduitPollEvery)
		synctest.Wait()
		assert.Equal(t, assignments(t, srv, "1"), settled, "the shard still goes back and forth")
		assert.Equal(t, enabledAtFake(t, srv, id)["1"], sessionsOf(b)["1"])
		assert.Assert(t, sessionsOf(b)["1"] != "", "B does not serve shard 1: %v", b.Shards())
		verification := 0
		for len(aev.errs) > 0 {
			err := <-aev.errs
			assert.Assert(t, !strings.Contains(err.Error(), "must not overlap"), "%v", err)
			if errors.Is(err, eventsub.ErrCallbackVerification) {
				verification++
			}
		}
		assert.Equal(t, verification, 1, "reported once")
		t.Logf("shard 1 settled with B after %d assignments", settled)
		closeConduit(t, a, aDone)
		none(t, bev.errs, "an error of B's")
		closeConduit(t, b, bDone)
	})
}
