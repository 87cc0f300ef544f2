// Package twitchtest runs a fake Twitch in the test's process, for this
// library's tests and for yours, the way net/http/httptest runs a fake
// HTTP server: NewServer starts it on 127.0.0.1 and the test's cleanup
// stops it.
//
// The fake speaks EventSub over WebSocket (welcome, keepalives, and on
// command notifications, session_reconnect with a real handover to a second
// connection, revocations, close codes, dropped connections and silence).
// It answers every Helix operation of the schema: it checks the method, the
// parameters (required, repeated at most so many times, groups of which
// one must be set), the Client-Id and the token (its type and scopes, once
// tokens are registered), paces each token to a rate-limit bucket with
// Twitch's Ratelimit headers, and answers with sample data built from the
// schema, or with data a test sets (SetHelixData), a page at a time. The
// EventSub subscription endpoints keep real state: create, list, delete.
// FailNext injects errors, 429s and slow answers; ExpireToken makes a
// token invalid. Sample payloads for every subscription type come from the
// schema too (SampleEvent, SampleCondition).
//
// Its OAuth (OAuthURL) runs the device code flow, every token grant,
// validate, revoke and the authorize redirect, with knobs (ScriptDevice,
// ApproveDevice, RevokeToken, RotateRefreshTokens, ...); the tokens it
// issues are registered with AddToken, so its Helix checks them.
//
//	srv := twitchtest.NewServer(t)
//	h := helix.New("client-id", srv.Token("user-token"), helix.WithBaseURL(srv.HelixURL))
//	c := eventsub.New(h, eventsub.WithBaseURL(srv.EventSubURL))
//
// Methods that act on the fake return an error when what they name does
// not exist; the fake never fails the test by itself.
package twitchtest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// Server is a fake Twitch. Its methods are safe for concurrent use.
type Server struct {
	// URL is the root of the fake, http://127.0.0.1:<port>.
	URL string
	// HelixURL is the base URL of the fake Helix API, for helix.WithBaseURL.
	HelixURL string
	// EventSubURL is the fake EventSub WebSocket, for eventsub.WithBaseURL.
	EventSubURL string
	// OAuthURL is the root of the fake's OAuth endpoints (Twitch's
	// https://id.twitch.tv), for package oauth.
	OAuthURL string

	cfg  config
	http *httptest.Server

	tokenMu sync.Mutex
	tokens  map[string]*TokenInfo // registered access tokens

	mu       sync.Mutex
	helix    helixState
	oauth    oauthState
	sessions map[string]*session      // by session ID
	handover map[string]*session      // by reconnect token
	subs     map[string]*subscription // by subscription ID
	nextID   int
	change   chan struct{} // closed and replaced when a session is welcomed
	closed   bool
	conns    sync.WaitGroup // the goroutines of the WebSocket connections
	stop     chan struct{}  // closed by Close: ends every connection
}

type config struct {
	keepaliveSeconds  int           // the welcome's keepalive_timeout_seconds
	keepaliveInterval time.Duration // how often keepalives are sent
	subscriptionLimit int           // enabled subscriptions per session
	maxTotalCost      int
	tokens            map[string]TokenInfo
	ratePoints        int           // the rate-limit bucket's size; 0: no limit
	ratePer           time.Duration // the time in which an empty bucket refills
	now               func() time.Time
}

// Option configures a Server.
type Option func(*config)

// WithKeepalive sets the keepalive_timeout_seconds the welcome message
// announces and the interval at which keepalives are sent (by default 10
// seconds, every 10 seconds, as Twitch).
func WithKeepalive(timeoutSeconds int, interval time.Duration) Option {
	return func(c *config) { c.keepaliveSeconds, c.keepaliveInterval = timeoutSeconds, interval }
}

// WithSubscriptionLimit sets how many enabled subscriptions one WebSocket
// session may have (300 by default, as Twitch).
func WithSubscriptionLimit(n int) Option {
	return func(c *config) { c.subscriptionLimit = n }
}

// WithMaxTotalCost sets the max_total_cost the fake reports and enforces;
// each subscription costs 1 (10,000 by default).
func WithMaxTotalCost(n int) Option {
	return func(c *config) { c.maxTotalCost = n }
}

// WithToken registers a user access token and the scopes it carries (see
// AddToken for more). Once any token is registered, the fake answers 401 to
// others, 401 to a call and 403 to a subscription that needs a scope the
// token lacks; without any, every token is accepted with every scope.
func WithToken(token string, scopes ...string) Option {
	return func(c *config) {
		if c.tokens == nil {
			c.tokens = map[string]TokenInfo{}
		}
		c.tokens[token] = TokenInfo{Scopes: scopes}
	}
}

// WithRateLimit sets each token's rate-limit bucket: points points, which
// refill continuously in per (Twitch's default, and the fake's, is 800 a
// minute). Every Helix request takes a point; with none left the fake
// answers 429. points 0 turns the limit and its headers off.
func WithRateLimit(points int, per time.Duration) Option {
	return func(c *config) { c.ratePoints, c.ratePer = points, per }
}

// WithClock makes the fake read the time from now instead of time.Now, for
// its rate limits, token expiry and Date headers: a test can then run
// minutes of pacing in no time.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// NewServer starts a fake Twitch on 127.0.0.1; tb's cleanup closes it.
func NewServer(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := Start(opts...)
	tb.Cleanup(s.Close)
	return s
}

// Start starts a fake Twitch on 127.0.0.1 outside a test (an example, a
// demo); the caller must Close it.
func Start(opts ...Option) *Server {
	s := &Server{
		cfg: config{
			keepaliveSeconds:  10,
			keepaliveInterval: 10 * time.Second,
			subscriptionLimit: 300,
			maxTotalCost:      10000,
			ratePoints:        defaultRatePoints,
			ratePer:           defaultRatePer,
			now:               time.Now,
		},
		tokens: map[string]*TokenInfo{},
		helix: helixState{
			faults:  map[string][]Fault{},
			data:    map[string][]json.RawMessage{},
			buckets: map[string]*rateBucket{},
		},
		sessions: map[string]*session{},
		handover: map[string]*session{},
		subs:     map[string]*subscription{},
		change:   make(chan struct{}),
		stop:     make(chan struct{}),
	}
	for _, opt := range opts {
		opt(&s.cfg)
	}
	if s.cfg.ratePer <= 0 {
		s.cfg.ratePoints = 0
	}
	for token, info := range s.cfg.tokens {
		s.tokens[token] = &info
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /eventsub", s.serveWebSocket)
	s.routeHelix(mux)
	s.routeOAuth(mux)
	s.http = httptest.NewServer(mux)
	s.URL = s.http.URL
	s.HelixURL = s.URL + "/helix"
	s.OAuthURL = s.URL
	s.EventSubURL = "ws" + strings.TrimPrefix(s.URL, "http") + "/eventsub"
	return s
}

// Client returns an *http.Client that reaches the fake.
func (s *Server) Client() *http.Client { return s.http.Client() }

// InMemoryClient returns an *http.Client whose requests the fake answers in
// the calling goroutine, without a connection: for tests in a
// testing/synctest bubble, whose fake clock stops while a goroutine waits on
// the network. The fake's rate limits and token expiry then run on the
// bubble's clock. It reaches Helix and OAuth, not the WebSocket.
func (s *Server) InMemoryClient() *http.Client {
	return &http.Client{Transport: inMemory{s.http.Config.Handler}}
}

// inMemory is a RoundTripper that calls a handler.
type inMemory struct{ h http.Handler }

func (m inMemory) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		defer req.Body.Close()
	}
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	// Make it look as a server's request does.
	in := req.Clone(req.Context())
	if in.Body == nil {
		in.Body = http.NoBody
	}
	in.RemoteAddr = "127.0.0.1:1"
	in.RequestURI = req.URL.RequestURI()
	rec := httptest.NewRecorder()
	m.h.ServeHTTP(rec, in)
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// Token returns a token source that always gives token, for helix.New.
func (s *Server) Token(token string) oauth2.TokenSource {
	return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token})
}

// Close ends every WebSocket connection and stops the fake; it returns when
// all of its goroutines have ended. Closing twice is harmless.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.stop)
	s.mu.Unlock()
	s.conns.Wait()
	s.http.Close()
}

// now is the fake's time.
func (s *Server) now() time.Time { return s.cfg.now() }

// newID returns a fresh ID with a prefix: "session-3". s.mu is held.
func (s *Server) newID(prefix string) string {
	s.nextID++
	return prefix + "-" + strconv.Itoa(s.nextID)
}

// changed wakes everyone waiting in WaitSession. s.mu is held.
func (s *Server) changed() {
	close(s.change)
	s.change = make(chan struct{})
}

// WaitSession waits until a WebSocket session has been welcomed and returns
// the newest one's ID, or "" when ctx ends first.
func (s *Server) WaitSession(ctx context.Context) string {
	for {
		s.mu.Lock()
		var newest *session
		for _, sess := range s.sessions {
			if sess.welcomed && (newest == nil || sess.seq > newest.seq) {
				newest = sess
			}
		}
		change := s.change
		s.mu.Unlock()
		if newest != nil {
			return newest.id
		}
		select {
		case <-ctx.Done():
			return ""
		case <-change:
		}
	}
}
