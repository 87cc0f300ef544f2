package eventsub

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/twitchify-go/twitch/helix"
)

// Option configures a Client, a Webhook or a Conduit. Many options apply
// to some of them only, as their documentation says; given to another,
// an option is an error that its Run (and Subscribe) returns. WithLogger,
// OnReady, OnRevoked and OnError apply to all three.
type Option func(*config)

// config is what the options set, for a Client, a Webhook or a Conduit:
// each reads its own fields.
type config struct {
	log       *slog.Logger
	onReady   func()
	onRevoked func(helix.EventSubSubscription)
	onError   func(error)

	// The WebSocket Client's.
	url            string
	keepalive      int // seconds; 0 lets Twitch choose
	minBackoff     time.Duration
	maxBackoff     time.Duration
	dialContext    func(ctx context.Context, network, addr string) (net.Conn, error)
	dialTimeout    time.Duration
	onConnected    func(Session)
	onDisconnected func(error)
	onReconnected  func(Session)
	// second is how long a keepalive second lasts: tests shorten it.
	second time.Duration

	// The Webhook's.
	previousSecret string
	deleteStale    bool
	queueSize      int
	workers        int

	// The Conduit's.
	conduitID   string
	shardCount  int    // 0: keep the conduit's
	shardRanges string // WithShards's ranges; "" for every shard
	shardsSet   bool
	takeover    int // how many disabled shards it may take over; -1: as many as it owns
	// hookURL and hookSecret are WithWebhookShards's: the callback of
	// the Conduit's webhook shards, and the secret they are signed with.
	hookURL, hookSecret string
	hookShards          bool

	// limited are the options given that apply to some kinds only, for
	// the others' errors.
	limited []limitedOption
}

// kind is what an option may apply to.
type kind uint8

const (
	kindClient kind = 1 << iota
	kindWebhook
	kindConduit
)

// name names the first kind of k for an error: "the WebSocket Client".
func (k kind) name() string {
	switch {
	case k&kindClient != 0:
		return "the WebSocket Client"
	case k&kindWebhook != 0:
		return "a Webhook"
	default:
		return "a Conduit"
	}
}

// limitedOption is an option given that applies to some kinds only.
type limitedOption struct {
	name  string
	kinds kind
}

// only records that the option called name was given, which applies to
// kinds only.
func (cfg *config) only(name string, kinds kind) {
	cfg.limited = append(cfg.limited, limitedOption{name, kinds})
}

// refused returns an error for each option given that does not apply to
// k: "eventsub: WithKeepalive applies to the WebSocket Client, not to a
// Webhook".
func (cfg *config) refused(k kind) []error {
	var errs []error
	for _, o := range cfg.limited {
		if o.kinds&k == 0 {
			errs = append(errs, fmt.Errorf("eventsub: %s applies to %s, not to %s", o.name, o.kinds.name(), k.name()))
		}
	}
	return errs
}

// newConfig applies opts to the defaults of both.
func newConfig(opts []Option) config {
	cfg := config{
		log:         slog.New(slog.DiscardHandler),
		url:         DefaultBaseURL,
		minBackoff:  500 * time.Millisecond,
		maxBackoff:  2 * time.Minute,
		dialTimeout: defaultDialTimeout,
		second:      time.Second,
		queueSize:   defaultQueueSize,
		workers:     1,
		takeover:    -1,
	}
	for _, opt := range opts {
		if opt != nil {
			opt(&cfg)
		}
	}
	return cfg
}

// logger is the logger of WithLogger (silent by default).
func (cfg *config) logger() *slog.Logger { return cfg.log }

// forWebSocket, forWebhook and forConduit record that the option called
// name was given, which applies to a WebSocket (a Client, or a Conduit's
// shards), to a Webhook (or a Conduit, which keeps subscriptions the same
// way), or to a Conduit only.
func (cfg *config) forWebSocket(name string) { cfg.only(name, kindClient|kindConduit) }
func (cfg *config) forWebhook(name string)   { cfg.only(name, kindWebhook|kindConduit) }
func (cfg *config) forConduit(name string)   { cfg.only(name, kindConduit) }

// WithBaseURL connects to url instead of DefaultBaseURL (a fake, in tests).
// It must be a ws:// or wss:// URL; Run and Subscribe say so otherwise. A
// query it has is kept (WithKeepalive adds its parameter). Its scheme and
// host are also where a session_reconnect may lead besides wss://.
// WebSocket Client and Conduit only.
func WithBaseURL(url string) Option {
	return func(c *config) { c.url = url; c.forWebSocket("WithBaseURL") }
}

// WithKeepalive asks Twitch for a keepalive timeout, 10 to 600 seconds;
// without it Twitch picks one. WebSocket Client and Conduit only.
func WithKeepalive(seconds int) Option {
	return func(c *config) { c.keepalive = seconds; c.forWebSocket("WithKeepalive") }
}

// WithBackoff sets the first and the longest wait between reconnect
// attempts (by default 500 ms and 2 minutes); each wait is jittered.
// WebSocket Client and Conduit only.
func WithBackoff(first, longest time.Duration) Option {
	return func(c *config) { c.minBackoff, c.maxBackoff = first, longest; c.forWebSocket("WithBackoff") }
}

// WithLogger logs the client's work to l; by default it logs nothing.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.log = l
		}
	}
}

// WithDialContext opens the network connections of the WebSocket with
// dial (a proxy, a custom resolver, an in-memory network in tests) instead
// of a net.Dialer. TLS, for a wss:// URL, is done over what dial returns.
// Each connection, TLS and the WebSocket handshake included, must open
// within 10 seconds, and gives up when Run's context ends or Close is
// called; dial must return when its context ends, or Close waits for it.
// WebSocket Client and Conduit only.
func WithDialContext(dial func(ctx context.Context, network, addr string) (net.Conn, error)) Option {
	return func(c *config) { c.dialContext = dial; c.forWebSocket("WithDialContext") }
}

// WithPreviousSecret accepts notifications signed with secret besides
// those signed with the Webhook's own, while a secret is being rotated:
// Twitch signs each subscription's messages with the secret it was
// created with, and a subscription's secret cannot be changed, so those
// made with the old secret go on using it until they are made again.
// Webhook, and Conduit with WithWebhookShards (its shards are given the
// new secret when Run assigns them).
func WithPreviousSecret(secret string) Option {
	return func(c *config) { c.previousSecret = secret; c.forWebhook("WithPreviousSecret") }
}

// WithDeleteStale makes the Webhook's Run delete the subscriptions to its
// callback URL that the program does not subscribe to (left by an earlier
// version of it, say); without it they are left alone, and their
// notifications are handled like the others. Given to a Conduit, it
// deletes the subscriptions to its conduit that the program does not
// subscribe to. Webhook and Conduit only.
func WithDeleteStale() Option {
	return func(c *config) { c.deleteStale = true; c.forWebhook("WithDeleteStale") }
}

// WithQueueSize sets how many notifications a Webhook holds that its
// handlers have yet to take (1024 by default). A notification that
// arrives when they are full is answered 503, and Twitch sends it again
// later. Webhook, and Conduit with WithWebhookShards.
func WithQueueSize(n int) Option {
	return func(c *config) { c.queueSize = n; c.forWebhook("WithQueueSize") }
}

// WithWorkers runs a Webhook's handlers on n goroutines (1 by default,
// like the WebSocket Client: one event at a time). The notifications of
// one subscription always go to the same goroutine, so its events are
// still handled one at a time, in the order they arrived; the queue is
// shared out among the goroutines. Handlers must then be safe for
// concurrent use. Webhook and Conduit only: a Conduit runs at most n
// handlers at once, each shard handing over one event at a time.
func WithWorkers(n int) Option {
	return func(c *config) { c.workers = n; c.forWebhook("WithWorkers") }
}

// The callbacks below run on one goroutine, in the order of the events,
// and should return quickly: on the WebSocket Client's, it is Run's, and
// no notification is handled meanwhile. A callback, like a handler, may
// call Close: Close returns, and nothing more is called.

// OnConnected calls f when a new session is welcomed: the first, or the
// one after a lost connection. Its subscriptions are created next (on a
// Conduit's shard, the shard is assigned to it next). WebSocket Client
// and Conduit only.
func OnConnected(f func(Session)) Option {
	return func(c *config) { c.onConnected = f; c.forWebSocket("OnConnected") }
}

// OnReady calls f when every subscription is active on a new session.
// It is not called while some are still being created or retried, nor
// when Run returns the refusals of the first session instead. After a
// reconnect, a subscription Twitch refuses again goes to OnError, is no
// longer wanted, and OnReady follows for the others. A Webhook calls it
// once, when every subscription is enabled at Twitch.
func OnReady(f func()) Option { return func(c *config) { c.onReady = f } }

// OnDisconnected calls f when the connection is lost, with why: a
// *CloseError, a network error, ErrKeepaliveTimeout, ErrMessageTooLarge,
// or ErrUntrustedReconnectURL (on a Conduit, wrapped in a *ShardError
// that names the shard). A reconnect follows. WebSocket Client and
// Conduit only.
func OnDisconnected(f func(reason error)) Option {
	return func(c *config) { c.onDisconnected = f; c.forWebSocket("OnDisconnected") }
}

// OnReconnected calls f when a session_reconnect handover has finished:
// the session and its subscriptions (or its shard) now live on the new
// connection. WebSocket Client and Conduit only.
func OnReconnected(f func(Session)) Option {
	return func(c *config) { c.onReconnected = f; c.forWebSocket("OnReconnected") }
}

// OnRevoked calls f when Twitch ends a subscription; its Status says why
// (authorization_revoked, user_removed, version_removed, and for a
// Webhook notification_failures_exceeded, ...). It is not created again.
func OnRevoked(f func(helix.EventSubSubscription)) Option {
	return func(c *config) { c.onRevoked = f }
}

// OnError calls f with what went wrong without stopping the client: a
// subscription Twitch refused after a reconnect or that failed on the way
// and is retried (*SubscriptionError), a handler's panic
// (*HandlerPanicError), a frame that did not decode (or had a key twice),
// a notification dropped by Twitch's rules (*DroppedNotificationError), a
// reconnect URL not followed (ErrUntrustedReconnectURL), a failed dial, a
// subscription unsubscribed from during its creation that could not be
// deleted. A Webhook reports every request it refused
// (*WebhookRequestError), a handler's panic, and a subscription of its
// own that Twitch revoked (*RevokedError, besides OnRevoked).
func OnError(f func(error)) Option { return func(c *config) { c.onError = f } }

// WithConduitID makes a Conduit use the conduit id, which must exist
// (Get Conduits lists it). Without it, Run uses the application's only
// conduit, or creates one when it has none (ID says which); when it has
// several, Run says to choose one with WithConduitID. Processes that
// share a conduit should all name it. Conduit only.
func WithConduitID(id string) Option {
	return func(c *config) { c.conduitID = id; c.forConduit("WithConduitID") }
}

// WithShardCount makes the conduit have n shards, 1 to 20,000: Run
// creates it with n, or updates its count to n (Update Conduits; Twitch
// disables the shards above a lower count). Without it, a conduit Run
// creates has as many shards as WithShards names (the highest ID and
// one), and a conduit that exists keeps its count. Conduit only.
func WithShardCount(n int) Option {
	return func(c *config) { c.shardCount = n; c.forConduit("WithShardCount") }
}

// WithShards names the shards this process serves, as IDs and ranges:
// "0-3,8" serves shards 0, 1, 2, 3 and 8. Without it, the process serves
// every shard of the conduit. Several processes share a conduit by
// naming ranges that do not overlap. Conduit only.
func WithShards(ranges string) Option {
	return func(c *config) { c.shardRanges, c.shardsSet = ranges, true; c.forConduit("WithShards") }
}

// WithWebhookShards makes the shards a Conduit runs webhook shards
// instead of WebSocket sessions: Run assigns each to callbackURL, where
// Twitch posts their messages signed with secret (10 to 100 ASCII
// characters), and the Conduit, an http.Handler, serves them: mount it
// at the callback's path, behind https on port 443 as Twitch requires.
// Processes that share a conduit each give their own callback, or one
// behind a load balancer; then each answers the challenges of every
// shard, and a message Twitch sends again may reach another process than
// the first and be handled twice (each process remembers the message IDs
// it saw). The options of WebSocket shards (WithBaseURL, OnConnected, ...)
// do not apply. Conduit only.
func WithWebhookShards(callbackURL, secret string) Option {
	return func(c *config) {
		c.hookURL, c.hookSecret, c.hookShards = callbackURL, secret, true
		c.forConduit("WithWebhookShards")
	}
}

// WithTakeover bounds how many shards that other processes left disabled
// a Conduit takes over, besides its own (by default as many as it owns);
// 0 takes over none. See Conduit for how. Conduit only.
func WithTakeover(max int) Option {
	return func(c *config) { c.takeover = max; c.forConduit("WithTakeover") }
}
