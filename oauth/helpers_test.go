package oauth_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/oauth"
	"github.com/twitchify-go/twitch/twitchtest"
)

// logBuffer collects log lines for a check that they hold no secret.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// countingTransport counts the requests that go through it, and keeps
// the path and time of each.
type countingTransport struct {
	base http.RoundTripper
	n    atomic.Int64

	mu   sync.Mutex
	sent []sentRequest
}

type sentRequest struct {
	path string
	at   time.Time
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.n.Add(1)
	t.mu.Lock()
	t.sent = append(t.sent, sentRequest{r.URL.Path, time.Now()})
	t.mu.Unlock()
	return t.base.RoundTrip(r)
}

// waits returns the time between each request and the one before it, for
// the requests to the device and token endpoints: in a device flow, the
// waits before each poll.
func (t *countingTransport) waits() []time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []time.Duration
	var last time.Time
	for _, s := range t.sent {
		if s.path != "/oauth2/device" && s.path != "/oauth2/token" {
			continue
		}
		if !last.IsZero() {
			out = append(out, s.at.Sub(last))
		}
		last = s.at
	}
	return out
}

// fixture is a fake Twitch and OAuth clients for it. The clients reach the
// fake in memory, so a test may run them in a testing/synctest bubble
// (synctest.Test after newFixture, which starts the fake outside it), where
// hours pass in no time; tokens a test uses there must be granted there.
type fixture struct {
	srv  *twitchtest.Server
	logs *logBuffer
	hits *countingTransport // every request the clients send
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := twitchtest.NewServer()
	t.Cleanup(srv.Close)
	return &fixture{
		srv:  srv,
		logs: &logBuffer{},
		hits: &countingTransport{base: srv.InMemoryClient().Transport},
	}
}

// client returns an OAuth client of the fake for clientID, which logs
// everything to f.logs.
func (f *fixture) client(clientID string, opts ...oauth.Option) *oauth.Client {
	base := []oauth.Option{
		oauth.WithBaseURL(f.srv.OAuth.URL),
		oauth.WithHTTPClient(&http.Client{Transport: f.hits}),
		oauth.WithLogger(slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
	}
	return oauth.New(clientID, append(base, opts...)...)
}

// assertReauthorize checks that err means the user must authorize again,
// and says what to do about it.
func assertReauthorize(t *testing.T, err error) {
	t.Helper()
	assert.Assert(t, errors.Is(err, oauth.ErrReauthorize), "%v", err)
	for _, want := range []string{
		"the user must authorize the application again",
		"go run github.com/twitchify-go/twitch/cmd/twitch-token",
		"Source.Set",
	} {
		assert.Assert(t, strings.Contains(err.Error(), want), "%q is not in: %v", want, err)
	}
	assert.Equal(t, strings.Count(err.Error(), "authorize"), 1, "said once: %v", err)
}

// assertNoSecret fails the test if text holds any of the secrets.
func assertNoSecret(t *testing.T, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s == "" {
			continue
		}
		assert.Assert(t, !strings.Contains(text, s), "a secret (%.4s...) appears in: %s", s, text)
	}
}

// errText returns err's text, or "" for nil.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// asError returns err as an *oauth.Error, failing the test if it is not.
func asError(t *testing.T, err error) *oauth.Error {
	t.Helper()
	var e *oauth.Error
	assert.Assert(t, errors.As(err, &e), "not an *oauth.Error: %v", err)
	return e
}
