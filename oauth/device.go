package oauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"

	"github.com/twitchify-go/twitch/internal/json"
)

// defaultInterval is the wait between polls when Twitch names none
// (RFC 8628 section 3.2).
const defaultInterval = 5 * time.Second

// slowDownStep is what a slow_down answer adds to the wait between polls,
// for that poll and every later one (RFC 8628 section 3.5).
const slowDownStep = 5 * time.Second

// DeviceAuthResponse is a started device code flow: the code the user types
// at VerificationURI, and how long and how often to poll for the token.
//
// It holds the device code, which is a secret, unexported: printing a
// DeviceAuthResponse (fmt, log/slog) shows the user code and the URI,
// never the device code.
type DeviceAuthResponse struct {
	// UserCode is the code the user types at VerificationURI.
	UserCode string
	// VerificationURI is where the user goes. Twitch's carries the user
	// code already, so that the user only confirms it.
	VerificationURI string
	// Expiry is when the codes expire.
	Expiry time.Time
	// Interval is the least wait between two polls.
	Interval time.Duration
	// Scopes are the scopes asked for.
	Scopes []Scope

	deviceCode string
}

// deviceAnswer is the device endpoint's answer (RFC 8628 section 3.2).
type deviceAnswer struct {
	DeviceCode      string `json:"device_code"`
	UserCode        string `json:"user_code"`
	VerificationURI string `json:"verification_uri"`
	ExpiresIn       int64  `json:"expires_in"`
	Interval        int64  `json:"interval"`
}

// DeviceAuth starts the device code flow for the scopes: show the user
// UserCode and VerificationURI, then call DeviceAccessToken.
//
// This request is not x/oauth2's Config.DeviceAuth, which sends the scopes
// as "scope" while Twitch reads them from "scopes" (and silently grants
// none otherwise), and whose request does not end with ctx.
func (c *Client) DeviceAuth(ctx context.Context, scopes ...Scope) (*DeviceAuthResponse, error) {
	form := url.Values{"client_id": {c.clientID}}
	if len(scopes) > 0 {
		form.Set("scopes", joinScopes(scopes))
	}
	data, err := c.do(ctx, "device", http.MethodPost, c.endpoint.DeviceURL, form, nil)
	if err != nil {
		return nil, err
	}
	var a deviceAnswer
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("oauth: device: decode answer: %w", err)
	}
	if a.DeviceCode == "" || a.UserCode == "" {
		return nil, errors.New("oauth: device: the answer has no device code or user code")
	}
	d := &DeviceAuthResponse{
		UserCode:        a.UserCode,
		VerificationURI: a.VerificationURI,
		Interval:        time.Duration(a.Interval) * time.Second,
		Scopes:          append([]Scope(nil), scopes...),
		deviceCode:      a.DeviceCode,
	}
	if d.Interval <= 0 {
		d.Interval = defaultInterval
	}
	if a.ExpiresIn > 0 {
		d.Expiry = time.Now().Add(time.Duration(a.ExpiresIn) * time.Second)
	}
	c.log.Debug("oauth: device flow started", slog.String("user_code", d.UserCode),
		slog.Time("expiry", d.Expiry), slog.Duration("interval", d.Interval))
	return d, nil
}

// DeviceAccessToken polls for the token of a device flow that DeviceAuth
// started: once at once, and then every d.Interval (5 seconds more after
// each slow_down), until the user authorizes the application (it returns the
// token), declines (ErrAccessDenied), the codes expire
// (ErrDeviceCodeExpired), Twitch no longer knows the device code
// (ErrInvalidDeviceCode), or ctx ends (ctx.Err()).
//
// It does not use x/oauth2's Config.DeviceAccessToken, which understands
// only RFC 6749's shape of error (Twitch answers
// {"status":400,"message":"authorization_pending"}) and so stops at the
// first poll; each poll is one request through x/oauth2 (see PollDevice).
func (c *Client) DeviceAccessToken(ctx context.Context, d *DeviceAuthResponse) (*oauth2.Token, error) {
	interval := d.Interval
	if interval <= 0 {
		interval = defaultInterval
	}
	// RFC 8628 section 3.5 asks for the interval between polls; the first
	// poll goes at once, so that a user who was quick (or a fake that
	// approves at once) waits for nothing.
	for first := true; ; first = false {
		wait := interval
		if first {
			wait = 0
		}
		if !d.Expiry.IsZero() {
			left := time.Until(d.Expiry)
			if left <= 0 {
				return nil, ErrDeviceCodeExpired
			}
			wait = min(wait, left)
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
		if !d.Expiry.IsZero() && !time.Now().Before(d.Expiry) {
			return nil, ErrDeviceCodeExpired
		}
		tok, err := c.PollDevice(ctx, d)
		switch {
		case err == nil:
			return tok, nil
		case errors.Is(err, ErrAuthorizationPending):
			c.log.Debug("oauth: device flow: authorization pending")
		case errors.Is(err, ErrSlowDown):
			interval += slowDownStep // RFC 8628 section 3.5: for this and every later poll
			c.log.Debug("oauth: device flow: slow down", slog.Duration("interval", interval))
		default:
			return nil, err
		}
	}
}

// PollDevice asks once for the token of a device flow: it returns the
// token, or an error that wraps ErrAuthorizationPending or ErrSlowDown
// while the user has not acted, or one of DeviceAccessToken's outcomes.
// Most programs call DeviceAccessToken instead.
func (c *Client) PollDevice(ctx context.Context, d *DeviceAuthResponse) (*oauth2.Token, error) {
	// Twitch's device grant takes the client ID without the secret, even
	// from a confidential client. Its reference lists the scopes among the
	// parameters too; they change nothing, but they do no harm.
	params := map[string]string{"grant_type": deviceGrant, "device_code": d.deviceCode}
	if len(d.Scopes) > 0 {
		params["scopes"] = joinScopes(d.Scopes)
	}
	req := c.grant(false, params)
	tok, err := req.Token(c.withHTTP(ctx))
	if err != nil {
		return nil, tokenError("token", deviceGrant, err)
	}
	c.log.Debug("oauth: device flow: authorized")
	return c.stamp(tok), nil
}

// sleep waits for d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
