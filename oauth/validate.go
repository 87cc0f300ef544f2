package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"
)

// Validation is what Twitch says of a valid access token.
type Validation struct {
	ClientID string // the application the token was issued to
	Login    string // the user's login; empty for an app access token
	UserID   string // empty for an app access token
	Scopes   []Scope
	// ExpiresIn is how long the token has left; 0 when it does not expire.
	ExpiresIn time.Duration
	// Expiry is when the token expires, on the client's clock; zero when
	// it does not.
	Expiry time.Time
}

type validateAnswer struct {
	ClientID  string   `json:"client_id"`
	Login     string   `json:"login"`
	UserID    string   `json:"user_id"`
	Scopes    []string `json:"scopes"`
	ExpiresIn int64    `json:"expires_in"`
}

// Validate asks Twitch whether token is valid, and what it is. An invalid
// token (expired, revoked) gives an error that wraps ErrInvalidToken.
//
// Twitch requires applications that use user access tokens to validate
// them when they start and hourly after; a Validator does the hourly part.
func (c *Client) Validate(ctx context.Context, token string) (*Validation, error) {
	header := http.Header{"Authorization": {"OAuth " + token}}
	data, err := c.do(ctx, "validate", http.MethodGet, c.endpoint.ValidateURL, nil, header)
	if err != nil {
		return nil, err
	}
	var a validateAnswer
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("oauth: validate: decode answer: %w", err)
	}
	v := &Validation{
		ClientID:  a.ClientID,
		Login:     a.Login,
		UserID:    a.UserID,
		ExpiresIn: time.Duration(a.ExpiresIn) * time.Second,
	}
	for _, s := range a.Scopes {
		v.Scopes = append(v.Scopes, Scope(s))
	}
	if a.ExpiresIn > 0 {
		v.Expiry = c.clock.Now().Add(v.ExpiresIn)
	}
	return v, nil
}

// Revoke tells Twitch to revoke token (an access token of this client),
// when the user logs out or the application no longer needs it. Twitch's
// refusal of a token it does not know wraps ErrInvalidToken.
func (c *Client) Revoke(ctx context.Context, token string) error {
	form := url.Values{"client_id": {c.clientID}, "token": {token}}
	_, err := c.do(ctx, "revoke", http.MethodPost, c.endpoint.RevokeURL, form, nil)
	return err
}

// defaultValidateEvery is how often a Validator validates: Twitch requires
// it hourly.
const defaultValidateEvery = time.Hour

// Validator validates the token of a token source when Run starts and then
// every Interval while it runs. When Twitch says the token is invalid and
// the source is a Refresher (a Source is), it asks the source for a new
// token once and validates that; a token that cannot be replaced is
// reported to OnRevoked.
//
//	v := &oauth.Validator{Client: c, Tokens: ts, OnRevoked: func(err error) { ... }}
//	go v.Run(ctx) // until ctx ends
type Validator struct {
	Client *Client            // required
	Tokens oauth2.TokenSource // required
	// Interval is the time between validations: an hour when 0.
	Interval time.Duration
	// OnValid, if set, is called after each successful validation.
	OnValid func(*Validation)
	// OnRevoked, if set, is called when Twitch refuses the token and no
	// new one can be had: err wraps ErrInvalidToken, or ErrReauthorize
	// when the source tried to refresh it. The user must authorize again.
	// The Validator goes on validating, in case the source is given a new
	// token (Source.Set).
	OnRevoked func(err error)
	// OnError, if set, is called when a validation could not be made (the
	// network, Twitch failing); the next is at the next interval.
	OnError func(err error)
}

// Run validates until ctx ends, and then returns ctx.Err(). Hooks run on
// Run's goroutine, one at a time.
func (v *Validator) Run(ctx context.Context) error {
	every := v.Interval
	if every <= 0 {
		every = defaultValidateEvery
	}
	for {
		v.once(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-v.Client.clock.After(every):
		}
	}
}

// once makes one validation and reports it.
func (v *Validator) once(ctx context.Context) {
	log := v.Client.log
	val, err := v.validate(ctx)
	switch {
	case ctx.Err() != nil:
	case err == nil:
		log.Debug("oauth: token validated", slog.String("login", val.Login), slog.Duration("expires_in", val.ExpiresIn))
		if v.OnValid != nil {
			v.OnValid(val)
		}
	case errors.Is(err, ErrInvalidToken) || errors.Is(err, ErrReauthorize):
		log.Warn("oauth: the token was revoked", slog.Any("err", err))
		if v.OnRevoked != nil {
			v.OnRevoked(err)
		}
	default:
		log.Warn("oauth: validating the token failed", slog.Any("err", err))
		if v.OnError != nil {
			v.OnError(err)
		}
	}
}

func (v *Validator) validate(ctx context.Context) (*Validation, error) {
	tok, err := v.Tokens.Token()
	if err != nil {
		return nil, err
	}
	val, err := v.Client.Validate(ctx, tok.AccessToken)
	if !errors.Is(err, ErrInvalidToken) {
		return val, err
	}
	r, ok := v.Tokens.(Refresher)
	if !ok {
		return nil, err
	}
	tok, err = r.Refresh(ctx, tok)
	if err != nil {
		return nil, err
	}
	return v.Client.Validate(ctx, tok.AccessToken)
}
