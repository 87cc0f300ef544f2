package eventsub

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/twitchify-go/twitch/helix"
)

// conn is one WebSocket connection and what Run knows of it.
type conn struct {
	c  *Client
	ws *websocket.Conn
	// frames carries the connection's frames from its reader to Run, one
	// at a time: Run reads each connection on its own, and can leave one
	// unread (the new connection of a handover, while the old drains).
	frames chan frame
	quit   chan struct{} // closed when Run is done with the connection: its reader stops
	once   sync.Once

	welcomed bool
	session  Session
	timeout  time.Duration // silence longer than this means dead
	lastRead atomic.Int64  // unix nanoseconds of the last frame read
	// handing is true while the reader waits for Run to take a frame: the
	// socket is not silent then, only unread, and the watchdog must not
	// blame it for Run's (or a slow handler's) delay.
	handing atomic.Bool
}

// frame is what a connection's reader hands to Run: a message, or the end.
type frame struct {
	conn *conn
	data []byte
	err  error
}

// dialResult is what the dial of a reconnect URL brings back to Run.
type dialResult struct {
	ws  *websocket.Conn
	err error
}

// runner is the state of one Run, owned by Run's goroutine.
type runner struct {
	c    *Client
	ctx  context.Context
	cur  *conn // the connection of the session
	next *conn // the connection a session_reconnect moves it to, once dialed
	// dialing is true while the reconnect URL is dialed, on a goroutine of
	// its own so that the current connection is read meanwhile; dialed
	// brings the outcome.
	dialing bool
	dialed  chan dialResult
	// draining is the old connection after a handover: closed by us, read
	// until Twitch's answering close, so that nothing on its way is lost,
	// or until drainUntil. Until then the new connection's frames are held,
	// to keep the order, up to maxHeldBytes; beyond, it is not read.
	draining   *conn
	drainUntil time.Time
	held       []frame
	heldBytes  int
	attempt    int       // reconnect attempts since the last healthy session
	healthyAt  time.Time // when the current session will have proved healthy; zero without one
	unused     int       // 4003 closes in a row
	seen       *dedup
	retry      *time.Timer // retries subscriptions that failed on the way
	// started is true once the first session had every subscription
	// created; until then refusals are gathered in refused, for Run.
	started bool
	refused []error
	ready   bool // OnReady was called for the current session
}

func (r *runner) run() error {
	defer r.closeAll()
	watchdog := time.NewTicker(r.c.second / 2)
	defer watchdog.Stop()
	r.retry = time.NewTimer(time.Hour)
	r.retry.Stop()
	defer r.retry.Stop()
	for {
		if r.cur == nil && r.next == nil && !r.dialing {
			if err := r.connect(); err != nil {
				return err
			}
		}
		// The new connection waits, unread, while the old one drains
		// and what it has held is at the cap.
		fromCur := r.cur.recv()
		if r.draining != nil && r.heldBytes >= maxHeldBytes {
			fromCur = nil
		}
		var err error
		select {
		case <-r.ctx.Done():
			return r.ctx.Err()
		case f := <-r.draining.recv():
			err = r.handle(f)
		case f := <-fromCur:
			err = r.handle(f)
		case f := <-r.next.recv():
			err = r.handle(f)
		case d := <-r.dialed:
			err = r.dialDone(d)
		case <-watchdog.C:
			err = r.checkWatchdog()
		case <-r.retry.C:
			err = r.subscribeAll()
		}
		if err != nil {
			return err
		}
	}
}

// recv returns the channel of cn's frames; nil (never ready) without cn.
func (cn *conn) recv() <-chan frame {
	if cn == nil {
		return nil
	}
	return cn.frames
}

// connect dials the base URL, waiting a jittered, growing backoff before
// every attempt after the first, until a connection opens or ctx ends.
func (r *runner) connect() error {
	u := r.c.connectURL()
	for {
		if r.attempt > 0 {
			wait := r.backoff()
			r.c.log.Info("eventsub: reconnecting", "in", wait, "attempt", r.attempt)
			t := time.NewTimer(wait)
			select {
			case <-r.ctx.Done():
				t.Stop()
				return r.ctx.Err()
			case <-t.C:
			}
		}
		r.attempt++
		ws, err := r.c.dialWebSocket(r.ctx, u)
		if err == nil {
			cn, err := r.open(ws)
			if err != nil {
				return err
			}
			r.cur = cn
			return nil
		}
		if r.ctx.Err() != nil {
			return r.ctx.Err()
		}
		r.c.report(fmt.Errorf("eventsub: connect: %w", err))
	}
}

// connectURL is the base URL with the keepalive asked for, if any.
func (c *Client) connectURL() string {
	if c.keepalive == 0 {
		return c.url
	}
	u, err := url.Parse(c.url)
	if err != nil {
		return c.url // New has reported it
	}
	q := u.Query()
	q.Set("keepalive_timeout_seconds", strconv.Itoa(c.keepalive))
	u.RawQuery = q.Encode()
	return u.String()
}

// backoff is the wait before attempt r.attempt: doubling from the minimum
// up to the maximum, each wait drawn from its upper half.
func (r *runner) backoff() time.Duration {
	d := r.c.minBackoff
	for i := 1; i < r.attempt && d < r.c.maxBackoff; i++ {
		d *= 2
	}
	d = min(d, r.c.maxBackoff)
	return d/2 + rand.N(d/2+1)
}

// open makes ws a connection of Run's and starts its reader. Until the
// welcome, the connection is held to a deadline like any other silence.
func (r *runner) open(ws *websocket.Conn) (*conn, error) {
	c := r.c
	c.mu.Lock()
	closed := c.closed
	if !closed {
		c.sockets[ws] = struct{}{}
		c.goroutines.Add(1) // as track does
	}
	c.mu.Unlock()
	if closed {
		closeSocket(ws)
		return nil, ErrClosed
	}
	wait := 10
	if c.keepalive != 0 {
		wait = c.keepalive
	}
	cn := &conn{c: c, ws: ws, frames: make(chan frame), quit: make(chan struct{}), timeout: r.timeout(wait)}
	cn.lastRead.Store(time.Now().UnixNano())
	go r.read(cn)
	return cn, nil
}

// dialWebSocket opens a WebSocket to u within c.dialTimeout. gorilla's
// dialer bounds the handshake by the context's deadline only (and sets
// that deadline itself once the network dial returns); to give up as soon
// as ctx ends, the connection is closed then, and one that the network
// dial brings back after that is closed at once.
func (c *Client) dialWebSocket(ctx context.Context, u string) (*websocket.Conn, error) {
	dialCtx, cancel := context.WithTimeout(ctx, c.dialTimeout)
	defer cancel()
	netDial := c.dialContext
	if netDial == nil {
		netDial = (&net.Dialer{}).DialContext
	}
	var mu sync.Mutex
	var opened []net.Conn
	ended := false // dialCtx has ended: what opens now is closed
	d := &websocket.Dialer{
		Proxy: http.ProxyFromEnvironment,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := netDial(ctx, network, addr)
			if err != nil || nc == nil {
				return nc, err
			}
			mu.Lock()
			defer mu.Unlock()
			if ended {
				_ = nc.Close()
				return nil, dialCtx.Err()
			}
			opened = append(opened, nc)
			return nc, nil
		},
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(dialCtx, func() {
		defer close(fired)
		mu.Lock()
		defer mu.Unlock()
		ended = true
		for _, nc := range opened {
			_ = nc.Close() // pending I/O fails now, whatever deadline gorilla sets
		}
	})
	ws, _, err := d.DialContext(dialCtx, u, nil)
	if !stop() {
		<-fired // no goroutine of the dial outlives it
		if err == nil {
			// dialCtx ended as the handshake finished: the connection
			// may have been made to time out.
			_ = ws.Close()
			err = dialCtx.Err()
		}
	}
	// Once the dial is given up, gorilla's error is about the connection
	// closed under it; the cause is the context's.
	switch {
	case err == nil:
		ws.SetReadLimit(maxMessageSize)
		return ws, nil
	case ctx.Err() != nil:
		return nil, fmt.Errorf("gave up the connection: %w", ctx.Err())
	case dialCtx.Err() != nil:
		return nil, fmt.Errorf("the connection did not open within %v: %w", c.dialTimeout, dialCtx.Err())
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, fmt.Errorf("the connection did not open within %v: %w", c.dialTimeout, err)
	}
	return nil, err
}

// timeout is the silence after which a connection with the keepalive
// timeout seconds is dead: the timeout and half of it again.
func (r *runner) timeout(seconds int) time.Duration {
	d := time.Duration(seconds) * r.c.second
	return d + d/2
}

// clampKeepalive brings a welcome's keepalive_timeout_seconds into
// Twitch's range.
func clampKeepalive(seconds int) int {
	return min(max(seconds, minKeepalive), maxKeepalive)
}

// read hands the connection's frames to Run until the connection ends or
// Run is done with it.
func (r *runner) read(cn *conn) {
	defer r.c.goroutines.Done()
	for {
		_, data, err := cn.ws.ReadMessage()
		cn.handing.Store(true)
		select {
		case cn.frames <- frame{conn: cn, data: data, err: err}:
		case <-cn.quit:
			return
		case <-r.ctx.Done():
			return
		}
		cn.lastRead.Store(time.Now().UnixNano())
		cn.handing.Store(false)
		if err != nil {
			return
		}
	}
}

func (r *runner) handle(f frame) error {
	if r.draining != nil && f.conn == r.cur {
		// The old connection is drained first: the new one's frames wait.
		r.held = append(r.held, f)
		r.heldBytes += len(f.data)
		if r.heldBytes > r.c.heldPeak { // only Run writes it
			r.c.mu.Lock()
			r.c.heldPeak = r.heldBytes
			r.c.mu.Unlock()
		}
		return nil
	}
	if f.err != nil {
		if f.conn == r.draining {
			return r.endDrain() // Twitch answered the close
		}
		return r.lost(f.conn, f.err)
	}
	msg, err := ParseMessage(f.data)
	if err != nil {
		r.c.report(err)
		return nil
	}
	switch msg.Metadata.MessageType {
	case MessageSessionWelcome:
		return r.welcome(f.conn, msg.Session)
	case MessageSessionReconnect:
		return r.reconnect(f.conn, msg.Session)
	case MessageNotification:
		r.notify(msg)
	case MessageRevocation:
		r.revoke(msg.Metadata.MessageID, msg.Revocation)
	}
	return nil
}

// endDrain closes the old connection of a handover, and delivers what the
// new one sent meanwhile, in its order.
func (r *runner) endDrain() error {
	r.draining.close()
	r.draining = nil
	held := r.held
	r.held, r.heldBytes = nil, 0
	for _, h := range held {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		if err := r.handle(h); err != nil {
			return err
		}
	}
	return nil
}

func (r *runner) welcome(cn *conn, s *Session) error {
	if cn.welcomed || (cn != r.cur && cn != r.next) {
		return nil
	}
	cn.welcomed, cn.session = true, *s
	seconds := 10
	if r.c.keepalive != 0 {
		seconds = r.c.keepalive
	}
	if s.KeepaliveTimeoutSeconds != 0 {
		seconds = clampKeepalive(s.KeepaliveTimeoutSeconds)
		cn.timeout = r.timeout(seconds)
	}
	if cn == r.next {
		// The handover is done: the old connection goes only now that the
		// new one is welcomed, and the subscriptions moved with the session.
		// Closing it is a handshake: it is read until Twitch answers (or
		// the deadline passes), and what arrives meanwhile is delivered
		// before the new connection's.
		old := r.cur
		r.cur, r.next = cn, nil
		if old != nil {
			_ = old.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
			old.lastRead.Store(time.Now().UnixNano())
			r.draining, r.drainUntil = old, time.Now().Add(drainSeconds*r.c.second)
		}
		r.c.mu.Lock()
		r.c.session = s.ID
		r.c.mu.Unlock()
		if r.c.shard != nil {
			r.c.shard.handedOver(s.ID) // Twitch moved the shard with the session
		}
		r.c.log.Info("eventsub: reconnected", "session", s.ID)
		if r.c.onReconnected != nil {
			r.c.callback(func() { r.c.onReconnected(*s) })
		}
		return nil
	}
	// A new session: subscriptions of the old one died with it. It proves
	// healthy by lasting its keepalive timeout, the time Twitch gives to
	// subscribe before it closes an unused connection.
	r.healthyAt = time.Now().Add(time.Duration(seconds) * r.c.second)
	r.c.mu.Lock()
	r.c.session = s.ID
	for _, sub := range r.c.subs {
		if sub.state == active || sub.state == creating {
			sub.state = pending
		}
	}
	r.c.mu.Unlock()
	r.ready = false
	r.c.log.Info("eventsub: connected", "session", s.ID)
	if r.c.onConnected != nil {
		r.c.callback(func() { r.c.onConnected(*s) })
	}
	if r.c.shard != nil {
		// A conduit's shard: the new session takes the shard over, within
		// Twitch's 10 seconds of the welcome.
		if err := r.c.shard.assign(r.ctx, s.ID); err != nil {
			if errors.Is(err, errShardGivenUp) || r.ctx.Err() != nil {
				return err
			}
			r.c.report(err)
			return r.lost(cn, err)
		}
	}
	return r.subscribeAll()
}

// subscribeAll creates every pending subscription on the current session.
// A failure on the way is reported and retried after a backoff. A refusal
// is not retried: on the first session it is gathered for Run, which
// returns them all once every subscription has been tried; later it is
// reported. Then OnReady follows, once every subscription is active. A
// subscription unsubscribed from while it was created is deleted.
func (r *runner) subscribeAll() error {
	c := r.c
	c.mu.Lock()
	session := c.session
	var todo []*subscription
	tries := map[*subscription]int{}
	for _, s := range c.subs {
		if s.state == pending && session != "" {
			s.state = creating
			s.try++
			todo = append(todo, s)
			tries[s] = s.try
		}
	}
	c.mu.Unlock()
	slices.SortFunc(todo, func(a, b *subscription) int { return strings.Compare(a.key, b.key) })
	retry := false
	for _, s := range todo {
		if r.ctx.Err() != nil {
			break
		}
		created, err := c.create(r.ctx, s, session)
		var se *SubscriptionError
		refused := errors.As(err, &se) && se.permanent()
		c.mu.Lock()
		current := c.subs[s.key] == s && s.try == tries[s]
		orphan := err == nil && c.subs[s.key] != s && c.session == session
		switch {
		case !current:
			// Unsubscribed meanwhile, or taken over by a new session.
		case err == nil:
			s.state, s.created = active, *created
		case refused:
			s.state, s.err = failed, err
		default:
			s.state = pending
		}
		c.mu.Unlock()
		switch {
		case orphan:
			if err := c.deleteOrphan(r.ctx, s, created); err != nil && r.ctx.Err() == nil {
				c.report(err)
			}
		case !current || err == nil:
		case refused && !r.started:
			r.refused = append(r.refused, err)
		default:
			c.report(err)
			retry = retry || !refused
		}
	}
	if retry && r.ctx.Err() == nil {
		r.retry.Reset(c.minBackoff * 4)
	}
	if !r.started && len(r.refused) > 0 {
		return errors.Join(r.refused...)
	}
	return r.readyIfDone()
}

// readyIfDone calls OnReady once a session has every subscription that is
// still wanted active; the first time, the client has started.
func (r *runner) readyIfDone() error {
	c := r.c
	c.mu.Lock()
	done := c.session != ""
	for _, s := range c.subs {
		done = done && s.state != pending
	}
	c.mu.Unlock()
	if !done || r.ready {
		return nil
	}
	r.started, r.ready = true, true
	c.log.Info("eventsub: ready")
	if c.onReady != nil {
		c.callback(c.onReady)
	}
	return nil
}

// reconnect follows a session_reconnect: dial the new URL on a goroutine
// of its own, and keep reading the old connection until the new one is
// welcomed. A URL the client does not trust ends the connection instead.
func (r *runner) reconnect(cn *conn, s *Session) error {
	if cn != r.cur || r.next != nil || r.dialing || s == nil || s.ReconnectURL == "" {
		return nil
	}
	if err := r.c.checkReconnectURL(s.ReconnectURL); err != nil {
		r.c.report(err)
		return r.lost(cn, err)
	}
	if !r.c.track() {
		return nil // closed
	}
	r.dialing = true
	go func(u string) {
		defer r.c.goroutines.Done()
		ws, err := r.c.dialWebSocket(r.ctx, u)
		select {
		case r.dialed <- dialResult{ws: ws, err: err}:
		case <-r.ctx.Done():
			if ws != nil {
				closeSocket(ws)
			}
		}
	}(s.ReconnectURL)
	return nil
}

// dialDone takes the outcome of the reconnect URL's dial. If the current
// connection was lost meanwhile, the new one still carries the session.
func (r *runner) dialDone(d dialResult) error {
	r.dialing = false
	if d.err != nil {
		if r.ctx.Err() == nil {
			// Twitch closes the old connection soon; the loss reconnects then.
			r.c.report(fmt.Errorf("eventsub: dial the reconnect URL: %w", d.err))
		}
		return nil
	}
	cn, err := r.open(d.ws)
	if err != nil {
		return err
	}
	r.next = cn
	return nil
}

// checkReconnectURL says why a session_reconnect's URL is not followed:
// it must be wss://, or have the scheme and host of the client's own URL
// (ws:// on a fake, or the Twitch CLI). The error names the scheme and
// host, not the path and query, which may hold the session's secret.
func (c *Client) checkReconnectURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%w: its reconnect_url is not a URL with a host", ErrUntrustedReconnectURL)
	}
	if u.Scheme == "wss" {
		return nil
	}
	own, err := url.Parse(c.url)
	if err == nil && u.Scheme == own.Scheme && strings.EqualFold(u.Host, own.Host) {
		return nil
	}
	return fmt.Errorf("%w to %s://%s: neither wss:// nor the client's own %s://%s", ErrUntrustedReconnectURL, u.Scheme, u.Host, own.Scheme, own.Host)
}

// notify delivers a notification, unless Twitch's rules say to drop it:
// a repeat is dropped quietly, anything else dropped is reported.
func (r *runner) notify(msg *Message) {
	md := msg.Metadata
	now := r.c.now()
	reason := ""
	switch {
	case md.MessageID == "":
		reason = "no message_id"
	case md.MessageTimestamp.IsZero():
		reason = "no message_timestamp"
	case now.Sub(md.MessageTimestamp) > maxMessageAge:
		reason = "older than 10 minutes"
	}
	n := msg.Notification
	if reason != "" {
		r.c.report(&DroppedNotificationError{Type: n.Subscription.Type, Version: n.Subscription.Version,
			MessageID: md.MessageID, Timestamp: md.MessageTimestamp, Reason: reason})
		return
	}
	if r.c.shard != nil {
		r.c.shard.deliver(r.ctx, n, md.MessageID, now) // the conduit's dedup and handlers
		return
	}
	if r.seen.repeat(md.MessageID, now) {
		return
	}
	r.c.callback(func() {
		r.c.dispatch(r.ctx, n, func(v any, stack []byte) {
			r.c.report(&HandlerPanicError{Type: n.Subscription.Type, Version: n.Subscription.Version, Value: v, Stack: stack})
		}, r.c.isClosed)
	})
}

func (r *runner) revoke(id string, sub *helix.EventSubSubscription) {
	if sub == nil {
		return
	}
	if r.c.shard != nil {
		r.c.shard.revoked(id, *sub) // a subscription of the conduit's
		return
	}
	r.c.mu.Lock()
	for key, s := range r.c.subs {
		if s.state == active && s.created.ID == sub.ID {
			delete(r.c.subs, key)
		}
	}
	r.c.mu.Unlock()
	r.c.log.Info("eventsub: subscription revoked", "id", sub.ID, "type", sub.Type, "reason", sub.Status)
	if r.c.onRevoked != nil {
		r.c.callback(func() { r.c.onRevoked(*sub) })
	}
}

// lost handles the end of a connection.
func (r *runner) lost(cn *conn, err error) error {
	switch cn {
	case r.next:
		cn.close()
		r.next = nil
		r.c.report(fmt.Errorf("eventsub: the reconnect URL's connection failed: %w", err))
		return nil
	case r.cur:
	default:
		return nil // an old connection, closed by us
	}
	cn.close()
	r.cur = nil
	if r.draining != nil {
		// Both connections are gone: deliver what the new one had brought.
		r.draining.close()
		r.draining = nil
		held := r.held
		r.held, r.heldBytes = nil, 0
		for _, h := range held {
			if h.err == nil {
				_ = r.handle(h)
			}
		}
	}
	if !r.healthyAt.IsZero() && !time.Now().Before(r.healthyAt) {
		r.attempt = 0 // the session was healthy: reconnect at once
	}
	r.healthyAt = time.Time{}
	var ce *websocket.CloseError
	reason := err
	switch {
	case errors.Is(err, ErrUntrustedReconnectURL), errors.Is(err, ErrKeepaliveTimeout), errors.Is(err, errShardUnassigned):
	case errors.Is(err, websocket.ErrReadLimit):
		reason = fmt.Errorf("%w: over %d bytes; closed with 1009", ErrMessageTooLarge, maxMessageSize)
	case errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure:
		reason = &CloseError{Code: ce.Code, Text: ce.Text}
	default:
		// No close frame (gorilla calls that 1006): the network failed.
		ce = nil
		reason = fmt.Errorf("eventsub: connection lost: %w", err)
	}
	if r.c.shard != nil {
		r.c.shard.disconnected()
	}
	r.c.log.Warn("eventsub: disconnected", "reason", reason)
	if r.c.onDisconnected != nil {
		r.c.callback(func() { r.c.onDisconnected(reason) })
	}
	r.c.mu.Lock()
	r.c.session = ""
	wanted := 0
	for _, s := range r.c.subs {
		if s.state != failed {
			wanted++
		}
	}
	r.c.mu.Unlock()
	if ce != nil && ce.Code == 4003 {
		r.unused++
		if r.c.shard == nil && (wanted == 0 || r.unused >= 3) {
			return reason // nothing would make the next connection used
		}
	} else {
		r.unused = 0
	}
	return nil
}

// checkWatchdog takes a connection that has been silent too long for
// dead, and ends a drain that has passed its deadline.
func (r *runner) checkWatchdog() error {
	now := time.Now()
	silent := func(cn *conn) bool {
		return cn != nil && !cn.handing.Load() && now.Sub(time.Unix(0, cn.lastRead.Load())) > cn.timeout
	}
	if cn := r.draining; cn != nil && (silent(cn) || now.After(r.drainUntil)) {
		// Twitch never answered the close: stop waiting for it.
		r.c.log.Warn("eventsub: the old connection did not answer the close in time; closed it", "within", drainSeconds*r.c.second)
		if err := r.endDrain(); err != nil {
			return err
		}
	}
	for _, cn := range []*conn{r.next, r.cur} {
		if silent(cn) {
			if err := r.lost(cn, ErrKeepaliveTimeout); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *runner) closeAll() {
	for _, cn := range []*conn{r.cur, r.next, r.draining} {
		if cn != nil {
			cn.close()
		}
	}
	r.cur, r.next, r.draining = nil, nil, nil
}

// close ends the connection with a normal close frame, and its reader.
func (cn *conn) close() {
	cn.once.Do(func() {
		close(cn.quit)
		closeSocket(cn.ws)
		cn.c.mu.Lock()
		delete(cn.c.sockets, cn.ws)
		cn.c.mu.Unlock()
	})
}

// closeSocket sends a normal close frame and closes ws. It may be called
// from any goroutine, and more than once.
func closeSocket(ws *websocket.Conn) {
	_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	_ = ws.Close()
}
