package oauth_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/oauth2"
	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/oauth"
	"github.com/twitchify-go/twitch/twitchtest"
)

func TestValidateAndRevoke(t *testing.T) {
	f := newFixture(t)
	synctest.Test(t, func(t *testing.T) { validateAndRevoke(t, f) })
}

func validateAndRevoke(t *testing.T, f *fixture) {
	c := f.client("bot")
	ctx := context.Background()
	tok := f.srv.OAuth.GrantUserToken("bot", "chat:read", "user:bot")
	time.Sleep(time.Hour)

	v, err := c.Validate(ctx, tok.AccessToken)
	assert.NilError(t, err)
	assert.DeepEqual(t, v, &oauth.Validation{
		ClientID: "bot", Login: "twitchdev", UserID: "141981764",
		Scopes:    []oauth.Scope{oauth.ScopeChatRead, oauth.ScopeUserBot},
		ExpiresIn: 3 * time.Hour, Expiry: time.Now().Add(3 * time.Hour),
	})

	assert.NilError(t, c.Revoke(ctx, tok.AccessToken))
	assert.Equal(t, f.srv.OAuth.Stats().Revocations, 1)
	_, err = c.Validate(ctx, tok.AccessToken)
	assert.Assert(t, errors.Is(err, oauth.ErrInvalidToken), "%v", err)
	e := asError(t, err)
	assert.Equal(t, e.StatusCode, http.StatusUnauthorized)
	assert.Equal(t, e.Endpoint, "validate")
	// Revoking the access token ended its refresh token too.
	_, err = c.UserTokenSource(tok).Refresh(ctx, nil)
	assertReauthorize(t, err)

	err = c.Revoke(ctx, tok.AccessToken)
	assert.Assert(t, errors.Is(err, oauth.ErrInvalidToken), "revoked already: %v", err)
	err = f.client("someone-else").Revoke(ctx, f.srv.OAuth.GrantUserToken("bot").AccessToken)
	assert.Assert(t, errors.Is(err, oauth.ErrInvalidToken), "another client's token: %v", err)

	f.srv.OAuth.AddClient("bot", "")
	err = f.client("unknown").Revoke(ctx, "whatever")
	assert.Assert(t, errors.Is(err, oauth.ErrInvalidClient), "%v", err)
	assert.Equal(t, asError(t, err).StatusCode, http.StatusNotFound)
	assertNoSecret(t, errText(err)+f.logs.String(), tok.AccessToken, tok.RefreshToken)
}

// validatorRun runs a Validator in a synctest bubble until the bubble's
// test ends, and reports its callbacks on channels.
type validatorRun struct {
	valid   chan *oauth.Validation
	revoked chan error
	failed  chan error
	done    chan error
}

func runValidator(t *testing.T, c *oauth.Client, ts oauth2.TokenSource, opts ...oauth.ValidatorOption) *validatorRun {
	r := &validatorRun{
		valid:   make(chan *oauth.Validation, 10),
		revoked: make(chan error, 10),
		failed:  make(chan error, 10),
		done:    make(chan error, 1),
	}
	opts = append([]oauth.ValidatorOption{
		oauth.OnValid(func(v *oauth.Validation) { r.valid <- v }),
		oauth.OnRevoked(func(err error) { r.revoked <- err }),
		oauth.OnError(func(err error) { r.failed <- err }),
	}, opts...)
	v := c.NewValidator(ts, opts...)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { r.done <- v.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		assert.ErrorIs(t, <-r.done, context.Canceled)
	})
	return r
}

// reports returns how many callbacks of each kind are waiting to be read.
func (r *validatorRun) reports() [3]int { return [3]int{len(r.valid), len(r.revoked), len(r.failed)} }

func TestValidatorValidatesHourlyAndReportsRevocation(t *testing.T) {
	f := newFixture(t)
	synctest.Test(t, func(t *testing.T) {
		c := f.client("bot")
		tok := f.srv.OAuth.GrantUserToken("bot", "chat:read")
		ts := c.UserTokenSource(tok)
		start := time.Now()
		r := runValidator(t, c, ts)

		synctest.Wait()
		v := <-r.valid // at once
		assert.Equal(t, v.Login, "twitchdev")
		assert.Equal(t, f.srv.OAuth.Stats().Validations, 1)
		time.Sleep(time.Hour - time.Nanosecond)
		synctest.Wait()
		assert.Equal(t, f.srv.OAuth.Stats().Validations, 1, "not before the hour")

		time.Sleep(time.Nanosecond)
		synctest.Wait()
		<-r.valid
		assert.Equal(t, f.srv.OAuth.Stats().Validations, 2)
		assert.Equal(t, time.Since(start), time.Hour)

		// The user disconnects the application: the access and the refresh
		// token both end. The validator tries to refresh, fails, and
		// reports what to do.
		assert.NilError(t, f.srv.OAuth.RevokeToken(tok.AccessToken))
		time.Sleep(time.Hour)
		synctest.Wait()
		err := <-r.revoked
		assertReauthorize(t, err)
		assert.Equal(t, r.reports(), [3]int{0, 0, 0})

		// It goes on, and reports again until the source has a new token.
		time.Sleep(time.Hour)
		synctest.Wait()
		assertReauthorize(t, <-r.revoked)
		ts.Set(f.srv.OAuth.GrantUserToken("bot"))
		time.Sleep(time.Hour)
		synctest.Wait()
		<-r.valid
		assert.Equal(t, r.reports(), [3]int{0, 0, 0})
		assertNoSecret(t, f.logs.String(), tok.AccessToken, tok.RefreshToken)
	})
}

// A token Twitch ended early but whose refresh token is good is replaced
// without a report of revocation.
func TestValidatorRefreshesAnEndedToken(t *testing.T) {
	f := newFixture(t)
	synctest.Test(t, func(t *testing.T) {
		c := f.client("bot")
		tok := f.srv.OAuth.GrantUserToken("bot")
		ts := c.UserTokenSource(tok)
		start := time.Now()
		r := runValidator(t, c, ts, oauth.WithInterval(10*time.Minute))
		synctest.Wait()
		<-r.valid

		assert.NilError(t, f.srv.OAuth.ExpireToken(tok.AccessToken))
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		<-r.valid
		assert.Equal(t, f.srv.OAuth.Stats().Refreshes, 1)
		now, err := ts.Token()
		assert.NilError(t, err)
		assert.Assert(t, now.AccessToken != tok.AccessToken)
		assert.Equal(t, r.reports(), [3]int{0, 0, 0})
		assert.Equal(t, time.Since(start), 10*time.Minute)
	})
}

// A token that is not a Refresher's is reported at once, with what to
// do; a failure to reach Twitch is an error, not a revocation.
func TestValidatorReportsFailures(t *testing.T) {
	f := newFixture(t)
	synctest.Test(t, func(t *testing.T) {
		c := f.client("bot")
		tok := f.srv.OAuth.GrantUserToken("bot")
		assert.NilError(t, f.srv.OAuth.FailNext("validate", twitchtest.Fault{Status: http.StatusServiceUnavailable}))
		r := runValidator(t, c, oauth2.StaticTokenSource(tok), oauth.WithInterval(time.Hour))

		synctest.Wait()
		err := <-r.failed
		assert.Equal(t, asError(t, err).StatusCode, http.StatusServiceUnavailable)
		assert.Assert(t, !errors.Is(err, oauth.ErrReauthorize))

		assert.NilError(t, f.srv.OAuth.ExpireToken(tok.AccessToken))
		time.Sleep(time.Hour)
		synctest.Wait()
		err = <-r.revoked
		assert.Assert(t, errors.Is(err, oauth.ErrInvalidToken), "%v", err)
		assertReauthorize(t, err)
		assert.Assert(t, strings.HasPrefix(err.Error(), "oauth: validate: 401 invalid access token: the user must authorize"), "%v", err)
		assert.Equal(t, asError(t, err).Endpoint, "validate")
		assert.Equal(t, r.reports(), [3]int{0, 0, 0})
	})
}

// Options with values that mean nothing keep the defaults, and a Validator
// without a token source says so.
func TestValidatorOptions(t *testing.T) {
	f := newFixture(t)
	synctest.Test(t, func(t *testing.T) {
		c := f.client("bot")
		start := time.Now()
		r := runValidator(t, c, oauth2.StaticTokenSource(f.srv.OAuth.GrantUserToken("bot")), oauth.WithInterval(-time.Second), oauth.WithInterval(0))
		synctest.Wait()
		<-r.valid
		time.Sleep(time.Hour)
		synctest.Wait()
		<-r.valid
		assert.Equal(t, time.Since(start), time.Hour)
		assert.Equal(t, f.srv.OAuth.Stats().Validations, 2)
	})

	err := f.client("bot").NewValidator(nil).Run(context.Background())
	assert.Error(t, err, "oauth: validator: no token source")
}
