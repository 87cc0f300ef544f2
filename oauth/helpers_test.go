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

	"golang.org/x/oauth2"
	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/oauth"
	"github.com/twitchify-go/twitch/twitchtest"
)

// fakeClock is the time for a test. In auto mode every wait ends at once
// and moves the time forward by as long as it asked for (minutes of
// polling run in no time); otherwise waits end when Advance passes them.
// It records every wait asked for.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	auto   bool
	waits  []time.Duration
	timers []timer
}

type timer struct {
	at time.Time
	ch chan time.Time
}

func newClock(auto bool) *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), auto: auto}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	ch := make(chan time.Time, 1)
	if c.auto {
		c.now = c.now.Add(d)
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, timer{at: c.now.Add(d), ch: ch})
	return ch
}

// Advance moves the time forward by d and ends the waits it passes.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(c.now) {
			kept = append(kept, t)
			continue
		}
		t.ch <- c.now
	}
	c.timers = kept
}

// Waiting returns how many waits have not ended.
func (c *fakeClock) Waiting() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// Waits returns every wait asked for so far.
func (c *fakeClock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}

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

// countingTransport counts the requests that go through it.
type countingTransport struct {
	base http.RoundTripper
	n    atomic.Int64
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.n.Add(1)
	return t.base.RoundTrip(r)
}

// fixture is a fake Twitch and an OAuth client for it, sharing a clock.
type fixture struct {
	srv   *twitchtest.Server
	clock *fakeClock
	logs  *logBuffer
	hits  *countingTransport // every request the client sends
}

func newFixture(t *testing.T, auto bool) *fixture {
	t.Helper()
	clk := newClock(auto)
	srv := twitchtest.NewServer()
	t.Cleanup(srv.Close)
	return &fixture{
		srv:   srv,
		clock: clk,
		logs:  &logBuffer{},
		hits:  &countingTransport{base: srv.Client().Transport},
	}
}

// grantUserToken is the fake's OAuth.GrantUserToken with the token's expiry
// on the test's clock: the fake reads the wall clock.
func (f *fixture) grantUserToken(clientID string, scopes ...string) *oauth2.Token {
	tok := f.srv.OAuth.GrantUserToken(clientID, scopes...)
	tok.Expiry = f.clock.Now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	return tok
}

// client returns an OAuth client of the fake for clientID, which logs
// everything to f.logs.
func (f *fixture) client(clientID string, opts ...oauth.Option) *oauth.Client {
	base := []oauth.Option{
		oauth.WithBaseURL(f.srv.OAuth.URL),
		oauth.WithHTTPClient(&http.Client{Transport: f.hits}),
		oauth.WithClock(f.clock),
		oauth.WithLogger(slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
	}
	return oauth.New(clientID, append(base, opts...)...)
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
