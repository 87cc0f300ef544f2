package helix_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"golang.org/x/oauth2"
	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/helix"
)

// plainSource keeps its token as a value, as a user's own source might:
// printing the struct that holds it would print the token.
type plainSource struct{ tok oauth2.Token }

func (p plainSource) Token() (*oauth2.Token, error) { return &p.tok, nil }

// A Client prints as its client ID and base URL, never its token, for
// every fmt verb and both of log/slog's handlers.
func TestClientPrintsWithoutItsToken(t *testing.T) {
	const secret = "s3cr3t-access-token"
	c := helix.New("my-client", plainSource{oauth2.Token{AccessToken: secret, RefreshToken: secret}}, helix.WithBaseURL("http://127.0.0.1:1/helix"))
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%q", "%t"} {
		out = append(out, fmt.Sprintf(verb, c))
	}
	assert.Equal(t, fmt.Sprintf("%x", c), fmt.Sprintf("%x", c.String()))
	for _, h := range []func(*bytes.Buffer) slog.Handler{
		func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var b bytes.Buffer
		slog.New(h(&b)).Info("calling", "client", c, slog.Any("any", c))
		out = append(out, b.String())
	}
	for _, s := range out {
		assert.Assert(t, !strings.Contains(s, secret), "printed the token: %s", s)
		assert.Assert(t, strings.Contains(s, "my-client"), "says nothing useful: %s", s)
	}
	assert.Equal(t, fmt.Sprint(c), "helix client my-client at http://127.0.0.1:1/helix")
	var nilClient *helix.Client
	assert.Equal(t, fmt.Sprint(nilClient), "<nil>")
}
