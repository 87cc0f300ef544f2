package twitch_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"testing/synctest"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch"
	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/oauth"
)

// TestSeed is the seed program, end to end: the device flow (OnCode,
// OnAuth), OnReady once, a follow reaching the handler, and the thank-you
// message reaching the fake's chat from the right sender to the right
// channel.
func TestSeed(t *testing.T) {
	srv := newFake(t)
	srv.OAuth.AutoApproveDevices(true)
	tokenFile := filepath.Join(t.TempDir(), "token.json")
	synctest.Test(t, func(t *testing.T) {
		b := newBot(t, srv, twitch.WithTokenFile(tokenFile), twitch.WithScopes(oauth.ScopeUserWriteChat))
		followed := make(chan string, 1)
		b.OnChannelFollow(func(ctx context.Context, e *eventsub.ChannelFollowEvent) {
			followed <- e.UserName
			if err := b.SendChatMessage(ctx, e.UserName+" has followed the channel!"); err != nil {
				t.Error(err)
			}
		})
		b.start(t)

		code := wait(t, b.codes, "device code")
		assert.DeepEqual(t, code.Scopes, []oauth.Scope{oauth.ScopeUserWriteChat, oauth.ScopeModeratorReadFollowers})
		tok := wait(t, b.auths, "token")
		b.waitReady(t)
		assert.Equal(t, b.User(), twitch.User{ID: userID, Login: login})

		saved, err := oauth.NewFileStore(tokenFile).Load()
		assert.NilError(t, err)
		assert.Equal(t, saved.AccessToken, tok.AccessToken)

		_, err = srv.EventSub.Notify(follow(userID))
		assert.NilError(t, err)
		assert.Equal(t, wait(t, followed, "follow"), "Viewer")
		reqs, err := srv.Helix.WaitRequests(context.Background(), "SendChatMessage", 1)
		assert.NilError(t, err)
		var body map[string]string
		assert.NilError(t, json.Unmarshal(reqs[0].Body, &body))
		assert.DeepEqual(t, body, map[string]string{"broadcaster_id": userID, "sender_id": userID, "message": "Viewer has followed the channel!"})

		synctest.Wait()
		assert.Equal(t, len(b.ready), 0, "OnReady once")
		assert.Equal(t, len(b.codes), 0, "OnCode once")
		assert.Equal(t, len(b.errs), 0)
	})
}
