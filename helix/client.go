package helix

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"golang.org/x/oauth2"

	"github.com/twitchify-go/twitch/internal/jsonerr"
)

// DefaultBaseURL is the root of Twitch's Helix API.
const DefaultBaseURL = "https://api.twitch.tv/helix"

// Client calls Helix. It is safe for concurrent use.
type Client struct {
	clientID string
	tokens   oauth2.TokenSource
	baseURL  string
	http     *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithBaseURL sends requests to baseURL instead of DefaultBaseURL: a fake
// in tests, or the Twitch CLI's mock API.
func WithBaseURL(baseURL string) Option {
	return func(c *Client) { c.baseURL = strings.TrimSuffix(baseURL, "/") }
}

// WithHTTPClient sends requests through hc instead of http.DefaultClient.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.http = hc }
}

// New returns a client for the application clientID that authorizes each
// request with a token from tokens (an app or a user access token). With a
// nil tokens, requests carry no Authorization header.
func New(clientID string, tokens oauth2.TokenSource, opts ...Option) *Client {
	c := &Client{clientID: clientID, tokens: tokens, baseURL: DefaultBaseURL, http: http.DefaultClient}
	for _, opt := range opts {
		opt(c)
	}
	return c
}

// send is the seam between the generated methods and HTTP: it sends the
// request r and decodes a successful answer into out (unless out is nil;
// a *[]byte receives the body as it is).
func (c *Client) send(ctx context.Context, r *request, out any) error {
	if r.err != nil {
		return r.err
	}
	u := c.baseURL + r.op.Path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		data, err := json.Marshal(r.body)
		if err != nil {
			return fmt.Errorf("helix: %s: encode body: %w", r.op.Name, err)
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, r.op.Method, u, body)
	if err != nil {
		return fmt.Errorf("helix: %s: %w", r.op.Name, err)
	}
	req.Header.Set("Client-Id", c.clientID)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.tokens != nil {
		tok, err := c.tokens.Token()
		if err != nil {
			return fmt.Errorf("helix: %s: get token: %w", r.op.Name, err)
		}
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("helix: %s: %w", r.op.Name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return newAPIError(r.op, resp)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("helix: %s: read response: %w", r.op.Name, err)
	}
	if raw, ok := out.(*[]byte); ok {
		*raw = data // an answer that is not JSON, such as text/calendar
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("helix: %s: decode response: %w", r.op.Name, jsonerr.Describe(data, out, err))
	}
	return nil
}
