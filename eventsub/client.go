package eventsub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/internal/goid"
	ijson "github.com/twitchify-go/twitch/internal/json"
)

// DefaultBaseURL is Twitch's EventSub WebSocket.
const DefaultBaseURL = "wss://eventsub.wss.twitch.tv/ws"

// Twitch's limits on the messages a client must accept.
const (
	maxMessageAge = 10 * time.Minute // older notifications are dropped
	dedupWindow   = 10 * time.Minute // message IDs are remembered this long
	dedupMax      = 100_000          // ... and at most this many
)

// The limits a peer, Twitch or not, cannot make the client pass. They are
// chosen from Twitch's documented limits; none is an option, since none
// is a trade-off a user would make differently.
const (
	// maxMessageSize is the most a frame may hold. The largest EventSub
	// message Twitch documents is a batch of drop.entitlement.grant
	// events, at most 250 KB (and that type is for webhooks only); a
	// WebSocket notification is a few KB (a chat message is at most 500
	// characters). Twice the largest leaves room for what Twitch adds;
	// gorilla refuses a longer frame from its header, before reading its
	// payload, and closes with 1009.
	maxMessageSize = 512 << 10

	// drainSeconds bounds, in keepalive seconds, how long the old
	// connection of a handover is read after the client's close: Twitch
	// answers a close right after the frames already on their way, in
	// about a round trip, so 5 seconds is generous, and it is half of the
	// shortest keepalive timeout Twitch allows (10 s), the least it lets a
	// connection go unheard. Then the old connection is closed, and what
	// the new one brought meanwhile is delivered.
	drainSeconds = 5

	// maxHeldBytes caps the frames of the new connection held while the
	// old one drains (about a thousand notifications). At the cap, the new
	// connection is no longer read until the drain ends: its frames wait
	// in the socket and at Twitch (TCP's flow control), so nothing is
	// lost that Twitch does not resend, and the wait is bounded by the
	// drain's deadline.
	maxHeldBytes = 1 << 20

	// Twitch's range for keepalive_timeout_seconds. A welcome outside it
	// is clamped to it: a huge value would overflow into a negative
	// timeout, a tiny one drop a live connection.
	minKeepalive = 10
	maxKeepalive = 600
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
// On a session_reconnect the Client dials the new URL, while the old
// connection goes on delivering, waits for its welcome and only then
// closes the old connection, delivering what still arrives on it (for at
// most 5 seconds) before what the new one brings; subscriptions move with
// the session. It follows only a wss:// URL, or one with the scheme and
// host of its own URL (a fake, the Twitch CLI); another is reported
// (ErrUntrustedReconnectURL) and treated as a lost connection. On any
// other loss (a close code, a network error, a frame over 512 KiB, or no
// message within the keepalive timeout) it reconnects with jittered
// exponential backoff and creates every subscription again, since
// WebSocket subscriptions die with their session. The backoff starts over
// only after a session has lasted its keepalive timeout (Twitch's time to
// subscribe), so a server that welcomes and then closes is not dialed in a
// loop. Messages are delivered once: IDs are remembered for 10 minutes; a
// notification without an ID or a timestamp, or older than 10 minutes, is
// dropped and reported (*DroppedNotificationError).
type Client struct {
	Dispatcher

	config // what the options set

	helix *helix.Client
	err   error // what New found wrong with its arguments; Run and Subscribe return it

	// now is the clock that judges a message's age: tests move it.
	now func() time.Time

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
	// runG is the ID of Run's goroutine, where handlers and callbacks run:
	// a Close called there cannot wait for Run.
	runG    uint64
	sockets map[*websocket.Conn]struct{} // the open connections, for such a Close
	// heldPeak is the most bytes held from a new connection while an old
	// one drained, for tests.
	heldPeak int

	// goroutines are the goroutines of Run: one reader per connection,
	// and the dial of a reconnect URL. Add only through track.
	goroutines sync.WaitGroup

	// shard is set when the Client runs a shard of a Conduit: a new
	// session is assigned to the shard, and notifications go to the
	// Conduit.
	shard *conduitShard
}

// New returns a Client that subscribes through h, which must carry a user
// access token (Twitch requires one for WebSocket subscriptions). A
// problem with h or an option (a nil h, a base URL that is not a
// WebSocket URL, a keepalive or backoff out of range) is returned by Run
// and Subscribe.
func New(h *helix.Client, opts ...Option) *Client {
	c := &Client{
		config:  newConfig(opts),
		helix:   h,
		now:     time.Now,
		subs:    map[string]*subscription{},
		sockets: map[*websocket.Conn]struct{}{},
	}
	errs := c.refused(kindClient)
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
	body, err := ijson.Marshal(cond)
	if err != nil {
		return nil, info, fmt.Errorf("eventsub: subscribe to %s version %s: encode the condition: %w", info.Type, info.Version, err)
	}
	prefix := info.Type + " " + info.Version + " "
	return &subscription{cond: cond, entry: e, key: prefix + string(body), bodyAt: len(prefix)}, info, nil
}

// check finds what Twitch would refuse in a subscription before anything
// is sent: a type it does not deliver by transport t, a required
// condition field left empty. It knows only the types of the schema.
func (s *subscription) check(info TypeInfo, t TransportMethod) error {
	invalid := func(field, reason string) error {
		return &InvalidSubscriptionError{Type: info.Type, Version: info.Version, Field: field, Reason: reason}
	}
	if info.Type == "" || info.Version == "" {
		return invalid("", "the condition's TypeInfo names no type or version")
	}
	if s.entry == nil {
		return nil
	}
	if !slices.Contains(info.Transports, t) {
		not := "over a WebSocket"
		switch t {
		case TransportWebhook:
			not = "to a webhook"
		case TransportConduit:
			not = "to a conduit"
		}
		return invalid("", fmt.Sprintf("Twitch delivers it by %s only, not %s", transportList(info.Transports), not))
	}
	var fields map[string]json.RawMessage
	if err := ijson.Unmarshal(s.body(), &fields); err != nil {
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
	if err := s.check(info, TransportWebSocket); err != nil {
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
	switch {
	case c.subs[s.key] != s:
		// Unsubscribed meanwhile: created anyway, it must go.
		orphan := err == nil && c.session == session
		c.mu.Unlock()
		if orphan {
			return c.deleteOrphan(ctx, s, created)
		}
		return nil
	case s.try != try:
		c.mu.Unlock()
		return nil // taken over by a new session meanwhile
	case c.session != session:
		s.state = pending // the session ended meanwhile: the next one creates it
		c.mu.Unlock()
		return nil
	case err != nil:
		s.state, s.err = failed, err
		c.mu.Unlock()
		return err
	}
	s.state, s.created = active, *created
	c.mu.Unlock()
	return nil
}

// deleteOrphan deletes at Twitch a subscription whose creation was on its
// way when it was unsubscribed from: without it, it would stay there,
// unwanted, counting against the limits.
func (c *Client) deleteOrphan(ctx context.Context, s *subscription, created *helix.EventSubSubscription) error {
	err := c.helix.DeleteEventSubSubscription(ctx, &helix.DeleteEventSubSubscriptionParams{ID: created.ID})
	if err != nil {
		typ, version := s.typeAndVersion()
		return fmt.Errorf("eventsub: delete %s version %s, unsubscribed while it was created: %w", typ, version, err)
	}
	return nil
}

// Unsubscribe stops the notifications cond selects, deleting the
// subscription at Twitch when it is active. When its creation is on its
// way, it is deleted as soon as it is created: by Subscribe, which returns
// what the deletion did, or by Run, which reports a failure to OnError.
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
	c.running, c.runG = true, goid.Current()
	ctx, cancel := context.WithCancel(ctx)
	c.cancel, c.done = cancel, make(chan struct{})
	c.mu.Unlock()

	defer close(c.done)
	defer c.goroutines.Wait()
	defer cancel()
	r := &runner{c: c, ctx: ctx, dialed: make(chan dialResult), seen: newDedup(dedupWindow, dedupMax)}
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

// Close stops Run and returns when every goroutine of the client has
// ended and Run has returned. It may be called from anywhere, a handler or
// callback included: Run's goroutine is then Close's caller and cannot be
// waited for, so Close closes the connections, waits for the client's own
// goroutines and returns, and Run returns ErrClosed as soon as that
// handler or callback does, calling nothing more.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	cancel, done := c.cancel, c.done
	inside := cancel != nil && !c.ended && c.runG != 0 && goid.Current() == c.runG
	var sockets []*websocket.Conn
	if inside {
		for ws := range c.sockets {
			sockets = append(sockets, ws)
		}
	}
	c.mu.Unlock()
	if cancel == nil {
		return nil // Run has not started
	}
	cancel()
	if !inside {
		<-done
		return nil
	}
	for _, ws := range sockets {
		closeSocket(ws) // their readers end
	}
	c.goroutines.Wait() // Run, being here, adds none meanwhile
	return nil
}

// callback runs f, a handler or callback of the user's, unless the client
// is closed: after Close, nothing more is called.
func (c *Client) callback(f func()) {
	if !c.isClosed() {
		f()
	}
}

// isClosed reports whether Close was called.
func (c *Client) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// track counts in one more goroutine of Run's, unless the client is
// closed.
func (c *Client) track() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.goroutines.Add(1)
	return true
}

func (c *Client) report(err error) {
	c.log.Warn("eventsub", "err", err)
	if c.onError != nil {
		c.callback(func() { c.onError(err) })
	}
}
