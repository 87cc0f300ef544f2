package twitchtest

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/twitchify-go/twitch"
)

// Server is a fake Twitch: one part per service it fakes, and what they
// share (the HTTP server, its clients, Close). Its methods, and those of
// its parts, are safe for concurrent use.
type Server struct {
	// URL is the root of the fake, http://127.0.0.1:<port>.
	URL string

	// EventSub is the fake's EventSub: its WebSocket and subscriptions.
	EventSub *EventSub
	// Helix is the fake's Helix API.
	Helix *Helix
	// OAuth is the fake's OAuth (Twitch's id.twitch.tv), and the owner of
	// the tokens the other parts accept.
	OAuth *OAuth

	http      *httptest.Server
	stop      chan struct{} // closed by Close: ends slow answers and connections
	closeOnce sync.Once
}

// ErrNotFound is returned by methods that name a session, subscription,
// token, code, endpoint or operation the fake does not have (any more).
var ErrNotFound = errors.New("twitchtest: not found")

type config struct {
	keepaliveSeconds  int           // the welcome's keepalive_timeout_seconds
	keepaliveInterval time.Duration // how often keepalives are sent
	unusedTimeout     time.Duration // a session without a subscription is closed after it; 0: never
	subscriptionLimit int           // enabled subscriptions per session
	maxTotalCost      int
	userTokens        map[string][]string // token → scopes, for the fake's user
	ratePoints        int                 // the rate-limit bucket's size; 0: no limit
	ratePer           time.Duration       // the time in which an empty bucket refills
	subscriptionPage  int                 // subscriptions in a page of Get EventSub Subscriptions
	webhookClient     *http.Client        // posts webhook messages; nil: a loopback-only client
	webhookTimeout    time.Duration       // for one attempt's answer
	webhookRetries    int                 // of a failed notification
	webhookBackoff    time.Duration       // before the first retry; doubles after
	deliveryLimit     int                 // messages Deliveries remembers
	shardPage         int                 // shards in a page of Get Conduit Shards
	conduitSeed       uint64              // of the shard choice, when seeded
	seeded            bool
	roundRobin        bool // shards in turn rather than at random
}

// Option configures a Server.
type Option func(*config)

// WithKeepalive sets the keepalive_timeout_seconds the welcome message
// announces and the interval at which keepalives are sent (by default 10
// seconds, every 10 seconds, as Twitch).
func WithKeepalive(timeoutSeconds int, interval time.Duration) Option {
	return func(c *config) { c.keepaliveSeconds, c.keepaliveInterval = timeoutSeconds, interval }
}

// WithUnusedTimeout sets how long a new WebSocket session may go without
// a subscription after its welcome: then the fake closes it with 4003,
// "connection unused" (10 seconds by default, as Twitch). 0 turns the
// check off.
func WithUnusedTimeout(d time.Duration) Option {
	return func(c *config) { c.unusedTimeout = d }
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

// WithUserToken registers a user access token of TwitchDev (user
// 141981764, login "twitchdev", whom the fake's OAuth authorizes as until
// OAuth.SetUser) with the scopes it carries; OAuth.AddToken registers any
// other. Once any token is registered, the
// fake refuses tokens it does not know and calls and subscriptions that
// need a scope the token lacks; without any, every token is accepted with
// every scope.
func WithUserToken(token string, scopes ...string) Option {
	return func(c *config) {
		if c.userTokens == nil {
			c.userTokens = map[string][]string{}
		}
		c.userTokens[token] = scopes
	}
}

// WithRateLimit sets each token's rate-limit bucket: points points, which
// refill continuously in per (Twitch's default, and the fake's, is 800 a
// minute). Every Helix request takes a point; with none left the fake
// answers 429. points 0 turns the limit and its headers off.
func WithRateLimit(points int, per time.Duration) Option {
	return func(c *config) { c.ratePoints, c.ratePer = points, per }
}

// NewServer starts a fake Twitch on 127.0.0.1. The caller stops it with
// Close (in a test: defer srv.Close(), or t.Cleanup(srv.Close)).
func NewServer(opts ...Option) *Server {
	cfg := config{
		keepaliveSeconds:  10,
		keepaliveInterval: 10 * time.Second,
		unusedTimeout:     10 * time.Second,
		subscriptionLimit: 300,
		maxTotalCost:      10000,
		ratePoints:        defaultRatePoints,
		ratePer:           defaultRatePer,
		subscriptionPage:  100,
		webhookTimeout:    defaultWebhookTimeout,
		webhookRetries:    defaultWebhookRetries,
		webhookBackoff:    defaultWebhookBackoff,
		deliveryLimit:     defaultDeliveryLimit,
		shardPage:         defaultShardPage,
	}
	for _, opt := range opts {
		opt(&cfg)
	}
	if cfg.ratePer <= 0 {
		cfg.ratePoints = 0
	}
	s := &Server{stop: make(chan struct{})}
	s.OAuth = newOAuth(s.stop)
	for token, scopes := range cfg.userTokens {
		s.OAuth.AddToken(token, TokenInfo{UserID: defaultUserID, Login: defaultLogin, Scopes: scopes})
	}
	s.EventSub = newEventSub(cfg)
	s.Helix = newHelix(cfg, s.stop, s.OAuth.tokens, s.EventSub)

	mux := http.NewServeMux()
	s.EventSub.route(mux)
	s.Helix.route(mux)
	s.OAuth.route(mux)
	s.http = httptest.NewUnstartedServer(mux)
	s.URL = "http://" + s.http.Listener.Addr().String()
	s.OAuth.URL = s.URL
	s.Helix.URL = s.URL + "/helix"
	s.EventSub.URL = "ws" + strings.TrimPrefix(s.URL, "http") + "/eventsub"
	s.http.Start()
	return s
}

// Endpoints returns where the fake's parts are, for twitch.WithEndpoints,
// which points a twitch.Client at the fake:
//
//	c := twitch.New("client-id", twitch.WithEndpoints(srv.Endpoints()), twitch.WithHTTPClient(srv.Client()))
func (s *Server) Endpoints() twitch.Endpoints {
	return twitch.Endpoints{EventSub: s.EventSub.URL, Helix: s.Helix.URL, OAuth: s.OAuth.URL + "/oauth2"}
}

// Client returns an *http.Client that reaches the fake.
func (s *Server) Client() *http.Client { return s.http.Client() }

// InMemoryClient returns an *http.Client whose requests the fake answers in
// the calling goroutine, without a connection: for tests in a
// testing/synctest bubble, whose fake clock stops while a goroutine waits on
// the network. The fake's rate limits and token expiry then run on the
// bubble's clock. It reaches Helix and OAuth; EventSub.DialContext reaches
// the WebSocket.
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

// Close ends every WebSocket connection, slow answer and webhook delivery
// (an attempt under way is abandoned, and what was left to deliver is
// cancelled) and stops the fake; it returns when all of its goroutines
// have ended. Closing twice is harmless.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.stop)
		s.EventSub.close()
		s.http.Close()
	})
}

// response is an answer computed under a part's lock and written after it
// has been let go.
type response struct {
	status      int
	body        any    // encoded as JSON; nil with raw "": no body
	raw         string // written as it is, with contentType
	contentType string
	header      http.Header // added to the answer's headers
}

func (r response) write(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	switch {
	case r.raw != "":
		w.Header().Set("Content-Type", r.contentType)
		w.WriteHeader(r.status)
		_, _ = w.Write([]byte(r.raw))
	case r.body != nil:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(r.status)
		_ = json.NewEncoder(w).Encode(r.body)
	default:
		w.WriteHeader(r.status)
	}
}

// jsonResponse is an answer with a JSON body.
func jsonResponse(status int, body any) response { return response{status: status, body: body} }

// apiError is an answer with Helix's error shape.
func apiError(status int, message string) response {
	return jsonResponse(status, map[string]any{"error": http.StatusText(status), "status": status, "message": message})
}

// delay holds an answer back for d; false when the client or the fake
// gave up first.
func delay(r *http.Request, stop <-chan struct{}, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-stop:
	}
	return false
}
