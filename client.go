package twitch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/internal/goid"
	"github.com/twitchify-go/twitch/oauth"
)

// Client is a bot for one Twitch user: it gets and keeps the user's token,
// subscribes to the events its handlers are for, and acts in chat and
// through Helix with the same token. Make it with New, register handlers
// and callbacks, then call Run:
//
//	c := twitch.New(clientID, twitch.WithTokenFile("token.json"), twitch.WithScopes(oauth.ScopeUserWriteChat))
//	c.OnCode(func(code twitch.DeviceCode) { fmt.Println("Open", code.VerificationURI) })
//	c.OnChannelFollow(func(ctx context.Context, e *eventsub.ChannelFollowEvent) {
//		if err := c.SendChatMessage(ctx, e.UserName+" has followed the channel!"); err != nil {
//			log.Print(err)
//		}
//	})
//	err := c.Run(ctx)
//
// The On<Type> methods, one per EventSub subscription type and version,
// register handlers; OnCode, OnAuth, OnReady, OnConnected,
// OnDisconnected, OnReconnected, OnRevoked and OnError register the
// callbacks of the client's own events. Both are registered before Run;
// each callback setter replaces the callback it set before.
//
// Handlers and the EventSub callbacks (OnReady, OnConnected,
// OnDisconnected, OnReconnected, OnRevoked) run one at a time on Run's
// goroutine, and should return quickly; OnCode runs on Run's goroutine
// too. OnAuth runs on the goroutine that got the new token (Run's, or one
// making a Helix call), OnError on the goroutine that saw the error. After
// Close, no callback is called.
//
// A Client is safe for concurrent use. Several Clients may run in one
// process, one per user, sharing an *http.Client (WithHTTPClient); each has
// its own token, token file and Helix rate limit.
type Client struct {
	clientID string
	cfg      config
	err      error // what New found wrong; Run and Subscribe return it

	oauth  *oauth.Client
	tokens *tokenSource
	helix  *helix.Client
	// events is where subscriptions are made and events come from: the
	// EventSub WebSocket (ws), a webhook (hook, WithWebhook) or a conduit
	// (conduit, WithConduit). The last two run handlers on goroutines of
	// their own: handlers are registered on disp, which their
	// notifications go through.
	events  events
	ws      *eventsub.Client
	hook    *eventsub.Webhook
	conduit *eventsub.Conduit
	disp    *eventsub.Dispatcher
	store   *oauth.FileStore // nil without WithTokenFile
	log     *slog.Logger

	// subMu orders Subscribe (read-locked) before Run's decision to do
	// without EventSub when there is nothing to subscribe to (locked).
	subMu    sync.RWMutex
	noEvents bool // Run runs without EventSub

	mu       sync.Mutex
	hooks    hooks
	handlers []*handler // by type and version, in the order of registration
	user     User
	// plainExpiry is when a token without a refresh token expires; zero
	// for a token that is renewed.
	plainExpiry time.Time
	running     bool // Run has started
	ended       bool // Run has returned
	closed      bool
	ready       bool  // OnReady was called
	fatal       error // why Run must stop, set by fail
	cancel      context.CancelFunc
	done        chan struct{} // closed when Run has returned
	// runG is the ID of Run's goroutine, where handlers and the EventSub
	// callbacks run, and callers counts, by goroutine ID, the client's
	// callbacks under way on other goroutines (OnAuth, OnError): a Close
	// called there cannot wait for Run, which may be waiting for them.
	runG       uint64
	callers    map[uint64]int
	lastAuthed *oauth2.Token // the last token handed to OnAuth
	// revalidate asks Run's watcher to validate the token now (after a
	// subscription was revoked for authorization_revoked).
	revalidate chan struct{}
}

// hooks are the user's callbacks.
type hooks struct {
	onCode         func(DeviceCode)
	onAuth         func(*oauth2.Token)
	onReady        func()
	onConnected    func(eventsub.Session)
	onDisconnected func(error)
	onReconnected  func(eventsub.Session)
	onRevoked      func(helix.EventSubSubscription)
	onError        func(error)
	closed         bool
}

// handler is one subscription type some On<Type> methods registered
// handlers for.
type handler struct {
	info    eventsub.TypeInfo
	methods []string // the On<Type> methods that registered it: "OnChannelFollow"
}

// User is a Twitch user: the token's user, or a channel.
type User struct {
	ID    string // "141981764"
	Login string // "twitchdev"
}

// DeviceCode is a device code flow under way: the user opens
// VerificationURI (which carries the code already), signs in as the
// account the bot acts for, checks that the page shows UserCode, and
// authorizes the application. Scopes are the scopes asked for.
type DeviceCode struct {
	VerificationURI string
	UserCode        string
	Expiry          time.Time
	Scopes          []oauth.Scope
}

// New returns a Client for the application clientID (register one at
// https://dev.twitch.tv/console; a public client, without a secret, is
// enough for the device flow). A problem with an argument or an option (an
// empty client ID, an endpoint that is not a URL) is returned by Run.
func New(clientID string, opts ...Option) *Client {
	cfg := config{log: defaultLogger()}
	for _, opt := range opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	cfg.endpoints = cfg.endpoints.withDefaults()
	if cfg.http == nil {
		cfg.http = &http.Client{Timeout: defaultTimeout}
	}
	c := &Client{
		clientID:   clientID,
		cfg:        cfg,
		log:        cfg.log,
		tokens:     &tokenSource{},
		revalidate: make(chan struct{}, 1),
		callers:    map[uint64]int{},
	}
	var errs []error
	if clientID == "" {
		errs = append(errs, errors.New("twitch: New: the client ID is empty: register an application at https://dev.twitch.tv/console"))
	}
	if err := cfg.endpoints.check(); err != nil {
		errs = append(errs, err)
	}
	c.err = errors.Join(errs...)

	e := cfg.endpoints
	c.oauth = oauth.New(clientID,
		oauth.WithClientSecret(cfg.secret),
		oauth.WithEndpoint(oauthEndpoint(e.OAuth)),
		oauth.WithHTTPClient(cfg.http),
		oauth.WithLogger(cfg.log))
	c.helix = helix.New(clientID, c.tokens, helix.WithBaseURL(e.Helix), helix.WithHTTPClient(cfg.http), helix.WithLogger(cfg.log))
	subscriber := c.helix
	if e.Subscriptions != e.Helix {
		subscriber = helix.New(clientID, c.tokens, helix.WithBaseURL(e.Subscriptions), helix.WithHTTPClient(cfg.http), helix.WithLogger(cfg.log))
	}
	if cfg.tokenFile != "" {
		c.store = oauth.NewFileStore(cfg.tokenFile)
	}
	if cfg.webhook != nil || cfg.conduit != nil {
		// The app token these take needs the application's secret.
		var with []string
		if cfg.webhook != nil {
			with = append(with, "WithWebhook")
		}
		if cfg.conduit != nil {
			with = append(with, "WithConduit")
		}
		if cfg.secret == "" {
			c.err = errors.Join(c.err, fmt.Errorf("twitch: %s: Twitch takes its subscriptions with an app access token, which needs the application's secret: add WithClientSecret", with[0]))
		}
	}
	if cfg.webhook != nil && cfg.conduit == nil {
		c.newWebhook(e)
		return c
	}
	if cfg.conduit != nil && cfg.webhook != nil {
		c.newConduit(e, nil) // webhook shards: no WebSocket
		return c
	}
	if cfg.conduit != nil {
		// A conduit's shards are WebSocket sessions: the WebSocket's
		// settings and events apply, called on the shards' goroutines.
		opts := []eventsub.Option{
			eventsub.WithBaseURL(e.EventSub),
			eventsub.OnConnected(func(s eventsub.Session) {
				if f := c.getHooks().onConnected; f != nil {
					c.callback(func() { f(s) })
				}
			}),
			eventsub.OnDisconnected(func(err error) {
				if f := c.getHooks().onDisconnected; f != nil {
					c.callback(func() { f(err) })
				}
			}),
			eventsub.OnReconnected(func(s eventsub.Session) {
				if f := c.getHooks().onReconnected; f != nil {
					c.callback(func() { f(s) })
				}
			}),
		}
		if cfg.dial != nil {
			opts = append(opts, eventsub.WithDialContext(cfg.dial))
		}
		c.newConduit(e, opts)
		return c
	}
	esOpts := []eventsub.Option{
		eventsub.WithBaseURL(e.EventSub),
		eventsub.WithLogger(cfg.log),
		eventsub.OnConnected(func(s eventsub.Session) {
			if f := c.getHooks().onConnected; f != nil {
				f(s)
			}
		}),
		eventsub.OnReady(c.readyNow),
		eventsub.OnDisconnected(func(err error) {
			if f := c.getHooks().onDisconnected; f != nil {
				f(err)
			}
		}),
		eventsub.OnReconnected(func(s eventsub.Session) {
			if f := c.getHooks().onReconnected; f != nil {
				f(s)
			}
		}),
		eventsub.OnRevoked(c.revoked),
		// eventsub logs each error to the client's logger; OnError gets it
		// too when set.
		eventsub.OnError(func(err error) {
			if f := c.getHooks().onError; f != nil {
				f(err)
			}
		}),
	}
	if cfg.dial != nil {
		esOpts = append(esOpts, eventsub.WithDialContext(cfg.dial))
	}
	c.ws = eventsub.New(subscriber, esOpts...)
	c.events, c.disp = c.ws, &c.ws.Dispatcher
	return c
}

// on is what every generated On<Type> method calls: it registers the
// handler (register puts it on a Dispatcher) and records the type, which
// Run subscribes to. method is the On<Type> method's name, for errors.
func (c *Client) on(info eventsub.TypeInfo, method string, register func(*eventsub.Dispatcher)) {
	register(c.disp)
	c.mu.Lock()
	started := c.running
	if !started {
		c.addHandler(info, method)
	}
	c.mu.Unlock()
	if started {
		c.report(fmt.Errorf("twitch: %s was called after Run: Run has subscribed already, so its handler gets only the events of what Subscribe subscribes to; register handlers before Run", method))
	}
}

// addHandler records that method registered a handler for info's type.
// c.mu is held.
func (c *Client) addHandler(info eventsub.TypeInfo, method string) {
	for _, h := range c.handlers {
		if h.info.Type == info.Type && h.info.Version == info.Version {
			for _, m := range h.methods {
				if m == method {
					return
				}
			}
			h.methods = append(h.methods, method)
			return
		}
	}
	c.handlers = append(c.handlers, &handler{info: info, methods: []string{method}})
}

// OnCode calls f when Run starts the device code flow, with the URI the
// user must open and the code to check there. Without it, Run logs them
// (at level Warn) and waits for the user all the same.
func (c *Client) OnCode(f func(DeviceCode)) { c.setHook(func(h *hooks) { h.onCode = f }) }

// OnAuth calls f with each new token: the device flow's, and each renewed
// one (Twitch may rotate the refresh token with each renewal, so a program
// that keeps tokens itself must keep every one). WithTokenFile keeps them
// without it. f must not print or log the token: it holds secrets.
func (c *Client) OnAuth(f func(*oauth2.Token)) { c.setHook(func(h *hooks) { h.onAuth = f }) }

// OnReady calls f once, when every subscription of the first session is
// active: the bot is receiving its events. After a lost connection the
// client subscribes again without calling f (OnConnected and
// OnReconnected tell of those).
func (c *Client) OnReady(f func()) { c.setHook(func(h *hooks) { h.onReady = f }) }

// OnConnected calls f when an EventSub session is welcomed: the first, or
// a new one after a lost connection. The subscriptions are created next.
func (c *Client) OnConnected(f func(eventsub.Session)) {
	c.setHook(func(h *hooks) { h.onConnected = f })
}

// OnDisconnected calls f when the EventSub connection is lost, with why (see
// eventsub.OnDisconnected); the client reconnects.
func (c *Client) OnDisconnected(f func(reason error)) {
	c.setHook(func(h *hooks) { h.onDisconnected = f })
}

// OnReconnected calls f when Twitch has moved the session to a new
// connection (a session_reconnect): no event was lost.
func (c *Client) OnReconnected(f func(eventsub.Session)) {
	c.setHook(func(h *hooks) { h.onReconnected = f })
}

// OnRevoked calls f when Twitch ends a subscription; its Status says why
// (authorization_revoked, moderator_removed, user_removed, ...). It is not
// made again. For authorization_revoked, the client also validates its
// token at once: when the user has disconnected the application, Run
// stops with an error that wraps oauth.ErrReauthorize.
func (c *Client) OnRevoked(f func(helix.EventSubSubscription)) {
	c.setHook(func(h *hooks) { h.onRevoked = f })
}

// OnError calls f with what goes wrong once Run has started without
// stopping it: a subscription Twitch refused after a reconnect, a
// handler's panic, a notification dropped, a validation that failed on the
// way, a token that could not be saved (see eventsub.OnError for the
// EventSub ones). Without it, errors go to the logger; with it, the
// logger still records EventSub's.
func (c *Client) OnError(f func(error)) { c.setHook(func(h *hooks) { h.onError = f }) }

func (c *Client) setHook(set func(*hooks)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	set(&c.hooks)
}

// getHooks returns the callbacks; none after Close.
func (c *Client) getHooks() hooks {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return hooks{closed: true}
	}
	return c.hooks
}

// report hands an error to OnError, or else to the logger.
func (c *Client) report(err error) {
	h := c.getHooks()
	switch {
	case h.closed:
	case h.onError != nil:
		c.callback(func() { h.onError(err) })
	default:
		c.log.Error("twitch: error", slog.Any("err", err))
	}
}

// callback runs f, a callback of the user's, noting that its goroutine is
// in one: Close called from there does not wait for Run.
func (c *Client) callback(f func()) {
	id := goid.Current()
	c.mu.Lock()
	c.callers[id]++
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		if c.callers[id]--; c.callers[id] == 0 {
			delete(c.callers, id)
		}
		c.mu.Unlock()
	}()
	f()
}

// readyNow is eventsub's OnReady: OnReady is called the first time.
func (c *Client) readyNow() {
	c.mu.Lock()
	first := !c.ready && !c.closed
	c.ready = true
	f := c.hooks.onReady
	c.mu.Unlock()
	if first && f != nil {
		f()
	}
}

// revoked is eventsub's OnRevoked.
func (c *Client) revoked(sub helix.EventSubSubscription) {
	if sub.Status == helix.EventSubSubscriptionStatusAuthorizationRevoked {
		select {
		case c.revalidate <- struct{}{}:
		default: // one is pending already
		}
	}
	if f := c.getHooks().onRevoked; f != nil {
		f(sub)
	}
}

// User returns the token's user, once Run has validated the token; the
// zero User before.
func (c *Client) User() User {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.user
}

// Helix returns the client's Helix client, which calls with the client's
// token and paces the calls to its rate limit. Its calls fail with an error
// that wraps ErrNoToken until Run has a token: from the handlers, OnReady
// and OnAuth on, it is usable. Scopes beyond those of the handlers' types
// are asked for with WithScopes.
func (c *Client) Helix() *helix.Client { return c.helix }

// Subscribe subscribes to what cond selects, besides what Run subscribes
// to for the handlers: another channel, a condition only the caller knows
// (a reward ID), a type whose condition the client cannot fill. Register
// the type's handler with its On<Type> method too, to get its events.
//
// Before Run, Subscribe checks cond (a required field left empty, a type
// Twitch does not deliver over a WebSocket) and keeps it: Run subscribes
// to it with the others, and fails if Twitch refuses it. Once Run has
// started, Subscribe returns Twitch's answer. See eventsub.Client.Subscribe.
// After Close, or once Run has returned, it returns ErrClosed.
func (c *Client) Subscribe(ctx context.Context, cond eventsub.Condition) error {
	if c.err != nil {
		return c.err
	}
	c.mu.Lock()
	over := c.closed || c.ended
	c.mu.Unlock()
	if over {
		return ErrClosed
	}
	c.subMu.RLock()
	defer c.subMu.RUnlock()
	if c.noEvents {
		return errors.New("twitch: Subscribe: Run started with nothing to subscribe to, so without EventSub: register handlers, or subscribe, before Run")
	}
	if err := c.events.Subscribe(ctx, cond); err != nil {
		if errors.Is(err, eventsub.ErrClosed) {
			return ErrClosed
		}
		return err
	}
	return nil
}

// Close stops the client: no callback is called from now on (a handler
// under way finishes, with its context canceled), and Run returns
// ErrClosed. From elsewhere than a handler or callback, Close returns when
// Run has returned, every goroutine of the client ended. From a handler or
// callback, where waiting for Run would wait for itself, it returns at
// once, and Run returns as soon as the handler or callback does. Close may
// be called more than once; a Client closed before Run does not run.
func (c *Client) Close() error {
	id := goid.Current()
	c.mu.Lock()
	c.closed = true
	cancel, done := c.cancel, c.done
	inside := id == 0 || id == c.runG || c.callers[id] > 0
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	if done != nil && !inside {
		<-done
	}
	return nil
}

// fail stops Run with err, unless it is stopping already.
func (c *Client) fail(err error) {
	c.mu.Lock()
	if c.fatal == nil {
		c.fatal = err
	}
	cancel := c.cancel
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}
