package oauth_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"

	"golang.org/x/oauth2"
	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/oauth"
	"github.com/twitchify-go/twitch/twitchtest"
)

// Every flow, failing and succeeding, with a logger at Debug: no token,
// refresh token, device code, authorization code or secret is in any
// error's text or log line.
func TestNoSecretInErrorsOrLogs(t *testing.T) {
	const secret = "client-secret-value-123"
	f := newFixture(t)
	f.srv.OAuth.AddClient("conf", secret)
	f.srv.OAuth.AddClient("pub", "")
	conf := f.client("conf", oauth.WithClientSecret(secret))
	pub := f.client("pub")
	ctx := context.Background()
	secrets := []string{secret}
	var errs []error
	keep := func(toks ...*oauth2.Token) {
		for _, tok := range toks {
			if tok != nil {
				secrets = append(secrets, tok.AccessToken, tok.RefreshToken)
			}
		}
	}

	// Device flow: approved, then every refusal; and refreshes of its
	// token: good (rotating), then refused. The polls' waits pass in a
	// bubble.
	synctest.Test(t, func(t *testing.T) {
		da, err := pub.DeviceAuth(ctx, oauth.ScopeChatRead)
		assert.NilError(t, err)
		secrets = append(secrets, oauth.DeviceCode(da))
		assert.NilError(t, f.srv.OAuth.ScriptDevice(da.UserCode, twitchtest.DevicePending, twitchtest.DeviceSlowDown, twitchtest.DeviceApproved))
		userTok, err := pub.DeviceAccessToken(ctx, da)
		assert.NilError(t, err)
		keep(userTok)
		_, err = pub.PollDevice(ctx, da) // spent
		errs = append(errs, err)
		for _, answer := range []twitchtest.DeviceAnswer{twitchtest.DeviceDenied, twitchtest.DeviceExpired} {
			da, err := pub.DeviceAuth(ctx)
			assert.NilError(t, err)
			secrets = append(secrets, oauth.DeviceCode(da))
			assert.NilError(t, f.srv.OAuth.ScriptDevice(da.UserCode, answer))
			_, err = pub.DeviceAccessToken(ctx, da)
			errs = append(errs, err)
		}

		ts := pub.UserTokenSource(userTok)
		fresh, err := ts.Refresh(ctx, userTok)
		assert.NilError(t, err)
		keep(fresh)
		assert.NilError(t, f.srv.OAuth.RevokeToken(fresh.RefreshToken))
		_, err = ts.Refresh(ctx, fresh)
		errs = append(errs, err)
	})

	// Refresh with a wrong secret.
	confTok := f.srv.OAuth.GrantUserToken("conf")
	keep(confTok)
	_, err := f.client("conf", oauth.WithClientSecret("wrong-"+secret)).UserTokenSource(confTok).Refresh(ctx, nil)
	errs = append(errs, err)
	secrets = append(secrets, "wrong-"+secret)

	// App tokens.
	app, err := conf.AppTokenSource(nil).Token()
	assert.NilError(t, err)
	keep(app)
	_, err = f.client("conf", oauth.WithClientSecret("wrong-"+secret)).AppTokenSource(nil).Token()
	errs = append(errs, err)

	// Validate and revoke, good and bad.
	_, err = conf.Validate(ctx, confTok.AccessToken)
	assert.NilError(t, err)
	assert.NilError(t, conf.Revoke(ctx, confTok.AccessToken))
	_, err = conf.Validate(ctx, confTok.AccessToken)
	errs = append(errs, err)
	errs = append(errs, conf.Revoke(ctx, confTok.AccessToken))

	// Authorization code: exchanged, then again.
	state := oauth.NewState()
	cb, err := oauth.ListenCallback("http://127.0.0.1:0/", state)
	assert.NilError(t, err)
	defer cb.Close()
	resp, err := http.Get(conf.AuthCodeURL(cb.RedirectURL, state, nil))
	assert.NilError(t, err)
	resp.Body.Close()
	code, err := cb.Wait(ctx)
	assert.NilError(t, err)
	secrets = append(secrets, code, state)
	codeTok, err := conf.Exchange(ctx, code, cb.RedirectURL)
	assert.NilError(t, err)
	keep(codeTok)
	_, err = conf.Exchange(ctx, code, cb.RedirectURL)
	errs = append(errs, err)

	// Twitch failing, and a connection refused.
	assert.NilError(t, f.srv.OAuth.FailNext("token", twitchtest.Fault{Status: http.StatusInternalServerError}))
	_, err = conf.UserTokenSource(codeTok).Refresh(ctx, nil)
	errs = append(errs, err)
	down := oauth.New("conf", oauth.WithClientSecret(secret), oauth.WithBaseURL("http://127.0.0.1:1"))
	_, err = down.UserTokenSource(codeTok).Refresh(ctx, nil)
	errs = append(errs, err)
	_, err = down.Validate(ctx, codeTok.AccessToken)
	errs = append(errs, err)
	errs = append(errs, down.Revoke(ctx, codeTok.AccessToken))
	_, err = down.DeviceAuth(ctx)
	errs = append(errs, err)

	var all strings.Builder
	for i, err := range errs {
		assert.Assert(t, err != nil, "error %d", i)
		all.WriteString(err.Error() + "\n")
	}
	all.WriteString(f.logs.String())
	assertNoSecret(t, all.String(), secrets...)
	t.Log(all.String())
	// The logs and errors say something: they are not empty by accident.
	for _, want := range []string{"refreshed a user access token", "device flow: slow down", "Invalid refresh token", "invalid client secret", "connection refused"} {
		assert.Assert(t, strings.Contains(all.String(), want), "%q missing from:\n%s", want, all.String())
	}
}
