package twitch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch"
	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/oauth"
	"github.com/twitchify-go/twitch/twitchtest"
)

// Two Clients in one process, one per user, share one HTTP client; each
// has its own token, token file and rate limit: each thanks its own
// followers with its own token, one emptying its rate-limit bucket does
// not hold the other back, and one's refreshed token goes to its own file
// only.
func TestTwoClients(t *testing.T) {
	const points = 20 // per minute, for each token
	srv := newFake(t, twitchtest.WithRateLimit(points, time.Minute))
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		hc := srv.InMemoryClient() // the one HTTP client
		users := []twitch.User{{ID: "1001", Login: "alice"}, {ID: "1002", Login: "bob"}}
		bots := make([]*bot, len(users))
		files := make([]string, len(users))
		tokens := make([]string, len(users))
		for i, u := range users {
			srv.OAuth.SetUser(u.ID, u.Login)
			tok := srv.OAuth.GrantUserToken(clientID, followScopes...)
			tokens[i] = tok.AccessToken
			files[i] = filepath.Join(dir, u.Login+".json")
			assert.NilError(t, oauth.NewFileStore(files[i]).Save(tok))
			b := newBot(t, srv, twitch.WithTokenFile(files[i]), twitch.WithHTTPClient(hc))
			b.OnChannelFollow(func(ctx context.Context, e *eventsub.ChannelFollowEvent) {
				if err := b.SendChatMessage(ctx, "thanks, "+e.UserName); err != nil {
					t.Error(err)
				}
			})
			b.start(t)
			bots[i] = b
		}
		for i, b := range bots {
			b.waitReady(t)
			assert.Equal(t, b.User(), users[i])
		}

		// Each thanks its own followers, as its own user, with its own token.
		for _, u := range users {
			_, err := srv.EventSub.Notify(follow(u.ID))
			assert.NilError(t, err)
		}
		reqs, err := srv.Helix.WaitRequests(context.Background(), "SendChatMessage", 2)
		assert.NilError(t, err)
		for _, r := range reqs {
			var body map[string]string
			assert.NilError(t, json.Unmarshal(r.Body, &body))
			i := map[string]int{"1001": 0, "1002": 1}[body["sender_id"]]
			assert.Equal(t, body["broadcaster_id"], users[i].ID)
			assert.Equal(t, r.Token, tokens[i], "sent with its own user's token")
		}

		// Alice empties her bucket: her messages wait for it to refill;
		// Bob's does not wait.
		ctx := context.Background()
		start := time.Now()
		for i := range points + 10 {
			assert.NilError(t, bots[0].SendChatMessage(ctx, fmt.Sprint("spam ", i)))
		}
		aliceTook := time.Since(start)
		start = time.Now()
		assert.NilError(t, bots[1].SendChatMessage(ctx, "hi"))
		bobTook := time.Since(start)
		t.Logf("alice's %d messages took %v of the bubble's clock; bob's one then took %v", points+10, aliceTook, bobTook)
		assert.Assert(t, aliceTook >= 15*time.Second, "alice waited for her bucket: %v", aliceTook)
		assert.Equal(t, bobTook, time.Duration(0))

		// Alice's token is refused: hers is refreshed, into her file only.
		bobSaved, err := oauth.NewFileStore(files[1]).Load()
		assert.NilError(t, err)
		assert.NilError(t, srv.OAuth.ExpireToken(tokens[0]))
		assert.NilError(t, bots[0].SendChatMessage(ctx, "after a refresh"))
		aliceSaved, err := oauth.NewFileStore(files[0]).Load()
		assert.NilError(t, err)
		assert.Assert(t, aliceSaved.AccessToken != tokens[0], "alice's file has her new token")
		again, err := oauth.NewFileStore(files[1]).Load()
		assert.NilError(t, err)
		assert.Equal(t, again.AccessToken, bobSaved.AccessToken)
		assert.Equal(t, again.AccessToken, tokens[1])
		assert.Equal(t, len(wait(t, bots[0].auths, "alice's new token").AccessToken) > 0, true)
		assert.Equal(t, len(bots[1].auths), 0)
	})
}
