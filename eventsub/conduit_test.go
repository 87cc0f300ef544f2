package eventsub_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
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

// These tests run Conduits against twitchtest's fake conduits, each in a
// testing/synctest bubble: a Conduit's Helix reaches the fake through
// InMemoryClient and its shards' WebSockets through EventSub.DialContext,
// so that Twitch's keepalives, the takeover's reads and their jitter all
// run on the bubble's clock. Several Conduits in one test are several
// processes sharing a conduit.

// conduitEvents collects what a Conduit's callbacks report. No callback
// blocks: a report that does not fit is dropped.
type conduitEvents struct {
	ready        chan struct{}
	errs         chan error
	connected    chan eventsub.Session
	reconnected  chan eventsub.Session
	disconnected chan error
}

func newConduitEvents() *conduitEvents {
	return &conduitEvents{
		ready:        make(chan struct{}, 10),
		errs:         make(chan error, 1000),
		connected:    make(chan eventsub.Session, 1000),
		reconnected:  make(chan eventsub.Session, 1000),
		disconnected: make(chan error, 1000),
	}
}

func (e *conduitEvents) options() []eventsub.Option {
	return []eventsub.Option{
		eventsub.OnReady(func() { e.ready <- struct{}{} }),
		eventsub.OnError(func(err error) { send(e.errs, err) }),
		eventsub.OnConnected(func(s eventsub.Session) { send(e.connected, s) }),
		eventsub.OnReconnected(func(s eventsub.Session) { send(e.reconnected, s) }),
		eventsub.OnDisconnected(func(err error) { send(e.disconnected, err) }),
		eventsub.WithLogger(testLogger()),
	}
}

func send[T any](ch chan T, v T) {
	select {
	case ch <- v:
	default:
	}
}

// conduitFake starts a fake that sends a conduit's notifications to its
// shards in turn and knows the application's app token.
func conduitFake(t *testing.T, opts ...twitchtest.Option) *twitchtest.Server {
	t.Helper()
	srv := twitchtest.NewServer(append([]twitchtest.Option{twitchtest.WithShardRoundRobin()}, opts...)...)
	t.Cleanup(srv.Close)
	srv.OAuth.AddToken(fakeAppToken, twitchtest.TokenInfo{Type: oauth.TokenApp, ClientID: "client-id"})
	return srv
}

// appHelix reaches srv's Helix in memory, from a bubble, with the app token.
func appHelix(srv *twitchtest.Server) *helix.Client {
	return helix.New("client-id", srv.Token(fakeAppToken), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.InMemoryClient()))
}

// newConduit is a Conduit on srv, one process of the application.
func newConduit(srv *twitchtest.Server, opts ...eventsub.Option) (*eventsub.Conduit, *conduitEvents) {
	ev := newConduitEvents()
	base := []eventsub.Option{
		eventsub.WithBaseURL(srv.EventSub.URL),
		eventsub.WithDialContext(srv.EventSub.DialContext),
		eventsub.WithBackoff(time.Millisecond, 20*time.Millisecond),
	}
	return eventsub.NewConduit(appHelix(srv), slices.Concat(base, ev.options(), opts)...), ev
}

// runConduit runs c until OnReady, and returns Run's result channel.
func runConduit(t *testing.T, c *eventsub.Conduit, ev *conduitEvents) chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- c.Run(context.Background()) }()
	t.Cleanup(func() { _ = c.Close() }) // in the bubble, should the test fail
	select {
	case <-ev.ready:
	case err := <-done:
		t.Fatalf("Run returned before OnReady: %v", err)
	}
	return done
}

// closeConduit closes c and checks that Run returned ErrClosed.
func closeConduit(t *testing.T, c *eventsub.Conduit, done chan error) {
	t.Helper()
	assert.NilError(t, c.Close())
	assert.ErrorIs(t, <-done, eventsub.ErrClosed)
}

// enabledAtFake returns the fake's enabled shards of a conduit: ID and
// session.
func enabledAtFake(t *testing.T, srv *twitchtest.Server, conduit string) map[string]string {
	t.Helper()
	shards, err := srv.EventSub.Shards(conduit)
	assert.NilError(t, err)
	out := map[string]string{}
	for _, s := range shards {
		if s.Status == string(helix.ConduitShardStatusEnabled) {
			out[s.ID] = s.Transport.SessionID
		}
	}
	return out
}

// sessionsOf returns the sessions of the shards c runs: ID and session.
func sessionsOf(cs ...*eventsub.Conduit) map[string]string {
	out := map[string]string{}
	for _, c := range cs {
		for _, s := range c.Shards() {
			out[s.ID] = s.Session
		}
	}
	return out
}

// requests counts the fake's Helix requests of an operation.
func requests(srv *twitchtest.Server, operation string) int {
	n := 0
	for _, r := range srv.Helix.Requests() {
		if r.Operation == operation {
			n++
		}
	}
	return n
}

// assignments counts the fake's Update Conduit Shards requests that
// assigned shard.
func assignments(t *testing.T, srv *twitchtest.Server, shard string) int {
	t.Helper()
	n := 0
	for _, r := range srv.Helix.Requests() {
		if r.Operation != "UpdateConduitShards" {
			continue
		}
		var body helix.UpdateConduitShardsParams
		assert.NilError(t, json.Unmarshal(r.Body, &body))
		for _, s := range body.Shards {
			if s.ID == shard {
				n++
			}
		}
	}
	return n
}

// receive takes n user IDs from f, sorted.
func receive(t *testing.T, f *follows, n int) []string {
	t.Helper()
	var got []string
	for i := range n {
		got = append(got, wait(t, f.ch, "notification "+strconv.Itoa(i)))
	}
	slices.SortFunc(got, func(a, b string) int { x, _ := strconv.Atoi(a); y, _ := strconv.Atoi(b); return x - y })
	return got
}

// numbers returns "from" to "to-1".
func numbers(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, strconv.Itoa(i))
	}
	return out
}

// A Conduit without a conduit creates one with WithShardCount's shards,
// says its ID, opens a session per shard and assigns each shard to its
// session as soon as it is welcomed, well within Twitch's 10 seconds;
// its subscription is made with the conduit transport. Notifications,
// spread over the four shards, each arrive once. Closed, its shards are
// disabled.
func TestConduitAssignsShardsAfterWelcome(t *testing.T) {
	srv := conduitFake(t)
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		c, ev := newConduit(srv, eventsub.WithShardCount(4))
		f := followsOf(t, c)
		assert.Equal(t, c.ID(), "", "no conduit before Run")
		done := runConduit(t, c, ev)

		conduits := srv.EventSub.Conduits()
		assert.Equal(t, len(conduits), 1)
		assert.Equal(t, c.ID(), conduits[0].ID)
		assert.Equal(t, conduits[0].ShardCount, 4)
		shards := c.Shards()
		assert.Equal(t, len(shards), 4)
		for i, s := range shards {
			assert.Equal(t, s.ID, strconv.Itoa(i))
			assert.Assert(t, s.Session != "")
			assert.Assert(t, !s.TakenOver)
			assert.Assert(t, !s.WelcomedAt.IsZero() && !s.AssignedAt.Before(s.WelcomedAt))
			assert.Assert(t, s.AssignedAt.Sub(s.WelcomedAt) < 10*time.Second, "shard %s assigned %v after its welcome", s.ID, s.AssignedAt.Sub(s.WelcomedAt))
		}
		assert.DeepEqual(t, enabledAtFake(t, srv, c.ID()), sessionsOf(c))
		subs := c.Subscriptions()
		assert.Equal(t, len(subs), 1)
		assert.Assert(t, subs[0].Active)
		assert.Equal(t, subs[0].Subscription.Transport.Method, helix.EventSubTransportMethodConduit)
		assert.Equal(t, subs[0].Subscription.Transport.ConduitID, c.ID())

		for i := range 20 {
			notify(t, srv, followEvent(i))
		}
		assert.NilError(t, srv.EventSub.WaitDeliveries(ctx))
		assert.DeepEqual(t, receive(t, f, 20), numbers(0, 20))
		perShard := map[string]int{}
		for _, d := range srv.EventSub.Deliveries() {
			if d.ConduitID == c.ID() && d.MessageType == "notification" {
				perShard[d.ShardID]++
			}
		}
		assert.DeepEqual(t, perShard, map[string]int{"0": 5, "1": 5, "2": 5, "3": 5})
		synctest.Wait()
		none(t, f.ch, "a duplicate")
		none(t, ev.errs, "an error")

		closeConduit(t, c, done)
		synctest.Wait()
		assert.DeepEqual(t, enabledAtFake(t, srv, c.ID()), map[string]string{})
	})
}

// When a shard's connection drops, its new session is assigned to it;
// the subscription, which belongs to the conduit, is not made again.
func TestConduitReassignsAfterReconnect(t *testing.T) {
	srv := conduitFake(t)
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		c, ev := newConduit(srv, eventsub.WithShardCount(2))
		f := followsOf(t, c)
		done := runConduit(t, c, ev)
		before := sessionsOf(c)
		sub := c.Subscriptions()[0].Subscription.ID
		assert.Equal(t, requests(srv, "CreateEventSubSubscription"), 1)
		for range 2 {
			<-ev.connected
		}

		assert.NilError(t, srv.EventSub.Drop(before["0"]))
		var se *eventsub.ShardError
		assert.Assert(t, errorAs(wait(t, ev.disconnected, "the drop"), &se))
		assert.Equal(t, se.Shard, "0")
		session := wait(t, ev.connected, "a new session")
		synctest.Wait() // the assignment is done

		after := sessionsOf(c)
		assert.Equal(t, after["0"], session.ID)
		assert.Assert(t, after["0"] != before["0"])
		assert.Equal(t, after["1"], before["1"])
		assert.DeepEqual(t, enabledAtFake(t, srv, c.ID()), after)
		assert.Equal(t, requests(srv, "CreateEventSubSubscription"), 1, "the subscription is not made again")
		at := srv.EventSub.Subscriptions()
		assert.Equal(t, len(at), 1)
		assert.Equal(t, at[0].ID, sub)
		assert.Equal(t, c.Subscriptions()[0].Subscription.ID, sub)

		for i := range 10 {
			notify(t, srv, followEvent(i))
		}
		assert.NilError(t, srv.EventSub.WaitDeliveries(ctx))
		assert.DeepEqual(t, receive(t, f, 10), numbers(0, 10))
		closeConduit(t, c, done)
	})
}

// A session_reconnect moves the shard with the session: notifications
// sent before, during and after the handover all arrive, once each and
// in order, and the shard is not assigned again.
func TestConduitHandoverLosesNothing(t *testing.T) {
	srv := conduitFake(t)
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		c, ev := newConduit(srv, eventsub.WithShardCount(1))
		f := followsOf(t, c)
		done := runConduit(t, c, ev)
		session := sessionsOf(c)["0"]
		updates := requests(srv, "UpdateConduitShards")

		for i := range 10 {
			notify(t, srv, followEvent(i))
		}
		assert.NilError(t, srv.EventSub.Reconnect(session))
		for i := 10; i < 20; i++ {
			notify(t, srv, followEvent(i))
		}
		wait(t, ev.reconnected, "the handover")
		for i := 20; i < 30; i++ {
			notify(t, srv, followEvent(i))
		}
		assert.NilError(t, srv.EventSub.WaitDeliveries(ctx))
		for i := range 30 {
			assert.Equal(t, wait(t, f.ch, "notification "+strconv.Itoa(i)), strconv.Itoa(i), "in order")
		}
		synctest.Wait()
		none(t, f.ch, "a duplicate")
		none(t, ev.errs, "an error")
		assert.Equal(t, sessionsOf(c)["0"], session)
		assert.DeepEqual(t, enabledAtFake(t, srv, c.ID()), map[string]string{"0": session})
		assert.Equal(t, requests(srv, "UpdateConduitShards"), updates, "the handover does not assign the shard again")
		for _, d := range srv.EventSub.Deliveries() {
			assert.Equal(t, d.State, twitchtest.DeliveryDelivered, "message %s", d.MessageID)
		}
		closeConduit(t, c, done)
	})
}

// errorAs is errors.As for a comparison.
func errorAs[T error](err error, target *T) bool {
	for err != nil {
		if e, ok := err.(T); ok {
			*target = e
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// Takeover: process A serves shards 0-1 and B shards 2-3 of one conduit.
// A dies: Twitch disables its shards, and B, reading the shards, takes
// them over within 30 seconds; events then reach B on all four. A comes
// back: it assigns its shards to its new sessions, and B gives them up
// at its next read, without a fight.
func TestConduitTakeover(t *testing.T) {
	srv := conduitFake(t)
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		a, aev := newConduit(srv, eventsub.WithShardCount(4), eventsub.WithShards("0-1"))
		assert.NilError(t, a.Subscribe(ctx, followCondition("1")))
		aDone := runConduit(t, a, aev)
		id := a.ID()
		b, bev := newConduit(srv, eventsub.WithConduitID(id), eventsub.WithShards("2-3"))
		fb := followsOf(t, b)
		bDone := runConduit(t, b, bev)
		assert.Equal(t, len(srv.EventSub.Subscriptions()), 1, "B finds A's subscription")
		assert.DeepEqual(t, enabledAtFake(t, srv, id), sessionsOf(a, b))

		closeConduit(t, a, aDone)
		died := time.Now()
		waitCtx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		for _, shard := range []string{"0", "1"} {
			_, err := srv.EventSub.WaitShard(waitCtx, id, shard, string(helix.ConduitShardStatusWebSocketDisconnected))
			assert.NilError(t, err)
		}
		for _, shard := range []string{"0", "1"} {
			_, err := srv.EventSub.WaitShard(waitCtx, id, shard, string(helix.ConduitShardStatusEnabled))
			assert.NilError(t, err)
		}
		took := time.Since(died)
		assert.Assert(t, took <= 30*time.Second, "took %v", took)
		t.Logf("takeover: shards 0 and 1 served again %v after their process closed (the fake's clock)", took)
		synctest.Wait()
		shards := b.Shards()
		assert.Equal(t, len(shards), 4)
		for _, s := range shards {
			assert.Equal(t, s.TakenOver, s.ID == "0" || s.ID == "1", "shard %s", s.ID)
		}
		assert.DeepEqual(t, enabledAtFake(t, srv, id), sessionsOf(b))
		for i := range 8 {
			notify(t, srv, followEvent(i))
		}
		assert.NilError(t, srv.EventSub.WaitDeliveries(ctx))
		assert.DeepEqual(t, receive(t, fb, 8), numbers(0, 8))

		// A comes back.
		a2, a2ev := newConduit(srv, eventsub.WithConduitID(id), eventsub.WithShards("0-1"))
		assert.NilError(t, a2.Subscribe(ctx, followCondition("1")))
		a2Done := runConduit(t, a2, a2ev)
		back := time.Now()
		time.Sleep(eventsub.ConduitPollEvery*5/4 + time.Second) // in the bubble: B reads the shards meanwhile
		synctest.Wait()
		assert.DeepEqual(t, enabledAtFake(t, srv, id), sessionsOf(a2, b))
		assert.DeepEqual(t, slices.Collect(mapKeys(sessionsOf(b))), []string{"2", "3"})
		assert.DeepEqual(t, slices.Collect(mapKeys(sessionsOf(a2))), []string{"0", "1"})
		t.Logf("takeover: B gave the shards back within %v of A's return", time.Since(back))
		assert.Equal(t, assignments(t, srv, "0"), 3, "A, B, A again: no fight")
		none(t, a2ev.errs, "an error")
		none(t, bev.errs, "an error")
		closeConduit(t, a2, a2Done)
		closeConduit(t, b, bDone)
	})
}

// mapKeys yields m's keys, sorted.
func mapKeys(m map[string]string) func(func(string) bool) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return slices.Values(keys)
}

// With a conduit.shard.disabled subscription, the process that handles
// the event reads the shards at once: the takeover takes the grace of 5
// seconds and no more, not the wait until the next read.
func TestConduitTakeoverOnDisabledEvent(t *testing.T) {
	srv := conduitFake(t)
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		a, aev := newConduit(srv, eventsub.WithShardCount(2), eventsub.WithShards("0"))
		aDone := runConduit(t, a, aev)
		id := a.ID()
		b, bev := newConduit(srv, eventsub.WithConduitID(id), eventsub.WithShards("1"))
		eventsub.SetConduitJitter(b, func(time.Duration) time.Duration { return 0 })
		disabled := make(chan string, 10)
		b.OnConduitShardDisabled(func(_ context.Context, e *eventsub.ConduitShardDisabledEvent) { disabled <- e.ShardID })
		assert.NilError(t, b.Subscribe(ctx, &eventsub.ConduitShardDisabledCondition{ClientID: "client-id", ConduitID: id}))
		bDone := runConduit(t, b, bev)

		// B's first read is 10 s away: without the event, B would take
		// the shard over after 15 s.
		closeConduit(t, a, aDone)
		died := time.Now()
		assert.Equal(t, wait(t, disabled, "conduit.shard.disabled"), "0")
		waitCtx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		_, err := srv.EventSub.WaitShard(waitCtx, id, "0", string(helix.ConduitShardStatusEnabled))
		assert.NilError(t, err)
		took := time.Since(died)
		assert.Assert(t, took < eventsub.ConduitDisabledGrace+time.Second, "took %v", took)
		t.Logf("takeover after conduit.shard.disabled: %v (the fake's clock)", took)
		synctest.Wait()
		assert.DeepEqual(t, enabledAtFake(t, srv, id), sessionsOf(b))
		closeConduit(t, b, bDone)
	})
}

// Two processes with room take over the same disabled shards at the same
// instant (no jitter: their reads coincide). The last assignment wins at
// Twitch; each checks a second later, and the loser gives the shard up:
// one process serves each shard, and they stay so.
func TestConduitTakeoverContestSettles(t *testing.T) {
	srv := conduitFake(t)
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		a, aev := newConduit(srv, eventsub.WithShardCount(4), eventsub.WithShards("0-1"))
		aDone := runConduit(t, a, aev)
		id := a.ID()
		noJitter := func(time.Duration) time.Duration { return 0 }
		b, bev := newConduit(srv, eventsub.WithConduitID(id), eventsub.WithShards("2"), eventsub.WithTakeover(2))
		c, cev := newConduit(srv, eventsub.WithConduitID(id), eventsub.WithShards("3"), eventsub.WithTakeover(2))
		eventsub.SetConduitJitter(b, noJitter)
		eventsub.SetConduitJitter(c, noJitter)
		// Both read the shards before either takes one over: each finds
		// both disabled, and takes both over.
		var taking sync.WaitGroup
		taking.Add(2)
		barrier := func(ids []int) {
			assert.DeepEqual(t, ids, []int{0, 1})
			taking.Done()
			taking.Wait()
		}
		eventsub.SetConduitBeforeTakeover(b, barrier)
		eventsub.SetConduitBeforeTakeover(c, barrier)
		bDone := make(chan error, 1)
		cDone := make(chan error, 1)
		go func() { bDone <- b.Run(ctx) }()
		go func() { cDone <- c.Run(ctx) }()
		t.Cleanup(func() { _ = b.Close(); _ = c.Close() })
		wait(t, bev.ready, "B ready")
		wait(t, cev.ready, "C ready")

		closeConduit(t, a, aDone)
		died := time.Now()
		waitCtx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		for _, shard := range []string{"0", "1"} {
			_, err := srv.EventSub.WaitShard(waitCtx, id, shard, string(helix.ConduitShardStatusEnabled))
			assert.NilError(t, err)
		}
		synctest.Wait()
		assert.Equal(t, assignments(t, srv, "0"), 3, "A, then B and C")
		assert.Equal(t, assignments(t, srv, "1"), 3, "A, then B and C")
		settledNow := func() bool {
			bs, cs := sessionsOf(b), sessionsOf(c)
			for _, shard := range []string{"0", "1"} {
				_, inB := bs[shard]
				_, inC := cs[shard]
				if inB == inC {
					return false
				}
			}
			return true
		}
		assert.Assert(t, !settledNow(), "both run both shards")
		for !settledNow() && time.Since(died) < time.Minute {
			time.Sleep(100 * time.Millisecond) // in the bubble: the clock moves, nothing else
			synctest.Wait()
		}
		settled := time.Since(died)
		check := func() {
			t.Helper()
			assert.Assert(t, settledNow(), "each shard run by one process: B %v, C %v", sessionsOf(b), sessionsOf(c))
			assert.DeepEqual(t, enabledAtFake(t, srv, id), sessionsOf(b, c))
		}
		check()
		assert.Assert(t, settled <= 30*time.Second, "settled %v after the death", settled)
		t.Logf("contest: two processes took over the same 2 shards; one each %v after the death (the fake's clock)", settled)
		time.Sleep(3 * eventsub.ConduitPollEvery) // in the bubble: three more reads each, no fight
		synctest.Wait()
		check()
		assert.Equal(t, assignments(t, srv, "0"), 3, "no assignment since")
		assert.Equal(t, assignments(t, srv, "1"), 3, "no assignment since")
		none(t, bev.errs, "an error")
		none(t, cev.errs, "an error")
		closeConduit(t, b, bDone)
		closeConduit(t, c, cDone)
	})
}

// Reconcile: an earlier run left subscriptions to the conduit for 1 and
// 9; the program wants 1 and 4. Run keeps 1 as it was, makes 4, deletes 9
// (WithDeleteStale), and leaves another conduit's subscription alone.
// After a reconnect nothing is made again.
func TestConduitReconcilesSubscriptions(t *testing.T) {
	srv := conduitFake(t)
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		h := appHelix(srv)
		mine, err := h.CreateConduits(ctx, &helix.CreateConduitsParams{ShardCount: 1})
		assert.NilError(t, err)
		other, err := h.CreateConduits(ctx, &helix.CreateConduitsParams{ShardCount: 1})
		assert.NilError(t, err)
		id, otherID := mine.Data[0].ID, other.Data[0].ID
		create := func(conduit, broadcaster string) string {
			body, err := json.Marshal(followCondition(broadcaster))
			assert.NilError(t, err)
			res, err := h.CreateEventSubSubscription(ctx, &helix.CreateEventSubSubscriptionParams{
				Type: "channel.follow", Version: "2", Condition: body,
				Transport: helix.EventSubTransportParams{Method: helix.EventSubTransportMethodConduit, ConduitID: conduit},
			})
			assert.NilError(t, err)
			return res.Data[0].ID
		}
		kept, stale, others := create(id, "1"), create(id, "9"), create(otherID, "7")
		creates := requests(srv, "CreateEventSubSubscription")

		c, ev := newConduit(srv, eventsub.WithConduitID(id), eventsub.WithDeleteStale())
		assert.NilError(t, c.Subscribe(ctx, followCondition("1")))
		assert.NilError(t, c.Subscribe(ctx, followCondition("4")))
		done := runConduit(t, c, ev)
		assert.Equal(t, requests(srv, "CreateEventSubSubscription"), creates+1, "only 4 is made")
		byBroadcaster := map[string]string{}
		for _, s := range srv.EventSub.Subscriptions() {
			var cond eventsub.ChannelFollowCondition
			assert.NilError(t, json.Unmarshal(s.Condition, &cond))
			byBroadcaster[cond.BroadcasterUserID+"@"+s.Transport.ConduitID] = s.ID
		}
		assert.Equal(t, byBroadcaster["1@"+id], kept)
		assert.Equal(t, byBroadcaster["7@"+otherID], others)
		assert.Assert(t, byBroadcaster["4@"+id] != "")
		assert.Assert(t, is.Len(byBroadcaster, 3))
		_, ok := byBroadcaster["9@"+id]
		assert.Assert(t, !ok, "the stale %s is deleted", stale)
		for _, s := range c.Subscriptions() {
			assert.Assert(t, s.Active)
		}

		<-ev.connected
		assert.NilError(t, srv.EventSub.Drop(sessionsOf(c)["0"]))
		wait(t, ev.disconnected, "the drop")
		wait(t, ev.connected, "a new session")
		synctest.Wait()
		assert.Assert(t, sessionsOf(c)["0"] != "", "assigned again")
		assert.Equal(t, requests(srv, "CreateEventSubSubscription"), creates+1, "nothing is made again after the reconnect")
		closeConduit(t, c, done)
	})
}

// A handler may call Close: Run returns ErrClosed, and no handler is
// called after.
func TestConduitCloseFromHandler(t *testing.T) {
	srv := conduitFake(t)
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		c, ev := newConduit(srv, eventsub.WithShardCount(2))
		handled := make(chan string, 10)
		c.OnChannelFollow(func(_ context.Context, e *eventsub.ChannelFollowEvent) {
			handled <- e.UserID
			assert.NilError(t, c.Close())
		})
		assert.NilError(t, c.Subscribe(ctx, followCondition("1")))
		done := runConduit(t, c, ev)
		notify(t, srv, followEvent(1))
		assert.ErrorIs(t, wait(t, done, "Run to return"), eventsub.ErrClosed)
		assert.Equal(t, <-handled, "1")
		_, err := srv.EventSub.Notify(followEvent(2))
		assert.NilError(t, err)
		synctest.Wait()
		none(t, handled, "a handler after Close")
		assert.ErrorIs(t, c.Subscribe(ctx, followCondition("2")), eventsub.ErrClosed)
	})
}

// Options for another kind, and bad values, are errors from Run and
// Subscribe; Conduit options are errors for the others. Run says when it
// cannot find the conduit or the shards do not fit it.
func TestConduitOptionErrors(t *testing.T) {
	h := helix.New("id", nil)
	for _, tc := range []struct {
		opts []eventsub.Option
		want string
	}{
		{[]eventsub.Option{eventsub.WithShards("3-1")}, `eventsub: WithShards("3-1"): the range "3-1" ends before it starts`},
		{[]eventsub.Option{eventsub.WithShards("0,,2")}, `eventsub: WithShards("0,,2"): an empty shard`},
		{[]eventsub.Option{eventsub.WithShards("a")}, `eventsub: WithShards("a"): "a" is not a shard ID or a range of them`},
		{[]eventsub.Option{eventsub.WithShards("0-20000")}, `eventsub: WithShards("0-20000"): shard 20000: a conduit has at most 20000 shards`},
		{[]eventsub.Option{eventsub.WithShards("0-4"), eventsub.WithShardCount(4)}, `eventsub: WithShards("0-4"): shard 4 is beyond WithShardCount(4)`},
		{[]eventsub.Option{eventsub.WithShardCount(20001)}, `eventsub: WithShardCount(20001): a conduit has 1 to 20000 shards`},
		{[]eventsub.Option{eventsub.WithTakeover(-2)}, `eventsub: WithTakeover(-2): 0 to 20000 shards`},
		{[]eventsub.Option{eventsub.WithPreviousSecret("0123456789")}, `eventsub: WithPreviousSecret applies to a Conduit's webhook shards, and it has none: add WithWebhookShards`},
		{[]eventsub.Option{eventsub.WithQueueSize(3)}, `eventsub: WithQueueSize applies to a Conduit's webhook shards, and it has none: add WithWebhookShards`},
		{[]eventsub.Option{eventsub.WithWebhookShards("/eventsub", testSecret)}, `eventsub: WithWebhookShards: callback URL "/eventsub": not an absolute http(s) URL`},
		{[]eventsub.Option{eventsub.WithWebhookShards(testCallback, "short")}, `eventsub: WithWebhookShards: the secret has 5 characters: Twitch takes 10 to 100`},
		{[]eventsub.Option{eventsub.WithWebhookShards(testCallback, testSecret), eventsub.WithPreviousSecret("x")}, `eventsub: WithPreviousSecret: the secret has 1 characters`},
		{[]eventsub.Option{eventsub.WithWebhookShards(testCallback, testSecret), eventsub.WithQueueSize(0)}, `eventsub: WithQueueSize(0): the queue must hold at least 1 notification`},
		{[]eventsub.Option{eventsub.WithWebhookShards(testCallback, testSecret), eventsub.WithQueueSize(2), eventsub.WithWorkers(3)}, `eventsub: WithWorkers(3): at most the queue's size (2) with webhook shards`},
		{[]eventsub.Option{eventsub.WithWebhookShards(testCallback, testSecret), eventsub.OnConnected(func(eventsub.Session) {})}, `eventsub: OnConnected applies to WebSocket shards, and WithWebhookShards makes the Conduit's shards webhook shards`},
		{[]eventsub.Option{eventsub.WithKeepalive(5)}, `eventsub: WithKeepalive(5): Twitch accepts 10 to 600 seconds`},
	} {
		c := eventsub.NewConduit(h, tc.opts...)
		assert.ErrorContains(t, c.Run(context.Background()), tc.want)
		assert.ErrorContains(t, c.Subscribe(context.Background(), followCondition("1")), tc.want)
	}
	assert.ErrorContains(t, eventsub.NewConduit(nil).Run(context.Background()), "eventsub: NewConduit: the *helix.Client to subscribe with is nil")
	assert.ErrorContains(t, eventsub.New(h, eventsub.WithShards("0")).Run(context.Background()), "eventsub: WithShards applies to a Conduit, not to the WebSocket Client")
	assert.ErrorContains(t, eventsub.NewWebhook(h, testCallback, testSecret, eventsub.WithConduitID("x")).Run(context.Background()),
		"eventsub: WithConduitID applies to a Conduit, not to a Webhook")
	// Options of the WebSocket and of the Webhook's subscriptions apply.
	ok := eventsub.NewConduit(h, eventsub.WithKeepalive(30), eventsub.WithDeleteStale(), eventsub.WithWorkers(4), eventsub.OnConnected(func(eventsub.Session) {}))
	var invalid *eventsub.InvalidSubscriptionError
	err := ok.Subscribe(context.Background(), &eventsub.UserAuthorizationGrantCondition{ClientID: "id"})
	assert.Assert(t, errorAs(err, &invalid), "%v", err)
	assert.ErrorContains(t, err, "Twitch delivers it by webhook only, not to a conduit")

	srv := conduitFake(t)
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		c, _ := newConduit(srv, eventsub.WithConduitID("nope"))
		assert.ErrorContains(t, c.Run(ctx), `eventsub: conduit: WithConduitID("nope"): the application has no such conduit (it has none)`)
		h := appHelix(srv)
		for range 2 {
			_, err := h.CreateConduits(ctx, &helix.CreateConduitsParams{ShardCount: 2})
			assert.NilError(t, err)
		}
		c, _ = newConduit(srv)
		assert.ErrorContains(t, c.Run(ctx), "eventsub: conduit: the application has 2 conduits (")
		assert.ErrorContains(t, c.Run(ctx), "Run called twice")
		id := srv.EventSub.Conduits()[0].ID
		c, _ = newConduit(srv, eventsub.WithConduitID(id), eventsub.WithShards("1-2"))
		assert.ErrorContains(t, c.Run(ctx), `WithShards("1-2"): shard 2 is beyond the conduit's 2 shards (numbered from 0): set the count with WithShardCount`)
		for range 3 {
			_, err := h.CreateConduits(ctx, &helix.CreateConduitsParams{ShardCount: 2})
			assert.NilError(t, err)
		}
		c, _ = newConduit(srv, eventsub.WithConduitID(id), eventsub.WithShardCount(3))
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		synctest.Wait()
		assert.Equal(t, srv.EventSub.Conduits()[0].ShardCount, 3, "WithShardCount updates the count")
		closeConduit(t, c, done)
	})
}

// A message Twitch sends again arrives on another shard (the fake sends
// in turn, so each copy goes to the next shard): it is handled once, the
// IDs being remembered across the process's shards.
func TestConduitDedupAcrossShards(t *testing.T) {
	srv := conduitFake(t)
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		c, ev := newConduit(srv, eventsub.WithShardCount(3))
		f := followsOf(t, c)
		runConduit(t, c, ev)
		sub := c.Subscriptions()[0].Subscription.ID
		for i := range 4 {
			for range 3 { // the same message three times, to three shards
				_, err := srv.EventSub.Send(twitchtest.Notification{SubscriptionID: sub, Event: followEvent(i), MessageID: "m" + strconv.Itoa(i)})
				assert.NilError(t, err)
			}
		}
		assert.NilError(t, srv.EventSub.WaitDeliveries(ctx))
		shardsOf := map[string]map[string]bool{}
		for _, d := range srv.EventSub.Deliveries() {
			if shardsOf[d.MessageID] == nil {
				shardsOf[d.MessageID] = map[string]bool{}
			}
			shardsOf[d.MessageID][d.ShardID] = true
		}
		for i := range 4 {
			assert.Equal(t, len(shardsOf["m"+strconv.Itoa(i)]), 3, "each copy on another shard")
		}
		assert.DeepEqual(t, receive(t, f, 4), numbers(0, 4))
		synctest.Wait()
		none(t, f.ch, "a copy")
	})
}

// A revocation that reaches two shards (Twitch sends a message on to
// another shard when the first did not seem to take it) is reported once.
func TestConduitRevocationOnceAcrossShards(t *testing.T) {
	srv := conduitFake(t)
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		revoked := make(chan helix.EventSubSubscription, 4)
		c, ev := newConduit(srv, eventsub.WithShardCount(2), eventsub.OnRevoked(func(s helix.EventSubSubscription) { revoked <- s }))
		assert.NilError(t, c.Subscribe(ctx, followCondition("1")))
		runConduit(t, c, ev)
		sub := c.Subscriptions()[0].Subscription
		sub.Status = "authorization_revoked"
		payload, err := json.Marshal(map[string]any{"subscription": sub})
		assert.NilError(t, err)
		frame, err := json.Marshal(map[string]any{
			"metadata": map[string]string{"message_id": "r-1", "message_type": "revocation", "message_timestamp": time.Now().UTC().Format(time.RFC3339Nano),
				"subscription_type": sub.Type, "subscription_version": sub.Version},
			"payload": json.RawMessage(payload),
		})
		assert.NilError(t, err)
		for _, s := range c.Shards() {
			assert.NilError(t, srv.EventSub.SendFrame(s.Session, frame))
		}
		assert.Equal(t, wait(t, revoked, "the revocation").ID, sub.ID)
		synctest.Wait()
		none(t, revoked, "the revocation again")
		var re *eventsub.RevokedError
		assert.Assert(t, errorAs(wait(t, ev.errs, "the report"), &re))
		none(t, ev.errs, "a second report")
	})
}

// Handlers run one at a time across the shards, as on one WebSocket;
// WithWorkers(2) runs two at once.
func TestConduitHandlersOneAtATime(t *testing.T) {
	for _, workers := range []int{1, 2} {
		t.Run(strconv.Itoa(workers), func(t *testing.T) {
			srv := conduitFake(t)
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				c, ev := newConduit(srv, eventsub.WithShardCount(3), eventsub.WithWorkers(workers))
				var mu sync.Mutex
				running, most := 0, 0
				release := make(chan struct{})
				c.OnChannelFollow(func(context.Context, *eventsub.ChannelFollowEvent) {
					mu.Lock()
					running++
					most = max(most, running)
					mu.Unlock()
					<-release
					mu.Lock()
					running--
					mu.Unlock()
				})
				assert.NilError(t, c.Subscribe(ctx, followCondition("1")))
				runConduit(t, c, ev)
				for i := range 3 { // one on each shard
					notify(t, srv, followEvent(i))
				}
				synctest.Wait()
				mu.Lock()
				assert.Equal(t, running, workers, "handlers running while the first ones wait")
				mu.Unlock()
				close(release)
				synctest.Wait()
				assert.Equal(t, most, workers)
				assert.Equal(t, running, 0)
			})
		})
	}
}

// A subscription Twitch revokes is no longer wanted: OnRevoked hears of
// it, OnError gets a *RevokedError, and it is gone from Subscriptions.
func TestConduitRevocation(t *testing.T) {
	srv := conduitFake(t)
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		revoked := make(chan helix.EventSubSubscription, 1)
		c, ev := newConduit(srv, eventsub.WithShardCount(2), eventsub.OnRevoked(func(s helix.EventSubSubscription) { revoked <- s }))
		assert.NilError(t, c.Subscribe(ctx, followCondition("1")))
		assert.NilError(t, c.Subscribe(ctx, followCondition("2")))
		runConduit(t, c, ev)
		subs := c.Subscriptions()
		assert.Equal(t, len(subs), 2)
		gone := subs[0].Subscription.ID
		assert.NilError(t, srv.EventSub.Revoke(gone, "authorization_revoked"))
		got := wait(t, revoked, "the revocation")
		assert.Equal(t, got.ID, gone)
		var re *eventsub.RevokedError
		assert.Assert(t, errorAs(wait(t, ev.errs, "the report"), &re))
		assert.Equal(t, re.Subscription.ID, gone)
		left := c.Subscriptions()
		assert.Equal(t, len(left), 1)
		assert.Equal(t, left[0].Subscription.ID, subs[1].Subscription.ID)
	})
}

// Two processes that both own shard 0 (WithShards overlapping, a
// mistake) each assign it to its own session again when they find the
// other's: after three such reads, OnError says so.
func TestConduitOverlappingOwnersReported(t *testing.T) {
	srv := conduitFake(t)
	synctest.Test(t, func(t *testing.T) {
		a, aev := newConduit(srv, eventsub.WithShardCount(1), eventsub.WithTakeover(0))
		runConduit(t, a, aev)
		b, bev := newConduit(srv, eventsub.WithConduitID(a.ID()), eventsub.WithTakeover(0))
		runConduit(t, b, bev)
		var err error
		select {
		case err = <-aev.errs:
		case err = <-bev.errs:
		case <-time.After(10 * eventsub.ConduitPollEvery):
			t.Fatal("no report")
		}
		assert.ErrorContains(t, err, "shard 0, one of this process's own, was held by another session or callback 3 times in a few reads: "+
			"another process serves it too (the shards of WithShards must not overlap)")
	})
}

// A shard taken over whose session is lost is given up, not assigned to
// a new session (its owner may be back); still disabled at the next
// read, and for the grace after, it is taken over again.
func TestConduitTakenOverShardGivenUpOnLoss(t *testing.T) {
	srv := conduitFake(t)
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		a, aev := newConduit(srv, eventsub.WithShardCount(2), eventsub.WithShards("0"))
		aDone := runConduit(t, a, aev)
		id := a.ID()
		b, bev := newConduit(srv, eventsub.WithConduitID(id), eventsub.WithShards("1"))
		runConduit(t, b, bev)
		closeConduit(t, a, aDone)
		waitCtx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		_, err := srv.EventSub.WaitShard(waitCtx, id, "0", string(helix.ConduitShardStatusWebSocketDisconnected))
		assert.NilError(t, err)
		_, err = srv.EventSub.WaitShard(waitCtx, id, "0", string(helix.ConduitShardStatusEnabled))
		assert.NilError(t, err)
		synctest.Wait()
		taken := sessionsOf(b)["0"]
		assert.Assert(t, taken != "")
		updates := assignments(t, srv, "0")

		assert.NilError(t, srv.EventSub.Drop(taken))
		time.Sleep(time.Second) // in the bubble: the reconnect's backoff (at most 20 ms) passes
		synctest.Wait()
		_, running := sessionsOf(b)["0"]
		assert.Assert(t, !running, "given up: %v", b.Shards())
		assert.Equal(t, assignments(t, srv, "0"), updates, "not assigned to a new session")
		_, err = srv.EventSub.WaitShard(waitCtx, id, "0", string(helix.ConduitShardStatusEnabled))
		assert.NilError(t, err)
		synctest.Wait()
		assert.Assert(t, sessionsOf(b)["0"] != "" && sessionsOf(b)["0"] != taken, "taken over again")
		assert.DeepEqual(t, enabledAtFake(t, srv, id), sessionsOf(b))
	})
}

// A webhook shard that failed is taken over like any other, on the
// process's own transport: here a WebSocket session.
func TestConduitTakesOverWebhookShards(t *testing.T) {
	refuse := http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) { http.Error(rw, "no", http.StatusInternalServerError) })
	srv := conduitFake(t, twitchtest.WithWebhookClient(twitchtest.HandlerClient(refuse)))
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		c, ev := newConduit(srv, eventsub.WithShardCount(2), eventsub.WithShards("0"), eventsub.WithTakeover(1))
		runConduit(t, c, ev)
		_, err := appHelix(srv).UpdateConduitShards(ctx, &helix.UpdateConduitShardsParams{ConduitID: c.ID(), Shards: []helix.ConduitShardUpdate{{
			ID: "1", Transport: helix.ConduitShardTransportParams{Method: helix.ConduitShardTransportMethodWebhook, Callback: fakeCallback, Secret: testSecret},
		}}})
		assert.NilError(t, err)
		waitCtx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		_, err = srv.EventSub.WaitShard(waitCtx, c.ID(), "1", string(helix.ConduitShardStatusWebhookCallbackVerificationFailed))
		assert.NilError(t, err)
		time.Sleep(3 * eventsub.ConduitPollEvery) // in the bubble: three reads at least
		synctest.Wait()
		sessions := sessionsOf(c)
		assert.DeepEqual(t, slices.Sorted(mapKeys(sessions)), []string{"0", "1"})
		assert.Equal(t, assignments(t, srv, "1"), 2, "the test's, then the takeover's")
		assert.DeepEqual(t, enabledAtFake(t, srv, c.ID()), sessions)
	})
}

// followsOf collects c's channel.follow events, and subscribes c to those
// of broadcaster 1.
func followsOf(t *testing.T, c *eventsub.Conduit) *follows {
	t.Helper()
	f := collectFollowsIn(&c.Dispatcher)
	assert.NilError(t, c.Subscribe(context.Background(), followCondition("1")))
	return f
}
