package twitch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/twitchify-go/twitch/oauth"
)

// tokenSource is the client's token source for Helix: the *oauth.Source
// Run sets up, or ErrNoToken until then. It is an oauth.Refresher, so that
// Helix renews a token Twitch refuses.
type tokenSource struct {
	mu  sync.Mutex
	src *oauth.Source
}

var _ oauth.Refresher = (*tokenSource)(nil)

func (t *tokenSource) set(src *oauth.Source) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.src = src
}

func (t *tokenSource) get() *oauth.Source {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.src
}

// Token returns the current token, renewed first when it nears its expiry.
func (t *tokenSource) Token() (*oauth2.Token, error) {
	src := t.get()
	if src == nil {
		return nil, ErrNoToken
	}
	return src.Token()
}

// Refresh returns a token to use in place of stale, which Twitch refused.
func (t *tokenSource) Refresh(ctx context.Context, stale *oauth2.Token) (*oauth2.Token, error) {
	src := t.get()
	if src == nil {
		return nil, ErrNoToken
	}
	return src.Refresh(ctx, stale)
}

// token is a user token the client uses, and what Twitch said of it.
type token struct {
	src   *oauth.Source
	val   *oauth.Validation
	plain bool // it has no refresh token: it cannot be renewed
}

// authorize gets a valid token with the scopes in needs: the token file's,
// WithToken's, or, when neither is usable and WithToken was not given,
// one from the device flow.
func (c *Client) authorize(ctx context.Context, needs *scopeNeeds) (*token, error) {
	device := !c.cfg.hasToken
	tok, err := c.initialToken()
	if err != nil {
		return nil, err
	}
	if tok != nil {
		t, err := c.validated(ctx, tok)
		switch {
		case err == nil:
			missing := needs.missing(t.val.Scopes)
			if missing == nil {
				return t, nil
			}
			if !device {
				return nil, missing
			}
			c.log.Warn("twitch: the token lacks scopes the client needs: authorizing the application again with the device flow",
				slog.String("missing", missing.Error()))
		case device && (errors.Is(err, oauth.ErrReauthorize) || errors.Is(err, oauth.ErrInvalidToken)):
			c.log.Warn("twitch: the saved token can no longer be used: authorizing the application again with the device flow",
				slog.Any("err", err))
		case errors.Is(err, oauth.ErrReauthorize) || errors.Is(err, oauth.ErrInvalidToken):
			return nil, &reauthError{
				msg: "twitch: Run: Twitch refuses the token of WithToken (expired or revoked) and it cannot be renewed: give the client a new token",
				err: err,
			}
		default:
			return nil, err
		}
	}

	fresh, err := c.deviceFlow(ctx, needs.request())
	if err != nil {
		return nil, err
	}
	t, err := c.validated(ctx, fresh)
	if err != nil {
		return nil, fmt.Errorf("twitch: Run: the device flow's token: %w", err)
	}
	if missing := needs.missing(t.val.Scopes); missing != nil {
		return nil, missing // the user did not grant them all
	}
	return t, nil
}

// initialToken is the token file's token, or else WithToken's, or nil.
func (c *Client) initialToken() (*oauth2.Token, error) {
	if c.store != nil {
		tok, err := c.store.Load()
		switch {
		case err == nil:
			return tok, nil
		case !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("twitch: Run: %w (remove the file to authorize the application again)", err)
		}
	}
	if c.cfg.hasToken {
		return &oauth2.Token{AccessToken: c.cfg.access, RefreshToken: c.cfg.refresh, TokenType: "bearer"}, nil
	}
	return nil, nil
}

// validated makes a token source of tok, renews the token if it has
// expired or Twitch refuses it (and it has a refresh token), and validates
// it: Twitch requires a validation when an application starts.
func (c *Client) validated(ctx context.Context, tok *oauth2.Token) (*token, error) {
	plain := tok.RefreshToken == ""
	if plain {
		// It cannot be renewed: the source must hand it out until Twitch
		// refuses it, rather than try to renew it before its expiry. Run
		// stops at the expiry that validation tells.
		cp := *tok
		cp.Expiry = time.Time{}
		tok = &cp
	}
	src := c.oauth.UserTokenSource(tok, oauth.OnToken(c.tokenChanged))
	cur, err := src.Token()
	if err != nil {
		return nil, err
	}
	val, err := c.oauth.Validate(ctx, cur.AccessToken)
	if errors.Is(err, oauth.ErrInvalidToken) {
		if cur, err = src.Refresh(ctx, cur); err != nil {
			return nil, err
		}
		val, err = c.oauth.Validate(ctx, cur.AccessToken)
	}
	if err != nil {
		return nil, err
	}
	switch {
	case val.UserID == "":
		return nil, errors.New("twitch: Run: the token is an app access token; the client needs a user access token (the device flow gets one)")
	case val.ClientID != "" && val.ClientID != c.clientID:
		return nil, fmt.Errorf("twitch: Run: the token was issued to the application %s, not to %s, so Twitch refuses it with this client ID: get a token for %s", val.ClientID, c.clientID, c.clientID)
	}
	return &token{src: src, val: val, plain: plain}, nil
}

// deviceFlow gets a token from the user with the device code flow, and
// keeps it (token file, OnAuth).
func (c *Client) deviceFlow(ctx context.Context, scopes []oauth.Scope) (*oauth2.Token, error) {
	da, err := c.oauth.DeviceAuth(ctx, scopes...)
	if err != nil {
		return nil, fmt.Errorf("twitch: Run: start the device flow: %w", err)
	}
	code := DeviceCode{VerificationURI: da.VerificationURI, UserCode: da.UserCode, Expiry: da.Expiry, Scopes: da.Scopes}
	if f := c.getHooks().onCode; f != nil {
		f(code)
	} else {
		c.log.Warn("twitch: to authorize the application, open the verification URI, sign in as the bot's account and check the code",
			slog.String("uri", code.VerificationURI), slog.String("code", code.UserCode), slog.Time("expiry", code.Expiry))
	}
	tok, err := c.oauth.DeviceAccessToken(ctx, da)
	if err != nil {
		return nil, fmt.Errorf("twitch: Run: the device flow: %w", err)
	}
	if err := c.tokenChanged(tok); err != nil {
		c.report(fmt.Errorf("twitch: the new token could not be saved; it is used all the same: %w", err))
	}
	return tok, nil
}

// tokenChanged keeps a new token: in the token file, and through OnAuth
// (once per token, though a failed save is tried again).
func (c *Client) tokenChanged(tok *oauth2.Token) error {
	var err error
	if c.store != nil {
		err = c.store.Save(tok)
	}
	c.mu.Lock()
	first := c.lastAuthed != tok && !c.closed
	c.lastAuthed = tok
	f := c.hooks.onAuth
	c.mu.Unlock()
	if first && f != nil {
		c.callback(func() { f(tok) })
	}
	return err
}

// watch keeps an eye on the token while Run runs: a plain token's expiry
// stops Run, and a revocation (authorization_revoked) has the token
// validated at once. The hourly validation is the oauth Validator's.
func (c *Client) watch(ctx context.Context, t *token) {
	var expired <-chan time.Time
	if t.plain && !t.val.Expiry.IsZero() {
		timer := time.NewTimer(time.Until(t.val.Expiry))
		defer timer.Stop()
		expired = timer.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-expired:
			c.fail(c.expiredError())
			return
		case <-c.revalidate:
			if err := c.checkToken(ctx); err != nil {
				c.revokedToken(err)
			}
		}
	}
}

// expiredError is the end of a plain token, which cannot be renewed; nil
// when the token is not one, or has not expired.
func (c *Client) expiredError() error {
	c.mu.Lock()
	expiry := c.plainExpiry
	c.mu.Unlock()
	if expiry.IsZero() || time.Now().Before(expiry) {
		return nil
	}
	return &reauthError{
		msg: fmt.Sprintf("twitch: the access token expired at %s, and it has no refresh token, so it cannot be renewed: %s",
			expiry.UTC().Format(time.RFC3339), c.whatToDo()),
		err: oauth.ErrReauthorize,
	}
}

// validate runs the oauth Validator, which validates the token hourly as
// Twitch requires, from an hour after Run's own validation.
func (c *Client) validate(ctx context.Context) {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return
	case <-t.C:
	}
	v := c.oauth.NewValidator(c.tokens,
		oauth.OnValid(func(val *oauth.Validation) {
			c.mu.Lock()
			c.user.Login = val.Login // a user may change their login
			c.mu.Unlock()
		}),
		oauth.OnRevoked(c.revokedToken),
		oauth.OnError(func(err error) {
			c.report(fmt.Errorf("twitch: validating the token failed; it is validated again in an hour: %w", err))
		}))
	_ = v.Run(ctx) // until ctx ends
}

// checkToken validates the token now, renewing it if Twitch refuses it.
func (c *Client) checkToken(ctx context.Context) error {
	cur, err := c.tokens.Token()
	if err != nil {
		return err
	}
	_, err = c.oauth.Validate(ctx, cur.AccessToken)
	if !errors.Is(err, oauth.ErrInvalidToken) {
		if err != nil && ctx.Err() == nil {
			c.report(fmt.Errorf("twitch: validating the token failed: %w", err))
		}
		return nil
	}
	if cur, err = c.tokens.Refresh(ctx, cur); err != nil {
		return err
	}
	_, err = c.oauth.Validate(ctx, cur.AccessToken)
	return err
}

// revokedToken stops Run when the token cannot be used nor renewed.
func (c *Client) revokedToken(err error) {
	if !errors.Is(err, oauth.ErrReauthorize) && !errors.Is(err, oauth.ErrInvalidToken) {
		c.report(fmt.Errorf("twitch: validating the token failed: %w", err))
		return
	}
	if expired := c.expiredError(); expired != nil {
		c.fail(expired) // the validation came at the expiry: that is why
		return
	}
	c.fail(&reauthError{
		msg: "twitch: Twitch refuses the token (the user disconnected the application, or it was revoked) and it cannot be renewed: " + c.whatToDo(),
		err: err,
	})
}

// whatToDo says how to get a new token.
func (c *Client) whatToDo() string {
	if c.cfg.hasToken {
		return "give the client a new token (WithToken)"
	}
	return "run the client again: it asks the user to authorize it with the device flow"
}
