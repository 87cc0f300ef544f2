package eventsub_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/oauth"
	"github.com/twitchify-go/twitch/twitchtest"
)

// What a new user gets wrong must reach them: these are the failures that
// were silent once.

// createRequests counts the subscriptions the fake was asked to create.
func createRequests(srv *twitchtest.Server) int {
	n := 0
	for _, r := range srv.Helix.Requests() {
		if r.Operation == "CreateEventSubSubscription" {
			n++
		}
	}
	return n
}

// A condition with a required field left empty, and a type Twitch does not
// deliver over a WebSocket, are refused by Subscribe before anything is
// sent: before Run and after.
func TestSubscribeChecksLocally(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		cond eventsub.Condition
		want eventsub.InvalidSubscriptionError
		msg  string
	}{
		{
			name: "required field",
			cond: &eventsub.ChannelFollowCondition{BroadcasterUserID: "1"},
			want: eventsub.InvalidSubscriptionError{Type: "channel.follow", Version: "2", Field: "moderator_user_id", Reason: "required but not set"},
			msg:  "eventsub: subscribe to channel.follow version 2: condition field moderator_user_id: required but not set",
		},
		{
			name: "required field of a value",
			cond: eventsub.StreamOnlineCondition{},
			want: eventsub.InvalidSubscriptionError{Type: "stream.online", Version: "1", Field: "broadcaster_user_id", Reason: "required but not set"},
			msg:  "eventsub: subscribe to stream.online version 1: condition field broadcaster_user_id: required but not set",
		},
		{
			name: "transport",
			cond: &eventsub.DropEntitlementGrantCondition{OrganizationID: "o"},
			want: eventsub.InvalidSubscriptionError{Type: "drop.entitlement.grant", Version: "1", Reason: "Twitch delivers it by webhook only, not over a WebSocket"},
			msg:  "eventsub: subscribe to drop.entitlement.grant version 1: Twitch delivers it by webhook only, not over a WebSocket",
		},
		{
			name: "transports",
			cond: &eventsub.ConduitShardDisabledCondition{ClientID: "c"},
			want: eventsub.InvalidSubscriptionError{Type: "conduit.shard.disabled", Version: "1", Reason: "Twitch delivers it by webhook or conduit only, not over a WebSocket"},
			msg:  "eventsub: subscribe to conduit.shard.disabled version 1: Twitch delivers it by webhook or conduit only, not over a WebSocket",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check := func(err error) {
				t.Helper()
				var ise *eventsub.InvalidSubscriptionError
				assert.Assert(t, errors.As(err, &ise), "%v (%T)", err, err)
				assert.DeepEqual(t, *ise, tc.want)
				assert.Error(t, err, tc.msg)
			}
			hs := start(t, nil, func(c *eventsub.Client) {
				check(c.Subscribe(ctx, tc.cond)) // before Run
			})
			wait(t, hs.ev.ready, "ready")
			check(hs.client.Subscribe(ctx, tc.cond)) // while ready
			assert.Equal(t, createRequests(hs.srv), 0, "nothing was sent")
			assert.Equal(t, len(hs.client.Subscriptions()), 0, "nothing is wanted")
		})
	}
}

// Optional fields may stay empty; a condition of a type the schema does not
// know is sent as it is.
func TestSubscribeAcceptsOptionalAndUnknown(t *testing.T) {
	hs := start(t, nil, nil)
	wait(t, hs.ev.ready, "ready")
	ctx := context.Background()
	assert.NilError(t, hs.client.Subscribe(ctx, &eventsub.ChannelPointsCustomRewardRedemptionAddCondition{BroadcasterUserID: "1"}))
	err := hs.client.Subscribe(ctx, futureCondition{BroadcasterUserID: "1"})
	var se *eventsub.SubscriptionError
	assert.Assert(t, errors.As(err, &se), "%v", err)
	assert.Equal(t, se.StatusCode, http.StatusBadRequest, "the fake, like Twitch, does not know it")
	assert.Equal(t, createRequests(hs.srv), 2)
}

// futureCondition is a condition of a type the schema does not know.
type futureCondition struct {
	BroadcasterUserID string `json:"broadcaster_user_id"`
}

func (futureCondition) TypeInfo() eventsub.TypeInfo {
	return eventsub.TypeInfo{Type: "channel.future.thing", Version: "1"}
}

// Nil conditions are errors, not panics.
func TestSubscribeNilCondition(t *testing.T) {
	c := eventsub.New(helix.New("id", nil))
	assert.Error(t, c.Subscribe(context.Background(), nil), "eventsub: the condition is nil")
	assert.Error(t, c.Subscribe(context.Background(), (*eventsub.ChannelFollowCondition)(nil)),
		"eventsub: the condition is a nil *eventsub.ChannelFollowCondition")
	assert.Error(t, c.Unsubscribe(context.Background(), nil), "eventsub: the condition is nil")
}

// joined returns the errors of an errors.Join.
func joined(t *testing.T, err error) []error {
	t.Helper()
	j, ok := err.(interface{ Unwrap() []error })
	assert.Assert(t, ok, "%v (%T) is not a joined error", err, err)
	return j.Unwrap()
}

// The subscriptions Twitch refuses on the first session are returned by
// Run, every one, each naming the scopes its type needs; OnReady is not
// called, nor OnError.
func TestRunReturnsRefusalsOfTheFirstSession(t *testing.T) {
	ctx := context.Background()
	hs := start(t, []twitchtest.Option{twitchtest.WithUserToken("token", "user:read:chat")}, func(c *eventsub.Client) {
		assert.NilError(t, c.Subscribe(ctx, followCondition("1")))
		assert.NilError(t, c.Subscribe(ctx, &eventsub.ChannelBanCondition{BroadcasterUserID: "1"}))
		assert.NilError(t, c.Subscribe(ctx, &eventsub.StreamOnlineCondition{BroadcasterUserID: "1"})) // needs no scope
	})
	wait(t, hs.ev.connected, "the welcome")
	err := wait(t, hs.runErr, "Run to return")
	errs := joined(t, err)
	assert.Equal(t, len(errs), 2, "%v", err)
	// In the order of their keys: type, version, condition.
	assert.Error(t, errs[0], "eventsub: subscribe to channel.ban version 1: Twitch refused it "+
		"(403 Forbidden: subscription missing proper authorization): the user token needs channel:moderate")
	assert.Error(t, errs[1], "eventsub: subscribe to channel.follow version 2: Twitch refused it "+
		"(403 Forbidden: subscription missing proper authorization): the user token needs moderator:read:followers")
	for _, e := range errs {
		var se *eventsub.SubscriptionError
		assert.Assert(t, errors.As(e, &se))
		assert.Equal(t, se.StatusCode, http.StatusForbidden)
		assert.Assert(t, errors.Is(e, helix.ErrForbidden))
	}
	var se *eventsub.SubscriptionError
	assert.Assert(t, errors.As(errs[1], &se))
	assert.DeepEqual(t, se.Scopes, [][]oauth.Scope{{oauth.ScopeModeratorReadFollowers}})
	assert.Assert(t, errors.Is(err, helix.ErrForbidden), "the joined error matches too")

	none(t, hs.ev.ready, "ready")
	none(t, hs.ev.errs, "an error reported besides")
	// The client is done: Subscribe says so.
	assert.ErrorIs(t, hs.client.Subscribe(ctx, followCondition("2")), eventsub.ErrClosed)
}

// A scope group with alternatives, and several groups, are named as such.
func TestRefusalNamesEveryScopeGroup(t *testing.T) {
	ctx := context.Background()
	hs := start(t, []twitchtest.Option{twitchtest.WithUserToken("token")}, func(c *eventsub.Client) {
		assert.NilError(t, c.Subscribe(ctx, &eventsub.ChannelChatMessageCondition{BroadcasterUserID: "1", UserID: "2"}))
	})
	errs := joined(t, wait(t, hs.runErr, "Run to return"))
	assert.Equal(t, len(errs), 1)
	var se *eventsub.SubscriptionError
	assert.Assert(t, errors.As(errs[0], &se))
	info, _ := eventsub.Lookup("channel.chat.message", "1")
	for _, r := range info.Auth {
		if r.Token == oauth.TokenUser {
			assert.DeepEqual(t, se.Scopes, r.Scopes)
		}
	}
	assert.ErrorContains(t, errs[0], "the user token needs user:read:chat")
}

// gateTransport holds every request that creates a subscription until the
// test decides how it goes: through (true), or failed on the way (false).
type gateTransport struct {
	decide chan bool
	next   http.RoundTripper
}

func (g *gateTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/eventsub/subscriptions") {
		select {
		case ok := <-g.decide:
			if !ok {
				return nil, errors.New("connection reset by peer")
			}
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	}
	return g.next.RoundTrip(r)
}

// OnReady means every subscription is active: not while one is retried
// after a failure on the way.
func TestReadyWaitsForRetries(t *testing.T) {
	srv := twitchtest.NewServer(twitchtest.WithKeepalive(10, 20*time.Millisecond))
	t.Cleanup(srv.Close)
	gate := &gateTransport{decide: make(chan bool), next: srv.Client().Transport}
	h := helix.New("id", srv.Token("token"), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(&http.Client{Transport: gate}))
	ev := newEvents()
	c := eventsub.New(h, append(ev.options(), eventsub.WithBaseURL(srv.EventSub.URL), eventsub.WithBackoff(time.Millisecond, time.Millisecond))...)
	assert.NilError(t, c.Subscribe(context.Background(), followCondition("1")))
	done := make(chan error, 1)
	go func() { done <- c.Run(context.Background()) }()
	defer func() {
		assert.NilError(t, c.Close())
		<-done
	}()
	for i := range 2 {
		gate.decide <- false
		var se *eventsub.SubscriptionError
		assert.Assert(t, errors.As(wait(t, ev.errs, "failure "+strconv.Itoa(i+1)), &se))
		assert.ErrorContains(t, se, "connection reset by peer")
		assert.Equal(t, se.StatusCode, 0)
	}
	// Two tries have failed, and the third waits at the gate: OnReady
	// would have followed the first.
	none(t, ev.ready, "ready while the subscription is retried")
	gate.decide <- true
	wait(t, ev.ready, "ready")
	assert.Equal(t, len(srv.EventSub.Subscriptions()), 1, "ready once the subscription exists")
	assert.Assert(t, c.Subscriptions()[0].Active)
}

// After a reconnect, a subscription Twitch refuses goes to OnError, is no
// longer wanted, and OnReady follows for the others; Run goes on.
func TestRefusalAfterReconnectIsReported(t *testing.T) {
	ctx := context.Background()
	hs := start(t, nil, func(c *eventsub.Client) {
		assert.NilError(t, c.Subscribe(ctx, followCondition("1")))
		assert.NilError(t, c.Subscribe(ctx, &eventsub.StreamOnlineCondition{BroadcasterUserID: "1"}))
	})
	session := wait(t, hs.ev.connected, "the welcome")
	wait(t, hs.ev.ready, "ready")
	assert.Equal(t, len(hs.srv.EventSub.Subscriptions()), 2)

	// The first creation on the next session (channel.follow, by key) is refused.
	assert.NilError(t, hs.srv.Helix.FailNext("CreateEventSubSubscription", twitchtest.Fault{Status: http.StatusForbidden, Message: "subscription missing proper authorization"}))
	assert.NilError(t, hs.srv.EventSub.Drop(session.ID))
	wait(t, hs.ev.connected, "a new welcome")
	err := wait(t, hs.ev.errs, "the refusal")
	assert.Error(t, err, "eventsub: subscribe to channel.follow version 2: Twitch refused it "+
		"(403 Forbidden: subscription missing proper authorization): the user token needs moderator:read:followers")
	wait(t, hs.ev.ready, "ready for the others")
	subs := hs.srv.EventSub.Subscriptions()
	assert.Equal(t, len(subs), 1)
	assert.Equal(t, subs[0].Type, "stream.online")
	for _, s := range hs.client.Subscriptions() {
		assert.Equal(t, s.Active, s.Err == nil, "%s", s.Condition.TypeInfo().Type)
	}
	assert.Equal(t, len(hs.runErr), 0, "Run goes on")
}

// A 429 with no points left is Helix's rate limit, not a subscription
// limit: it matches helix.ErrRateLimited only.
func TestRateLimitIsNotSubscriptionLimit(t *testing.T) {
	srv := twitchtest.NewServer(twitchtest.WithKeepalive(10, 20*time.Millisecond))
	t.Cleanup(srv.Close)
	h := helix.New("id", srv.Token("token"), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.Client()), helix.WithMaxRetries(0))
	ev := newEvents()
	c := eventsub.New(h, append(ev.options(), eventsub.WithBaseURL(srv.EventSub.URL))...)
	done := make(chan error, 1)
	go func() { done <- c.Run(context.Background()) }()
	defer func() {
		assert.NilError(t, c.Close())
		<-done
	}()
	wait(t, ev.ready, "ready")
	assert.NilError(t, srv.Helix.FailNext("CreateEventSubSubscription", twitchtest.Fault{Status: http.StatusTooManyRequests}))
	err := c.Subscribe(context.Background(), followCondition("1"))
	assert.Assert(t, errors.Is(err, helix.ErrRateLimited), "%v", err)
	assert.Assert(t, !errors.Is(err, eventsub.ErrSubscriptionLimit), "%v", err)
}

// A connection that opens but never answers the handshake is given up
// after the dial timeout, and at once when Run's context ends.
func TestDialIsBounded(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	accepted := make(chan net.Conn, 100)
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- nc // held open, never answered
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		for nc := range accepted {
			nc.Close()
		}
	})
	var dials atomic.Int32
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	ev := newEvents()
	c := eventsub.New(helix.New("id", nil), append(ev.options(),
		eventsub.WithBaseURL("ws://"+ln.Addr().String()+"/ws"),
		eventsub.WithDialContext(dial),
		eventsub.WithTestDialTimeout(50*time.Millisecond),
		eventsub.WithBackoff(time.Hour, time.Hour))...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()

	// The first attempt times out and is reported; the next waits an hour.
	err = wait(t, ev.errs, "the timeout")
	assert.ErrorContains(t, err, "eventsub: connect: the connection did not open within 50ms: ")
	assert.Equal(t, dials.Load(), int32(1), "WithDialContext's dial was used")
	cancel()
	assert.ErrorIs(t, wait(t, done, "Run to return"), context.Canceled)
}

// Run's context ending in the middle of a handshake ends it at once, not
// when the dial timeout passes.
func TestDialGivesUpWithContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	accepted := make(chan net.Conn, 1)
	go func() {
		nc, err := ln.Accept()
		if err == nil {
			accepted <- nc
		}
	}()
	t.Cleanup(func() { ln.Close() })
	c := eventsub.New(helix.New("id", nil), eventsub.WithBaseURL("ws://"+ln.Addr().String()+"/ws"),
		eventsub.WithTestDialTimeout(time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	nc := wait(t, accepted, "the connection")
	defer nc.Close()
	cancel()
	assert.ErrorIs(t, wait(t, done, "Run to return"), context.Canceled)
}

// A Subscribe that fails on the way while a session is ready returns the
// failure, and the subscription is given up, not retried behind the
// caller's back: another Subscribe tries again.
func TestSubscribeFailureIsTheCallers(t *testing.T) {
	srv := twitchtest.NewServer(twitchtest.WithKeepalive(10, 20*time.Millisecond))
	t.Cleanup(srv.Close)
	gate := &gateTransport{decide: make(chan bool), next: srv.Client().Transport}
	h := helix.New("id", srv.Token("token"), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(&http.Client{Transport: gate}))
	ev := newEvents()
	c := eventsub.New(h, append(ev.options(), eventsub.WithBaseURL(srv.EventSub.URL), eventsub.WithBackoff(time.Millisecond, time.Millisecond))...)
	done := make(chan error, 1)
	go func() { done <- c.Run(context.Background()) }()
	defer func() {
		assert.NilError(t, c.Close())
		<-done
	}()
	session := wait(t, ev.connected, "the welcome")
	wait(t, ev.ready, "ready")

	ctx := context.Background()
	go func() { gate.decide <- false }()
	err := c.Subscribe(ctx, followCondition("1"))
	assert.ErrorContains(t, err, "eventsub: subscribe to channel.follow version 2: ")
	assert.ErrorContains(t, err, "connection reset by peer")
	status := c.Subscriptions()
	assert.Equal(t, len(status), 1)
	assert.Assert(t, !status[0].Active)
	assert.Equal(t, status[0].Err, err)

	// A new session does not create it: the gate would block it.
	assert.NilError(t, srv.EventSub.Drop(session.ID))
	wait(t, ev.ready, "ready again")
	assert.Equal(t, len(srv.EventSub.Subscriptions()), 0)

	go func() { gate.decide <- true }()
	assert.NilError(t, c.Subscribe(ctx, followCondition("1")))
	assert.Equal(t, len(srv.EventSub.Subscriptions()), 1)
	none(t, ev.errs, "an error reported besides")
}
