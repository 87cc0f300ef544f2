package eventsub_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	"gotest.tools/v3/poll"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/twitchtest"
)

// These tests drive a Client against twitchtest's fake Twitch. A keepalive
// second lasts 100 ms here (the client's test seam), so the fake's
// 10-second keepalive timeout is 1 s, and the watchdog fires after 1.5 s of
// silence; the fake sends keepalives every 20 ms. The margin, 1.5 s, is
// what a starved reader may lag on a loaded machine before the watchdog
// takes its connection for dead: a margin on the wall clock always depends
// on the scheduler, so it is wide here, and the soak, which runs longest,
// runs in a synctest bubble.

const testSecond = 100 * time.Millisecond

// testLogger logs the client's work in the tests when EVENTSUB_DEBUG is
// set, and discards it otherwise.
func testLogger() *slog.Logger {
	if os.Getenv("EVENTSUB_DEBUG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// events collects what the hooks report, on channels a test waits on.
type events struct {
	connected    chan eventsub.Session
	ready        chan struct{}
	disconnected chan error
	reconnected  chan eventsub.Session
	revoked      chan helix.EventSubSubscription
	errs         chan error
}

func newEvents() *events {
	return &events{
		connected:    make(chan eventsub.Session, 100),
		ready:        make(chan struct{}, 100),
		disconnected: make(chan error, 100),
		reconnected:  make(chan eventsub.Session, 100),
		revoked:      make(chan helix.EventSubSubscription, 100),
		errs:         make(chan error, 100),
	}
}

// options are the callbacks that feed the channels, and the test's
// keepalive second and logger.
func (e *events) options() []eventsub.Option {
	return append(e.hooks(), eventsub.WithTestSecond(testSecond))
}

// hooks are the callbacks that feed the channels, and the test's logger.
func (e *events) hooks() []eventsub.Option {
	return []eventsub.Option{
		eventsub.OnConnected(func(s eventsub.Session) { e.connected <- s }),
		eventsub.OnReady(func() { e.ready <- struct{}{} }),
		eventsub.OnDisconnected(func(err error) { e.disconnected <- err }),
		eventsub.OnReconnected(func(s eventsub.Session) { e.reconnected <- s }),
		eventsub.OnRevoked(func(s helix.EventSubSubscription) { e.revoked <- s }),
		eventsub.OnError(func(err error) { e.errs <- err }),
		eventsub.WithLogger(testLogger()),
	}
}

// wait receives from ch, failing the test after a generous deadline.
func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

// none checks that nothing arrived on ch.
func none[T any](t *testing.T, ch <-chan T, what string) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("unexpected %s: %v", what, v)
	default:
	}
}

type harness struct {
	srv    *twitchtest.Server
	client *eventsub.Client
	ev     *events
	runErr chan error // Run's error, for a test that expects Run to end
}

// start runs a Client against a fake; the test's cleanup closes both, and
// expects ErrClosed from Run unless the test took Run's error.
func start(t *testing.T, srvOpts []twitchtest.Option, configure func(*eventsub.Client)) *harness {
	t.Helper()
	srvOpts = append([]twitchtest.Option{twitchtest.WithKeepalive(10, 20*time.Millisecond)}, srvOpts...)
	srv := twitchtest.NewServer(srvOpts...)
	t.Cleanup(srv.Close)
	h := helix.New("client-id", srv.Token("token"), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.Client()))
	ev := newEvents()
	c := eventsub.New(h, append(ev.options(), eventsub.WithBaseURL(srv.EventSub.URL), eventsub.WithBackoff(time.Millisecond, 20*time.Millisecond))...)
	if configure != nil {
		configure(c)
	}
	hs := &harness{srv: srv, client: c, ev: ev, runErr: make(chan error, 1)}
	done := make(chan error, 1)
	go func() {
		err := c.Run(context.Background())
		hs.runErr <- err
		done <- err
	}()
	t.Cleanup(func() {
		assert.NilError(t, c.Close())
		err := wait(t, done, "Run to return")
		if len(hs.runErr) > 0 { // the test did not take it
			assert.ErrorIs(t, err, eventsub.ErrClosed)
		}
	})
	return hs
}

func followCondition(id string) *eventsub.ChannelFollowCondition {
	return &eventsub.ChannelFollowCondition{BroadcasterUserID: id, ModeratorUserID: id}
}

// followEvent is a channel.follow event whose user ID carries n.
func followEvent(n int) *eventsub.ChannelFollowEvent {
	return &eventsub.ChannelFollowEvent{
		UserID: strconv.Itoa(n), UserLogin: "u", UserName: "U",
		BroadcasterUserID: "1", BroadcasterUserLogin: "b", BroadcasterUserName: "B",
		FollowedAt: eventsub.Time{Time: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)},
	}
}

// notify sends event to the one subscription that selects it, and returns
// the message's ID.
func notify(t testing.TB, srv *twitchtest.Server, event any) string {
	t.Helper()
	ids, err := srv.EventSub.Notify(event)
	assert.NilError(t, err)
	assert.Equal(t, len(ids), 1, "subscriptions notified")
	return ids[0]
}

// follows collects the user IDs of channel.follow events, in order.
type follows struct {
	mu  sync.Mutex
	ids []string
	ch  chan string
}

func collectFollows(c *eventsub.Client) *follows {
	f := &follows{ch: make(chan string, 20000)}
	c.OnChannelFollow(func(_ context.Context, e *eventsub.ChannelFollowEvent) {
		f.mu.Lock()
		f.ids = append(f.ids, e.UserID)
		f.mu.Unlock()
		f.ch <- e.UserID
	})
	return f
}

func (hs *harness) onlySubscription(t *testing.T) helix.EventSubSubscription {
	t.Helper()
	subs := hs.srv.EventSub.Subscriptions()
	assert.Equal(t, len(subs), 1, "subscriptions at the fake: %+v", subs)
	return subs[0]
}

// What New cannot refuse, Run and Subscribe (and Unsubscribe) return,
// before anything is sent.
func TestNewValidation(t *testing.T) {
	h := helix.New("id", nil)
	for _, tc := range []struct {
		h    *helix.Client
		opts []eventsub.Option
		want string
	}{
		{h, []eventsub.Option{eventsub.WithKeepalive(9)}, "eventsub: WithKeepalive(9): Twitch accepts 10 to 600 seconds"},
		{h, []eventsub.Option{eventsub.WithKeepalive(601)}, "eventsub: WithKeepalive(601): Twitch accepts 10 to 600 seconds"},
		{h, []eventsub.Option{eventsub.WithBaseURL("https://example.com/ws")}, `eventsub: WithBaseURL("https://example.com/ws"): not a WebSocket URL (ws:// or wss://)`},
		{h, []eventsub.Option{eventsub.WithBaseURL("wss://")}, `eventsub: WithBaseURL("wss://"): not a WebSocket URL (ws:// or wss://)`},
		{h, []eventsub.Option{eventsub.WithBackoff(time.Second, time.Millisecond)}, "eventsub: WithBackoff(1s, 1ms): the first wait must be positive and at most the longest"},
		{h, []eventsub.Option{eventsub.WithBackoff(0, time.Millisecond)}, "eventsub: WithBackoff(0s, 1ms): the first wait must be positive and at most the longest"},
		{nil, nil, "eventsub: New: the *helix.Client to subscribe with is nil"},
		{nil, []eventsub.Option{eventsub.WithKeepalive(1)}, "eventsub: New: the *helix.Client to subscribe with is nil\n" +
			"eventsub: WithKeepalive(1): Twitch accepts 10 to 600 seconds"},
	} {
		c := eventsub.New(tc.h, tc.opts...)
		assert.Error(t, c.Run(context.Background()), tc.want)
		assert.Error(t, c.Subscribe(context.Background(), followCondition("1")), tc.want)
		assert.Error(t, c.Unsubscribe(context.Background(), followCondition("1")), tc.want)
		assert.NilError(t, c.Close())
	}
	// Nil options are skipped, and a nil logger keeps the silent one.
	c := eventsub.New(h, nil, eventsub.WithLogger(nil), eventsub.WithKeepalive(10))
	assert.NilError(t, c.Subscribe(context.Background(), followCondition("1")))
}

// Subscriptions asked for before Run are created after the welcome, on the
// welcomed session; then notifications reach the typed handler.
func TestClientSubscribesAfterWelcome(t *testing.T) {
	var f *follows
	hs := start(t, nil, func(c *eventsub.Client) {
		f = collectFollows(c)
		assert.NilError(t, c.Subscribe(context.Background(), followCondition("1")))
	})
	s := wait(t, hs.ev.connected, "the welcome")
	wait(t, hs.ev.ready, "ready")
	sub := hs.onlySubscription(t)
	assert.Equal(t, sub.Transport.SessionID, s.ID)
	assert.Equal(t, sub.Type, "channel.follow")
	assert.Equal(t, string(sub.Condition), `{"broadcaster_user_id":"1","moderator_user_id":"1"}`)

	status := hs.client.Subscriptions()
	assert.Equal(t, len(status), 1)
	assert.Assert(t, status[0].Active)
	assert.Equal(t, status[0].Subscription.ID, sub.ID)
	total, max := hs.client.Costs()
	assert.Equal(t, total, 1)
	assert.Equal(t, max, 10000)

	notify(t, hs.srv, followEvent(7))
	assert.Equal(t, wait(t, f.ch, "the event"), "7")

	// A subscription asked for while ready is created at once.
	assert.NilError(t, hs.client.Subscribe(context.Background(), &eventsub.StreamOnlineCondition{BroadcasterUserID: "1"}))
	assert.Equal(t, len(hs.srv.EventSub.Subscriptions()), 2)
	// Asking again changes nothing.
	assert.NilError(t, hs.client.Subscribe(context.Background(), followCondition("1")))
	assert.Equal(t, len(hs.srv.EventSub.Subscriptions()), 2)
	none(t, hs.ev.errs, "error")
}

// Every subscription type's sample event reaches its typed handler.
func TestClientEveryTypeDecodes(t *testing.T) {
	var mu sync.Mutex
	got := map[string]any{}
	hs := start(t, nil, func(c *eventsub.Client) {
		c.OnNotification(func(_ context.Context, n *eventsub.Notification) {
			mu.Lock()
			got[n.Subscription.Type+" "+n.Subscription.Version] = n.Event
			mu.Unlock()
		})
	})
	wait(t, hs.ev.ready, "ready")
	session := hs.srv.EventSub.WaitSession(context.Background())
	sent := 0
	for _, info := range eventsub.Types() {
		if !slices.Contains(info.Transports, eventsub.TransportWebSocket) {
			continue
		}
		cond, ok := twitchtest.SampleCondition(info.Type, info.Version)
		assert.Assert(t, ok)
		c := info.NewCondition()
		assert.NilError(t, json.Unmarshal(cond, c))
		assert.NilError(t, hs.client.Subscribe(context.Background(), c), "%s %s", info.Type, info.Version)
		sent++
	}
	for _, sub := range hs.srv.EventSub.Subscriptions() {
		assert.Equal(t, sub.Transport.SessionID, session)
		_, err := hs.srv.EventSub.Send(twitchtest.Notification{SubscriptionID: sub.ID}) // the type's sample event
		assert.NilError(t, err)
	}
	assert.Assert(t, sent > 70, "only %d types over WebSocket", sent)
	poll.WaitOn(t, func(poll.LogT) poll.Result {
		if len(hs.ev.errs) > 0 {
			return poll.Error(<-hs.ev.errs)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(got) < sent {
			return poll.Continue("%d of %d events", len(got), sent)
		}
		return poll.Success()
	}, poll.WithTimeout(10*time.Second))
	for key, e := range got {
		_, raw := e.(*eventsub.RawEvent)
		assert.Assert(t, !raw, "%s decoded as a raw event", key)
	}
}

// A connection silent past the keepalive timeout is dead: the client
// reconnects and, since the session died, creates its subscriptions again.
func TestClientKeepaliveWatchdog(t *testing.T) {
	hs := start(t, nil, func(c *eventsub.Client) {
		assert.NilError(t, c.Subscribe(context.Background(), followCondition("1")))
	})
	first := wait(t, hs.ev.connected, "the welcome")
	wait(t, hs.ev.ready, "ready")
	before := hs.onlySubscription(t)

	assert.NilError(t, hs.srv.EventSub.Silence(first.ID))
	assert.ErrorIs(t, wait(t, hs.ev.disconnected, "the watchdog"), eventsub.ErrKeepaliveTimeout)
	second := wait(t, hs.ev.connected, "a new welcome")
	wait(t, hs.ev.ready, "ready again")
	assert.Assert(t, second.ID != first.ID)
	// The client closed the silent connection; the fake ends its session
	// once it has handled that close, which may come after the new
	// session is ready.
	poll.WaitOn(t, func(poll.LogT) poll.Result {
		if n := len(hs.srv.EventSub.Subscriptions()); n != 1 {
			return poll.Continue("%d subscriptions at the fake", n)
		}
		return poll.Success()
	}, poll.WithTimeout(5*time.Second))
	after := hs.onlySubscription(t)
	assert.Equal(t, after.Transport.SessionID, second.ID)
	assert.Assert(t, after.ID != before.ID, "created again on the new session")
	none(t, hs.ev.reconnected, "handover")
}

// A session_reconnect hands over without a gap: the old connection's
// notifications are delivered, subscriptions move, nothing is created
// again, and nothing is delivered twice.
func TestClientReconnectHandover(t *testing.T) {
	var f *follows
	hs := start(t, nil, func(c *eventsub.Client) {
		f = collectFollows(c)
		assert.NilError(t, c.Subscribe(context.Background(), followCondition("1")))
	})
	session := wait(t, hs.ev.connected, "the welcome")
	wait(t, hs.ev.ready, "ready")
	sub := hs.onlySubscription(t)

	var ids []string
	send := func(from, to int) {
		for i := from; i < to; i++ {
			ids = append(ids, notify(t, hs.srv, followEvent(i)))
		}
	}
	send(0, 5)
	assert.NilError(t, hs.srv.EventSub.Reconnect(session.ID))
	send(5, 50) // on the old connection until the new one is welcomed, then on the new
	moved := wait(t, hs.ev.reconnected, "the handover")
	assert.Equal(t, moved.ID, session.ID)
	send(50, 60)
	// Twitch may send a message again on the new connection.
	_, err := hs.srv.EventSub.Send(twitchtest.Notification{SubscriptionID: sub.ID, Event: followEvent(59), MessageID: ids[59]})
	assert.NilError(t, err)
	send(60, 61)

	for i := range 61 {
		assert.Equal(t, wait(t, f.ch, "event "+strconv.Itoa(i)), strconv.Itoa(i), "in order, once each")
	}
	none(t, f.ch, "duplicate")
	none(t, hs.ev.disconnected, "disconnect")
	none(t, hs.ev.connected, "new session")
	after := hs.onlySubscription(t)
	assert.Equal(t, after.ID, sub.ID, "the subscription moved; it was not created again")
}

// Every close code but 4003 reconnects and creates the subscriptions again.
func TestClientCloseCodes(t *testing.T) {
	hs := start(t, nil, func(c *eventsub.Client) {
		assert.NilError(t, c.Subscribe(context.Background(), followCondition("1")))
	})
	session := wait(t, hs.ev.connected, "the welcome")
	wait(t, hs.ev.ready, "ready")
	for _, code := range []int{4000, 4001, 4002, 4004, 4005, 4006, 4007} {
		assert.NilError(t, hs.srv.EventSub.CloseSession(session.ID, code))
		var ce *eventsub.CloseError
		assert.Assert(t, errors.As(wait(t, hs.ev.disconnected, "the close"), &ce))
		assert.Equal(t, ce.Code, code)
		session = wait(t, hs.ev.connected, "a new welcome")
		wait(t, hs.ev.ready, "ready again")
		assert.Equal(t, hs.onlySubscription(t).Transport.SessionID, session.ID)
	}
}

// A dropped connection (no close frame) reconnects too.
func TestClientNetworkDrop(t *testing.T) {
	hs := start(t, nil, func(c *eventsub.Client) {
		assert.NilError(t, c.Subscribe(context.Background(), followCondition("1")))
	})
	session := wait(t, hs.ev.connected, "the welcome")
	wait(t, hs.ev.ready, "ready")
	assert.NilError(t, hs.srv.EventSub.Drop(session.ID))
	reason := wait(t, hs.ev.disconnected, "the drop")
	var ce *eventsub.CloseError
	assert.Assert(t, !errors.As(reason, &ce), "a network error, not a close: %v", reason)
	wait(t, hs.ev.connected, "a new welcome")
	wait(t, hs.ev.ready, "ready again")
	assert.Equal(t, len(hs.srv.EventSub.Subscriptions()), 1)
}

// 4003 (connection unused) with nothing to subscribe to ends Run: another
// connection would be unused too.
func TestClientConnectionUnused(t *testing.T) {
	srv := twitchtest.NewServer(twitchtest.WithKeepalive(10, 20*time.Millisecond))
	t.Cleanup(srv.Close)
	h := helix.New("id", srv.Token("token"), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.Client()))
	c := eventsub.New(h, eventsub.WithBaseURL(srv.EventSub.URL), eventsub.WithBackoff(time.Millisecond, time.Millisecond), eventsub.WithTestSecond(testSecond))
	done := make(chan error, 1)
	go func() { done <- c.Run(context.Background()) }()
	session := srv.EventSub.WaitSession(context.Background())
	assert.NilError(t, srv.EventSub.CloseSession(session, 4003))
	err := wait(t, done, "Run to return")
	var ce *eventsub.CloseError
	assert.Assert(t, errors.As(err, &ce), "%v", err)
	assert.Equal(t, ce.Code, 4003)
	assert.NilError(t, c.Close())
}

// A revoked subscription leaves the set and is not created again.
func TestClientRevocation(t *testing.T) {
	hs := start(t, nil, func(c *eventsub.Client) {
		assert.NilError(t, c.Subscribe(context.Background(), followCondition("1")))
		assert.NilError(t, c.Subscribe(context.Background(), &eventsub.StreamOnlineCondition{BroadcasterUserID: "1"}))
	})
	session := wait(t, hs.ev.connected, "the welcome")
	wait(t, hs.ev.ready, "ready")
	var follow helix.EventSubSubscription
	for _, s := range hs.srv.EventSub.Subscriptions() {
		if s.Type == "channel.follow" {
			follow = s
		}
	}
	assert.NilError(t, hs.srv.EventSub.Revoke(follow.ID, "authorization_revoked"))
	revoked := wait(t, hs.ev.revoked, "the revocation")
	assert.Equal(t, revoked.ID, follow.ID)
	assert.Equal(t, revoked.Status, helix.EventSubSubscriptionStatusAuthorizationRevoked)
	for _, s := range hs.client.Subscriptions() {
		assert.Assert(t, s.Condition.TypeInfo().Type != "channel.follow", "a revoked subscription is gone")
	}

	// After a loss only the other one is created again.
	assert.NilError(t, hs.srv.EventSub.Drop(session.ID))
	wait(t, hs.ev.ready, "ready again")
	subs := hs.srv.EventSub.Subscriptions()
	assert.Equal(t, len(subs), 1)
	assert.Equal(t, subs[0].Type, "stream.online")
}

// A handler's panic is recovered and reported; the next notification is
// handled.
func TestClientHandlerPanic(t *testing.T) {
	var f *follows
	hs := start(t, nil, func(c *eventsub.Client) {
		c.OnChannelFollow(func(_ context.Context, e *eventsub.ChannelFollowEvent) {
			if e.UserID == "0" {
				panic("handler bug")
			}
		})
		f = collectFollows(c) // registered second: runs even when the first panics
		assert.NilError(t, c.Subscribe(context.Background(), followCondition("1")))
	})
	wait(t, hs.ev.ready, "ready")
	for i := range 2 {
		notify(t, hs.srv, followEvent(i))
	}
	var hp *eventsub.HandlerPanicError
	assert.Assert(t, errors.As(wait(t, hs.ev.errs, "the panic"), &hp))
	assert.Equal(t, hp.Value, "handler bug")
	assert.Equal(t, hp.Type, "channel.follow")
	assert.Assert(t, len(hp.Stack) > 0)
	assert.Equal(t, wait(t, f.ch, "event 0"), "0")
	assert.Equal(t, wait(t, f.ch, "event 1"), "1")
}

// A message seen before is dropped, and so is one older than 10 minutes.
func TestClientDropsDuplicatesAndOldMessages(t *testing.T) {
	var f *follows
	hs := start(t, nil, func(c *eventsub.Client) {
		f = collectFollows(c)
		assert.NilError(t, c.Subscribe(context.Background(), followCondition("1")))
	})
	wait(t, hs.ev.ready, "ready")
	sub := hs.onlySubscription(t)
	send := func(n twitchtest.Notification) {
		t.Helper()
		_, err := hs.srv.EventSub.Send(n)
		assert.NilError(t, err)
	}
	send(twitchtest.Notification{SubscriptionID: sub.ID, Event: followEvent(1), MessageID: "dup"})
	send(twitchtest.Notification{SubscriptionID: sub.ID, Event: followEvent(2), MessageID: "dup"})
	send(twitchtest.Notification{SubscriptionID: sub.ID, Event: followEvent(3), Timestamp: time.Now().Add(-11 * time.Minute)})
	send(twitchtest.Notification{SubscriptionID: sub.ID, Event: followEvent(4), Timestamp: time.Now().Add(-9 * time.Minute)})
	assert.Equal(t, wait(t, f.ch, "the first"), "1")
	assert.Equal(t, wait(t, f.ch, "the 9-minute-old one"), "4")
	none(t, f.ch, "a duplicate or an old message")
}

// Twitch's refusals are typed errors, reported, and not retried.
func TestClientSubscriptionRefused(t *testing.T) {
	hs := start(t, []twitchtest.Option{
		twitchtest.WithUserToken("token", "user:read:chat"),
		twitchtest.WithSubscriptionLimit(1),
	}, nil)
	session := wait(t, hs.ev.connected, "the welcome")
	wait(t, hs.ev.ready, "ready")
	ctx := context.Background()

	// A refusal wraps Twitch's answer: it matches what helix's errors
	// match, and nothing more.
	err := hs.client.Subscribe(ctx, followCondition("1"))
	assert.Assert(t, errors.Is(err, helix.ErrForbidden), "%v", err)
	assert.Assert(t, !errors.Is(err, eventsub.ErrSubscriptionLimit), "%v", err)
	var se *eventsub.SubscriptionError
	assert.Assert(t, errors.As(err, &se))
	assert.Equal(t, se.Type, "channel.follow")
	assert.Equal(t, se.StatusCode, http.StatusForbidden)
	var api *helix.APIError
	assert.Assert(t, errors.As(err, &api))
	assert.Equal(t, api.StatusCode, http.StatusForbidden)
	assert.ErrorContains(t, err, "subscription missing proper authorization")

	assert.NilError(t, hs.client.Subscribe(ctx, &eventsub.StreamOnlineCondition{BroadcasterUserID: "1"}))
	err = hs.client.Subscribe(ctx, &eventsub.StreamOnlineCondition{BroadcasterUserID: "2"})
	assert.Assert(t, errors.Is(err, eventsub.ErrSubscriptionLimit), "%v", err)
	assert.Assert(t, !errors.Is(err, helix.ErrForbidden), "%v", err)
	assert.Assert(t, errors.As(err, &se))
	assert.Equal(t, se.StatusCode, http.StatusTooManyRequests)
	assert.Assert(t, se.Scopes == nil, "no scope would help")

	refused := 0
	for _, s := range hs.client.Subscriptions() {
		if s.Err != nil {
			refused++
		}
	}
	assert.Equal(t, refused, 2)

	// After a loss only the accepted one is created again; the refused
	// ones are not retried.
	assert.NilError(t, hs.srv.EventSub.Drop(session.ID))
	wait(t, hs.ev.ready, "ready again")
	none(t, hs.ev.errs, "a retried refusal")
	subs := hs.srv.EventSub.Subscriptions()
	assert.Equal(t, len(subs), 1)
	assert.Equal(t, string(subs[0].Condition), `{"broadcaster_user_id":"1"}`)
}

func TestClientRunOnceAndClose(t *testing.T) {
	h := helix.New("id", nil)
	c := eventsub.New(h)
	assert.NilError(t, c.Close(), "closing before Run")
	assert.ErrorIs(t, c.Run(context.Background()), eventsub.ErrClosed)

	hs := start(t, nil, nil)
	wait(t, hs.ev.ready, "ready")
	assert.Error(t, hs.client.Run(context.Background()), "eventsub: Run called twice")
}

// Run ends with its context.
func TestClientRunEndsWithContext(t *testing.T) {
	srv := twitchtest.NewServer()
	t.Cleanup(srv.Close)
	h := helix.New("id", srv.Token("token"), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.Client()))
	c := eventsub.New(h, eventsub.WithBaseURL(srv.EventSub.URL))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	srv.EventSub.WaitSession(context.Background())
	cancel()
	assert.ErrorIs(t, wait(t, done, "Run to return"), context.Canceled)
}

// A handler slower than the keepalive timeout does not make the watchdog
// take a live connection for dead: frames waiting to be handled are not
// silence.
func TestClientSlowHandlerIsNotSilence(t *testing.T) {
	release := make(chan struct{})
	handled := make(chan struct{}, 200)
	hs := start(t, nil, func(c *eventsub.Client) {
		c.OnChannelFollow(func(context.Context, *eventsub.ChannelFollowEvent) {
			<-release // a handler stuck longer than the 1.5 s watchdog
			handled <- struct{}{}
		})
		assert.NilError(t, c.Subscribe(context.Background(), followCondition("1")))
	})
	wait(t, hs.ev.ready, "ready")
	notify(t, hs.srv, followEvent(1))
	// Keepalives pile up behind the handler meanwhile; wait out several
	// watchdog periods' worth of them.
	for range 100 {
		notify(t, hs.srv, followEvent(2))
	}
	time.Sleep(2 * time.Second) // the behaviour under test is the passing of time
	close(release)
	wait(t, handled, "the slow handler")
	none(t, hs.ev.disconnected, "a disconnect")
}

// Unsubscribe deletes the subscription at Twitch and forgets it.
func TestClientUnsubscribe(t *testing.T) {
	hs := start(t, nil, func(c *eventsub.Client) {
		assert.NilError(t, c.Subscribe(context.Background(), followCondition("1")))
	})
	wait(t, hs.ev.ready, "ready")
	hs.onlySubscription(t)
	assert.NilError(t, hs.client.Unsubscribe(context.Background(), followCondition("1")))
	assert.Equal(t, len(hs.srv.EventSub.Subscriptions()), 0)
	assert.Equal(t, len(hs.client.Subscriptions()), 0)
	// Unsubscribing from what is not subscribed does nothing.
	assert.NilError(t, hs.client.Unsubscribe(context.Background(), followCondition("2")))
}

// flakyTransport fails the first n requests on the way, as a network would.
type flakyTransport struct {
	mu   sync.Mutex
	n    int
	next http.RoundTripper
}

func (f *flakyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	fail := f.n > 0
	f.n--
	f.mu.Unlock()
	if fail {
		return nil, errors.New("connection reset by peer")
	}
	return f.next.RoundTrip(r)
}

// A subscription that fails on the way (not refused) is retried after a
// backoff, on the same session.
func TestClientRetriesFailuresOnTheWay(t *testing.T) {
	srv := twitchtest.NewServer(twitchtest.WithKeepalive(10, 20*time.Millisecond))
	t.Cleanup(srv.Close)
	hc := &http.Client{Transport: &flakyTransport{n: 1, next: srv.Client().Transport}}
	h := helix.New("id", srv.Token("token"), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(hc))
	ev := newEvents()
	c := eventsub.New(h, append(ev.options(), eventsub.WithBaseURL(srv.EventSub.URL), eventsub.WithBackoff(time.Millisecond, time.Millisecond))...)
	assert.NilError(t, c.Subscribe(context.Background(), followCondition("1")))
	done := make(chan error, 1)
	go func() { done <- c.Run(context.Background()) }()
	defer func() {
		assert.NilError(t, c.Close())
		<-done
	}()
	session := wait(t, ev.connected, "the welcome")
	var se *eventsub.SubscriptionError
	assert.Assert(t, errors.As(wait(t, ev.errs, "the failure"), &se))
	assert.ErrorContains(t, se, "connection reset by peer")
	poll.WaitOn(t, func(poll.LogT) poll.Result {
		if subs := srv.EventSub.Subscriptions(); len(subs) == 1 && subs[0].Transport.SessionID == session.ID {
			return poll.Success()
		}
		return poll.Continue("not created yet")
	}, poll.WithTimeout(5*time.Second))
	none(t, ev.disconnected, "a disconnect")
}
