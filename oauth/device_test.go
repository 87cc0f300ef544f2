package oauth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/twitchify-go/twitch/oauth"
	"github.com/twitchify-go/twitch/twitchtest"
)

func TestDeviceFlowApproved(t *testing.T) {
	f := newFixture(t)
	f.srv.OAuth.AddClient("bot", "")
	synctest.Test(t, func(t *testing.T) {
		c := f.client("bot")
		ctx := context.Background()

		da, err := c.DeviceAuth(ctx, oauth.ScopeUserReadChat, oauth.ScopeUserWriteChat)
		assert.NilError(t, err)
		assert.Equal(t, len(da.UserCode), 8)
		assert.Equal(t, da.Interval, 5*time.Second)
		assert.Equal(t, da.Expiry, time.Now().Add(30*time.Minute))
		u, err := url.Parse(da.VerificationURI)
		assert.NilError(t, err)
		assert.Equal(t, u.Query().Get("device-code"), da.UserCode)

		// The user takes a while; Twitch asks once to slow down.
		assert.NilError(t, f.srv.OAuth.ScriptDevice(da.UserCode,
			twitchtest.DevicePending, twitchtest.DevicePending, twitchtest.DeviceSlowDown,
			twitchtest.DevicePending, twitchtest.DeviceApproved))
		tok, err := c.DeviceAccessToken(ctx, da)
		assert.NilError(t, err)

		// The first poll goes at once; RFC 8628 section 3.5: slow_down adds
		// 5 seconds to this and every later wait.
		assert.DeepEqual(t, f.hits.waits(), []time.Duration{0, 5 * time.Second, 5 * time.Second, 10 * time.Second, 10 * time.Second})
		assert.Equal(t, f.srv.OAuth.Stats().DevicePolls, 5)
		assert.Assert(t, tok.AccessToken != "" && tok.RefreshToken != "")
		assert.Equal(t, tok.Expiry, time.Now().Add(4*time.Hour))
		// The fake grants the scopes it read from "scopes" in the body.
		assert.DeepEqual(t, oauth.TokenScopes(tok), []oauth.Scope{oauth.ScopeUserReadChat, oauth.ScopeUserWriteChat})

		v, err := c.Validate(ctx, tok.AccessToken)
		assert.NilError(t, err)
		assert.DeepEqual(t, v, &oauth.Validation{
			ClientID: "bot", Login: "twitchdev", UserID: "141981764",
			Scopes:    []oauth.Scope{oauth.ScopeUserReadChat, oauth.ScopeUserWriteChat},
			ExpiresIn: 4 * time.Hour, Expiry: time.Now().Add(4 * time.Hour),
		})

		// The device code is spent.
		_, err = c.PollDevice(ctx, da)
		assert.Assert(t, errors.Is(err, oauth.ErrInvalidDeviceCode), "%v", err)
	})
}

func TestDeviceFlowOutcomes(t *testing.T) {
	tests := []struct {
		answer twitchtest.DeviceAnswer
		want   error
	}{
		{twitchtest.DeviceDenied, oauth.ErrAccessDenied},
		{twitchtest.DeviceExpired, oauth.ErrDeviceCodeExpired},
		{twitchtest.DeviceInvalid, oauth.ErrInvalidDeviceCode},
	}
	for _, rfc := range []bool{false, true} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/rfc=%v", tt.answer, rfc), func(t *testing.T) {
				f := newFixture(t)
				f.srv.OAuth.UseRFCErrors(rfc)
				synctest.Test(t, func(t *testing.T) {
					c := f.client("bot")
					ctx := context.Background()
					da, err := c.DeviceAuth(ctx, oauth.ScopeChatRead)
					assert.NilError(t, err)
					assert.NilError(t, f.srv.OAuth.ScriptDevice(da.UserCode, twitchtest.DevicePending, twitchtest.DeviceSlowDown, tt.answer))

					tok, err := c.DeviceAccessToken(ctx, da)
					assert.Assert(t, tok == nil)
					assert.Assert(t, errors.Is(err, tt.want), "%v", err)
					e := asError(t, err)
					assert.Equal(t, e.StatusCode, http.StatusBadRequest)
					assert.Equal(t, e.Endpoint, "token")
					assert.Equal(t, e.Grant, "device_code")
					for _, other := range []error{oauth.ErrAccessDenied, oauth.ErrDeviceCodeExpired, oauth.ErrInvalidDeviceCode, oauth.ErrReauthorize} {
						if other != tt.want {
							assert.Assert(t, !errors.Is(err, other), "%v is also %v", err, other)
						}
					}
					assert.Equal(t, f.srv.OAuth.Stats().DevicePolls, 3)
					assert.DeepEqual(t, f.hits.waits(), []time.Duration{0, 5 * time.Second, 10 * time.Second})
					assertNoSecret(t, err.Error()+f.logs.String(), oauth.DeviceCode(da))
				})
			})
		}
	}
}

// The client stops at the codes' expiry by its own clock, without waiting
// for Twitch to say so.
func TestDeviceFlowExpiresOnTheClientsClock(t *testing.T) {
	f := newFixture(t)
	synctest.Test(t, func(t *testing.T) {
		c := f.client("bot")
		ctx := context.Background()
		da, err := c.DeviceAuth(ctx)
		assert.NilError(t, err)

		_, err = c.DeviceAccessToken(ctx, da)
		assert.Assert(t, errors.Is(err, oauth.ErrDeviceCodeExpired), "%v", err)
		assert.Equal(t, time.Now(), da.Expiry)
		// A poll at once, then 30 minutes of polls every 5 seconds, the
		// last wait ending at the expiry without a poll.
		assert.Equal(t, f.srv.OAuth.Stats().DevicePolls, 30*60/5)
	})
}

func TestDeviceFlowEndsWithItsContext(t *testing.T) {
	f := newFixture(t)
	synctest.Test(t, func(t *testing.T) {
		c := f.client("bot")
		da, err := c.DeviceAuth(context.Background())
		assert.NilError(t, err)

		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := c.DeviceAccessToken(ctx, da)
			done <- err
		}()
		// One pending poll at once, then cancel during the wait after it.
		synctest.Wait()
		assert.Equal(t, f.srv.OAuth.Stats().DevicePolls, 1)
		time.Sleep(4 * time.Second)
		cancel()
		assert.ErrorIs(t, <-done, context.Canceled)
		assert.Equal(t, f.srv.OAuth.Stats().DevicePolls, 1)
	})
}

// Visiting the verification URI approves the code, as the user would.
func TestDeviceFlowUserVisitsTheURI(t *testing.T) {
	f := newFixture(t)
	synctest.Test(t, func(t *testing.T) {
		c := f.client("bot")
		ctx := context.Background()
		da, err := c.DeviceAuth(ctx, oauth.ScopeUserBot)
		assert.NilError(t, err)
		resp, err := f.srv.InMemoryClient().Get(da.VerificationURI)
		assert.NilError(t, err)
		resp.Body.Close()
		assert.Equal(t, resp.StatusCode, http.StatusOK)

		tok, err := c.DeviceAccessToken(ctx, da)
		assert.NilError(t, err)
		assert.DeepEqual(t, oauth.TokenScopes(tok), []oauth.Scope{oauth.ScopeUserBot})
		assert.Equal(t, f.srv.OAuth.Stats().DevicePolls, 1)
	})
}

func TestDeviceFlowRefusals(t *testing.T) {
	f := newFixture(t)
	f.srv.OAuth.AddClient("bot", "")
	ctx := context.Background()

	_, err := f.client("stranger").DeviceAuth(ctx, oauth.ScopeChatRead)
	assert.Assert(t, errors.Is(err, oauth.ErrInvalidClient), "%v", err)
	e := asError(t, err)
	assert.Equal(t, e.Endpoint, "device")
	assert.Equal(t, e.Message, "invalid client")

	assert.NilError(t, f.srv.OAuth.FailNext("device", twitchtest.Fault{Status: http.StatusServiceUnavailable}))
	_, err = f.client("bot").DeviceAuth(ctx)
	e = asError(t, err)
	assert.Equal(t, e.StatusCode, http.StatusServiceUnavailable)
	assert.Assert(t, errors.Unwrap(e) == nil, "a 503 means nothing more: %v", err)
}

// Printing a DeviceAuthResponse in any way never shows the device code.
func TestDeviceAuthResponseHidesTheDeviceCode(t *testing.T) {
	f := newFixture(t)
	da, err := f.client("bot").DeviceAuth(context.Background())
	assert.NilError(t, err)
	code := oauth.DeviceCode(da)
	assert.Assert(t, code != "")
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []any{da, *da, []any{da}} {
			out := fmt.Sprintf(verb, v)
			assert.Assert(t, is.Contains(out, da.UserCode))
			assertNoSecret(t, out, code)
		}
	}
	assertNoSecret(t, f.logs.String(), code)
	assert.Assert(t, strings.Contains(f.logs.String(), "device flow started"))
}
