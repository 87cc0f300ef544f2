package eventsub

import (
	"context"
	"log/slog"
	"net"
	"time"

	"github.com/twitchify-go/twitch/helix"
)

// Option configures a Client.
type Option func(*Client)

// WithBaseURL connects to url instead of DefaultBaseURL (a fake, in tests).
// It must be a ws:// or wss:// URL; Run and Subscribe say so otherwise. A
// query it has is kept (WithKeepalive adds its parameter). Its scheme and
// host are also where a session_reconnect may lead besides wss://.
func WithBaseURL(url string) Option { return func(c *Client) { c.url = url } }

// WithKeepalive asks Twitch for a keepalive timeout, 10 to 600 seconds;
// without it Twitch picks one.
func WithKeepalive(seconds int) Option { return func(c *Client) { c.keepalive = seconds } }

// WithBackoff sets the first and the longest wait between reconnect
// attempts (by default 500 ms and 2 minutes); each wait is jittered.
func WithBackoff(first, longest time.Duration) Option {
	return func(c *Client) { c.minBackoff, c.maxBackoff = first, longest }
}

// WithLogger logs the client's work to l; by default it logs nothing.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) {
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
func WithDialContext(dial func(ctx context.Context, network, addr string) (net.Conn, error)) Option {
	return func(c *Client) { c.dialContext = dial }
}

// The callbacks below run on Run's goroutine, in the order of the events,
// and should return quickly: no notification is handled meanwhile. A
// callback, like a handler, may call Close: Close returns, and nothing
// more is called.

// OnConnected calls f when a new session is welcomed: the first, or the
// one after a lost connection. Its subscriptions are created next.
func OnConnected(f func(Session)) Option { return func(c *Client) { c.onConnected = f } }

// OnReady calls f when every subscription is active on a new session.
// It is not called while some are still being created or retried, nor
// when Run returns the refusals of the first session instead. After a
// reconnect, a subscription Twitch refuses again goes to OnError, is no
// longer wanted, and OnReady follows for the others.
func OnReady(f func()) Option { return func(c *Client) { c.onReady = f } }

// OnDisconnected calls f when the connection is lost, with why: a
// *CloseError, a network error, ErrKeepaliveTimeout, ErrMessageTooLarge,
// or ErrUntrustedReconnectURL. A reconnect follows.
func OnDisconnected(f func(reason error)) Option { return func(c *Client) { c.onDisconnected = f } }

// OnReconnected calls f when a session_reconnect handover has finished:
// the session and its subscriptions now live on the new connection.
func OnReconnected(f func(Session)) Option { return func(c *Client) { c.onReconnected = f } }

// OnRevoked calls f when Twitch ends a subscription; its Status says why
// (authorization_revoked, user_removed, version_removed, ...). It is not
// created again.
func OnRevoked(f func(helix.EventSubSubscription)) Option { return func(c *Client) { c.onRevoked = f } }

// OnError calls f with what went wrong without stopping the client: a
// subscription Twitch refused after a reconnect or that failed on the way
// and is retried (*SubscriptionError), a handler's panic
// (*HandlerPanicError), a frame that did not decode (or had a key twice),
// a notification dropped by Twitch's rules (*DroppedNotificationError), a
// reconnect URL not followed (ErrUntrustedReconnectURL), a failed dial, a
// subscription unsubscribed from during its creation that could not be
// deleted.
func OnError(f func(error)) Option { return func(c *Client) { c.onError = f } }
