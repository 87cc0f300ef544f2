package eventsub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/twitchify-go/twitch/helix"
)

// DefaultBaseURL is Twitch's EventSub WebSocket.
const DefaultBaseURL = "wss://eventsub.wss.twitch.tv/ws"

// Twitch's limits on the messages a client must accept.
const (
	maxMessageAge = 10 * time.Minute // older notifications are dropped
	dedupWindow   = 10 * time.Minute // message IDs are remembered this long
	dedupMax      = 100_000          // ... and at most this many
)

// defaultDialTimeout bounds the opening of a connection: the TCP dial, TLS
// and the WebSocket handshake.
const defaultDialTimeout = 10 * time.Second

// Client receives EventSub notifications over a WebSocket and keeps its
// subscriptions alive across reconnects. Register handlers with the
// embedded Dispatcher's On<Type> methods, subscribe with Subscribe, then
// call Run:
//
//	c := eventsub.New(helixClient, eventsub.OnError(func(err error) { log.Print(err) }))
//	c.OnChannelFollow(func(ctx context.Context, e *eventsub.ChannelFollowEvent) { ... })
//	err := c.Subscribe(ctx, &eventsub.ChannelFollowCondition{BroadcasterUserID: id, ModeratorUserID: id})
//	err = c.Run(ctx)
//
// Subscribe checks a condition before anything is sent. The subscriptions
// asked for before Run are created once the first session is welcomed; if
// Twitch refuses any of them, Run returns every refusal. Once Run has
// started, Subscribe returns Twitch's answer.
//
// Handlers run one at a time on Run's goroutine, in the order notifications
// arrive, so a slow handler delays the next; to handle events concurrently,
// start a goroutine in the handler (and bound how many you start). A
// handler that panics is recovered and reported to OnError.
//
// On a session_reconnect the Client dials the new URL, waits for its
// welcome and only then closes the old connection, delivering what still
// arrives on the old one; subscriptions move with the session. On any other
// loss (a close code, a network error, or no message within the keepalive
// timeout) it reconnects with jittered exponential backoff and creates
// every subscription again, since WebSocket subscriptions die with their
// session. Messages are delivered once: IDs are remembered for 10 minutes,
// and notifications older than that are dropped.
type Client struct {
	Dispatcher

	helix       *helix.Client
	err         error // what New found wrong with its arguments; Run and Subscribe return it
	url         string
	keepalive   int // seconds; 0 lets Twitch choose
	minBackoff  time.Duration
	maxBackoff  time.Duration
	log         *slog.Logger
	dialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	dialTimeout time.Duration

	onConnected    func(Session)
	onReady        func()
	onDisconnected func(error)
	onReconnected  func(Session)
	onRevoked      func(helix.EventSubSubscription)
	onError        func(error)

	// second is how long a keepalive second lasts, and now the clock that
	// judges a message's age: tests shorten the one and move the other.
	second time.Duration
	now    func() time.Time

	mu           sync.Mutex
	subs         map[string]*subscription // what the user subscribed to, by subscriptionKey
	session      string                   // the session subscriptions are made on; "" while there is none
	totalCost    int
	maxTotalCost int
	running      bool
	ended        bool // Run has returned
	closed       bool
	cancel       context.CancelFunc
	done         chan struct{} // closed when Run has returned

	readers sync.WaitGroup // one goroutine per connection
}

// New returns a Client that subscribes through h, which must carry a user
// access token (Twitch requires one for WebSocket subscriptions). A
// problem with h or an option (a nil h, a base URL that is not a
// WebSocket URL, a keepalive or backoff out of range) is returned by Run
// and Subscribe.
func New(h *helix.Client, opts ...Option) *Client {
	c := &Client{
		helix:       h,
		url:         DefaultBaseURL,
		minBackoff:  500 * time.Millisecond,
		maxBackoff:  2 * time.Minute,
		log:         slog.New(slog.DiscardHandler),
		dialTimeout: defaultDialTimeout,
		second:      time.Second,
		now:         time.Now,
		subs:        map[string]*subscription{},
	}
	for _, opt := range opts {
		if opt != nil {
			opt(c)
		}
	}
	var errs []error
	if h == nil {
		errs = append(errs, errors.New("eventsub: New: the *helix.Client to subscribe with is nil"))
	}
	if u, err := url.Parse(c.url); err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		errs = append(errs, fmt.Errorf("eventsub: WithBaseURL(%q): not a WebSocket URL (ws:// or wss://)", c.url))
	}
	if c.keepalive != 0 && (c.keepalive < 10 || c.keepalive > 600) {
		errs = append(errs, fmt.Errorf("eventsub: WithKeepalive(%d): Twitch accepts 10 to 600 seconds", c.keepalive))
	}
	if c.minBackoff <= 0 || c.maxBackoff < c.minBackoff {
		errs = append(errs, fmt.Errorf("eventsub: WithBackoff(%v, %v): the first wait must be positive and at most the longest", c.minBackoff, c.maxBackoff))
	}
	c.err = errors.Join(errs...)
	return c
}

// subscription is one subscription the user asked for, and how it stands
// on the current session.
type subscription struct {
	cond    Condition
	entry   *typeEntry // nil for a type the schema does not know
	key     string     // type, version and the condition's JSON
	bodyAt  int        // where the condition's JSON starts in key
	state   subState
	try     int                        // counts creation attempts; an outcome counts only for the latest
	created helix.EventSubSubscription // while active
	err     error                      // while failed
}

type subState int

const (
	pending  subState = iota // to create on the next session, or retry
	creating                 // a create call is out
	active                   // created on the current session
	failed                   // refused for good; not created again
)

// newSubscription returns what a subscription to cond is made of: its
// type's entry, its condition's JSON and its key.
func newSubscription(cond Condition) (*subscription, TypeInfo, error) {
	if cond == nil {
		return nil, TypeInfo{}, errors.New("eventsub: the condition is nil")
	}
	if v := reflect.ValueOf(cond); v.Kind() == reflect.Pointer && v.IsNil() {
		return nil, TypeInfo{}, fmt.Errorf("eventsub: the condition is a nil %T", cond)
	}
	e := entryOf(cond)
	var info TypeInfo
	if e != nil {
		info = e.info // read only
	} else {
		info = cond.TypeInfo()
	}
	body, err := json.Marshal(cond)
	if err != nil {
		return nil, info, fmt.Errorf("eventsub: subscribe to %s version %s: encode the condition: %w", info.Type, info.Version, err)
	}
	prefix := info.Type + " " + info.Version + " "
	return &subscription{cond: cond, entry: e, key: prefix + string(body), bodyAt: len(prefix)}, info, nil
}

// check finds what Twitch would refuse in a subscription before anything
// is sent: a type it does not deliver over a WebSocket, a required
// condition field left empty. It knows only the types of the schema.
func (s *subscription) check(info TypeInfo) error {
	invalid := func(field, reason string) error {
		return &InvalidSubscriptionError{Type: info.Type, Version: info.Version, Field: field, Reason: reason}
	}
	if info.Type == "" || info.Version == "" {
		return invalid("", "the condition's TypeInfo names no type or version")
	}
	if s.entry == nil {
		return nil
	}
	if !slices.Contains(info.Transports, TransportWebSocket) {
		return invalid("", fmt.Sprintf("Twitch delivers it by %s only, not over a WebSocket", transportList(info.Transports)))
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(s.body(), &fields); err != nil {
		return invalid("", fmt.Sprintf("the condition does not encode to a JSON object: %v", err))
	}
	for _, f := range info.ConditionFields {
		if v := fields[f.Name]; f.Required && (len(v) == 0 || string(v) == `""` || string(v) == "null") {
			return invalid(f.Name, "required but not set")
		}
	}
	return nil
}

// transportList names transports for an error: "webhook or conduit".
func transportList(ts []TransportMethod) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = string(t)
	}
	if len(names) == 0 {
		return "no transport"
	}
	return strings.Join(names, " or ")
}

// body returns the condition's JSON.
func (s *subscription) body() []byte { return []byte(s.key[s.bodyAt:]) }

// typeAndVersion names the subscription's type and version.
func (s *subscription) typeAndVersion() (string, string) {
	if s.entry != nil {
		return s.entry.info.Type, s.entry.info.Version
	}
	info := s.cond.TypeInfo()
	return info.Type, info.Version
}

// Subscribe asks for the notifications cond selects. It first checks cond
// as Twitch would: a required condition field left empty, or a type that
// Twitch does not deliver over a WebSocket, is an *InvalidSubscriptionError
// and nothing is sent.
//
// While a session is ready, Subscribe creates the subscription at once and
// returns Twitch's answer: a *SubscriptionError when refused or when the
// request failed; the subscription is then not retried (call Subscribe
// again). Otherwise it returns nil, and the subscription is created as
// soon as a session is welcomed: Run returns the refusals of its first
// session, and OnError hears of those of a later one. Subscribing again to
// what is already wanted does nothing; after Close, or once Run has
// returned, Subscribe returns ErrClosed.
func (c *Client) Subscribe(ctx context.Context, cond Condition) error {
	if c.err != nil {
		return c.err
	}
	s, info, err := newSubscription(cond)
	if err != nil {
		return err
	}
	if err := s.check(info); err != nil {
		return err
	}
	c.mu.Lock()
	if c.closed || c.ended {
		c.mu.Unlock()
		return ErrClosed
	}
	if old, ok := c.subs[s.key]; ok && old.state != failed {
		c.mu.Unlock()
		return nil
	}
	c.subs[s.key] = s
	session := c.session
	if session == "" {
		c.mu.Unlock()
		return nil
	}
	s.state = creating
	s.try++
	try := s.try
	c.mu.Unlock()

	created, err := c.create(ctx, s, session)

	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.subs[s.key] != s || s.try != try:
		return nil // unsubscribed, or taken over by a new session meanwhile
	case c.session != session:
		s.state = pending // the session ended meanwhile: the next one creates it
		return nil
	case err != nil:
		s.state, s.err = failed, err
		return err
	}
	s.state, s.created = active, *created
	return nil
}

// Unsubscribe stops the notifications cond selects, deleting the
// subscription at Twitch when it is active.
func (c *Client) Unsubscribe(ctx context.Context, cond Condition) error {
	if c.err != nil {
		return c.err
	}
	want, _, err := newSubscription(cond)
	if err != nil {
		return err
	}
	c.mu.Lock()
	s, ok := c.subs[want.key]
	delete(c.subs, want.key)
	c.mu.Unlock()
	if !ok || s.state != active {
		return nil
	}
	return c.helix.DeleteEventSubSubscription(ctx, &helix.DeleteEventSubSubscriptionParams{ID: s.created.ID})
}

// create makes s on session through Helix.
func (c *Client) create(ctx context.Context, s *subscription, session string) (*helix.EventSubSubscription, error) {
	typ, version := s.typeAndVersion()
	res, err := c.helix.CreateEventSubSubscription(ctx, &helix.CreateEventSubSubscriptionParams{
		Type:      typ,
		Version:   version,
		Condition: s.body(),
		Transport: helix.EventSubTransportParams{Method: helix.EventSubTransportMethodWebSocket, SessionID: session},
	})
	if err != nil {
		return nil, newSubscriptionError(s, err)
	}
	if len(res.Data) == 0 {
		return nil, newSubscriptionError(s, errors.New("Twitch answered without the subscription"))
	}
	c.mu.Lock()
	c.totalCost, c.maxTotalCost = res.TotalCost, res.MaxTotalCost
	c.mu.Unlock()
	return &res.Data[0], nil
}

// Costs returns the total cost of the subscriptions and the most it may be,
// as Twitch last reported them.
func (c *Client) Costs() (total, max int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.totalCost, c.maxTotalCost
}

// SubscriptionStatus is how one subscription stands.
type SubscriptionStatus struct {
	Condition Condition
	// Active is true when the subscription exists on the current session;
	// Subscription is then Twitch's.
	Active       bool
	Subscription helix.EventSubSubscription
	// Err is why the subscription was given up: Twitch refused it, or
	// Subscribe's request failed. Nil while it is active or waiting for a
	// session.
	Err error
}

// Subscriptions returns how every subscription asked for stands.
func (c *Client) Subscriptions() []SubscriptionStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys := make([]string, 0, len(c.subs))
	for k := range c.subs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]SubscriptionStatus, 0, len(keys))
	for _, k := range keys {
		s := c.subs[k]
		out = append(out, SubscriptionStatus{Condition: s.cond, Active: s.state == active, Subscription: s.created, Err: s.err})
	}
	return out
}

// Run connects and handles messages until ctx ends or Close is called,
// reconnecting as needed. Run may be called once. It returns ctx's error,
// ErrClosed, what New found wrong with its arguments, or a fatal error:
//
//   - the subscriptions Twitch refused on the first session, all of them
//     (errors.Join of *SubscriptionError): Run does not go on with a part
//     of what was asked for;
//   - Twitch closing with 4003 (connection unused) when there is nothing
//     to subscribe to, or three times in a row.
func (c *Client) Run(ctx context.Context) error {
	if c.err != nil {
		return c.err
	}
	c.mu.Lock()
	switch {
	case c.closed:
		c.mu.Unlock()
		return ErrClosed
	case c.running:
		c.mu.Unlock()
		return errors.New("eventsub: Run called twice")
	}
	c.running = true
	ctx, cancel := context.WithCancel(ctx)
	c.cancel, c.done = cancel, make(chan struct{})
	c.mu.Unlock()

	defer close(c.done)
	defer c.readers.Wait()
	defer cancel()
	r := &runner{c: c, ctx: ctx, msgs: make(chan frame, 64), seen: newDedup(dedupWindow, dedupMax)}
	err := r.run()
	c.mu.Lock()
	closed := c.closed
	c.ended, c.session = true, ""
	c.mu.Unlock()
	if closed {
		return ErrClosed
	}
	return err
}

// Close stops Run and returns when every goroutine of the client has ended.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	cancel, done := c.cancel, c.done
	c.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	return nil
}

func (c *Client) report(err error) {
	c.log.Warn("eventsub", "err", err)
	if c.onError != nil {
		c.onError(err)
	}
}

// conn is one WebSocket connection and what Run knows of it.
type conn struct {
	ws       *websocket.Conn
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

// runner is the state of one Run, owned by Run's goroutine.
type runner struct {
	c    *Client
	ctx  context.Context
	msgs chan frame
	cur  *conn // the connection of the session
	next *conn // the connection a session_reconnect moves it to
	// draining is the old connection after a handover: closed by us, read
	// until Twitch's answering close so that nothing on its way is lost.
	// Until then the new connection's frames are held, to keep the order.
	draining *conn
	held     []frame
	attempt  int // reconnect attempts since the last welcome
	unused   int // 4003 closes in a row
	seen     *dedup
	retry    *time.Timer // retries subscriptions that failed on the way
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
		if r.cur == nil && r.next == nil {
			if err := r.connect(); err != nil {
				return err
			}
		}
		select {
		case <-r.ctx.Done():
			return r.ctx.Err()
		case f := <-r.msgs:
			if err := r.handle(f); err != nil {
				return err
			}
		case <-watchdog.C:
			if err := r.checkWatchdog(); err != nil {
				return err
			}
		case <-r.retry.C:
			if err := r.subscribeAll(); err != nil {
				return err
			}
		}
	}
}

// connect dials the base URL, waiting a jittered, growing backoff before
// every attempt after the first, until a connection opens or ctx ends.
func (r *runner) connect() error {
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
		u := r.c.url
		if r.c.keepalive != 0 {
			u += "?keepalive_timeout_seconds=" + strconv.Itoa(r.c.keepalive)
		}
		cn, err := r.dial(u)
		if err == nil {
			r.cur = cn
			return nil
		}
		if r.ctx.Err() != nil {
			return r.ctx.Err()
		}
		r.c.report(fmt.Errorf("eventsub: connect: %w", err))
	}
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

// dial opens a connection and starts its reader. Until the welcome, the
// connection is held to a deadline like any other silence.
func (r *runner) dial(u string) (*conn, error) {
	ws, err := r.c.dialWebSocket(r.ctx, u)
	if err != nil {
		return nil, err
	}
	wait := 10
	if r.c.keepalive != 0 {
		wait = r.c.keepalive
	}
	cn := &conn{ws: ws, timeout: r.timeout(wait)}
	cn.lastRead.Store(time.Now().UnixNano())
	r.c.readers.Add(1)
	go r.read(cn)
	return cn, nil
}

// dialWebSocket opens a WebSocket to u within c.dialTimeout. gorilla's
// dialer bounds the handshake by the context's deadline only; to give up
// as soon as ctx ends, the connection is also made to time out then.
func (c *Client) dialWebSocket(ctx context.Context, u string) (*websocket.Conn, error) {
	dialCtx, cancel := context.WithTimeout(ctx, c.dialTimeout)
	defer cancel()
	netDial := c.dialContext
	if netDial == nil {
		netDial = (&net.Dialer{}).DialContext
	}
	var mu sync.Mutex
	var opened []net.Conn
	d := &websocket.Dialer{
		Proxy: http.ProxyFromEnvironment,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := netDial(ctx, network, addr)
			if err == nil && nc != nil {
				mu.Lock()
				opened = append(opened, nc)
				mu.Unlock()
			}
			return nc, err
		},
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(dialCtx, func() {
		defer close(fired)
		mu.Lock()
		defer mu.Unlock()
		for _, nc := range opened {
			_ = nc.SetDeadline(time.Unix(1, 0)) // in the past: pending I/O fails now
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
	switch {
	case err == nil:
		return ws, nil
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%w (%w)", err, ctx.Err())
	case dialCtx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded):
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

// read hands the connection's frames to Run until the connection ends.
func (r *runner) read(cn *conn) {
	defer r.c.readers.Done()
	for {
		_, data, err := cn.ws.ReadMessage()
		cn.handing.Store(true)
		select {
		case r.msgs <- frame{conn: cn, data: data, err: err}:
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
	switch {
	case r.draining != nil && f.conn == r.draining && f.err != nil:
		// The old connection is done: what the new one sent meanwhile
		// follows now, in its order.
		r.draining.ws.Close()
		r.draining = nil
		held := r.held
		r.held = nil
		for _, h := range held {
			if err := r.handle(h); err != nil {
				return err
			}
		}
		return nil
	case r.draining != nil && f.conn == r.cur:
		r.held = append(r.held, f)
		return nil
	}
	if f.err != nil {
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
		r.reconnect(f.conn, msg.Session)
	case MessageNotification:
		r.notify(msg)
	case MessageRevocation:
		r.revoke(msg.Revocation)
	}
	return nil
}

func (r *runner) welcome(cn *conn, s *Session) error {
	if cn.welcomed || (cn != r.cur && cn != r.next) {
		return nil
	}
	cn.welcomed, cn.session = true, *s
	if s.KeepaliveTimeoutSeconds > 0 {
		cn.timeout = r.timeout(s.KeepaliveTimeoutSeconds)
	}
	r.attempt = 0
	if cn == r.next {
		// The handover is done: the old connection goes only now that the
		// new one is welcomed, and the subscriptions moved with the session.
		// Closing it is a handshake: it is read until Twitch answers, and
		// what arrives meanwhile is delivered before the new connection's.
		old := r.cur
		r.cur, r.next = cn, nil
		if old != nil {
			_ = old.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
			old.lastRead.Store(time.Now().UnixNano())
			r.draining = old
		}
		r.c.mu.Lock()
		r.c.session = s.ID
		r.c.mu.Unlock()
		r.c.log.Info("eventsub: reconnected", "session", s.ID)
		if r.c.onReconnected != nil {
			r.c.onReconnected(*s)
		}
		return nil
	}
	// A new session: subscriptions of the old one died with it.
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
		r.c.onConnected(*s)
	}
	return r.subscribeAll()
}

// subscribeAll creates every pending subscription on the current session.
// A failure on the way is reported and retried after a backoff. A refusal
// is not retried: on the first session it is gathered for Run, which
// returns them all once every subscription has been tried; later it is
// reported. Then OnReady follows, once every subscription is active.
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
		created, err := c.create(r.ctx, s, session)
		var se *SubscriptionError
		refused := errors.As(err, &se) && se.permanent()
		c.mu.Lock()
		current := c.subs[s.key] == s && s.try == tries[s]
		switch {
		case !current:
			// Unsubscribed meanwhile: what became of it does not matter.
		case err == nil:
			s.state, s.created = active, *created
		case refused:
			s.state, s.err = failed, err
		default:
			s.state = pending
		}
		c.mu.Unlock()
		switch {
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
		c.onReady()
	}
	return nil
}

// reconnect follows a session_reconnect: dial the new URL, and keep the old
// connection until the new one is welcomed.
func (r *runner) reconnect(cn *conn, s *Session) {
	if cn != r.cur || r.next != nil || s == nil || s.ReconnectURL == "" {
		return
	}
	next, err := r.dial(s.ReconnectURL)
	if err != nil {
		// Twitch closes the old connection soon; the loss reconnects then.
		r.c.report(fmt.Errorf("eventsub: dial the reconnect URL: %w", err))
		return
	}
	r.next = next
}

func (r *runner) notify(msg *Message) {
	md := msg.Metadata
	now := r.c.now()
	if now.Sub(md.MessageTimestamp) > maxMessageAge {
		r.c.log.Warn("eventsub: dropped a notification older than 10 minutes", "id", md.MessageID, "sent", md.MessageTimestamp)
		return
	}
	if r.seen.repeat(md.MessageID, now) {
		return
	}
	n := msg.Notification
	r.c.dispatch(r.ctx, n, func(v any, stack []byte) {
		r.c.report(&HandlerPanicError{Type: n.Subscription.Type, Version: n.Subscription.Version, Value: v, Stack: stack})
	})
}

func (r *runner) revoke(sub *helix.EventSubSubscription) {
	if sub == nil {
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
		r.c.onRevoked(*sub)
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
		r.held = nil
		for _, h := range held {
			if h.err == nil {
				_ = r.handle(h)
			}
		}
	}
	var ce *websocket.CloseError
	reason := err
	switch {
	case errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure:
		reason = &CloseError{Code: ce.Code, Text: ce.Text}
	case errors.Is(err, ErrKeepaliveTimeout):
	default:
		// No close frame (gorilla calls that 1006): the network failed.
		ce = nil
		reason = fmt.Errorf("eventsub: connection lost: %w", err)
	}
	r.c.log.Warn("eventsub: disconnected", "reason", reason)
	if r.c.onDisconnected != nil {
		r.c.onDisconnected(reason)
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
		if wanted == 0 || r.unused >= 3 {
			return reason // nothing would make the next connection used
		}
	} else {
		r.unused = 0
	}
	return nil
}

// checkWatchdog takes a connection that has been silent too long for dead.
func (r *runner) checkWatchdog() error {
	now := time.Now().UnixNano()
	silent := func(cn *conn) bool {
		return cn != nil && !cn.handing.Load() && time.Duration(now-cn.lastRead.Load()) > cn.timeout
	}
	if cn := r.draining; silent(cn) {
		// Twitch never answered the close: stop waiting for it.
		if err := r.handle(frame{conn: cn, err: ErrKeepaliveTimeout}); err != nil {
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

// close ends the connection with a normal close frame.
func (cn *conn) close() {
	_ = cn.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	_ = cn.ws.Close()
}
