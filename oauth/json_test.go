package oauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/oauth"
)

// cannedOAuth is a client whose every endpoint answers body.
func cannedOAuth(t *testing.T, body string) *oauth.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return oauth.New("client", oauth.WithBaseURL(srv.URL), oauth.WithHTTPClient(srv.Client()))
}

// The answers of the validate and device endpoints decode as before:
// unknown keys ignored, keys in another case matched; a key twice is
// refused, and an error names the path and no content.
func TestOAuthAnswersJSON(t *testing.T) {
	ctx := context.Background()
	v, err := cannedOAuth(t, `{"client_id":"c","LOGIN":"l","user_id":"1","scopes":["chat:read"],"expires_in":60,"added":{"x":1}}`).Validate(ctx, "token")
	assert.NilError(t, err)
	assert.Equal(t, v.Login, "l")
	assert.DeepEqual(t, v.Scopes, []oauth.Scope{oauth.ScopeChatRead})

	_, err = cannedOAuth(t, `{"client_id":"c","login":"l","login":"m","expires_in":60}`).Validate(ctx, "token")
	assert.Error(t, err, `oauth: validate: decode answer: duplicate key "login"`)

	_, err = cannedOAuth(t, `{"client_id":"c","scopes":[{"secret":"s3cr3t"}]}`).Validate(ctx, "token")
	assert.Error(t, err, `oauth: validate: decode answer: scopes[0]: cannot decode JSON object into Go string`)

	d, err := cannedOAuth(t, `{"device_code":"d","user_code":"U","verification_uri":"https://example.net","expires_in":1800,"interval":5,"added":1}`).DeviceAuth(ctx)
	assert.NilError(t, err)
	assert.Equal(t, d.UserCode, "U")

	_, err = cannedOAuth(t, `{"device_code":"d","user_code":"U","interval":"5"}`).DeviceAuth(ctx)
	assert.Error(t, err, `oauth: device: decode answer: interval: cannot decode JSON string into Go int64`)
}
