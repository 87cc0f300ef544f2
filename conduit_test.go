package twitch_test

import (
	"context"
	"encoding/json"
	"testing"
	"testing/synctest"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch"
	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/twitchtest"
)

// The seed program on a conduit: Run creates the conduit, serves its two
// shards, subscribes with the app token and the conduit transport; follows
// reach the handler on whichever shard Twitch chooses, and the thank-you
// reaches the fake's chat.
func TestConduitSeed(t *testing.T) {
	srv := newFake(t, twitchtest.WithShardRoundRobin())
	synctest.Test(t, func(t *testing.T) {
		tok := srv.OAuth.GrantUserToken(clientID, followScopes...)
		b := newBot(t, srv,
			twitch.WithToken(tok.AccessToken, tok.RefreshToken),
			twitch.WithClientSecret("app-secret"),
			twitch.WithConduit(twitch.Conduit{ShardCount: 2}))
		followed := make(chan string, 2)
		b.OnChannelFollow(func(ctx context.Context, e *eventsub.ChannelFollowEvent) {
			if err := b.SendChatMessage(ctx, e.UserName+" has followed the channel!"); err != nil {
				t.Error(err)
			}
			followed <- e.UserName
		})
		b.start(t)
		b.waitReady(t)

		conduits := srv.EventSub.Conduits()
		assert.Equal(t, len(conduits), 1)
		subs := srv.EventSub.Subscriptions()
		assert.Equal(t, len(subs), 1)
		assert.Equal(t, subs[0].Transport.Method, helix.EventSubTransportMethodConduit)
		assert.Equal(t, subs[0].Transport.ConduitID, conduits[0].ID)

		followTwiceThanked(t, srv, followed)
		shards := map[string]bool{}
		for _, d := range srv.EventSub.Deliveries() {
			if d.MessageType == "notification" {
				shards[d.ShardID] = true
			}
		}
		assert.DeepEqual(t, shards, map[string]bool{"0": true, "1": true})
		assert.Equal(t, len(b.errs), 0)
	})
}

// A client on a conduit needs the application's secret; with WithWebhook
// too, the webhook's callback and secret are checked as its shards'.
func TestConduitOptions(t *testing.T) {
	c := twitch.New(clientID, twitch.WithConduit(twitch.Conduit{}), twitch.WithWebhook(twitch.Webhook{CallbackURL: callbackURL, Secret: hookSecret}))
	assert.Error(t, c.Run(context.Background()),
		"twitch: WithWebhook: Twitch takes its subscriptions with an app access token, which needs the application's secret: add WithClientSecret")

	srv := newFake(t)
	synctest.Test(t, func(t *testing.T) {
		tok := srv.OAuth.GrantUserToken(clientID, followScopes...)
		b := newBot(t, srv, twitch.WithToken(tok.AccessToken, tok.RefreshToken), twitch.WithClientSecret("s"),
			twitch.WithConduit(twitch.Conduit{}), twitch.WithWebhook(twitch.Webhook{CallbackURL: "/eventsub", Secret: "short"}))
		b.OnChannelFollow(func(context.Context, *eventsub.ChannelFollowEvent) {})
		err := b.Run(context.Background())
		assert.ErrorContains(t, err, `eventsub: WithWebhookShards: callback URL "/eventsub": not an absolute http(s) URL`)
		assert.ErrorContains(t, err, "eventsub: WithWebhookShards: the secret has 5 characters")
		assert.Equal(t, len(srv.EventSub.Conduits()), 0)
	})
}

// The seed program on a conduit of webhook shards (WithConduit and
// WithWebhook): Run assigns the process's two shards to the webhook's
// callback, whose handler answers their challenges; follows reach the
// handler through both shards, and the thank-you reaches the fake's chat.
func TestConduitWebhookShardsSeed(t *testing.T) {
	srv, slot := newHookFake(t, twitchtest.WithShardRoundRobin())
	synctest.Test(t, func(t *testing.T) {
		b := newHookBot(t, srv, slot, twitch.WithConduit(twitch.Conduit{ShardCount: 2}))
		followed := make(chan string, 2)
		b.OnChannelFollow(func(ctx context.Context, e *eventsub.ChannelFollowEvent) {
			if err := b.SendChatMessage(ctx, e.UserName+" has followed the channel!"); err != nil {
				t.Error(err)
			}
			followed <- e.UserName
		})
		b.start(t)
		b.waitReady(t)
		// OnReady comes once the challenges are answered; the fake enables
		// a shard once it has read the answer.
		synctest.Wait()

		conduits := srv.EventSub.Conduits()
		assert.Equal(t, len(conduits), 1)
		shards, err := srv.EventSub.Shards(conduits[0].ID)
		assert.NilError(t, err)
		assert.Equal(t, len(shards), 2)
		for _, s := range shards {
			assert.Equal(t, s.Status, string(helix.ConduitShardStatusEnabled), s.ID)
			assert.Equal(t, s.Transport.Method, "webhook", s.ID)
			assert.Equal(t, s.Transport.Callback, callbackURL, s.ID)
		}
		subs := srv.EventSub.Subscriptions()
		assert.Equal(t, len(subs), 1)
		assert.Equal(t, subs[0].Transport.Method, helix.EventSubTransportMethodConduit)

		followTwiceThanked(t, srv, followed)
		byShard := map[string]string{}
		for _, d := range srv.EventSub.Deliveries() {
			if d.MessageType == "notification" {
				byShard[d.ShardID] = d.Callback
			}
		}
		assert.DeepEqual(t, byShard, map[string]string{"0": callbackURL, "1": callbackURL})
		assert.Equal(t, len(b.errs), 0)
	})
}

// followTwiceThanked sends two follows, sees each reach the handler (which
// sends followed the follower's name), and checks the thank-you the
// handler sent to the fake's chat.
func followTwiceThanked(t *testing.T, srv *twitchtest.Server, followed chan string) {
	t.Helper()
	for range 2 {
		_, err := srv.EventSub.Notify(follow(userID))
		assert.NilError(t, err)
		assert.Equal(t, wait(t, followed, "follow"), "Viewer")
	}
	reqs, err := srv.Helix.WaitRequests(context.Background(), "SendChatMessage", 2)
	assert.NilError(t, err)
	var body map[string]string
	assert.NilError(t, json.Unmarshal(reqs[1].Body, &body))
	assert.DeepEqual(t, body, map[string]string{"broadcaster_id": userID, "sender_id": userID, "message": "Viewer has followed the channel!"})
}
