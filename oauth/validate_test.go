package oauth_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"gotest.tools/v3/assert"
	"gotest.tools/v3/poll"

	"github.com/twitchify-go/twitch/oauth"
	"github.com/twitchify-go/twitch/twitchtest"
)

func TestValidateAndRevoke(t *testing.T) {
	f := newFixture(t, false)
	c := f.client("bot")
	ctx := context.Background()
	tok := f.srv.OAuth.GrantUserToken("bot", "chat:read", "user:bot")
	f.clock.Advance(time.Hour)

	v, err := c.Validate(ctx, tok.AccessToken)
	assert.NilError(t, err)
	assert.DeepEqual(t, v, &oauth.Validation{
		ClientID: "bot", Login: "twitchdev", UserID: "141981764",
		Scopes:    []oauth.Scope{oauth.ScopeChatRead, oauth.ScopeUserBot},
		ExpiresIn: 4 * time.Hour, Expiry: f.clock.Now().Add(4 * time.Hour), // the fake reads the wall clock
	})

	assert.NilError(t, c.Revoke(ctx, tok.AccessToken))
	assert.Equal(t, f.srv.OAuth.Stats().Revocations, 1)
	_, err = c.Validate(ctx, tok.AccessToken)
	assert.Assert(t, errors.Is(err, oauth.ErrInvalidToken), "%v", err)
	e := asError(t, err)
	assert.Equal(t, e.Status, http.StatusUnauthorized)
	assert.Equal(t, e.Endpoint, "validate")
	// Revoking the access token ended its refresh token too.
	_, err = c.UserTokenSource(tok).Refresh(ctx, nil)
	assert.Assert(t, errors.Is(err, oauth.ErrReauthorize), "%v", err)

	err = c.Revoke(ctx, tok.AccessToken)
	assert.Assert(t, errors.Is(err, oauth.ErrInvalidToken), "revoked already: %v", err)
	err = f.client("someone-else").Revoke(ctx, f.srv.OAuth.GrantUserToken("bot").AccessToken)
	assert.Assert(t, errors.Is(err, oauth.ErrInvalidToken), "another client's token: %v", err)

	f.srv.OAuth.AddClient("bot", "")
	err = f.client("unknown").Revoke(ctx, "whatever")
	assert.Assert(t, errors.Is(err, oauth.ErrInvalidClient), "%v", err)
	assert.Equal(t, asError(t, err).Status, http.StatusNotFound)
	assertNoSecret(t, errText(err)+f.logs.String(), tok.AccessToken, tok.RefreshToken)
}

// validatorRun runs a Validator until the test ends, and reports its
// hooks on channels.
type validatorRun struct {
	valid   chan *oauth.Validation
	revoked chan error
	failed  chan error
	done    chan error
}

func runValidator(t *testing.T, c *oauth.Client, ts oauth2.TokenSource, every time.Duration) *validatorRun {
	r := &validatorRun{
		valid:   make(chan *oauth.Validation, 10),
		revoked: make(chan error, 10),
		failed:  make(chan error, 10),
		done:    make(chan error, 1),
	}
	v := &oauth.Validator{
		Client: c, Tokens: ts, Interval: every,
		OnValid:   func(v *oauth.Validation) { r.valid <- v },
		OnRevoked: func(err error) { r.revoked <- err },
		OnError:   func(err error) { r.failed <- err },
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { r.done <- v.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// waitForWait waits until the validator waits for its next round.
func waitForWait(t *testing.T, clk *fakeClock) {
	t.Helper()
	poll.WaitOn(t, func(poll.LogT) poll.Result {
		if clk.Waiting() == 1 {
			return poll.Success()
		}
		return poll.Continue("the validator is not waiting")
	})
}

func TestValidatorValidatesHourlyAndReportsRevocation(t *testing.T) {
	f := newFixture(t, false)
	c := f.client("bot")
	tok := f.srv.OAuth.GrantUserToken("bot", "chat:read")
	ts := c.UserTokenSource(tok)
	r := runValidator(t, c, ts, 0)

	v := <-r.valid // at once
	assert.Equal(t, v.Login, "twitchdev")
	waitForWait(t, f.clock)
	assert.DeepEqual(t, f.clock.Waits(), []time.Duration{time.Hour})
	assert.Equal(t, f.srv.OAuth.Stats().Validations, 1)

	f.clock.Advance(time.Hour)
	<-r.valid
	waitForWait(t, f.clock)
	assert.Equal(t, f.srv.OAuth.Stats().Validations, 2)

	// The user disconnects the application: the access and the refresh
	// token both end. The validator tries to refresh, fails, and reports.
	assert.NilError(t, f.srv.OAuth.RevokeToken(tok.AccessToken))
	f.clock.Advance(time.Hour)
	err := <-r.revoked
	assert.Assert(t, errors.Is(err, oauth.ErrReauthorize), "%v", err)
	waitForWait(t, f.clock)
	assert.Equal(t, len(r.valid), 0)
	assert.Equal(t, len(r.failed), 0)

	// It goes on, and reports again until the source has a new token.
	f.clock.Advance(time.Hour)
	assert.Assert(t, errors.Is(<-r.revoked, oauth.ErrReauthorize))
	waitForWait(t, f.clock)
	ts.Set(f.srv.OAuth.GrantUserToken("bot"))
	f.clock.Advance(time.Hour)
	<-r.valid
	assertNoSecret(t, f.logs.String(), tok.AccessToken, tok.RefreshToken)
}

// A token Twitch ended early but whose refresh token is good is replaced
// without a report of revocation.
func TestValidatorRefreshesAnEndedToken(t *testing.T) {
	f := newFixture(t, false)
	c := f.client("bot")
	tok := f.srv.OAuth.GrantUserToken("bot")
	ts := c.UserTokenSource(tok)
	r := runValidator(t, c, ts, 10*time.Minute)
	<-r.valid
	waitForWait(t, f.clock)

	assert.NilError(t, f.srv.OAuth.ExpireToken(tok.AccessToken))
	f.clock.Advance(10 * time.Minute)
	<-r.valid
	waitForWait(t, f.clock)
	assert.Equal(t, f.srv.OAuth.Stats().Refreshes, 1)
	now, err := ts.Token()
	assert.NilError(t, err)
	assert.Assert(t, now.AccessToken != tok.AccessToken)
	assert.Equal(t, len(r.revoked), 0)
	assert.DeepEqual(t, f.clock.Waits(), []time.Duration{10 * time.Minute, 10 * time.Minute})
}

// A token that is not a Refresher's is reported at once; a failure to
// reach Twitch is an error, not a revocation.
func TestValidatorReportsFailures(t *testing.T) {
	f := newFixture(t, false)
	c := f.client("bot")
	tok := f.srv.OAuth.GrantUserToken("bot")
	assert.NilError(t, f.srv.OAuth.FailNext("validate", twitchtest.Fault{Status: http.StatusServiceUnavailable}))
	r := runValidator(t, c, oauth2.StaticTokenSource(tok), time.Hour)

	err := <-r.failed
	assert.Equal(t, asError(t, err).Status, http.StatusServiceUnavailable)
	waitForWait(t, f.clock)

	assert.NilError(t, f.srv.OAuth.ExpireToken(tok.AccessToken))
	f.clock.Advance(time.Hour)
	err = <-r.revoked
	assert.Assert(t, errors.Is(err, oauth.ErrInvalidToken), "%v", err)
	waitForWait(t, f.clock)
	assert.Equal(t, len(r.valid), 0)
}
