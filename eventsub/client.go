package eventsub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/twitchify-go/twitch/helix"
)

// DefaultURL is Twitch's EventSub WebSocket.
const DefaultURL = "wss://eventsub.wss.twitch.tv/ws"

// Twitch's limits on the messages a client must accept.
const (
	maxMessageAge = 10 * time.Minute // older notifications are dropped
	dedupWindow   = 10 * time.Minute // message IDs are remembered this long
	dedupMax      = 100_000          // ... and at most this many
)

// Client receives EventSub notifications over a WebSocket and keeps its
// subscriptions alive across reconnects. Register handlers with the
// embedded Dispatcher's On<Type> methods, subscribe with Subscribe, then
// call Run:
//
//	c, err := eventsub.NewClient(helixClient)
//	c.OnChannelFollow(func(ctx context.Context, e *eventsub.ChannelFollowEvent) { ... })
//	c.Subscribe(ctx, &eventsub.ChannelFollowCondition{BroadcasterUserID: id, ModeratorUserID: id})
//	err = c.Run(ctx)
//
// Handlers run one at a time on Run's goroutine, in the order notifications
// arrive, so a slow handler delays the next; to handle events concurrently,
// start a goroutine in the handler (and bound how many you start). A
// handler that panics is recovered and reported through Hooks.Error.
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

	helix      *helix.Client
	url        string
	keepalive  int // seconds; 0 lets Twitch choose
	minBackoff time.Duration
	maxBackoff time.Duration
	hooks      Hooks
	log        *slog.Logger
	dialer     *websocket.Dialer

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
	closed       bool
	cancel       context.CancelFunc
	done         chan struct{} // closed when Run has returned

	readers sync.WaitGroup // one goroutine per connection
}

// Hooks are what a bot may want to hear about. Each is optional and runs on
// Run's goroutine, so it should return quickly.
type Hooks struct {
	// Connected: a new session was welcomed (the first, or after a loss).
	Connected func(Session)
	// Ready: a new session is welcomed and every subscription has been
	// created on it (those Twitch refused went to Error).
	Ready func()
	// Disconnected: the connection was lost, and why: a *CloseError, a
	// network error, or ErrKeepaliveTimeout. A reconnect follows.
	Disconnected func(reason error)
	// Reconnected: a session_reconnect handover finished; the session and
	// its subscriptions now live on the new connection.
	Reconnected func(Session)
	// Revoked: Twitch ended a subscription; its Status says why
	// (authorization_revoked, user_removed, version_removed, ...). It is
	// not created again.
	Revoked func(helix.EventSubSubscription)
	// Error: something that did not stop the client: a subscription Twitch
	// refused (*SubscriptionError), a handler's panic (*HandlerPanicError),
	// a frame that did not decode, a failed dial.
	Error func(error)
}

// Option configures a Client.
type Option func(*Client)

// WithURL connects to url instead of DefaultURL (a fake, in tests).
func WithURL(url string) Option { return func(c *Client) { c.url = url } }

// WithKeepalive asks Twitch for a keepalive timeout, 10 to 600 seconds;
// without it Twitch picks one.
func WithKeepalive(seconds int) Option { return func(c *Client) { c.keepalive = seconds } }

// WithBackoff sets the first and the longest wait between reconnect
// attempts (by default 500 ms and 2 minutes); each wait is jittered.
func WithBackoff(first, longest time.Duration) Option {
	return func(c *Client) { c.minBackoff, c.maxBackoff = first, longest }
}

// WithHooks sets the lifecycle hooks.
func WithHooks(h Hooks) Option { return func(c *Client) { c.hooks = h } }

// WithLogger logs the client's work to l; by default it logs nothing.
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// WithDialer dials with d instead of websocket.DefaultDialer.
func WithDialer(d *websocket.Dialer) Option { return func(c *Client) { c.dialer = d } }

// NewClient returns a Client that subscribes through h, which must carry a
// user access token (Twitch requires one for WebSocket subscriptions).
func NewClient(h *helix.Client, opts ...Option) (*Client, error) {
	c := &Client{
		helix:      h,
		url:        DefaultURL,
		minBackoff: 500 * time.Millisecond,
		maxBackoff: 2 * time.Minute,
		log:        slog.New(slog.DiscardHandler),
		dialer:     websocket.DefaultDialer,
		second:     time.Second,
		now:        time.Now,
		subs:       map[string]*subscription{},
	}
	for _, opt := range opts {
		opt(c)
	}
	switch u, err := url.Parse(c.url); {
	case h == nil:
		return nil, errors.New("eventsub: NewClient needs a helix.Client to subscribe with")
	case err != nil || (u.Scheme != "ws" && u.Scheme != "wss"):
		return nil, fmt.Errorf("eventsub: %q is not a WebSocket URL (ws:// or wss://)", c.url)
	case c.keepalive != 0 && (c.keepalive < 10 || c.keepalive > 600):
		return nil, fmt.Errorf("eventsub: keepalive timeout %d s is outside Twitch's 10 to 600 s", c.keepalive)
	case c.minBackoff <= 0 || c.maxBackoff < c.minBackoff:
		return nil, fmt.Errorf("eventsub: backoff %v to %v is not a range", c.minBackoff, c.maxBackoff)
	}
	return c, nil
}

// subscription is one subscription the user asked for, and how it stands
// on the current session.
type subscription struct {
	cond    Condition
	key     string
	state   subState
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

// subscriptionKey identifies a subscription by type, version and condition.
func subscriptionKey(cond Condition) (string, []byte, error) {
	info := cond.TypeInfo()
	body, err := json.Marshal(cond)
	if err != nil {
		return "", nil, fmt.Errorf("eventsub: encode the condition of %s version %s: %w", info.Type, info.Version, err)
	}
	return info.Type + " " + info.Version + " " + string(body), body, nil
}

// Subscribe asks for the notifications cond selects. While a session is
// ready it creates the subscription at once and returns Twitch's answer: a
// *SubscriptionError (errors.Is ErrMissingScope or ErrSubscriptionLimit)
// when refused. Otherwise it returns nil and the subscription is created
// as soon as a session is welcomed; a refusal then goes to Hooks.Error.
// Subscribing again to what is already wanted does nothing.
func (c *Client) Subscribe(ctx context.Context, cond Condition) error {
	key, body, err := subscriptionKey(cond)
	if err != nil {
		return err
	}
	c.mu.Lock()
	if s, ok := c.subs[key]; ok && s.state != failed {
		c.mu.Unlock()
		return nil
	}
	s := &subscription{cond: cond, key: key}
	c.subs[key] = s
	session := c.session
	if session == "" {
		c.mu.Unlock()
		return nil
	}
	s.state = creating
	c.mu.Unlock()

	created, err := c.create(ctx, cond, body, session)
	c.finish(s, session, created, err)
	return err
}

// Unsubscribe stops the notifications cond selects, deleting the
// subscription at Twitch when it is active.
func (c *Client) Unsubscribe(ctx context.Context, cond Condition) error {
	key, _, err := subscriptionKey(cond)
	if err != nil {
		return err
	}
	c.mu.Lock()
	s, ok := c.subs[key]
	delete(c.subs, key)
	c.mu.Unlock()
	if !ok || s.state != active {
		return nil
	}
	return c.helix.DeleteEventSubSubscription(ctx, &helix.DeleteEventSubSubscriptionParams{ID: s.created.ID})
}

// create makes the subscription on session through Helix.
func (c *Client) create(ctx context.Context, cond Condition, body []byte, session string) (*helix.EventSubSubscription, error) {
	info := cond.TypeInfo()
	res, err := c.helix.CreateEventSubSubscription(ctx, &helix.CreateEventSubSubscriptionParams{
		Type:      info.Type,
		Version:   info.Version,
		Condition: body,
		Transport: helix.EventSubTransportParams{Method: helix.EventSubTransportMethodWebSocket, SessionID: session},
	})
	if err != nil {
		return nil, &SubscriptionError{Type: info.Type, Version: info.Version, Err: err}
	}
	if len(res.Data) == 0 {
		return nil, &SubscriptionError{Type: info.Type, Version: info.Version, Err: errors.New("Twitch answered without the subscription")}
	}
	c.mu.Lock()
	c.totalCost, c.maxTotalCost = res.TotalCost, res.MaxTotalCost
	c.mu.Unlock()
	return &res.Data[0], nil
}

// finish records how creating s on session went.
func (c *Client) finish(s *subscription, session string, created *helix.EventSubSubscription, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.subs[s.key] != s {
		return // unsubscribed meanwhile
	}
	var se *SubscriptionError
	switch {
	case c.session != session:
		s.state = pending // the session ended meanwhile: the next one creates it
	case err == nil:
		s.state, s.created = active, *created
	case errors.As(err, &se) && se.permanent():
		s.state, s.err = failed, err
	default:
		s.state = pending // a failure on the way: retried
	}
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
	// Err is why Twitch refused it, for good; nil while it is active or
	// waiting for a session.
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
// reconnecting as needed. It returns ctx's error, ErrClosed, or a fatal
// error: Twitch closing with 4003 (connection unused) when there is nothing
// to subscribe to, or three times in a row. Run may be called once.
func (c *Client) Run(ctx context.Context) error {
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
	if c.hooks.Error != nil {
		c.hooks.Error(err)
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
			r.subscribeAll()
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
	ws, _, err := r.c.dialer.DialContext(r.ctx, u, nil)
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
		r.welcome(f.conn, msg.Session)
	case MessageSessionReconnect:
		r.reconnect(f.conn, msg.Session)
	case MessageNotification:
		r.notify(msg)
	case MessageRevocation:
		r.revoke(msg.Revocation)
	}
	return nil
}

func (r *runner) welcome(cn *conn, s *Session) {
	if cn.welcomed || (cn != r.cur && cn != r.next) {
		return
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
		if r.c.hooks.Reconnected != nil {
			r.c.hooks.Reconnected(*s)
		}
		return
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
	r.c.log.Info("eventsub: connected", "session", s.ID)
	if r.c.hooks.Connected != nil {
		r.c.hooks.Connected(*s)
	}
	r.subscribeAll()
	if r.c.hooks.Ready != nil {
		r.c.hooks.Ready()
	}
}

// subscribeAll creates every pending subscription on the current session,
// reporting refusals; failures on the way are retried after a backoff.
func (r *runner) subscribeAll() {
	c := r.c
	c.mu.Lock()
	session := c.session
	var todo []*subscription
	for _, s := range c.subs {
		if s.state == pending {
			s.state = creating
			todo = append(todo, s)
		}
	}
	c.mu.Unlock()
	slices.SortFunc(todo, func(a, b *subscription) int { return strings.Compare(a.key, b.key) })
	retry := false
	for _, s := range todo {
		_, body, err := subscriptionKey(s.cond)
		var created *helix.EventSubSubscription
		if err == nil {
			created, err = c.create(r.ctx, s.cond, body, session)
		}
		c.finish(s, session, created, err)
		if err != nil {
			c.report(err)
			var se *SubscriptionError
			retry = retry || !(errors.As(err, &se) && se.permanent())
		}
	}
	if retry && r.ctx.Err() == nil {
		r.retry.Reset(c.minBackoff * 4)
	}
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
	if r.c.hooks.Revoked != nil {
		r.c.hooks.Revoked(*sub)
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
	if r.c.hooks.Disconnected != nil {
		r.c.hooks.Disconnected(reason)
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
