package eventsub_test

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"
	"gotest.tools/v3/assert"
	"gotest.tools/v3/poll"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/twitchtest"
)

// The tests of issue 10: a hostile or broken peer must not hang the
// client, grow its memory without bound, or be trusted blindly. Most run
// against a hostile server of their own (hostile_test.go).

// runAgainst runs a Client with no subscription against url, after
// configure (when not nil) has registered its handlers. Its keepalive
// second is Twitch's, so that a loaded machine cannot make the watchdog
// fire, unless opts set WithTestSecond. The test's cleanup closes it, and
// fails when Close does not return.
func runAgainst(t *testing.T, url string, configure func(*eventsub.Client), opts ...eventsub.Option) (*eventsub.Client, *events, <-chan error) {
	t.Helper()
	ev := newEvents()
	all := append(ev.hooks(), eventsub.WithBaseURL(url), eventsub.WithBackoff(time.Millisecond, 20*time.Millisecond))
	c := eventsub.New(helix.New("id", nil), append(all, opts...)...)
	if configure != nil {
		configure(c)
	}
	done := make(chan error, 1)
	go func() { done <- c.Run(context.Background()) }()
	t.Cleanup(func() { closeWithin(t, c) })
	return c, ev, done
}

// closeWithin closes c and returns how long Close took; the test fails
// when it does not return.
func closeWithin(t *testing.T, c *eventsub.Client) time.Duration {
	t.Helper()
	returned := make(chan time.Duration, 1)
	go func() {
		began := time.Now()
		_ = c.Close()
		returned <- time.Since(began)
	}()
	return wait(t, returned, "Close to return")
}

func totalAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// Case 4: a frame that says it is 100 MB long is refused before its
// payload is read: the client closes with 1009 (message too big) and
// reconnects.
func TestReadLimit(t *testing.T) {
	const size = 100 << 20
	code := make(chan int, 1)
	h := newHostile(t, func(h *hostile, n int, ws *websocket.Conn, _ *http.Request) {
		if h.write(ws, welcomeFrame("s"+strconv.Itoa(n), 10)) != nil || n > 0 {
			h.idle(ws)
			return
		}
		read := make(chan struct{})
		go func() {
			defer close(read)
			for {
				_, _, err := ws.ReadMessage()
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					code <- ce.Code
				}
				if err != nil {
					return
				}
			}
		}()
		// A text frame's header announcing 100 MB, then as much of it as
		// the client takes.
		header := []byte{0x81, 127, 0, 0, 0, 0, 0, 0, 0, 0}
		binary.BigEndian.PutUint64(header[2:], size)
		nc := ws.NetConn()
		_, err := nc.Write(header)
		chunk := make([]byte, 64<<10)
		for sent := 0; err == nil && sent < size; sent += len(chunk) {
			_, err = nc.Write(chunk)
		}
		select {
		case <-read:
		case <-h.done:
		}
	})
	before := totalAlloc()
	_, ev, _ := runAgainst(t, h.URL, nil)
	wait(t, ev.connected, "the welcome")
	assert.Equal(t, wait(t, code, "the client's close"), websocket.CloseMessageTooBig)
	reason := wait(t, ev.disconnected, "the disconnect")
	assert.Assert(t, errors.Is(reason, eventsub.ErrMessageTooLarge), "%v", reason)
	wait(t, ev.connected, "the welcome of the next connection")
	t.Logf("a frame announcing %d MiB: closed with 1009 and reconnected; %.1f MiB allocated by the whole test",
		size>>20, float64(totalAlloc()-before)/(1<<20))
}

// Case 5: after a session_reconnect, an old connection that keeps sending
// keepalives but never answers the close is drained for a bounded time,
// and what the new connection sends meanwhile is held up to a cap, then
// left unread in the socket: every notification is delivered, once and in
// order, and the held frames stay under the cap.
func TestHandoverDrainIsBounded(t *testing.T) {
	const total = 20_000
	var welcomed atomic.Int64 // unix nanoseconds of the new connection's welcome
	h := newHostile(t, func(h *hostile, n int, ws *websocket.Conn, _ *http.Request) {
		switch n {
		case 0:
			ws.SetCloseHandler(func(int, string) error { return nil }) // never answers the close
			if h.write(ws, welcomeFrame("s", 10)) != nil || h.write(ws, reconnectFrame("s", h.URL+"?handover=1")) != nil {
				return
			}
			go h.idle(ws)
			tick := time.NewTicker(testSecond)
			defer tick.Stop()
			for {
				select {
				case <-h.done:
					return
				case <-tick.C:
					if h.write(ws, keepaliveFrame()) != nil {
						return
					}
				}
			}
		case 1:
			welcomed.Store(time.Now().UnixNano())
			if h.write(ws, welcomeFrame("s", 10)) != nil {
				return
			}
			go h.idle(ws)
			for i := range total {
				if h.write(ws, followFrame(frameID(), stamp(time.Now()), i)) != nil {
					return
				}
			}
			// Healthy: only the drain's deadline can end the wait.
			tick := time.NewTicker(testSecond)
			defer tick.Stop()
			for {
				select {
				case <-h.done:
					return
				case <-tick.C:
					if h.write(ws, keepaliveFrame()) != nil {
						return
					}
				}
			}
		default:
			h.idle(ws)
		}
	})
	var f *follows
	c, ev, _ := runAgainst(t, h.URL, func(c *eventsub.Client) { f = collectFollows(c) }, eventsub.WithTestSecond(testSecond))
	wait(t, ev.reconnected, "the handover")
	for i := range total {
		assert.Equal(t, wait(t, f.ch, "notification "+strconv.Itoa(i)), strconv.Itoa(i), "once each, in order")
	}
	took := time.Since(time.Unix(0, welcomed.Load()))
	none(t, f.ch, "a duplicate")
	none(t, ev.disconnected, "a disconnect")
	peak := eventsub.HeldPeak(c)
	assert.Assert(t, peak <= eventsub.MaxHeldBytes+eventsub.MaxMessageSize, "held %d bytes", peak)
	t.Logf("old connection never answered the close: %d notifications of the new one delivered in order %v after its welcome (drain deadline %v); at most %d bytes held (cap %d)",
		total, took.Round(time.Millisecond), eventsub.DrainTimeout(testSecond), peak, eventsub.MaxHeldBytes)
}

// Case 6: against a server that welcomes and then closes, the backoff
// grows: a welcome alone does not reset it.
func TestBackoffGrowsOverShortConnections(t *testing.T) {
	const dials = 20
	h := newHostile(t, func(h *hostile, n int, ws *websocket.Conn, _ *http.Request) {
		_ = h.write(ws, welcomeFrame("s"+strconv.Itoa(n), 10))
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4000, "internal server error"), time.Now().Add(time.Second))
		h.idle(ws)
	})
	const first, longest = time.Millisecond, 100 * time.Millisecond
	// Twitch's second: a session proves healthy after 10 s, which no
	// stall of a loaded machine can make these connections last.
	c := eventsub.New(helix.New("id", nil), eventsub.WithBaseURL(h.URL), eventsub.WithBackoff(first, longest))
	go func() { _ = c.Run(context.Background()) }()
	t.Cleanup(func() { closeWithin(t, c) })
	for range dials {
		wait(t, h.dials, "a dial")
	}
	h.mu.Lock()
	elapsed := h.at[dials-1].Sub(h.at[0])
	h.mu.Unlock()
	// Each wait is drawn from the upper half of a doubling backoff: the
	// least the waits before dials 2 to 20 add up to.
	var least time.Duration
	for attempt := 1; attempt < dials; attempt++ {
		least += min(first<<(attempt-1), longest) / 2
	}
	assert.Assert(t, elapsed >= least, "%d dials in %v: the backoff did not grow (it waits at least %v)", dials, elapsed, least)
	t.Logf("welcome-then-close server: %d dials in %v, %.1f dials/s (backoff %v to %v)",
		dials, elapsed.Round(time.Millisecond), float64(dials-1)/elapsed.Seconds(), first, longest)
}

// Case 6: a connection that stayed up past its keepalive timeout was
// healthy: its loss reconnects at once, whatever the backoff.
func TestBackoffResetsAfterAHealthyConnection(t *testing.T) {
	h := newHostile(t, func(h *hostile, n int, ws *websocket.Conn, _ *http.Request) {
		if h.write(ws, welcomeFrame("s"+strconv.Itoa(n), 10)) != nil || n > 0 {
			h.idle(ws)
			return
		}
		go h.idle(ws)
		// Up for 25 keepalive seconds, then closed: healthy after 10, with
		// a margin for a client that handles the welcome late.
		tick := time.NewTicker(testSecond)
		defer tick.Stop()
		for range 25 {
			<-tick.C
			if h.write(ws, keepaliveFrame()) != nil {
				return
			}
		}
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4000, "internal server error"), time.Now().Add(time.Second))
	})
	_, ev, _ := runAgainst(t, h.URL, nil, eventsub.WithBackoff(time.Hour, time.Hour), eventsub.WithTestSecond(testSecond))
	wait(t, ev.connected, "the welcome")
	wait(t, ev.disconnected, "the close")
	wait(t, ev.connected, "a new session at once, not after an hour")
}

// Case 7: Close called from a handler or a callback returns, and stops the
// client: nothing more is called, and Run returns ErrClosed.
func TestCloseFromInside(t *testing.T) {
	for _, tc := range []struct {
		name    string
		trigger func(t *testing.T, srv *twitchtest.Server, session string) // after ready
	}{
		{"OnConnected", nil},
		{"OnReady", nil},
		// The second message, which nothing must handle, may find the
		// session already ended by Close.
		{"handler", func(t *testing.T, srv *twitchtest.Server, _ string) {
			notify(t, srv, followEvent(1))
			_, _ = srv.EventSub.Notify(followEvent(2))
		}},
		{"OnError", func(t *testing.T, srv *twitchtest.Server, session string) {
			assert.NilError(t, srv.EventSub.SendFrame(session, []byte("not JSON")))
			_ = srv.EventSub.SendFrame(session, []byte("not JSON either"))
		}},
		{"OnDisconnected", func(t *testing.T, srv *twitchtest.Server, session string) {
			assert.NilError(t, srv.EventSub.Drop(session))
		}},
		{"OnReconnected", func(t *testing.T, srv *twitchtest.Server, session string) {
			assert.NilError(t, srv.EventSub.Reconnect(session))
		}},
		{"OnRevoked", func(t *testing.T, srv *twitchtest.Server, _ string) {
			assert.NilError(t, srv.EventSub.Revoke(srv.EventSub.Subscriptions()[0].ID, "authorization_revoked"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := twitchtest.NewServer(twitchtest.WithKeepalive(10, 20*time.Millisecond))
			t.Cleanup(srv.Close)
			h := helix.New("id", srv.Token("token"), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.Client()))
			var c *eventsub.Client
			var calls atomic.Int32 // callbacks and handlers called after Close
			var closed atomic.Bool
			type closing struct {
				took    time.Duration
				readers int // readers of the client's connections still running
			}
			returned := make(chan closing, 1)
			closeNow := func(name string) {
				if closed.Load() {
					calls.Add(1)
					return
				}
				if name != tc.name {
					return
				}
				closed.Store(true)
				began := time.Now()
				_ = c.Close()
				took := time.Since(began)
				// The readers have ended; one may still be returning.
				returned <- closing{took, eventually(".(*runner).read(")}
			}
			sessions := make(chan string, 10)
			ready := make(chan struct{}, 10)
			c = eventsub.New(h, eventsub.WithBaseURL(srv.EventSub.URL), eventsub.WithTestSecond(testSecond),
				eventsub.WithBackoff(time.Millisecond, time.Millisecond), eventsub.WithLogger(testLogger()),
				eventsub.OnConnected(func(s eventsub.Session) { sessions <- s.ID; closeNow("OnConnected") }),
				eventsub.OnReady(func() { ready <- struct{}{}; closeNow("OnReady") }),
				eventsub.OnError(func(error) { closeNow("OnError") }),
				eventsub.OnDisconnected(func(error) { closeNow("OnDisconnected") }),
				eventsub.OnReconnected(func(eventsub.Session) { closeNow("OnReconnected") }),
				eventsub.OnRevoked(func(helix.EventSubSubscription) { closeNow("OnRevoked") }))
			c.OnChannelFollow(func(context.Context, *eventsub.ChannelFollowEvent) { closeNow("handler") })
			assert.NilError(t, c.Subscribe(context.Background(), followCondition("1")))
			done := make(chan error, 1)
			go func() { done <- c.Run(context.Background()) }()
			t.Cleanup(func() { closeWithin(t, c) })
			if tc.trigger != nil {
				session := wait(t, sessions, "the welcome")
				wait(t, ready, "ready")
				tc.trigger(t, srv, session)
			}
			got := wait(t, returned, "Close, called from "+tc.name+", to return")
			assert.ErrorIs(t, wait(t, done, "Run to return"), eventsub.ErrClosed)
			assert.Equal(t, got.readers, 0, "connection readers running when Close returned")
			assert.Equal(t, calls.Load(), int32(0), "callbacks or handlers called after Close")
			assert.Equal(t, eventually("eventsub.(*runner)"), 0, "goroutines of the client once Run has returned")
			t.Logf("Close from %s returned in %v", tc.name, got.took.Round(time.Microsecond))
		})
	}
}

// Case 7: Close from another goroutine while a handler runs waits for the
// handler, and for Run. In a synctest bubble, once every goroutine waits,
// a Close that did not wait would have returned.
func TestCloseFromOutsideWaitsForHandler(t *testing.T) {
	srv := twitchtest.NewServer()
	t.Cleanup(srv.Close)
	synctest.Test(t, func(t *testing.T) {
		h := helix.New("id", srv.Token("token"), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.InMemoryClient()))
		ev := newEvents()
		c := eventsub.New(h, append(ev.hooks(), eventsub.WithBaseURL(srv.EventSub.URL), eventsub.WithDialContext(srv.EventSub.DialContext))...)
		entered, release := make(chan struct{}), make(chan struct{})
		c.OnChannelFollow(func(ctx context.Context, _ *eventsub.ChannelFollowEvent) {
			close(entered)
			<-ctx.Done() // Close has been called
			<-release
		})
		assert.NilError(t, c.Subscribe(context.Background(), followCondition("1")))
		done := make(chan error, 1)
		go func() { done <- c.Run(context.Background()) }()
		wait(t, ev.ready, "ready")
		notify(t, srv, followEvent(1))
		<-entered
		closed := make(chan struct{})
		go func() {
			_ = c.Close()
			close(closed)
		}()
		synctest.Wait()
		select {
		case <-closed:
			t.Fatal("Close returned while a handler was running")
		default:
		}
		close(release)
		<-closed
		select {
		case err := <-done:
			assert.ErrorIs(t, err, eventsub.ErrClosed)
		default:
			synctest.Wait() // Run has returned; its goroutine sends
			assert.ErrorIs(t, <-done, eventsub.ErrClosed)
		}
	})
}

// eventually counts the goroutines whose stack holds fn, once those that
// are returning have returned: a goroutine whose deferred WaitGroup.Done
// has run is done, though its stack may still show it for a moment.
func eventually(fn string) int {
	n := goroutinesIn(fn)
	for deadline := time.Now().Add(5 * time.Second); n > 0 && time.Now().Before(deadline); n = goroutinesIn(fn) {
		time.Sleep(time.Millisecond)
	}
	return n
}

// goroutinesIn counts the goroutines whose stack holds fn.
func goroutinesIn(fn string) int {
	buf := make([]byte, 1<<20)
	n := 0
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.Contains(g, fn) {
			n++
		}
	}
	return n
}

// Case 8: Close gives up a dial that never gets an answer to its
// handshake at once.
func TestCloseDuringStuckDial(t *testing.T) {
	h := newHostile(t, func(h *hostile, _ int, ws *websocket.Conn, _ *http.Request) { h.idle(ws) })
	c, _, done := runAgainst(t, h.URL+"?stuck", nil, eventsub.WithTestDialTimeout(time.Hour))
	poll.WaitOn(t, func(poll.LogT) poll.Result {
		if goroutinesIn("dialWebSocket") == 0 {
			return poll.Continue("not dialing yet")
		}
		return poll.Success()
	})
	took := closeWithin(t, c)
	assert.ErrorIs(t, wait(t, done, "Run to return"), eventsub.ErrClosed)
	t.Logf("Close during a handshake that is never answered: %v", took.Round(time.Microsecond))
}

// Case 8: while the reconnect URL's dial hangs, the old connection, still
// healthy, goes on delivering; and Close does not wait for the dial.
func TestStuckReconnectDialDoesNotBlockDelivery(t *testing.T) {
	sent := make(chan struct{})
	h := newHostile(t, func(h *hostile, n int, ws *websocket.Conn, _ *http.Request) {
		if n > 0 || h.write(ws, welcomeFrame("s", 10)) != nil || h.write(ws, reconnectFrame("s", h.URL+"?stuck")) != nil {
			h.idle(ws)
			return
		}
		for i := range 10 {
			if h.write(ws, followFrame(frameID(), stamp(time.Now()), i)) != nil {
				return
			}
		}
		close(sent)
		go h.idle(ws)
		tick := time.NewTicker(testSecond)
		defer tick.Stop()
		for {
			select {
			case <-h.done:
				return
			case <-tick.C:
				if h.write(ws, keepaliveFrame()) != nil {
					return
				}
			}
		}
	})
	var f *follows
	c, ev, done := runAgainst(t, h.URL, func(c *eventsub.Client) { f = collectFollows(c) }, eventsub.WithTestDialTimeout(time.Hour))
	wait(t, sent, "the notifications")
	for i := range 10 {
		assert.Equal(t, wait(t, f.ch, "notification "+strconv.Itoa(i)), strconv.Itoa(i))
	}
	none(t, ev.disconnected, "a disconnect")
	took := closeWithin(t, c)
	assert.ErrorIs(t, wait(t, done, "Run to return"), eventsub.ErrClosed)
	t.Logf("10 notifications delivered on the old connection while the reconnect URL's handshake hung; Close took %v", took.Round(time.Microsecond))
}

// Case 9: a session_reconnect to ws:// on another host is not followed:
// it is reported, and the client reconnects to its own URL. Nothing from
// the other host is delivered.
func TestReconnectURLMustBeTrusted(t *testing.T) {
	evil := newHostile(t, func(h *hostile, _ int, ws *websocket.Conn, _ *http.Request) {
		if h.write(ws, welcomeFrame("s", 10)) == nil {
			_ = h.write(ws, followFrame(frameID(), stamp(time.Now()), 666))
		}
		h.idle(ws)
	})
	h := newHostile(t, func(h *hostile, n int, ws *websocket.Conn, _ *http.Request) {
		if h.write(ws, welcomeFrame("s"+strconv.Itoa(n), 10)) == nil && n == 0 {
			_ = h.write(ws, reconnectFrame("s0", evil.URL+"?challenge=secret-of-the-session"))
		}
		h.idle(ws)
	})
	var f *follows
	_, ev, _ := runAgainst(t, h.URL, func(c *eventsub.Client) { f = collectFollows(c) })
	wait(t, ev.connected, "the welcome")
	err := wait(t, ev.errs, "the refused reconnect URL")
	assert.Assert(t, errors.Is(err, eventsub.ErrUntrustedReconnectURL), "%v", err)
	assert.ErrorContains(t, err, "ws://"+evil.Host)
	assert.Assert(t, !strings.Contains(err.Error(), "secret"), "the URL's query is not in the error: %v", err)
	assert.Assert(t, errors.Is(wait(t, ev.disconnected, "the disconnect"), eventsub.ErrUntrustedReconnectURL))
	assert.Equal(t, wait(t, ev.connected, "a new session on the client's own URL").ID, "s1")
	assert.Equal(t, evil.dialed(), 0, "connections to the other host")
	none(t, f.ch, "an event from the other host")
	none(t, ev.reconnected, "a handover")
}

// Case 9: a wss:// reconnect URL is followed, whatever its host.
func TestReconnectURLWSSIsFollowed(t *testing.T) {
	tlsAddr := "127.0.0.2:1" // nothing listens there: the dial fails, but is made
	h := newHostile(t, func(h *hostile, n int, ws *websocket.Conn, _ *http.Request) {
		if h.write(ws, welcomeFrame("s", 10)) == nil && n == 0 {
			_ = h.write(ws, reconnectFrame("s", "wss://"+tlsAddr+"/ws"))
		}
		h.idle(ws)
	})
	var mu sync.Mutex
	var addrs []string
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		addrs = append(addrs, addr)
		mu.Unlock()
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	_, ev, _ := runAgainst(t, h.URL, nil, eventsub.WithDialContext(dial))
	err := wait(t, ev.errs, "the failed dial of the reconnect URL")
	assert.ErrorContains(t, err, "eventsub: dial the reconnect URL: ")
	mu.Lock()
	defer mu.Unlock()
	assert.DeepEqual(t, addrs, []string{h.Host, tlsAddr})
}

// Case 10: a keepalive_timeout_seconds far out of Twitch's range is
// clamped to it: it neither overflows into a timeout that drops a live
// connection nor waits forever. (7e11 keepalive seconds of 100 ms overflow
// to a negative duration, as 7e9 real seconds do.)
func TestKeepaliveTimeoutIsClamped(t *testing.T) {
	kept := make(chan struct{})
	h := newHostile(t, func(h *hostile, n int, ws *websocket.Conn, _ *http.Request) {
		if h.write(ws, welcomeFrame("s", 700_000_000_000)) != nil || n > 0 {
			h.idle(ws)
			return
		}
		go h.idle(ws)
		// 12 keepalives, one each half test second: 12 watchdog periods.
		tick := time.NewTicker(testSecond / 2)
		defer tick.Stop()
		for range 12 {
			<-tick.C
			if h.write(ws, keepaliveFrame()) != nil {
				return
			}
		}
		close(kept)
		<-h.done
	})
	_, ev, _ := runAgainst(t, h.URL, nil, eventsub.WithTestSecond(testSecond))
	wait(t, ev.connected, "the welcome")
	wait(t, kept, "the keepalives")
	none(t, ev.disconnected, "a disconnect of a live connection")
	assert.Equal(t, h.dialed(), 1)
}

// holdTransport holds each request that creates a subscription until the
// test lets it go, telling the test when one has arrived.
type holdTransport struct {
	arrived chan struct{}
	release chan struct{}
	next    http.RoundTripper
}

func (g *holdTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/eventsub/subscriptions") {
		g.arrived <- struct{}{}
		select {
		case <-g.release:
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	}
	return g.next.RoundTrip(r)
}

// Case 11: Unsubscribe while the subscription's create is on its way
// leaves nothing at Twitch: once created, it is deleted.
func TestUnsubscribeWhileCreating(t *testing.T) {
	for _, when := range []string{"Subscribe", "the session's first creation"} {
		t.Run(when, func(t *testing.T) {
			srv := twitchtest.NewServer(twitchtest.WithKeepalive(10, 20*time.Millisecond))
			t.Cleanup(srv.Close)
			hold := &holdTransport{arrived: make(chan struct{}, 1), release: make(chan struct{}), next: srv.Client().Transport}
			h := helix.New("id", srv.Token("token"), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(&http.Client{Transport: hold}))
			ev := newEvents()
			c := eventsub.New(h, append(ev.options(), eventsub.WithBaseURL(srv.EventSub.URL))...)
			ctx := context.Background()
			subscribed := make(chan error, 1)
			if when != "Subscribe" {
				assert.NilError(t, c.Subscribe(ctx, followCondition("1")))
			}
			done := make(chan error, 1)
			go func() { done <- c.Run(ctx) }()
			t.Cleanup(func() { closeWithin(t, c) })
			if when == "Subscribe" {
				wait(t, ev.ready, "ready")
				go func() { subscribed <- c.Subscribe(ctx, followCondition("1")) }()
			}
			wait(t, hold.arrived, "the create")
			assert.NilError(t, c.Unsubscribe(ctx, followCondition("1")))
			close(hold.release)
			if when == "Subscribe" {
				assert.NilError(t, wait(t, subscribed, "Subscribe to return"))
			} else {
				wait(t, ev.ready, "the session's creations to end")
			}
			poll.WaitOn(t, func(poll.LogT) poll.Result {
				if subs := srv.EventSub.Subscriptions(); len(subs) > 0 {
					return poll.Continue("%d subscriptions left at Twitch", len(subs))
				}
				return poll.Success()
			}, poll.WithTimeout(5*time.Second))
			assert.Equal(t, len(c.Subscriptions()), 0)
		})
	}
}

// Case 12: a key twice in one object, as encoding/json matches keys
// (exactly, by case, or through escapes), is an error in both parsers,
// which say where.
func TestDuplicateKeys(t *testing.T) {
	const sub = `"subscription":{"id":"s","status":"enabled","type":"channel.follow","version":"2","cost":0,"condition":{},"transport":{"method":"websocket","session_id":"x"},"created_at":"2025-01-01T00:00:00Z"}`
	const event = `{"user_id":"1","user_login":"a","user_name":"A","broadcaster_user_id":"2","broadcaster_user_login":"b","broadcaster_user_name":"B","followed_at":"2025-01-01T00:00:00Z"}`
	const metadata = `"metadata":{"message_id":"m","message_type":"notification","message_timestamp":"2025-01-01T00:00:00Z","subscription_type":"channel.follow","subscription_version":"2"}`
	for _, tc := range []struct {
		name    string
		payload string
		where   string // in the frame; in the notification, the same without "payload"
		key     string
	}{
		{"event twice", `{` + sub + `,"event":` + event + `,"event":{"user_login":"z"}}`, "payload", `"event"`},
		{"event twice, by case", `{` + sub + `,"event":` + event + `,"EVENT":{"user_login":"z"}}`, "payload", `"EVENT"`},
		{"event twice, escaped", `{` + sub + `,"event":` + event + `,"\u0065vent":{"user_login":"z"}}`, "payload", `"\u0065vent"`},
		{"subscription twice", `{` + sub + `,` + sub + `,"event":` + event + `}`, "payload", `"subscription"`},
		{"a field of the event twice", `{` + sub + `,"event":{"user_id":"1","user_id":"2"}}`, "payload.event", `"user_id"`},
		{"a field of the condition twice", `{` + strings.Replace(sub, `"condition":{}`, `"condition":{"x":"1","x":"2"}`, 1) + `,"event":` + event + `}`, "payload.subscription.condition", `"x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := eventsub.ParseMessage([]byte(`{` + metadata + `,"payload":` + tc.payload + `}`))
			assert.Error(t, err, "eventsub: message: "+tc.where+": duplicate key "+tc.key)
			_, err = eventsub.ParseNotification([]byte(tc.payload))
			where := strings.TrimPrefix(strings.TrimPrefix(tc.where, "payload"), ".")
			if where != "" {
				where += ": "
			}
			assert.Error(t, err, "eventsub: notification: "+where+"duplicate key "+tc.key)
		})
	}
	_, err := eventsub.ParseMessage([]byte(`{` + metadata + `,` + metadata + `,"payload":{` + sub + `,"event":` + event + `}}`))
	assert.Error(t, err, `eventsub: message: duplicate key "metadata"`)
}

// Case 13: a notification dropped by Twitch's rules (no message_id, no
// timestamp, or older than 10 minutes) is reported, typed.
func TestDroppedNotificationsAreReported(t *testing.T) {
	var f *follows
	hs := start(t, nil, func(c *eventsub.Client) {
		f = collectFollows(c)
		assert.NilError(t, c.Subscribe(context.Background(), followCondition("1")))
	})
	session := wait(t, hs.ev.connected, "the welcome").ID
	wait(t, hs.ev.ready, "ready")
	old := time.Now().Add(-11 * time.Minute)
	for _, frame := range []string{
		followFrame("", stamp(time.Now()), 1),
		followFrame("", stamp(time.Now()), 2),
		followFrame("no-timestamp", "", 3),
		followFrame("old", stamp(old), 4),
		followFrame("good", stamp(time.Now()), 5),
	} {
		assert.NilError(t, hs.srv.EventSub.SendFrame(session, []byte(frame)))
	}
	assert.Equal(t, wait(t, f.ch, "the good one"), "5")
	for _, want := range []struct{ id, reason string }{
		{"", "no message_id"},
		{"", "no message_id"},
		{"no-timestamp", "no message_timestamp"},
		{"old", "older than 10 minutes"},
	} {
		err := wait(t, hs.ev.errs, "the report of "+want.reason)
		var dropped *eventsub.DroppedNotificationError
		assert.Assert(t, errors.As(err, &dropped), "%v", err)
		assert.Equal(t, dropped.MessageID, want.id)
		assert.Equal(t, dropped.Reason, want.reason)
		assert.Equal(t, dropped.Type, "channel.follow")
		assert.Equal(t, dropped.Version, "2")
	}
	none(t, f.ch, "a dropped notification")
}

// Case 14: a base URL with a query keeps it, and the keepalive is one
// more parameter of it.
func TestBaseURLWithQuery(t *testing.T) {
	h := newHostile(t, func(h *hostile, n int, ws *websocket.Conn, _ *http.Request) {
		_ = h.write(ws, welcomeFrame("s", 30))
		h.idle(ws)
	})
	_, ev, _ := runAgainst(t, h.URL+"?x=1", nil, eventsub.WithKeepalive(30))
	wait(t, ev.connected, "the welcome")
	h.mu.Lock()
	q, err := url.ParseQuery(h.queries[0])
	h.mu.Unlock()
	assert.NilError(t, err)
	assert.DeepEqual(t, q, url.Values{"x": {"1"}, "keepalive_timeout_seconds": {"30"}})
}

// Case 8: a connection that the dial brings back just after the context
// ended (the TCP connect won the race with the cancel) is not left to a
// handshake that nothing ends.
func TestDialThatReturnsAfterCancel(t *testing.T) {
	dialing := make(chan struct{}, 1)
	var served []net.Conn
	var mu sync.Mutex
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, nc := range served {
			nc.Close()
		}
	})
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		dialing <- struct{}{}
		<-ctx.Done()
		client, server := net.Pipe() // a server that never reads the handshake
		mu.Lock()
		served = append(served, server)
		mu.Unlock()
		return client, nil
	}
	c := eventsub.New(helix.New("id", nil), eventsub.WithBaseURL("ws://127.0.0.1:1/ws"),
		eventsub.WithDialContext(dial), eventsub.WithTestDialTimeout(time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	wait(t, dialing, "the dial")
	cancel()
	assert.ErrorIs(t, wait(t, done, "Run to return"), context.Canceled)
}
