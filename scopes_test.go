package twitch_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch"
	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/oauth"
	"github.com/twitchify-go/twitch/twitchtest"
)

// handlers registers handlers that need moderator:read:followers, one of
// channel:read:polls or channel:manage:polls (twice), and user:read:chat.
func handlers(c *twitch.Client) {
	c.OnChannelFollow(func(context.Context, *eventsub.ChannelFollowEvent) {})
	c.OnChannelPollBegin(func(context.Context, *eventsub.ChannelPollBeginEvent) {})
	c.OnChannelPollEnd(func(context.Context, *eventsub.ChannelPollEndEvent) {})
	c.OnChannelChatMessage(func(context.Context, *eventsub.ChannelChatMessageEvent) {})
}

// A token that lacks scopes stops Run before anything is subscribed, with
// an error that names each missing scope and what needs it; with WithToken
// there is no device flow to ask again.
func TestMissingScopes(t *testing.T) {
	srv := newFake(t)
	srv.OAuth.AddToken("chat-only", twitchtest.TokenInfo{ClientID: clientID, UserID: userID, Login: login, Scopes: []string{"user:read:chat"}})
	synctest.Test(t, func(t *testing.T) {
		b := newBot(t, srv, twitch.WithToken("chat-only", "r"), twitch.WithScopes(oauth.ScopeUserWriteChat))
		handlers(b.Client)
		err := b.Run(context.Background())

		var missing *twitch.MissingScopesError
		assert.Assert(t, errors.As(err, &missing), "%v", err)
		assert.DeepEqual(t, missing.Missing, []twitch.MissingScope{
			{Scopes: []oauth.Scope{oauth.ScopeUserWriteChat}, NeededBy: []string{"WithScopes"}},
			{Scopes: []oauth.Scope{oauth.ScopeModeratorReadFollowers}, NeededBy: []string{"OnChannelFollow"}},
			{Scopes: []oauth.Scope{oauth.ScopeChannelReadPolls, oauth.ScopeChannelManagePolls}, NeededBy: []string{"OnChannelPollBegin", "OnChannelPollEnd"}},
		})
		assert.Equal(t, err.Error(), "twitch: the token lacks scopes the client needs: user:write:chat (for WithScopes), "+
			"moderator:read:followers (for OnChannelFollow), "+
			"one of channel:read:polls or channel:manage:polls (for OnChannelPollBegin, OnChannelPollEnd); "+
			"authorize the application again with them (without WithToken, Run asks for them with the device flow)")

		// Nothing was subscribed, nor asked of the user.
		assert.Equal(t, len(srv.EventSub.Subscriptions()), 0)
		for _, r := range srv.Helix.Requests() {
			assert.Assert(t, r.Operation != "CreateEventSubSubscription", "a subscription was made")
		}
		assert.Equal(t, srv.OAuth.Stats().DeviceCodes, 0)
		assert.Equal(t, len(b.codes), 0)
		assert.Equal(t, b.User(), twitch.User{}, "no user before the token passes")
	})
}

// Without WithToken, a saved token that lacks scopes has the device flow
// ask the user again, for the scopes the handlers need, and Run goes on.
func TestMissingScopesAskAgain(t *testing.T) {
	srv := newFake(t)
	srv.OAuth.AutoApproveDevices(true)
	tokenFile := filepath.Join(t.TempDir(), "token.json")
	old := srv.OAuth.GrantUserToken(clientID, "user:read:chat")
	assert.NilError(t, oauth.NewFileStore(tokenFile).Save(old))
	synctest.Test(t, func(t *testing.T) {
		b := newBot(t, srv, twitch.WithTokenFile(tokenFile), twitch.WithScopes(oauth.ScopeUserWriteChat))
		handlers(b.Client)
		b.start(t)
		code := wait(t, b.codes, "device code")
		assert.DeepEqual(t, code.Scopes, []oauth.Scope{
			oauth.ScopeUserWriteChat, oauth.ScopeModeratorReadFollowers, oauth.ScopeChannelReadPolls, oauth.ScopeUserReadChat,
		})
		b.waitReady(t)
		assert.Assert(t, strings.Contains(b.log.String(), "the token lacks scopes the client needs: authorizing the application again"), b.log.String())

		saved, err := oauth.NewFileStore(tokenFile).Load()
		assert.NilError(t, err)
		assert.Assert(t, saved.AccessToken != old.AccessToken)
		assert.DeepEqual(t, oauth.TokenScopes(saved), code.Scopes)
		assert.Equal(t, len(srv.EventSub.Subscriptions()), 4)
	})
}
