package eventsub_test

import (
	"context"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"gotest.tools/v3/assert"
	"gotest.tools/v3/poll"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/twitchtest"
)

// TestClientHandoverSoak sends 10,000 notifications across 20
// session_reconnect handovers and 5 abrupt drops, resending messages after
// each handover as Twitch may: every notification arrives, once, in order.
//
// It runs in a testing/synctest bubble, the client reaching the fake
// without a network (its Helix through InMemoryClient, its WebSocket
// through EventSub.DialContext), with Twitch's own keepalive of 10 seconds:
// the bubble's clock moves only when every goroutine of the test waits, so
// however short of CPU the machine is, no keepalive is late and the
// watchdog never fires.
func TestClientHandoverSoak(t *testing.T) {
	const (
		total      = 10_000
		reconnects = 20
		drops      = 5
		resent     = 3 // messages sent again after each handover
	)
	srv := twitchtest.NewServer() // Twitch's keepalive: 10 seconds, every 10 seconds
	t.Cleanup(srv.Close)
	began := time.Now() // the wall clock: the bubble's stands still while work is done
	var sent, duplicates int
	synctest.Test(t, func(t *testing.T) {
		h := helix.New("client-id", srv.Token("token"), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.InMemoryClient()))
		ev := newEvents()
		c := eventsub.New(h, append(ev.hooks(),
			eventsub.WithBaseURL(srv.EventSub.URL),
			eventsub.WithDialContext(srv.EventSub.DialContext),
			eventsub.WithBackoff(time.Millisecond, 20*time.Millisecond))...)
		f := collectFollows(c)
		assert.NilError(t, c.Subscribe(context.Background(), followCondition("1")))
		done := make(chan error, 1)
		go func() { done <- c.Run(context.Background()) }()
		hs := &harness{srv: srv, client: c, ev: ev}

		session := wait(t, ev.connected, "the welcome").ID
		wait(t, ev.ready, "ready")
		sub := hs.onlySubscription(t).ID

		var ids []string
		for i := 0; i < total; i++ {
			switch {
			case i > 0 && i%(total/(reconnects+1)) == 0 && i/(total/(reconnects+1)) <= reconnects:
				// A handover, with notifications sent on while it happens.
				assert.NilError(t, srv.EventSub.Reconnect(session))
				for j := 0; j < 10 && i < total; j++ {
					ids = append(ids, notify(t, srv, followEvent(i)))
					i++
				}
				wait(t, ev.reconnected, "the handover at "+strconv.Itoa(i))
				for _, id := range ids[len(ids)-resent:] {
					_, err := srv.EventSub.Send(twitchtest.Notification{SubscriptionID: sub, Event: followEvent(-1), MessageID: id})
					assert.NilError(t, err)
					duplicates++
				}
			case i > 0 && i%(total/(drops+1)) == total/(drops+1)/2:
				// An abrupt drop: the session and its subscription die, and
				// the client makes new ones before anything more is sent.
				assert.NilError(t, srv.EventSub.Drop(session))
				wait(t, ev.disconnected, "the drop")
				session = wait(t, ev.connected, "a new session").ID
				wait(t, ev.ready, "ready after the drop")
				sub = hs.onlySubscription(t).ID
			}
			if i >= total {
				break
			}
			ids = append(ids, notify(t, srv, followEvent(i)))
		}
		sent = len(ids)
		for n := range sent {
			got := wait(t, f.ch, "notification "+strconv.Itoa(n))
			assert.Equal(t, got, strconv.Itoa(n), "notifications arrive once each, in order")
		}
		none(t, f.ch, "a duplicate")
		none(t, ev.errs, "an error")
		assert.NilError(t, c.Close())
		assert.ErrorIs(t, <-done, eventsub.ErrClosed)
	})
	t.Logf("soak: %d notifications sent, %d received in order, 0 lost, 0 duplicated (%d resent copies dropped), across %d handovers and %d drops, in %v",
		sent, sent, duplicates, reconnects, drops, time.Since(began).Round(time.Millisecond))
}

// After Close, no goroutine of the client is left: Run's, and every
// connection's reader, through handovers and reconnects.
func TestClientCloseLeavesNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	srv := twitchtest.NewServer(twitchtest.WithKeepalive(10, 20*time.Millisecond))
	t.Cleanup(srv.Close)
	h := helix.New("id", srv.Token("token"), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.Client()))
	ev := newEvents()
	c := eventsub.New(h, append(ev.options(), eventsub.WithBaseURL(srv.EventSub.URL), eventsub.WithBackoff(time.Millisecond, time.Millisecond))...)
	assert.NilError(t, c.Subscribe(context.Background(), followCondition("1")))
	done := make(chan error, 1)
	go func() { done <- c.Run(context.Background()) }()
	session := wait(t, ev.connected, "the welcome")
	wait(t, ev.ready, "ready")
	assert.NilError(t, srv.EventSub.Reconnect(session.ID))
	wait(t, ev.reconnected, "the handover")
	assert.NilError(t, srv.EventSub.Drop(session.ID))
	wait(t, ev.ready, "ready after the drop")

	assert.NilError(t, c.Close())
	// Close has returned: no goroutine runs the client's code any more,
	// though the fake's are still up (a reader whose deferred Done has run
	// may still be returning).
	poll.WaitOn(t, func(poll.LogT) poll.Result {
		buf := make([]byte, 1<<20)
		for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			if strings.Contains(g, "eventsub.(*runner)") {
				return poll.Continue("a goroutine of the client outlives Close:\n%s", g)
			}
		}
		return poll.Success()
	}, poll.WithTimeout(5*time.Second))
	assert.ErrorIs(t, wait(t, done, "Run to return"), eventsub.ErrClosed)
	srv.Close()
	poll.WaitOn(t, func(poll.LogT) poll.Result {
		// The check itself runs on a goroutine of poll's: one more.
		if n := runtime.NumGoroutine(); n > before+1 {
			buf := make([]byte, 1<<16)
			return poll.Continue("%d goroutines, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
		}
		return poll.Success()
	}, poll.WithTimeout(5*time.Second))
}
