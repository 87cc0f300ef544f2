package twitch_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"testing"
	"testing/synctest"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch"
	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/twitchtest"
)

const (
	callbackURL = "https://bot.example.com/eventsub"
	hookSecret  = "a-secret-of-twenty-chars"
)

// handlerSlot is the http.Handler the fake posts webhooks to: the client
// under test's, set once it exists (the fake is made first).
type handlerSlot struct{ h http.Handler }

func (s *handlerSlot) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.h.ServeHTTP(w, r) }

// newHookFake is a fake that delivers webhooks in memory to the handler
// set in the slot it returns.
func newHookFake(t *testing.T, opts ...twitchtest.Option) (*twitchtest.Server, *handlerSlot) {
	slot := &handlerSlot{}
	return newFake(t, append(opts, twitchtest.WithWebhookClient(twitchtest.HandlerClient(slot)))...), slot
}

// newHookBot is a bot on webhooks against srv (made outside the bubble, by
// newHookFake), which delivers to its handler; the user's token has
// followScopes.
func newHookBot(t *testing.T, srv *twitchtest.Server, slot *handlerSlot, opts ...twitch.Option) *bot {
	tok := srv.OAuth.GrantUserToken(clientID, followScopes...)
	b := newBot(t, srv, append([]twitch.Option{
		twitch.WithToken(tok.AccessToken, tok.RefreshToken),
		twitch.WithClientSecret("app-secret"),
		twitch.WithWebhook(twitch.Webhook{CallbackURL: callbackURL, Secret: hookSecret}),
	}, opts...)...)
	slot.h = b.WebhookHandler()
	return b
}

// The seed program on webhooks: the same handlers, subscribed with the
// app token and verified through the client's handler; a follow reaches
// the handler and the thank-you reaches the fake's chat; a type Twitch
// delivers by webhook only works too.
func TestWebhookSeed(t *testing.T) {
	srv, slot := newHookFake(t)
	synctest.Test(t, func(t *testing.T) {
		b := newHookBot(t, srv, slot)
		followed := make(chan string, 1)
		b.OnChannelFollow(func(ctx context.Context, e *eventsub.ChannelFollowEvent) {
			followed <- e.UserName
			if err := b.SendChatMessage(ctx, e.UserName+" has followed the channel!"); err != nil {
				t.Error(err)
			}
		})
		granted := make(chan string, 1)
		b.OnUserAuthorizationGrant(func(_ context.Context, e *eventsub.UserAuthorizationGrantEvent) { granted <- e.UserLogin })
		b.start(t)
		b.waitReady(t)

		subs := srv.EventSub.Subscriptions()
		assert.Equal(t, len(subs), 2)
		for _, s := range subs {
			assert.Equal(t, s.Transport.Method, helix.EventSubTransportMethodWebhook, s.Type)
			assert.Equal(t, s.Transport.Callback, callbackURL, s.Type)
			assert.Equal(t, s.Status, helix.EventSubSubscriptionStatusEnabled, s.Type)
		}
		assert.Assert(t, srv.OAuth.Stats().AppTokens >= 1, "subscribed with an app token")

		_, err := srv.EventSub.Notify(follow(userID))
		assert.NilError(t, err)
		assert.Equal(t, wait(t, followed, "follow"), "Viewer")
		reqs, err := srv.Helix.WaitRequests(context.Background(), "SendChatMessage", 1)
		assert.NilError(t, err)
		var body map[string]string
		assert.NilError(t, json.Unmarshal(reqs[0].Body, &body))
		assert.DeepEqual(t, body, map[string]string{"broadcaster_id": userID, "sender_id": userID, "message": "Viewer has followed the channel!"})

		_, err = srv.EventSub.Notify(&eventsub.UserAuthorizationGrantEvent{ClientID: clientID, UserID: "2002", UserLogin: "gopher", UserName: "Gopher"})
		assert.NilError(t, err)
		assert.Equal(t, wait(t, granted, "grant"), "gopher")

		assert.NilError(t, srv.EventSub.WaitDeliveries(context.Background()))
		synctest.Wait()
		assert.Equal(t, len(b.ready), 0, "OnReady once")
		assert.Equal(t, len(b.errs), 0)
	})
}

// Close from a handler, which runs on the webhook's goroutine, returns at
// once, and Run returns ErrClosed.
func TestWebhookCloseFromAHandler(t *testing.T) {
	srv, slot := newHookFake(t)
	synctest.Test(t, func(t *testing.T) {
		b := newHookBot(t, srv, slot)
		closed := make(chan error, 1)
		b.OnChannelFollow(func(context.Context, *eventsub.ChannelFollowEvent) { closed <- b.Close() })
		b.start(t)
		b.waitReady(t)
		_, err := srv.EventSub.Notify(follow(userID))
		assert.NilError(t, err)
		assert.NilError(t, wait(t, closed, "Close"))
		assert.ErrorIs(t, b.runErr(t), twitch.ErrClosed)
		assert.NilError(t, srv.EventSub.WaitDeliveries(context.Background()))
	})
}

// On webhooks the client needs the application's secret (for the app
// token); a type whose condition only the user can fill is refused before
// any token is asked for, as on the WebSocket.
func TestWebhookOptions(t *testing.T) {
	srv := newFake(t)
	hook := twitch.WithWebhook(twitch.Webhook{CallbackURL: callbackURL, Secret: hookSecret})
	c := twitch.New(clientID, hook)
	assert.Error(t, c.Run(context.Background()),
		"twitch: WithWebhook: Twitch takes its subscriptions with an app access token, which needs the application's secret: add WithClientSecret")

	synctest.Test(t, func(t *testing.T) {
		b := newBot(t, srv, hook, twitch.WithClientSecret("s"))
		b.OnDropEntitlementGrant(func(context.Context, []eventsub.DropEntitlementGrantEvent) {})
		err := b.Run(context.Background())
		var he *twitch.HandlerError
		assert.Assert(t, errors.As(err, &he), "%v", err)
		assert.Equal(t, he.Method, "OnDropEntitlementGrant")
		assert.Equal(t, he.Field, "organization_id")
		assert.Equal(t, srv.OAuth.Stats().DeviceCodes+srv.OAuth.Stats().AppTokens, 0, "no token was asked for")
	})
}

// With Webhook.Listen, Run serves the callback itself: the fake's
// challenge and notifications reach it over loopback HTTP.
func TestWebhookListen(t *testing.T) {
	// A free port on loopback, for the callback URL to name.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	addr := ln.Addr().String()
	assert.NilError(t, ln.Close())

	srv := newFake(t)
	tok := srv.OAuth.GrantUserToken(clientID, followScopes...)
	b := newBot(t, srv,
		twitch.WithHTTPClient(srv.Client()),
		twitch.WithToken(tok.AccessToken, tok.RefreshToken),
		twitch.WithClientSecret("app-secret"),
		twitch.WithWebhook(twitch.Webhook{CallbackURL: "http://" + addr + "/eventsub", Secret: hookSecret, Listen: addr}))
	followed := make(chan string, 1)
	b.OnChannelFollow(func(_ context.Context, e *eventsub.ChannelFollowEvent) { followed <- e.UserName })
	b.start(t)
	b.waitReady(t)
	_, err = srv.EventSub.Notify(follow(userID))
	assert.NilError(t, err)
	assert.Equal(t, wait(t, followed, "follow"), "Viewer")

	// The port is the client's until Run returns, and free after.
	b.cancel()
	assert.ErrorIs(t, b.runErr(t), context.Canceled)
	ln, err = net.Listen("tcp", addr)
	assert.NilError(t, err, "Run left its listener open")
	assert.NilError(t, ln.Close())
}

// A Listen address that cannot be opened stops Run with an error.
func TestWebhookListenFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	assert.NilError(t, err)
	defer ln.Close()
	srv := newFake(t)
	tok := srv.OAuth.GrantUserToken(clientID, followScopes...)
	b := newBot(t, srv,
		twitch.WithToken(tok.AccessToken, tok.RefreshToken),
		twitch.WithClientSecret("app-secret"),
		twitch.WithWebhook(twitch.Webhook{CallbackURL: callbackURL, Secret: hookSecret, Listen: ln.Addr().String()}))
	b.OnChannelFollow(func(context.Context, *eventsub.ChannelFollowEvent) {})
	err = b.Run(context.Background())
	assert.ErrorContains(t, err, `twitch: Run: listen for the webhook on "`+ln.Addr().String()+`"`)
}
