package oauth

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// DefaultBaseURL is the root of Twitch's OAuth endpoints.
const DefaultBaseURL = "https://id.twitch.tv"

// Endpoint is where Twitch's OAuth endpoints are.
type Endpoint struct {
	AuthorizeURL string // the consent page of the authorization code flow
	TokenURL     string // every grant
	DeviceURL    string // the start of the device code flow
	ValidateURL  string
	RevokeURL    string
}

// EndpointAt returns the endpoints below baseURL: DefaultBaseURL for
// Twitch, a fake's URL in tests.
//
// x/oauth2's twitch.Endpoint has no device URL; EndpointAt(DefaultBaseURL).OAuth2()
// is a complete one for code that uses x/oauth2 directly.
func EndpointAt(baseURL string) Endpoint {
	base := strings.TrimSuffix(baseURL, "/") + "/oauth2/"
	return Endpoint{
		AuthorizeURL: base + "authorize",
		TokenURL:     base + "token",
		DeviceURL:    base + "device",
		ValidateURL:  base + "validate",
		RevokeURL:    base + "revoke",
	}
}

// OAuth2 returns e as x/oauth2 describes an endpoint. Twitch takes the
// client's credentials in the request's body, not in a Basic
// Authorization header, so AuthStyle says so rather than letting x/oauth2
// find out by trying both.
func (e Endpoint) OAuth2() oauth2.Endpoint {
	return oauth2.Endpoint{
		AuthURL:       e.AuthorizeURL,
		TokenURL:      e.TokenURL,
		DeviceAuthURL: e.DeviceURL,
		AuthStyle:     oauth2.AuthStyleInParams,
	}
}

// Client speaks to Twitch's OAuth endpoints for one application (one
// client ID). It is safe for concurrent use, holds no tokens itself and
// needs no closing. Printing it (fmt, log/slog) shows its client ID and
// token endpoint, never its secret.
type Client struct {
	clientID string
	secret   string
	endpoint Endpoint
	http     *http.Client
	log      *slog.Logger
}

// Option configures a Client.
type Option func(*Client)

// WithClientSecret makes the client a confidential one: its secret goes
// with the code exchange, refreshes and client credentials. Without it the
// client is a public one (a device-flow app without a secret), which
// Twitch lets refresh user tokens with the client ID alone.
func WithClientSecret(secret string) Option {
	return func(c *Client) { c.secret = secret }
}

// WithBaseURL sends requests to the endpoints below baseURL instead of
// DefaultBaseURL: twitchtest's OAuth.URL in tests.
func WithBaseURL(baseURL string) Option {
	return func(c *Client) { c.endpoint = EndpointAt(baseURL) }
}

// WithEndpoint sets each endpoint's URL.
func WithEndpoint(e Endpoint) Option {
	return func(c *Client) { c.endpoint = e }
}

// defaultTimeout is how long the default HTTP client waits for an answer.
const defaultTimeout = 30 * time.Second

// WithHTTPClient sends requests through hc. The default is a client of its
// own (not http.DefaultClient) that gives up on an answer after 30
// seconds; a nil hc keeps it.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.http = hc
		}
	}
}

// WithLogger logs what the client and its token sources do (refreshes,
// device-flow polls, validations) to l. By default nothing is logged.
// Tokens, refresh tokens, device codes and the secret are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) { c.log = l }
}

// New returns a client for the application clientID.
func New(clientID string, opts ...Option) *Client {
	c := &Client{
		clientID: clientID,
		endpoint: EndpointAt(DefaultBaseURL),
		http:     &http.Client{Timeout: defaultTimeout},
		log:      slog.New(slog.DiscardHandler),
	}
	for _, opt := range opts {
		opt(c)
	}
	return c
}

// ClientID returns the application's client ID.
func (c *Client) ClientID() string { return c.clientID }

// config is the client as x/oauth2 sees it.
func (c *Client) config(redirectURL string, scopes []Scope) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     c.clientID,
		ClientSecret: c.secret,
		Endpoint:     c.endpoint.OAuth2(),
		RedirectURL:  redirectURL,
		Scopes:       scopeStrings(scopes),
	}
}

// grant returns an x/oauth2 request to the token endpoint with the
// client's ID, its secret when withSecret, and params.
// clientcredentials.Config lets params replace grant_type ("to allow
// interoperability with non-compliant implementations"), which makes it the
// one way x/oauth2 offers to send a single token request of any grant: the
// device flow's polls use it too.
func (c *Client) grant(withSecret bool, params map[string]string) *clientcredentials.Config {
	cc := &clientcredentials.Config{
		ClientID:       c.clientID,
		TokenURL:       c.endpoint.TokenURL,
		AuthStyle:      oauth2.AuthStyleInParams,
		EndpointParams: map[string][]string{},
	}
	if withSecret {
		cc.ClientSecret = c.secret
	}
	for k, v := range params {
		cc.EndpointParams.Set(k, v)
	}
	return cc
}

// withHTTP puts the client's *http.Client where x/oauth2 looks for it.
// This is the only use of the context key; callers give the client as an
// option.
func (c *Client) withHTTP(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, c.http)
}

// stamp sets tok's ExpiresIn and Expiry from the expires_in Twitch sent
// (which x/oauth2's clientcredentials keeps only among the extras), and
// returns tok.
func (c *Client) stamp(tok *oauth2.Token) *oauth2.Token {
	secs := tok.ExpiresIn
	if secs == 0 {
		// clientcredentials keeps expires_in only among the extras.
		switch v := tok.Extra("expires_in").(type) {
		case float64:
			secs = int64(v)
		case int64:
			secs = v
		}
	}
	if secs > 0 {
		tok.ExpiresIn = secs
		tok.Expiry = time.Now().Add(time.Duration(secs) * time.Second)
	} else {
		tok.Expiry = time.Time{}
	}
	return tok
}

func scopeStrings(scopes []Scope) []string {
	if len(scopes) == 0 {
		return nil
	}
	out := make([]string, len(scopes))
	for i, s := range scopes {
		out[i] = string(s)
	}
	return out
}

func joinScopes(scopes []Scope) string { return strings.Join(scopeStrings(scopes), " ") }
