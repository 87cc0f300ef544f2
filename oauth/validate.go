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

// Validation is what Twitch says of a valid access token.
type Validation struct {
	ClientID string // the application the token was issued to
	Login    string // the user's login; empty for an app access token
	UserID   string // empty for an app access token
	Scopes   []Scope
	// ExpiresIn is how long the token has left; 0 when it does not expire.
	ExpiresIn time.Duration
	// Expiry is when the token expires; zero when it does not.
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
		v.Expiry = time.Now().Add(v.ExpiresIn)
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
// hourly (WithInterval) while it runs, as Twitch requires of applications
// that use user access tokens. When Twitch says the token is invalid and
// the source is a Refresher (a Source is), it asks the source for a new
// token once and validates that; a token that cannot be replaced is
// reported to OnRevoked.
//
// A Validator is made by Client.NewValidator. Its callbacks run on Run's
// goroutine, one at a time, and should return quickly. Printing it (fmt,
// log/slog) shows its client ID and interval, never a token.
type Validator struct {
	c         *Client
	tokens    oauth2.TokenSource
	every     time.Duration
	onValid   func(*Validation)
	onRevoked func(error)
	onError   func(error)
}

// ValidatorOption configures a Validator.
type ValidatorOption func(*Validator)

// WithInterval sets the time between validations: an hour by default. An
// interval of 0 or less keeps the default.
func WithInterval(d time.Duration) ValidatorOption {
	return func(v *Validator) {
		if d > 0 {
			v.every = d
		}
	}
}

// OnValid makes the Validator call f after each successful validation.
func OnValid(f func(*Validation)) ValidatorOption {
	return func(v *Validator) { v.onValid = f }
}

// OnRevoked makes the Validator call f when Twitch refuses the token and
// no new one can be had: the user must authorize the application again.
// err wraps ErrReauthorize, and ErrInvalidToken when Twitch said the token
// is invalid (rather than refusing its refresh token); its text says what
// to do. The Validator goes on validating, in case the source is given a
// new token (Source.Set), and calls f again at each interval until then.
func OnRevoked(f func(err error)) ValidatorOption {
	return func(v *Validator) { v.onRevoked = f }
}

// OnError makes the Validator call f when a validation could not be made
// (the network, Twitch failing); the next is at the next interval.
func OnError(f func(err error)) ValidatorOption {
	return func(v *Validator) { v.onError = f }
}

// NewValidator returns a Validator of the tokens of tokens; Run starts it.
//
//	v := c.NewValidator(tokens, oauth.OnRevoked(func(err error) { ... }))
//	go v.Run(ctx) // until ctx ends
func (c *Client) NewValidator(tokens oauth2.TokenSource, opts ...ValidatorOption) *Validator {
	v := &Validator{c: c, tokens: tokens, every: defaultValidateEvery}
	for _, opt := range opts {
		opt(v)
	}
	return v
}

// Run validates until ctx ends, and then returns ctx.Err(). It returns at
// once with an error when the Validator has no token source.
func (v *Validator) Run(ctx context.Context) error {
	if v.tokens == nil {
		return errors.New("oauth: validator: no token source")
	}
	for {
		v.once(ctx)
		if err := sleep(ctx, v.every); err != nil {
			return err
		}
	}
}

// once makes one validation and reports it.
func (v *Validator) once(ctx context.Context) {
	log := v.c.log
	val, err := v.validate(ctx)
	switch {
	case ctx.Err() != nil:
	case err == nil:
		log.Debug("oauth: token validated", slog.String("login", val.Login), slog.Duration("expires_in", val.ExpiresIn))
		if v.onValid != nil {
			v.onValid(val)
		}
	case errors.Is(err, ErrInvalidToken) || errors.Is(err, ErrReauthorize):
		err = reauthorize(err)
		log.Warn("oauth: the token was revoked", slog.Any("err", err))
		if v.onRevoked != nil {
			v.onRevoked(err)
		}
	default:
		log.Warn("oauth: validating the token failed", slog.Any("err", err))
		if v.onError != nil {
			v.onError(err)
		}
	}
}

func (v *Validator) validate(ctx context.Context) (*Validation, error) {
	tok, err := v.tokens.Token()
	if err != nil {
		return nil, err
	}
	if tok == nil {
		return nil, errors.New("oauth: validator: the token source gave no token")
	}
	val, err := v.c.Validate(ctx, tok.AccessToken)
	if !errors.Is(err, ErrInvalidToken) {
		return val, err
	}
	r, ok := v.tokens.(Refresher)
	if !ok {
		return nil, err
	}
	tok, err = r.Refresh(ctx, tok)
	if err != nil {
		return nil, err
	}
	if tok == nil {
		return nil, errors.New("oauth: validator: the token source gave no new token")
	}
	return v.c.Validate(ctx, tok.AccessToken)
}
