package twitchtest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/twitchtest"
)

// oauthPost sends a form to the fake's OAuth and returns the status and the
// decoded JSON answer (nil for an empty body).
func oauthPost(t *testing.T, srv *twitchtest.Server, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	return oauthPostWith(t, srv.Client(), srv, path, form)
}

// oauthPostWith is oauthPost through the HTTP client hc.
func oauthPostWith(t *testing.T, hc *http.Client, srv *twitchtest.Server, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := hc.PostForm(srv.OAuth.URL+path, form)
	assert.NilError(t, err)
	return oauthDecode(t, resp)
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
	return oauthValidateWith(t, srv.Client(), srv, token)
}

func oauthValidateWith(t *testing.T, hc *http.Client, srv *twitchtest.Server, token string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.OAuth.URL+"/oauth2/validate", nil)
	assert.NilError(t, err)
	req.Header.Set("Authorization", "OAuth "+token)
	resp, err := hc.Do(req)
	assert.NilError(t, err)
	return oauthDecode(t, resp)
}

// The device flow in Twitch's words: scopes from "scopes" in the body,
// outcomes in "message", "scope" an array in the token answer.
func TestOAuthDeviceFlowSpeaksTwitch(t *testing.T) {
	srv := newFake(t)
	srv.OAuth.AddClient("bot", "")
	synctest.Test(t, func(t *testing.T) {
		hc := srv.InMemoryClient()
		post := func(path string, form url.Values) (int, map[string]any) {
			return oauthPostWith(t, hc, srv, path, form)
		}

		status, body := post("/oauth2/device", url.Values{"client_id": {"bot"}, "scopes": {"chat:read user:bot"}, "scope": {"ignored:scope"}})
		assert.Equal(t, status, http.StatusOK)
		code, user := body["device_code"].(string), body["user_code"].(string)
		assert.Assert(t, code != "" && len(user) == 8)
		assert.Equal(t, body["expires_in"], float64(1800))
		assert.Equal(t, body["interval"], float64(5))
		assert.Equal(t, body["verification_uri"], srv.URL+"/activate?public=true&device-code="+user)

		poll := func() (int, map[string]any) {
			return post("/oauth2/token", url.Values{
				"client_id": {"bot"}, "device_code": {code}, "grant_type": {"urn:ietf:params:oauth:grant-type:device_code"},
			})
		}
		status, body = poll()
		assert.Equal(t, status, http.StatusBadRequest)
		assert.DeepEqual(t, body, map[string]any{"status": float64(400), "message": "authorization_pending"})

		assert.NilError(t, srv.OAuth.ScriptDevice(user, twitchtest.DeviceSlowDown))
		_, body = poll()
		assert.Equal(t, body["message"], "slow_down")
		_, body = poll()
		assert.Equal(t, body["message"], "authorization_pending", "after the script, the code's state")

		assert.NilError(t, srv.OAuth.ApproveDevice(user))
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

		status, body = oauthValidateWith(t, hc, srv, access)
		assert.Equal(t, status, http.StatusOK)
		assert.DeepEqual(t, body, map[string]any{
			"client_id": "bot", "login": "twitchdev", "user_id": "141981764",
			"scopes": []any{"chat:read", "user:bot"}, "expires_in": float64(4 * 3600),
		})
		assert.Equal(t, srv.OAuth.Stats(), twitchtest.OAuthStats{DeviceCodes: 1, DevicePolls: 5, Validations: 1})

		// Denied, expired on the fake's clock, and unknown codes.
		_, body = post("/oauth2/device", url.Values{"client_id": {"bot"}})
		code, user = body["device_code"].(string), body["user_code"].(string)
		assert.NilError(t, srv.OAuth.DenyDevice(user))
		_, body = poll()
		assert.Equal(t, body["message"], "access_denied")
		_, body = poll()
		assert.Equal(t, body["message"], "invalid device code")

		_, body = post("/oauth2/device", url.Values{"client_id": {"bot"}})
		code = body["device_code"].(string)
		time.Sleep(30 * time.Minute)
		_, body = poll()
		assert.Equal(t, body["message"], "expired_token")

		status, body = post("/oauth2/device", url.Values{"client_id": {"stranger"}})
		assert.Equal(t, status, http.StatusBadRequest)
		assert.Equal(t, body["message"], "invalid client")
		assert.ErrorIs(t, srv.OAuth.ApproveDevice("NOSUCHCD"), twitchtest.ErrNotFound)
		assert.ErrorIs(t, srv.OAuth.ScriptDevice("NOSUCHCD", twitchtest.DevicePending), twitchtest.ErrNotFound)
	})
}

// Issued tokens are Helix tokens: with their scopes, until they expire or
// are revoked.
func TestOAuthTokensWorkOnHelix(t *testing.T) {
	srv := newFake(t)
	synctest.Test(t, func(t *testing.T) {
		hc := srv.InMemoryClient()
		tok := srv.OAuth.GrantUserToken("bot", "moderator:read:followers")
		assert.Equal(t, tok.Expiry, time.Now().Add(4*time.Hour))
		ctx := context.Background()
		h := helix.New("bot", srv.Token(tok.AccessToken), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(hc), helix.WithMaxRetries(0))

		_, err := h.GetChannelFollowers(ctx, &helix.GetChannelFollowersParams{BroadcasterID: "1"})
		assert.NilError(t, err)
		_, err = h.GetChannelEditors(ctx, &helix.GetChannelEditorsParams{BroadcasterID: "1"})
		assert.ErrorContains(t, err, "Missing scope")

		// Expired with the time, as Twitch does.
		time.Sleep(4 * time.Hour)
		_, err = h.GetChannelFollowers(ctx, &helix.GetChannelFollowersParams{BroadcasterID: "1"})
		assert.ErrorContains(t, err, "Invalid OAuth token")

		// Revoked with its refresh token.
		tok = srv.OAuth.GrantUserToken("bot", "moderator:read:followers")
		h = h.WithToken(srv.Token(tok.AccessToken))
		assert.NilError(t, srv.OAuth.RevokeToken(tok.RefreshToken))
		_, err = h.GetChannelFollowers(ctx, &helix.GetChannelFollowersParams{BroadcasterID: "1"})
		assert.ErrorContains(t, err, "Invalid OAuth token")
		status, body := oauthPostWith(t, hc, srv, "/oauth2/token", url.Values{
			"client_id": {"bot"}, "grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken},
		})
		assert.Equal(t, status, http.StatusBadRequest)
		assert.DeepEqual(t, body, map[string]any{"error": "Bad Request", "status": float64(400), "message": "Invalid refresh token"})
		assert.ErrorIs(t, srv.OAuth.RevokeToken("never-issued"), twitchtest.ErrNotFound)
	})
}

func TestOAuthRefreshAndRotation(t *testing.T) {
	srv := newFake(t)
	srv.OAuth.AddClient("pub", "")
	srv.OAuth.AddClient("conf", "conf-secret")
	refresh := func(client, secret, rt string) (int, map[string]any) {
		form := url.Values{"client_id": {client}, "grant_type": {"refresh_token"}, "refresh_token": {rt}}
		if secret != "" {
			form.Set("client_secret", secret)
		}
		return oauthPost(t, srv, "/oauth2/token", form)
	}

	// Public: rotates, and takes no secret.
	tok := srv.OAuth.GrantUserToken("pub", "chat:read")
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
	tok = srv.OAuth.GrantUserToken("conf")
	status, body = refresh("conf", "conf-secret", tok.RefreshToken)
	assert.Equal(t, status, http.StatusOK)
	assert.Equal(t, body["refresh_token"], tok.RefreshToken)
	status, _ = refresh("conf", "", tok.RefreshToken)
	assert.Equal(t, status, http.StatusForbidden)
	srv.OAuth.RotateRefreshTokens(true)
	_, body = refresh("conf", "conf-secret", tok.RefreshToken)
	assert.Assert(t, body["refresh_token"] != tok.RefreshToken)
	status, _ = refresh("pub", "", tok.RefreshToken)
	assert.Equal(t, status, http.StatusBadRequest, "another client's refresh token")
	assert.Equal(t, srv.OAuth.Stats().Refreshes, 3)

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
	srv := newFake(t)
	srv.OAuth.AddClient("web", "web-secret")
	noFollow := srv.Client()
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	authorize := func(q url.Values) *url.URL {
		resp, err := noFollow.Get(srv.OAuth.URL + "/oauth2/authorize?" + q.Encode())
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

	srv.OAuth.DenyNextAuthorization()
	back = authorize(q)
	assert.Equal(t, back.Query().Get("error"), "access_denied")
	assert.Equal(t, back.Query().Get("state"), "s1")
	assert.Equal(t, back.Query().Get("code"), "")
	assert.Equal(t, srv.OAuth.Stats().Authorizations, 2)

	resp, err := noFollow.Get(srv.OAuth.URL + "/oauth2/authorize?client_id=stranger&response_type=code&redirect_uri=http://localhost/")
	assert.NilError(t, err)
	resp.Body.Close()
	assert.Equal(t, resp.StatusCode, http.StatusBadRequest)
}

func TestOAuthValidateRevokeAndFaults(t *testing.T) {
	srv := newFake(t)
	tok := srv.OAuth.GrantUserToken("bot")

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
	assert.Equal(t, srv.OAuth.Stats().Revocations, 1)

	assert.NilError(t, srv.OAuth.FailNext("validate", twitchtest.Fault{Status: http.StatusBadGateway}))
	status, _ = oauthValidate(t, srv, "whatever")
	assert.Equal(t, status, http.StatusBadGateway)
	assert.ErrorIs(t, srv.OAuth.FailNext("nowhere"), twitchtest.ErrNotFound)

	srv.OAuth.UseRFCErrors(true)
	status, body = oauthPost(t, srv, "/oauth2/token", url.Values{"client_id": {"bot"}, "grant_type": {"refresh_token"}, "refresh_token": {"x"}})
	assert.Equal(t, status, http.StatusBadRequest)
	assert.DeepEqual(t, body, map[string]any{"error": "invalid_grant", "error_description": "Invalid refresh token"})

	// The fake reads the body only, as Twitch: a query is not a form.
	resp, err := srv.Client().Post(srv.OAuth.URL+"/oauth2/device?client_id=bot", "application/x-www-form-urlencoded", strings.NewReader(""))
	assert.NilError(t, err)
	status, _ = oauthDecode(t, resp)
	assert.Equal(t, status, http.StatusBadRequest)
}
