package oauth_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/twitchify-go/twitch/oauth"
)

// valueSource is a token source that holds its token by value, as a user's
// own might: printed as a field, it would show the token.
type valueSource struct{ tok oauth2.Token }

func (v valueSource) Token() (*oauth2.Token, error) { t := v.tok; return &t, nil }

// Issue 10, case 17: every type that holds a secret or a token prints
// without it, whatever the verb of fmt, and in log/slog's text and JSON
// handlers; and says something useful instead.
func TestPrintingRedactsSecrets(t *testing.T) {
	const secret = "client-secret-value-123"
	f := newFixture(t)
	f.srv.OAuth.AddClient("conf-id", secret)
	f.srv.OAuth.AddClient("pub-id", "")
	conf := f.client("conf-id", oauth.WithClientSecret(secret))
	pub := f.client("pub-id")
	ctx := context.Background()

	tok := f.srv.OAuth.GrantUserToken("conf-id")
	tok.Expiry = time.Date(2031, 3, 1, 16, 0, 0, 0, time.UTC)
	app, err := conf.AppTokenSource(nil).Token()
	assert.NilError(t, err)
	da, err := pub.DeviceAuth(ctx, oauth.ScopeChatRead)
	assert.NilError(t, err)

	state := oauth.NewState()
	cb, err := oauth.ListenCallback("http://127.0.0.1:0/cb", state)
	assert.NilError(t, err)
	defer cb.Close()
	status, _ := browse(t, cb.RedirectURL+"?code=the-authorization-code&state="+state)
	assert.Equal(t, status, http.StatusOK)
	waiting, err := oauth.ListenCallback("http://127.0.0.1:0/cb", state)
	assert.NilError(t, err)
	defer waiting.Close()

	store := oauth.NewFileStore(t.TempDir() + "/token.json")
	assert.NilError(t, store.Save(tok))
	_, err = store.Load()
	assert.NilError(t, err)

	user := conf.UserTokenSource(tok)
	appSource := conf.AppTokenSource(app)
	validator := conf.NewValidator(valueSource{*tok}, oauth.WithInterval(30*time.Minute))

	secrets := []string{secret, tok.AccessToken, tok.RefreshToken, app.AccessToken,
		oauth.DeviceCode(da), state, "the-authorization-code"}
	for _, s := range secrets[:len(secrets):len(secrets)] {
		secrets = append(secrets, hex.EncodeToString([]byte(s)), strings.ToUpper(hex.EncodeToString([]byte(s))))
	}

	tests := []struct {
		name string
		v    any
		want []string // in %v, and in both slog handlers
		// opaque: log/slog's JSON handler shows nothing of it (a value
		// that is not a pointer has no LogValue, and encoding/json sees
		// no exported field)
		opaque bool
	}{
		{"*Client", conf, []string{"conf-id", "REDACTED"}, false},
		{"Client", *conf, []string{"conf-id", "REDACTED"}, true},
		{"public *Client", pub, []string{"pub-id", "public"}, false},
		{"struct with a Client", struct{ C oauth.Client }{*conf}, []string{"conf-id"}, true},
		{"user *Source", user, []string{"user", "conf-id", "2031-03-01T16:00:00", "REDACTED"}, false},
		{"app *Source", appSource, []string{"app", "conf-id", "REDACTED"}, false},
		{"empty *Source", pub.UserTokenSource(nil), []string{"user", "pub-id"}, false},
		{"*Validator", validator, []string{"conf-id"}, false},
		{"Validator", *validator, []string{"conf-id"}, true},
		{"*Callback with a code", cb, []string{cb.RedirectURL, "REDACTED"}, false},
		{"*Callback waiting", waiting, []string{waiting.RedirectURL, "REDACTED"}, false},
		{"*DeviceAuthResponse", da, []string{da.UserCode, da.VerificationURI}, false},
		{"DeviceAuthResponse", *da, []string{da.UserCode, da.VerificationURI}, false},
		{"*FileStore", store, []string{"token.json"}, true},
		{"nil *Client", (*oauth.Client)(nil), nil, false},
		{"nil *Source", (*oauth.Source)(nil), nil, false},
		{"nil *Validator", (*oauth.Validator)(nil), nil, false},
		{"nil *Callback", (*oauth.Callback)(nil), nil, false},
		{"nil *DeviceAuthResponse", (*oauth.DeviceAuthResponse)(nil), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var all strings.Builder
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%X", "%q", "%t", "%-40.30v"} {
				out := fmt.Sprintf(verb, tt.v)
				fmt.Fprintf(&all, "%s\t%s\n", verb, out)
				if verb == "%v" {
					for _, want := range tt.want {
						assert.Assert(t, is.Contains(out, want), "%%v")
					}
				}
			}
			for _, h := range []struct {
				name string
				new  func(*bytes.Buffer) slog.Handler
			}{
				{"text", func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }},
				{"json", func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }},
			} {
				var b bytes.Buffer
				l := slog.New(h.new(&b))
				l.Info("any", slog.Any("v", tt.v))
				l.Info("arg", "v", tt.v)
				l.Info("group", slog.Group("g", slog.Any("v", tt.v)))
				l.With("v", tt.v).Info("with")
				out := b.String()
				fmt.Fprintf(&all, "slog %s\t%s", h.name, out)
				assert.Assert(t, !strings.Contains(out, "panic"), out)
				if h.name == "json" && tt.opaque {
					continue
				}
				for _, want := range tt.want {
					assert.Assert(t, is.Contains(out, want), "slog %s", h.name)
				}
			}
			t.Log("\n" + all.String())
			assertNoSecret(t, all.String(), secrets...)
		})
	}

	// What they say.
	for _, tt := range []struct {
		v    fmt.Stringer
		want string
	}{
		{conf, "oauth client conf-id (confidential, secret REDACTED) at " + f.srv.OAuth.URL + "/oauth2/token"},
		{pub, "oauth client pub-id (public) at " + f.srv.OAuth.URL + "/oauth2/token"},
		{user, "oauth user token source of client conf-id: token REDACTED, expires 2031-03-01T16:00:00Z"},
		{pub.UserTokenSource(nil), "oauth user token source of client pub-id: no token"},
		{validator, "oauth validator of client conf-id, every 30m0s"},
		{cb, "oauth callback at " + cb.RedirectURL + " (state REDACTED): got a code (REDACTED)"},
		{waiting, "oauth callback at " + waiting.RedirectURL + " (state REDACTED): waiting"},
	} {
		assert.Equal(t, tt.v.String(), tt.want)
	}
}
