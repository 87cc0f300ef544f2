package twitchtest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/twitchtest"
)

// oauthPost sends a form to the fake's OAuth and returns the status and the
// decoded JSON answer (nil for an empty body).
func oauthPost(t *testing.T, srv *twitchtest.Server, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := srv.Client().PostForm(srv.OAuthURL+path, form)
	assert.NilError(t, err)
	return oauthDecode(t, resp)
}

// oauthClock is a settable time for the fake.
type oauthClock struct {
	mu  sync.Mutex
	now time.Time
}

func newOAuthClock() *oauthClock {
	return &oauthClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *oauthClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *oauthClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func oauthDecode(t *testing.T, resp *http.Response) (int, map[string]any) {
	t.Helper()
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	assert.NilError(t, err)
	if len(data) == 0 {
		return resp.StatusCode, nil
	}
	var body map[string]any
	assert.NilError(t, json.Unmarshal(data, &body), "%s", data)
	return resp.StatusCode, body
}

func oauthValidate(t *testing.T, srv *twitchtest.Server, token string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.OAuthURL+"/oauth2/validate", nil)
	assert.NilError(t, err)
	req.Header.Set("Authorization", "OAuth "+token)
	resp, err := srv.Client().Do(req)
	assert.NilError(t, err)
	return oauthDecode(t, resp)
}

// The device flow in Twitch's words: scopes from "scopes" in the body,
// outcomes in "message", "scope" an array in the token answer.
func TestOAuthDeviceFlowSpeaksTwitch(t *testing.T) {
	clk := newOAuthClock()
	srv := twitchtest.NewServer(t, twitchtest.WithClock(clk.Now))
	srv.AddOAuthClient("bot", "")

	status, body := oauthPost(t, srv, "/oauth2/device", url.Values{"client_id": {"bot"}, "scopes": {"chat:read user:bot"}, "scope": {"ignored:scope"}})
	assert.Equal(t, status, http.StatusOK)
	code, user := body["device_code"].(string), body["user_code"].(string)
	assert.Assert(t, code != "" && len(user) == 8)
	assert.Equal(t, body["expires_in"], float64(1800))
	assert.Equal(t, body["interval"], float64(5))
	assert.Equal(t, body["verification_uri"], srv.URL+"/activate?public=true&device-code="+user)

	poll := func() (int, map[string]any) {
		return oauthPost(t, srv, "/oauth2/token", url.Values{
			"client_id": {"bot"}, "device_code": {code}, "grant_type": {"urn:ietf:params:oauth:grant-type:device_code"},
		})
	}
	status, body = poll()
	assert.Equal(t, status, http.StatusBadRequest)
	assert.DeepEqual(t, body, map[string]any{"status": float64(400), "message": "authorization_pending"})

	assert.NilError(t, srv.ScriptDevice(user, twitchtest.DeviceSlowDown))
	_, body = poll()
	assert.Equal(t, body["message"], "slow_down")
	_, body = poll()
	assert.Equal(t, body["message"], "authorization_pending", "after the script, the code's state")

	assert.NilError(t, srv.ApproveDevice(user))
	status, body = poll()
	assert.Equal(t, status, http.StatusOK)
	assert.DeepEqual(t, body["scope"], []any{"chat:read", "user:bot"})
	assert.Equal(t, body["token_type"], "bearer")
	assert.Equal(t, body["expires_in"], float64(4*3600))
	access, refresh := body["access_token"].(string), body["refresh_token"].(string)
	assert.Assert(t, access != "" && refresh != "" && access != refresh)

	status, body = poll()
	assert.Equal(t, status, http.StatusBadRequest)
	assert.Equal(t, body["message"], "invalid device code", "spent")

	status, body = oauthValidate(t, srv, access)
	assert.Equal(t, status, http.StatusOK)
	assert.DeepEqual(t, body, map[string]any{
		"client_id": "bot", "login": "twitchdev", "user_id": "141981764",
		"scopes": []any{"chat:read", "user:bot"}, "expires_in": float64(4 * 3600),
	})
	assert.Equal(t, srv.OAuthStats(), twitchtest.OAuthStats{DeviceCodes: 1, DevicePolls: 5, Validations: 1})

	// Denied, expired on the fake's clock, and unknown codes.
	_, body = oauthPost(t, srv, "/oauth2/device", url.Values{"client_id": {"bot"}})
	code, user = body["device_code"].(string), body["user_code"].(string)
	assert.NilError(t, srv.DenyDevice(user))
	_, body = poll()
	assert.Equal(t, body["message"], "access_denied")
	_, body = poll()
	assert.Equal(t, body["message"], "invalid device code")

	_, body = oauthPost(t, srv, "/oauth2/device", url.Values{"client_id": {"bot"}})
	code = body["device_code"].(string)
	clk.Advance(30 * time.Minute)
	_, body = poll()
	assert.Equal(t, body["message"], "expired_token")

	status, body = oauthPost(t, srv, "/oauth2/device", url.Values{"client_id": {"stranger"}})
	assert.Equal(t, status, http.StatusBadRequest)
	assert.Equal(t, body["message"], "invalid client")
	assert.ErrorIs(t, srv.ApproveDevice("NOSUCHCD"), twitchtest.ErrNotFound)
	assert.ErrorIs(t, srv.ScriptDevice("NOSUCHCD", twitchtest.DevicePending), twitchtest.ErrNotFound)
}

// Issued tokens are Helix tokens: with their scopes, until they expire or
// are revoked.
func TestOAuthTokensWorkOnHelix(t *testing.T) {
	clk := newOAuthClock()
	srv := twitchtest.NewServer(t, twitchtest.WithClock(clk.Now))
	tok := srv.GrantUserToken("bot", "moderator:read:followers")
	assert.Equal(t, tok.Expiry, clk.Now().Add(4*time.Hour))
	ctx := context.Background()
	h := helix.New("bot", srv.Token(tok.AccessToken), helix.WithBaseURL(srv.HelixURL), helix.WithHTTPClient(srv.Client()), helix.WithMaxRetries(0))

	_, err := h.GetChannelFollowers(ctx, &helix.GetChannelFollowersParams{BroadcasterID: "1"})
	assert.NilError(t, err)
	_, err = h.GetChannelEditors(ctx, &helix.GetChannelEditorsParams{BroadcasterID: "1"})
	assert.ErrorContains(t, err, "Missing scope")

	assert.NilError(t, srv.RevokeToken(tok.RefreshToken))
	_, err = h.GetChannelFollowers(ctx, &helix.GetChannelFollowersParams{BroadcasterID: "1"})
	assert.ErrorContains(t, err, "Invalid OAuth token")
	status, body := oauthPost(t, srv, "/oauth2/token", url.Values{
		"client_id": {"bot"}, "grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken},
	})
	assert.Equal(t, status, http.StatusBadRequest)
	assert.DeepEqual(t, body, map[string]any{"error": "Bad Request", "status": float64(400), "message": "Invalid refresh token"})
	assert.ErrorIs(t, srv.RevokeToken("never-issued"), twitchtest.ErrNotFound)
}

func TestOAuthRefreshAndRotation(t *testing.T) {
	clk := newOAuthClock()
	srv := twitchtest.NewServer(t, twitchtest.WithClock(clk.Now))
	srv.AddOAuthClient("pub", "")
	srv.AddOAuthClient("conf", "conf-secret")
	refresh := func(client, secret, rt string) (int, map[string]any) {
		form := url.Values{"client_id": {client}, "grant_type": {"refresh_token"}, "refresh_token": {rt}}
		if secret != "" {
			form.Set("client_secret", secret)
		}
		return oauthPost(t, srv, "/oauth2/token", form)
	}

	// Public: rotates, and takes no secret.
	tok := srv.GrantUserToken("pub", "chat:read")
	status, body := refresh("pub", "", tok.RefreshToken)
	assert.Equal(t, status, http.StatusOK)
	assert.Assert(t, body["refresh_token"] != tok.RefreshToken)
	assert.DeepEqual(t, body["scope"], []any{"chat:read"})
	status, _ = refresh("pub", "", tok.RefreshToken)
	assert.Equal(t, status, http.StatusBadRequest, "rotated out")
	status, body = refresh("pub", "any", body["refresh_token"].(string))
	assert.Equal(t, status, http.StatusForbidden)
	assert.Equal(t, body["message"], "invalid client secret")

	// Confidential: keeps its refresh token, needs its secret.
	tok = srv.GrantUserToken("conf")
	status, body = refresh("conf", "conf-secret", tok.RefreshToken)
	assert.Equal(t, status, http.StatusOK)
	assert.Equal(t, body["refresh_token"], tok.RefreshToken)
	status, _ = refresh("conf", "", tok.RefreshToken)
	assert.Equal(t, status, http.StatusForbidden)
	srv.RotateRefreshTokens(true)
	_, body = refresh("conf", "conf-secret", tok.RefreshToken)
	assert.Assert(t, body["refresh_token"] != tok.RefreshToken)
	status, _ = refresh("pub", "", tok.RefreshToken)
	assert.Equal(t, status, http.StatusBadRequest, "another client's refresh token")
	assert.Equal(t, srv.OAuthStats().Refreshes, 3)

	// Client credentials: confidential clients only.
	status, body = oauthPost(t, srv, "/oauth2/token", url.Values{"client_id": {"conf"}, "client_secret": {"conf-secret"}, "grant_type": {"client_credentials"}})
	assert.Equal(t, status, http.StatusOK)
	assert.Equal(t, body["refresh_token"], nil)
	_, v := oauthValidate(t, srv, body["access_token"].(string))
	assert.DeepEqual(t, v, map[string]any{"client_id": "conf", "scopes": []any{}, "expires_in": float64(60 * 24 * 3600)})
	status, _ = oauthPost(t, srv, "/oauth2/token", url.Values{"client_id": {"pub"}, "grant_type": {"client_credentials"}})
	assert.Equal(t, status, http.StatusBadRequest)
	status, body = oauthPost(t, srv, "/oauth2/token", url.Values{"client_id": {"conf"}, "grant_type": {"password"}})
	assert.Equal(t, status, http.StatusBadRequest)
	assert.Equal(t, body["message"], "invalid grant type")
}

func TestOAuthAuthorizeRedirects(t *testing.T) {
	srv := twitchtest.NewServer(t)
	srv.AddOAuthClient("web", "web-secret")
	noFollow := srv.Client()
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	authorize := func(q url.Values) *url.URL {
		resp, err := noFollow.Get(srv.OAuthURL + "/oauth2/authorize?" + q.Encode())
		assert.NilError(t, err)
		resp.Body.Close()
		assert.Equal(t, resp.StatusCode, http.StatusFound)
		u, err := url.Parse(resp.Header.Get("Location"))
		assert.NilError(t, err)
		return u
	}
	q := url.Values{"client_id": {"web"}, "redirect_uri": {"http://localhost:3000/cb?keep=1"}, "response_type": {"code"}, "scope": {"user:read:email"}, "state": {"s1"}}
	back := authorize(q)
	assert.Equal(t, back.Host+back.Path, "localhost:3000/cb")
	assert.Equal(t, back.Query().Get("keep"), "1")
	assert.Equal(t, back.Query().Get("state"), "s1")
	assert.Equal(t, back.Query().Get("scope"), "user:read:email")
	code := back.Query().Get("code")

	exchange := func(code, redirect string) (int, map[string]any) {
		return oauthPost(t, srv, "/oauth2/token", url.Values{
			"client_id": {"web"}, "client_secret": {"web-secret"}, "code": {code},
			"grant_type": {"authorization_code"}, "redirect_uri": {redirect},
		})
	}
	status, body := exchange(code, "http://localhost:3000/cb?keep=1")
	assert.Equal(t, status, http.StatusOK)
	assert.DeepEqual(t, body["scope"], []any{"user:read:email"})
	status, body = exchange(code, "http://localhost:3000/cb?keep=1")
	assert.Equal(t, status, http.StatusBadRequest)
	assert.Equal(t, body["message"], "Invalid authorization code")

	srv.DenyNextAuthorization()
	back = authorize(q)
	assert.Equal(t, back.Query().Get("error"), "access_denied")
	assert.Equal(t, back.Query().Get("state"), "s1")
	assert.Equal(t, back.Query().Get("code"), "")
	assert.Equal(t, srv.OAuthStats().Authorizations, 2)

	resp, err := noFollow.Get(srv.OAuthURL + "/oauth2/authorize?client_id=stranger&response_type=code&redirect_uri=http://localhost/")
	assert.NilError(t, err)
	resp.Body.Close()
	assert.Equal(t, resp.StatusCode, http.StatusBadRequest)
}

func TestOAuthValidateRevokeAndFaults(t *testing.T) {
	srv := twitchtest.NewServer(t)
	tok := srv.GrantUserToken("bot")

	status, body := oauthValidate(t, srv, "not-a-token")
	assert.Equal(t, status, http.StatusUnauthorized)
	assert.DeepEqual(t, body, map[string]any{"status": float64(401), "message": "invalid access token"})

	status, body = oauthPost(t, srv, "/oauth2/revoke", url.Values{"client_id": {"bot"}, "token": {"not-a-token"}})
	assert.Equal(t, status, http.StatusBadRequest)
	assert.Equal(t, body["message"], "Invalid token")
	status, body = oauthPost(t, srv, "/oauth2/revoke", url.Values{"client_id": {"bot"}, "token": {tok.AccessToken}})
	assert.Equal(t, status, http.StatusOK)
	assert.Assert(t, body == nil)
	status, _ = oauthValidate(t, srv, tok.AccessToken)
	assert.Equal(t, status, http.StatusUnauthorized)
	assert.Equal(t, srv.OAuthStats().Revocations, 1)

	assert.NilError(t, srv.FailNextOAuth("validate", twitchtest.Fault{Status: http.StatusBadGateway}))
	status, _ = oauthValidate(t, srv, "whatever")
	assert.Equal(t, status, http.StatusBadGateway)
	assert.ErrorIs(t, srv.FailNextOAuth("nowhere"), twitchtest.ErrNotFound)

	srv.UseRFCErrors(true)
	status, body = oauthPost(t, srv, "/oauth2/token", url.Values{"client_id": {"bot"}, "grant_type": {"refresh_token"}, "refresh_token": {"x"}})
	assert.Equal(t, status, http.StatusBadRequest)
	assert.DeepEqual(t, body, map[string]any{"error": "invalid_grant", "error_description": "Invalid refresh token"})

	// The fake reads the body only, as Twitch: a query is not a form.
	resp, err := srv.Client().Post(srv.OAuthURL+"/oauth2/device?client_id=bot", "application/x-www-form-urlencoded", strings.NewReader(""))
	assert.NilError(t, err)
	status, _ = oauthDecode(t, resp)
	assert.Equal(t, status, http.StatusBadRequest)
}
