package helix

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/twitchify-go/twitch/internal/json"
	"github.com/twitchify-go/twitch/oauth"
)

// DefaultBaseURL is the root of Twitch's Helix API.
const DefaultBaseURL = "https://api.twitch.tv/helix"

// Client calls Helix. It is safe for concurrent use.
//
// A Client makes its calls with one token, from the token source given to
// New, and paces them to that token's rate limit. To act with another token
// (a bot that acts for several channels, each with its broadcaster's user
// token), derive a client with WithToken and keep it for that token.
type Client struct {
	clientID string
	tokens   oauth2.TokenSource
	limits   *bucket // the rate limit of tokens
	shared   *shared
}

// shared is what a Client and the clients derived from it by WithToken
// have in common.
type shared struct {
	baseURL    string
	http       *http.Client
	log        *slog.Logger
	maxRetries int
	backoff    time.Duration // the first wait before retrying a server error
}

// Option configures a Client.
type Option func(*shared)

// WithBaseURL sends requests to baseURL instead of DefaultBaseURL: a fake
// in tests, or the Twitch CLI's mock API.
func WithBaseURL(baseURL string) Option {
	return func(s *shared) { s.baseURL = strings.TrimSuffix(baseURL, "/") }
}

// defaultTimeout is how long the default HTTP client waits for an answer.
const defaultTimeout = 30 * time.Second

// WithHTTPClient sends requests through hc. The default is a client of its
// own (not http.DefaultClient) that gives up on an attempt after 30
// seconds; a nil hc keeps it. The context of a call bounds it too.
func WithHTTPClient(hc *http.Client) Option {
	return func(s *shared) {
		if hc != nil {
			s.http = hc
		}
	}
}

// WithLogger logs the client's waits and retries to l, at level Debug
// (waits) and Warn (retries). By default the client logs nothing. Tokens
// are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(s *shared) { s.log = l }
}

// WithMaxRetries sets how many times a request is sent again after a 429,
// and, for idempotent operations, after a server error (5xx) or a broken
// connection: 3 by default, 0 for never. The first retry after a server
// error waits about a quarter second, and each next one twice as long.
func WithMaxRetries(n int) Option {
	return func(s *shared) { s.maxRetries = max(n, 0) }
}

// New returns a client for the application clientID that authorizes each
// request with a token from tokens (an app or a user access token). With a
// nil tokens, requests carry no Authorization header.
//
// When tokens implements oauth.Refresher (the refreshing sources of package
// oauth do), a 401 that says the token is invalid makes the client ask it
// for a new token once, and send the request again once.
func New(clientID string, tokens oauth2.TokenSource, opts ...Option) *Client {
	s := &shared{
		baseURL:    DefaultBaseURL,
		http:       &http.Client{Timeout: defaultTimeout},
		log:        slog.New(slog.DiscardHandler),
		maxRetries: 3,
		backoff:    250 * time.Millisecond,
	}
	for _, opt := range opts {
		opt(s)
	}
	return &Client{clientID: clientID, tokens: tokens, limits: newBucket(), shared: s}
}

// WithToken returns a client that makes its calls with a token from tokens
// and shares everything else with c: base URL, HTTP client, options.
// Twitch counts rate limits per token (per user, for user tokens), so the
// returned client paces its calls on its own; create it once per token and
// reuse it, rather than once per call, so that concurrent calls with the
// same token share what Twitch said of the limit.
//
//	broadcaster := c.WithToken(broadcasterTokens)
//	_, err := broadcaster.StartCommercial(ctx, &helix.StartCommercialParams{...})
func (c *Client) WithToken(tokens oauth2.TokenSource) *Client {
	return &Client{clientID: c.clientID, tokens: tokens, limits: newBucket(), shared: c.shared}
}

// minRateLimitWait is the least a request waits after a 429, in case the
// answer's reset time has already passed on this machine's clock.
const minRateLimitWait = time.Second

// send is the seam between the generated methods and HTTP: it sends the
// request r, pacing it to the rate limit and retrying where that is safe,
// and decodes a successful answer into out (unless out is nil; a *[]byte
// receives the body as it is).
func (c *Client) send(ctx context.Context, r *request, out any) error {
	if r.err != nil {
		return r.err
	}
	op := r.op
	u := c.shared.baseURL + op.Path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body []byte
	if r.body != nil {
		var err error
		if body, err = json.Marshal(r.body); err != nil {
			return fmt.Errorf("helix: %s: encode body: %w", op.Name, err)
		}
	}
	var tok *oauth2.Token
	if c.tokens != nil {
		var err error
		if tok, err = c.tokens.Token(); err != nil {
			return fmt.Errorf("helix: %s: get token: %w", op.Name, err)
		}
	}

	refreshed := false
	var last429 *APIError // the 429 of the attempt before, being retried
	for retries := 0; ; {
		seq, err := c.limits.take(ctx)
		if rl, ok := err.(*RateLimitError); ok {
			rl.Operation = op.Name
			if last429 != nil {
				// Retrying the 429 would mean waiting past the reset.
				if last429.RateLimit.Reset.IsZero() {
					last429.RateLimit = rl.RateLimit
				}
				return last429
			}
			return rl
		}
		if err != nil {
			return fmt.Errorf("helix: %s: waiting for the rate limit: %w", op.Name, err)
		}
		last429 = nil
		resp, err := c.do(ctx, op, u, body, tok)
		if err != nil {
			c.limits.done(seq, nil)
			if ctx.Err() == nil && op.Idempotent && retries < c.shared.maxRetries {
				retries++
				c.shared.log.WarnContext(ctx, "helix: retrying after a failed connection", "operation", op.Name, "retry", retries, "error", err)
				if err := sleep(ctx, c.backoff(retries)); err != nil {
					return fmt.Errorf("helix: %s: %w", op.Name, err)
				}
				continue
			}
			return fmt.Errorf("helix: %s: %w", op.Name, err)
		}
		rh, limited := c.limits.done(seq, resp.Header)
		if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
			return decode(op, resp, out)
		}

		apiErr := newAPIError(op, resp)
		if limited {
			apiErr.RateLimit = rh.rateLimit(time.Now())
		}
		switch {
		case resp.StatusCode == http.StatusTooManyRequests && (!limited || rh.remaining <= 0) && retries < c.shared.maxRetries:
			// A 429 with points left is about something else (too many
			// EventSub subscriptions), which waiting would not mend.
			retries++
			last429 = apiErr
			c.shared.log.WarnContext(ctx, "helix: rate limited; retrying after the reset", "operation", op.Name, "retry", retries, "reset", apiErr.RateLimit.Reset)
			if !c.limits.refused(rh, limited, time.Now(), minRateLimitWait) {
				// The bucket does not pace (the answers carry no
				// rate-limit headers): wait here.
				if err := sleep(ctx, minRateLimitWait); err != nil {
					return fmt.Errorf("%w (stopped retrying: %w)", apiErr, err)
				}
			}
			continue
		case resp.StatusCode == http.StatusUnauthorized && !refreshed && tok != nil && invalidToken(apiErr):
			refreshed = true
			fresh, err := c.refresh(ctx, tok)
			if err != nil {
				return fmt.Errorf("%w (and getting a new token failed: %w)", apiErr, err)
			}
			if fresh.AccessToken == tok.AccessToken {
				return apiErr // nothing new to try
			}
			c.shared.log.WarnContext(ctx, "helix: token refused; retrying with a new one", "operation", op.Name)
			tok = fresh
			continue
		case resp.StatusCode >= 500 && op.Idempotent && retries < c.shared.maxRetries:
			retries++
			c.shared.log.WarnContext(ctx, "helix: retrying after a server error", "operation", op.Name, "retry", retries, "status", resp.StatusCode)
			if err := sleep(ctx, c.backoff(retries)); err != nil {
				return fmt.Errorf("%w (stopped retrying: %w)", apiErr, err)
			}
			continue
		}
		return apiErr
	}
}

// do sends one attempt of a request.
func (c *Client) do(ctx context.Context, op *Operation, url string, body []byte, tok *oauth2.Token) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, op.Method, url, rd)
	if err != nil {
		return nil, err
	}
	req.Header["Client-Id"] = []string{c.clientID}
	if body != nil {
		req.Header["Content-Type"] = []string{"application/json"}
	}
	if tok != nil {
		req.Header["Authorization"] = []string{"Bearer " + tok.AccessToken}
	}
	return c.shared.http.Do(req)
}

// backoff is the wait before the nth retry after a server error: doubling
// from the first, with jitter so that many clients do not retry together.
func (c *Client) backoff(n int) time.Duration {
	d := c.shared.backoff << (n - 1)
	return d/2 + rand.N(d/2+1)
}

// refresh gets a token to use in place of stale, which Twitch refused.
func (c *Client) refresh(ctx context.Context, stale *oauth2.Token) (*oauth2.Token, error) {
	if r, ok := c.tokens.(oauth.Refresher); ok {
		return r.Refresh(ctx, stale)
	}
	// A plain source may hold a newer token already (it expired meanwhile).
	return c.tokens.Token()
}

// invalidToken reports whether a 401 says the token itself is bad (expired,
// revoked), rather than lacking a scope or belonging to the wrong user,
// which a new token would not mend.
func invalidToken(e *APIError) bool {
	msg := strings.ToLower(e.Message)
	return msg == "" || strings.Contains(msg, "invalid oauth token") || strings.Contains(msg, "invalid access token") ||
		strings.Contains(msg, "expired")
}

// maxBody bounds the body of a successful answer. The largest Helix
// answers are well under 1 MiB: pages of up to 1000 small items (Get
// Chatters, Get Drops Entitlements), 100 larger ones (Get Videos, Get
// Streams), or up to 25 emote sets (Get Emote Sets). 4 MiB leaves room for
// several times that, and bounds what a broken or hostile peer can make a
// call hold.
const maxBody = 4 << 20

// firstBuffer is the size of the buffer an answer is first read into; it
// grows as bytes arrive. A declared Content-Length may make it smaller (an
// answer of 600 bytes takes 601), never larger: the header of a peer that
// declares much and sends nothing buys it nothing. Most Helix answers fit.
const firstBuffer = 4 << 10

// decode reads a successful answer into out.
func decode(op *Operation, resp *http.Response, out any) error {
	defer resp.Body.Close()
	if out == nil || resp.StatusCode == http.StatusNoContent {
		if err := discardBody(resp); err != nil {
			return fmt.Errorf("helix: %s: read response: %w", op.Name, err)
		}
		return nil
	}
	data, err := readBody(resp)
	if err != nil {
		return fmt.Errorf("helix: %s: read response: %w", op.Name, err)
	}
	if raw, ok := out.(*[]byte); ok {
		*raw = data // an answer that is not JSON, such as text/calendar
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("helix: %s: decode response: %w", op.Name, err)
	}
	return nil
}

// errTooLarge is the error for a body over maxBody.
func errTooLarge(what string) error {
	return fmt.Errorf("%s more than the %d MiB any Helix answer needs", what, maxBody>>20)
}

// readBody reads a whole body of at most maxBody bytes, in one allocation
// when its length is declared and small.
func readBody(resp *http.Response) ([]byte, error) {
	n := resp.ContentLength
	if n > maxBody {
		return nil, errTooLarge(fmt.Sprintf("the body declares %d bytes,", n))
	}
	size := firstBuffer
	if n >= 0 && n < firstBuffer {
		size = int(n) + 1 // one more, to see the end without growing
	}
	data := make([]byte, 0, size)
	r := io.LimitReader(resp.Body, maxBody+1)
	for {
		m, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+m]
		if err == io.EOF {
			break
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("the body ended after %d of its %d bytes: %w", len(data), n, err)
		}
		if err != nil {
			return nil, err
		}
		if len(data) == cap(data) {
			// Grow as bytes arrive: double, up to the limit.
			data = slices.Grow(data, min(cap(data), maxBody+1-len(data)))
		}
	}
	if len(data) > maxBody {
		return nil, errTooLarge("the body has")
	}
	if n > 0 && int64(len(data)) < n {
		return nil, fmt.Errorf("the body ended after %d of its %d bytes: %w", len(data), n, io.ErrUnexpectedEOF)
	}
	return data, nil
}

// discardBody reads a body that is not wanted (so that the connection can
// be used again), up to maxBody bytes.
func discardBody(resp *http.Response) error {
	if resp.ContentLength > maxBody {
		return errTooLarge(fmt.Sprintf("the body declares %d bytes,", resp.ContentLength))
	}
	n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody+1))
	if err == nil && n > maxBody {
		err = errTooLarge("the body has")
	}
	return err
}
