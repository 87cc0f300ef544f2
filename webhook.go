package twitch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
)

// events is what a Client subscribes through and receives events from:
// an *eventsub.Client (the WebSocket) or an *eventsub.Webhook.
type events interface {
	Subscribe(ctx context.Context, cond eventsub.Condition) error
	Subscriptions() []eventsub.SubscriptionStatus
	Run(ctx context.Context) error
}

// Webhook is where Twitch delivers a Client's events when they come by
// webhook instead of over a WebSocket (WithWebhook).
type Webhook struct {
	// CallbackURL is the URL Twitch posts the events to: https on port
	// 443, as Twitch requires, reaching the client's handler (Listen, or
	// WebhookHandler mounted on a server of yours).
	CallbackURL string
	// Secret signs every message Twitch posts: 10 to 100 ASCII
	// characters. Keep it out of source code and logs.
	Secret string
	// PreviousSecret is accepted too while the secret is being changed
	// (see eventsub.WithPreviousSecret).
	PreviousSecret string
	// Listen is the address Run serves the callback on (":8080"), in plain
	// HTTP: put it behind the proxy that answers https on 443. Leave it
	// empty to mount c.WebhookHandler() on a server of your own.
	Listen string
	// DeleteStale makes Run delete the subscriptions to CallbackURL that
	// the client does not want (see eventsub.WithDeleteStale).
	DeleteStale bool
}

// WithWebhook makes the client receive its events by webhook: Twitch
// posts them to w.CallbackURL, and Run subscribes with an app access
// token, which needs WithClientSecret. The user's token is still what the
// client acts with (chat, Helix) and what authorizes the subscriptions:
// Twitch checks that the user granted the scopes each type needs.
//
// Webhook subscriptions outlive the program: Run keeps those that exist
// for the callback and match a handler, creates the others, and waits
// until Twitch has verified the callback (its challenge must reach the
// handler while Run runs) before OnReady. The types Twitch delivers by
// webhook only (user.authorization.grant, ...) can be handled, and the
// On<Type> handlers are the same. Handlers run on the webhook's own
// goroutine, one event at a time per subscription, in order.
// OnConnected, OnDisconnected and OnReconnected, which tell of a
// WebSocket, are not called.
func WithWebhook(w Webhook) Option {
	return func(c *config) { c.webhook = &w }
}

// WebhookHandler returns the http.Handler of the webhook's callback, to
// mount at the path of Webhook.CallbackURL on a server of yours (when
// Webhook.Listen is empty). It verifies each message's signature and
// answers Twitch's challenges; see eventsub.Webhook. Without WithWebhook,
// it answers every request 404.
func (c *Client) WebhookHandler() http.Handler {
	switch {
	case c.hook != nil:
		return c.hook
	case c.conduit != nil && c.cfg.webhook != nil:
		return c.conduit // its webhook shards' callback
	}
	return http.NotFoundHandler()
}

// appHelix is a Helix client with an app access token from the client
// credentials grant: webhook and conduit subscriptions take one.
func (c *Client) appHelix(e Endpoints) *helix.Client {
	return helix.New(c.clientID, c.oauth.AppTokenSource(nil),
		helix.WithBaseURL(e.Subscriptions), helix.WithHTTPClient(c.cfg.http), helix.WithLogger(c.cfg.log))
}

// appCallbacks are the eventsub options of a Webhook or a Conduit, which
// call them on goroutines of their own: c.callback lets Close, called
// from them, know it is inside.
func (c *Client) appCallbacks() []eventsub.Option {
	return []eventsub.Option{
		eventsub.WithLogger(c.cfg.log),
		eventsub.OnReady(func() { c.callback(c.readyNow) }),
		eventsub.OnRevoked(func(sub helix.EventSubSubscription) { c.callback(func() { c.revoked(sub) }) }),
		eventsub.OnError(func(err error) {
			if f := c.getHooks().onError; f != nil {
				c.callback(func() { f(err) })
			}
		}),
	}
}

// dispatchOn makes d's every notification go through c.disp, which has the
// handlers, noted as one of the client's callbacks (the Webhook's and the
// Conduit's handlers run on goroutines of their own). A handler's panic
// is recovered by d's owner and reported.
func (c *Client) dispatchOn(d *eventsub.Dispatcher) {
	c.disp = &eventsub.Dispatcher{}
	d.OnNotification(func(ctx context.Context, n *eventsub.Notification) {
		c.callback(func() { c.disp.Dispatch(ctx, n) })
	})
}

// newWebhook makes the client's eventsub.Webhook.
func (c *Client) newWebhook(e Endpoints) {
	w := c.cfg.webhook
	opts := c.appCallbacks()
	if w.PreviousSecret != "" {
		opts = append(opts, eventsub.WithPreviousSecret(w.PreviousSecret))
	}
	if w.DeleteStale {
		opts = append(opts, eventsub.WithDeleteStale())
	}
	c.hook = eventsub.NewWebhook(c.appHelix(e), w.CallbackURL, w.Secret, opts...)
	c.dispatchOn(&c.hook.Dispatcher)
	c.events = c.hook
}

// Limits of the server Run starts for Webhook.Listen: Twitch's messages
// are small and come on short requests.
const (
	webhookHeaderTimeout = 10 * time.Second
	webhookReadTimeout   = 30 * time.Second
	webhookIdleTimeout   = 2 * time.Minute
	webhookMaxHeader     = 64 << 10
	webhookShutdown      = 5 * time.Second
)

// listen starts serving the webhook's callback on Webhook.Listen, until ctx
// ends; the goroutine it starts is counted in wg. A port that cannot be
// opened is returned.
func (c *Client) listen(ctx context.Context, wg *sync.WaitGroup) error {
	addr := c.cfg.webhook.Listen
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("twitch: Run: listen for the webhook on %q: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           c.WebhookHandler(),
		ReadHeaderTimeout: webhookHeaderTimeout,
		ReadTimeout:       webhookReadTimeout,
		IdleTimeout:       webhookIdleTimeout,
		MaxHeaderBytes:    webhookMaxHeader,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	served := make(chan error, 1)
	wg.Go(func() { served <- srv.Serve(ln) })
	wg.Go(func() {
		select {
		case <-ctx.Done():
		case err := <-served:
			// The listener failed under the server: Run cannot go on
			// without its callback.
			c.fail(fmt.Errorf("twitch: the webhook's server on %s stopped: %w", ln.Addr(), err))
			return
		}
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), webhookShutdown)
		defer cancel()
		if err := srv.Shutdown(shutdown); err != nil {
			srv.Close() // requests that outlived the wait end now
		}
		if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			c.report(fmt.Errorf("twitch: the webhook's server on %s: %w", ln.Addr(), err))
		}
	})
	c.log.Info("twitch: serving the webhook", "addr", ln.Addr().String())
	return nil
}
