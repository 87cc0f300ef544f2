package twitch_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch"
	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/oauth"
	"github.com/twitchify-go/twitch/twitchtest"
	"golang.org/x/oauth2"
)

var followScopes = []string{"moderator:read:followers", "user:write:chat"}

// When the user disconnects the application, Twitch revokes the
// subscriptions (authorization_revoked) and the token: Run validates at
// once and stops with an error that says so and what to do.
func TestRevokedToken(t *testing.T) {
	srv := newFake(t)
	path := filepath.Join(t.TempDir(), "token.json")
	synctest.Test(t, func(t *testing.T) {
		tok := srv.OAuth.GrantUserToken(clientID, followScopes...)
		assert.NilError(t, oauth.NewFileStore(path).Save(tok))
		b := newBot(t, srv, twitch.WithTokenFile(path))
		b.OnRevoked(func(sub helix.EventSubSubscription) { b.revoked <- string(sub.Status) })
		b.OnChannelFollow(func(context.Context, *eventsub.ChannelFollowEvent) {})
		b.start(t)
		b.waitReady(t)
		start := time.Now()

		assert.NilError(t, srv.OAuth.RevokeToken(tok.AccessToken))
		assert.NilError(t, srv.EventSub.Revoke(srv.EventSub.Subscriptions()[0].ID, "authorization_revoked"))
		assert.Equal(t, wait(t, b.revoked, "revocation"), "authorization_revoked")
		err := b.runErr(t)
		assert.Assert(t, errors.Is(err, oauth.ErrReauthorize), "%v", err)
		assert.Error(t, err, "twitch: Twitch refuses the token (the user disconnected the application, or it was revoked) "+
			"and it cannot be renewed: run the client again: it asks the user to authorize it with the device flow")
		assert.Equal(t, time.Since(start), time.Duration(0), "at once, not at the next hourly validation")
	})
}

// A token revoked without a word is found by the hourly validation.
func TestRevokedTokenFoundHourly(t *testing.T) {
	srv := newFake(t)
	synctest.Test(t, func(t *testing.T) {
		tok := srv.OAuth.GrantUserToken(clientID, followScopes...)
		b := newBot(t, srv, twitch.WithToken(tok.AccessToken, tok.RefreshToken))
		b.OnChannelFollow(func(context.Context, *eventsub.ChannelFollowEvent) {})
		b.start(t)
		b.waitReady(t)
		start := time.Now()
		assert.Equal(t, srv.OAuth.Stats().Validations, 1)
		assert.NilError(t, srv.OAuth.RevokeToken(tok.RefreshToken))

		err := b.runErr(t)
		assert.Assert(t, errors.Is(err, oauth.ErrReauthorize), "%v", err)
		assert.Assert(t, strings.HasSuffix(err.Error(), "give the client a new token (WithToken)"), "%v", err)
		assert.Equal(t, time.Since(start), time.Hour)
		assert.Equal(t, srv.OAuth.Stats().Validations, 2)
	})
}

// An access token that expired while the bot was stopped is renewed when
// Run starts, and the token file and OnAuth get the new one; so is one
// that expires while it runs.
func TestExpiredTokenIsRenewed(t *testing.T) {
	srv := newFake(t)
	srv.OAuth.RotateRefreshTokens(true)
	srv.OAuth.SetTokenLifetime(90*time.Minute, time.Hour)
	path := filepath.Join(t.TempDir(), "token.json")
	store := oauth.NewFileStore(path)
	synctest.Test(t, func(t *testing.T) {
		// The fake reads the bubble's clock: tokens are made in it.
		old := srv.OAuth.GrantUserToken(clientID, followScopes...)
		time.Sleep(2 * time.Hour) // the bot was stopped meanwhile
		assert.NilError(t, store.Save(old))
		b := newBot(t, srv, twitch.WithTokenFile(path))
		b.OnChannelFollow(func(context.Context, *eventsub.ChannelFollowEvent) {})
		b.start(t)
		first := wait(t, b.auths, "the renewed token")
		b.waitReady(t)
		saved, err := store.Load()
		assert.NilError(t, err)
		assert.Equal(t, saved.AccessToken, first.AccessToken)
		assert.Assert(t, saved.AccessToken != old.AccessToken && saved.RefreshToken != old.RefreshToken)
		assert.Equal(t, srv.OAuth.Stats().Refreshes, 1)
		assert.Equal(t, srv.OAuth.Stats().DeviceCodes, 0)

		// The new token lasts 90 minutes: the hourly validation at 60
		// minutes finds it valid, the one at 120 renews it first.
		time.Sleep(2 * time.Hour)
		second := wait(t, b.auths, "the token renewed while running")
		saved, err = store.Load()
		assert.NilError(t, err)
		assert.Equal(t, saved.AccessToken, second.AccessToken)
		assert.Assert(t, second.AccessToken != first.AccessToken)
		assert.NilError(t, b.SendChatMessage(context.Background(), "still here"))
		assert.Equal(t, len(b.errs), 0)
	})
}

// A token without a refresh token cannot be renewed: Run says so once,
// and stops when it expires (not at the next hourly validation), with an
// error that says what to do.
func TestPlainTokenExpires(t *testing.T) {
	const lifetime = 150 * time.Minute
	srv := newFake(t)
	srv.OAuth.SetTokenLifetime(lifetime, time.Hour)
	synctest.Test(t, func(t *testing.T) {
		tok := srv.OAuth.GrantUserToken(clientID, followScopes...)
		b := newBot(t, srv, twitch.WithToken(tok.AccessToken, ""))
		b.OnChannelFollow(func(context.Context, *eventsub.ChannelFollowEvent) {})
		start := time.Now()
		b.start(t)
		b.waitReady(t)
		assert.Equal(t, strings.Count(b.log.String(), "the token has no refresh token, so it cannot be renewed"), 1, b.log.String())

		err := b.runErr(t)
		assert.Equal(t, time.Since(start), lifetime)
		assert.Assert(t, errors.Is(err, oauth.ErrReauthorize), "%v", err)
		assert.Error(t, err, "twitch: the access token expired at "+start.Add(lifetime).UTC().Format(time.RFC3339)+
			", and it has no refresh token, so it cannot be renewed: give the client a new token (WithToken)")
		assert.Equal(t, strings.Count(b.log.String(), "cannot be renewed"), 1, "said once")
	})
}

// A token of another application is refused at the start: Twitch would
// refuse every call with it under this client ID.
func TestTokenOfAnotherApplication(t *testing.T) {
	srv := newFake(t)
	srv.OAuth.AddToken("theirs", twitchtest.TokenInfo{ClientID: "another-app", UserID: userID, Login: login, Scopes: followScopes})
	synctest.Test(t, func(t *testing.T) {
		b := newBot(t, srv, twitch.WithToken("theirs", ""))
		assert.Error(t, b.Run(context.Background()), "twitch: Run: the token was issued to the application another-app, "+
			"not to bot-client, so Twitch refuses it with this client ID: get a token for bot-client")
	})
}

// A token Twitch refuses at the start, with no way to renew it, is an
// error with WithToken; without it, the device flow asks the user again.
func TestRefusedTokenAtStart(t *testing.T) {
	srv := newFake(t)
	srv.OAuth.AddToken("known", twitchtest.TokenInfo{ClientID: clientID, UserID: userID, Login: login})
	srv.OAuth.AutoApproveDevices(true)
	path := filepath.Join(t.TempDir(), "token.json")
	assert.NilError(t, oauth.NewFileStore(path).Save(&oauth2.Token{AccessToken: "unknown", RefreshToken: "unknown"}))
	synctest.Test(t, func(t *testing.T) {
		b := newBot(t, srv, twitch.WithToken("unknown", ""))
		err := b.Run(context.Background())
		assert.Assert(t, errors.Is(err, oauth.ErrReauthorize), "%v", err)
		assert.Error(t, err, "twitch: Run: Twitch refuses the token of WithToken (expired or revoked) and it cannot be renewed: give the client a new token")
		assert.Equal(t, srv.OAuth.Stats().DeviceCodes, 0)

		b = newBot(t, srv, twitch.WithTokenFile(path))
		b.OnChannelFollow(func(context.Context, *eventsub.ChannelFollowEvent) {})
		b.start(t)
		wait(t, b.codes, "device code")
		b.waitReady(t)
		assert.Assert(t, strings.Contains(b.log.String(), "the saved token can no longer be used: authorizing the application again"), b.log.String())
	})
}
