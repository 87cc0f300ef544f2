package twitch

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/oauth"
)

// Option configures a Client.
type Option func(*config)

// config is what the options set.
type config struct {
	secret          string
	access, refresh string
	hasToken        bool // WithToken was given
	tokenFile       string
	scopes          []oauth.Scope
	channels        []string
	endpoints       Endpoints
	http            *http.Client
	dial            func(ctx context.Context, network, addr string) (net.Conn, error)
	log             *slog.Logger
	webhook         *Webhook // WithWebhook; nil for the WebSocket
	conduit         *Conduit // WithConduit
}

// WithClientSecret makes the application a confidential client: its secret
// goes with each refresh of the token. Without it the client is a public
// one (a device-flow application without a secret), which Twitch lets
// refresh its user tokens with the client ID alone.
func WithClientSecret(secret string) Option {
	return func(c *config) { c.secret = secret }
}

// WithToken gives the client a user access token and its refresh token,
// instead of asking the user for one with the device flow. With a refresh
// token the client renews the access token as it nears its expiry and when
// Twitch refuses it, and hands each new one to OnAuth (and to the token
// file). refresh may be "": the access token then cannot be renewed; Run
// says so once through the logger, and returns an error that wraps
// oauth.ErrReauthorize when the token expires or is revoked.
//
// With WithToken, Run never starts the device flow: a token Twitch refuses,
// or that lacks a scope the handlers need, is an error. With WithTokenFile
// too, the file's token, when there is one, is used first: it is the newer.
func WithToken(access, refresh string) Option {
	return func(c *config) { c.access, c.refresh, c.hasToken = access, refresh, true }
}

// WithTokenFile keeps the user's token in a file (mode 0600, written
// atomically; see oauth.FileStore): Run loads it, and saves each new token
// there, after the device flow and after every refresh (Twitch may rotate
// the refresh token with each). A missing file is not an error: Run gets a
// token with WithToken or the device flow, and saves it.
func WithTokenFile(path string) Option {
	return func(c *config) { c.tokenFile = path }
}

// WithScopes adds scopes to those the handlers' subscription types need:
// the scopes of what the bot does besides receiving events, such as
// oauth.ScopeUserWriteChat to send chat messages. The device flow asks for
// them, and Run refuses a token that lacks one.
func WithScopes(scopes ...oauth.Scope) Option {
	return func(c *config) { c.scopes = append(c.scopes, scopes...) }
}

// WithChannels watches more channels than the token's user's own: each is
// a login ("twitchdev") or a user ID ("141981764"), which Run looks up with
// Helix's Get Users. Run subscribes every handler's type for each of them
// as for the own channel, so the token's user must be allowed to: a
// moderator of the channel for the moderator types (channel.follow, chat
// moderation, ...), and a chat bot for chat. A subscription Twitch refuses
// makes Run fail with Twitch's answer.
func WithChannels(channels ...string) Option {
	return func(c *config) { c.channels = append(c.channels, channels...) }
}

// Endpoints are where the client reaches Twitch. An empty field is Twitch's
// own; twitchtest's Server.Endpoints points every field at the fake.
//
// To run against the Twitch CLI's mock servers: EventSub at the mock
// EventSub WebSocket server ("ws://127.0.0.1:8080/ws", from twitch event
// websocket start-server), Subscriptions at its root, where it serves
// /eventsub/subscriptions ("http://127.0.0.1:8080"), Helix at the mock API
// started on another port ("http://localhost:8081/mock", from twitch
// mock-api start -p 8081), and OAuth at its auth namespace
// ("http://localhost:8081/auth", which validates the tokens of its
// /auth/authorize).
type Endpoints struct {
	// EventSub is the EventSub WebSocket URL (ws:// or wss://):
	// wss://eventsub.wss.twitch.tv/ws.
	EventSub string
	// Helix is the root of the Helix API: https://api.twitch.tv/helix.
	Helix string
	// OAuth is the folder of the OAuth endpoints (device, token, validate,
	// revoke and authorize below it): https://id.twitch.tv/oauth2.
	OAuth string
	// Subscriptions is the root under which EventSub's subscription
	// endpoints are (/eventsub/subscriptions), when it is not Helix: the
	// Twitch CLI's mock EventSub server serves them at its root. Empty
	// means Helix.
	Subscriptions string
}

// Twitch's own endpoints.
const (
	defaultOAuth = oauth.DefaultBaseURL + "/oauth2"
)

// withDefaults fills the empty fields of e with Twitch's endpoints.
func (e Endpoints) withDefaults() Endpoints {
	if e.EventSub == "" {
		e.EventSub = eventsub.DefaultBaseURL
	}
	if e.Helix == "" {
		e.Helix = helix.DefaultBaseURL
	}
	if e.OAuth == "" {
		e.OAuth = defaultOAuth
	}
	if e.Subscriptions == "" {
		e.Subscriptions = e.Helix
	}
	return e
}

// check says what is wrong with e's URLs.
func (e Endpoints) check() error {
	for _, u := range []struct{ field, value, schemes string }{
		{"EventSub", e.EventSub, "ws wss"},
		{"Helix", e.Helix, "http https"},
		{"OAuth", e.OAuth, "http https"},
		{"Subscriptions", e.Subscriptions, "http https"},
	} {
		p, err := url.Parse(u.value)
		if err != nil || p.Host == "" || !strings.Contains(" "+u.schemes+" ", " "+p.Scheme+" ") {
			return fmt.Errorf("twitch: WithEndpoints: %s %q is not a URL of scheme %s", u.field, u.value, strings.ReplaceAll(u.schemes, " ", " or "))
		}
	}
	return nil
}

// oauthEndpoint is the endpoints of package oauth below the folder base.
func oauthEndpoint(base string) oauth.Endpoint {
	base = strings.TrimSuffix(base, "/")
	return oauth.Endpoint{
		AuthorizeURL: base + "/authorize",
		TokenURL:     base + "/token",
		DeviceURL:    base + "/device",
		ValidateURL:  base + "/validate",
		RevokeURL:    base + "/revoke",
	}
}

// WithEndpoints points the client at other servers than Twitch's: a fake
// in tests (twitchtest's Server.Endpoints), or the Twitch CLI's mock
// servers (see Endpoints). A URL that is not one is returned by Run.
func WithEndpoints(e Endpoints) Option {
	return func(c *config) { c.endpoints = e }
}

// defaultTimeout is how long the default HTTP client waits for an answer.
const defaultTimeout = 30 * time.Second

// WithHTTPClient sends the client's requests (Helix, OAuth) through hc.
// Several Clients in one process (one per user) may share one; each keeps
// its own token and rate limit all the same. The default is a client of
// the Client's own that gives up on an answer after 30 seconds, over
// http.DefaultTransport, whose connections every such client shares; a nil
// hc keeps it.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) { c.http = hc }
}

// WithDialContext opens the EventSub WebSocket's network connections with
// dial (a proxy; twitchtest's EventSub.DialContext in a testing/synctest
// bubble); see eventsub.WithDialContext.
func WithDialContext(dial func(ctx context.Context, network, addr string) (net.Conn, error)) Option {
	return func(c *config) { c.dial = dial }
}

// WithLogger logs the client's work, and its errors when no OnError is
// set, to l. Without it, warnings and errors (a reconnection, a failed
// renewal, an error no OnError took) go to slog.Default() and nothing
// else is logged: a running bot is quiet but never fails silently. A nil l
// keeps the default. No token, secret or device code is ever logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.log = l
		}
	}
}

// defaultLogger is slog.Default() for warnings and errors only.
func defaultLogger() *slog.Logger {
	return slog.New(minLevel{slog.Default().Handler(), slog.LevelWarn})
}

// minLevel is a handler that drops the records below min.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(attrs), h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.min}
}
