package oauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// defaultRenewBefore is how long before its expiry a Source renews a token.
const defaultRenewBefore = time.Minute

// saveRetry is the least time between two attempts to save a token whose
// saving failed.
const saveRetry = time.Minute

// Source is a token source that renews its token: a user access token by
// refreshing it (UserTokenSource), an app access token by asking for a new
// one (AppTokenSource). It renews a token shortly before it expires, and on
// demand through Refresh, which package helix calls after a 401 (a Source
// is an oauth.Refresher).
//
// A Source is safe for concurrent use. Callers that need a new token at
// the same time share one request: a hundred calls refused at once cause
// one refresh. Token uses no context (oauth2.TokenSource has none): its
// request ends with the HTTP client's timeout; Refresh ends with its ctx.
//
// Printing a Source (fmt, log/slog) shows its kind, client ID and expiry,
// never a token.
type Source struct {
	c      *Client
	kind   string // "user" or "app"
	fetch  func(ctx context.Context, cur *oauth2.Token) (*oauth2.Token, error)
	save   func(*oauth2.Token) error
	before time.Duration

	saveMu sync.Mutex // held while saving

	mu      sync.Mutex
	tok     *oauth2.Token
	flight  *flight   // the renewal under way, if any
	dead    error     // a renewal failed for good (ErrReauthorize)
	unsaved bool      // tok is not saved yet (OnToken)
	triedAt time.Time // of the last attempt to save
}

var _ Refresher = (*Source)(nil)

// flight is one renewal that concurrent callers share.
type flight struct {
	done chan struct{} // closed when tok and err are set
	tok  *oauth2.Token
	err  error
}

// SourceOption configures a Source.
type SourceOption func(*Source)

// OnToken makes the source call save with every new token it gets, before
// the calls waiting for it return, so the application can keep it
// (FileStore.Save does). Calls of save take turns.
// Twitch may rotate the refresh token on each refresh, and for public
// clients it always does: the old one then stops working, so a token that
// is not saved is lost when the program stops.
//
// When save fails, the source uses the new token all the same (it is the
// only valid one), logs the failure and tries again at most once a minute
// while it is used, until save succeeds.
func OnToken(save func(*oauth2.Token) error) SourceOption {
	return func(s *Source) { s.save = save }
}

// WithRenewBefore sets how long before its expiry a token is renewed: a
// minute by default.
func WithRenewBefore(d time.Duration) SourceOption {
	return func(s *Source) { s.before = max(d, 0) }
}

// UserTokenSource returns a source of user access tokens that starts with
// tok (from DeviceAccessToken, Exchange or a FileStore) and refreshes it
// with its refresh token. A client without a secret refreshes as a public
// client, with its client ID alone.
//
// When the refresh token is missing or Twitch refuses it, Token and
// Refresh return an error that wraps ErrReauthorize, from then on, until
// Set gives the source a new token: the user must authorize again. The
// error's text says so, and how.
func (c *Client) UserTokenSource(tok *oauth2.Token, opts ...SourceOption) *Source {
	s := c.newSource(tok, opts)
	s.kind, s.fetch = "user", c.refresh
	return s
}

// AppTokenSource returns a source of app access tokens (the client
// credentials grant; it needs WithClientSecret) that asks for a new one
// when the token nears its expiry or Refresh is called. tok is a token
// kept from an earlier run, or nil.
func (c *Client) AppTokenSource(tok *oauth2.Token, opts ...SourceOption) *Source {
	s := c.newSource(tok, opts)
	s.kind, s.fetch = "app", c.appToken
	return s
}

func (c *Client) newSource(tok *oauth2.Token, opts []SourceOption) *Source {
	s := &Source{c: c, before: defaultRenewBefore, tok: tok}
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// refresh gets a new user access token with cur's refresh token (RFC 6749
// section 6) through x/oauth2.
func (c *Client) refresh(ctx context.Context, cur *oauth2.Token) (*oauth2.Token, error) {
	if cur == nil || cur.RefreshToken == "" {
		return nil, &reauthorizeError{msg: "oauth: token (refresh_token): the token has no refresh token"}
	}
	// A token source of x/oauth2 given a token without an access token
	// refreshes at once, and keeps the refresh token when Twitch sends no
	// new one.
	ts := c.config("", nil).TokenSource(c.withHTTP(ctx), &oauth2.Token{RefreshToken: cur.RefreshToken})
	tok, err := ts.Token()
	if err != nil {
		err = tokenError("token", "refresh_token", err)
		if errors.Is(err, ErrReauthorize) {
			err = reauthorize(err)
		}
		return nil, err
	}
	c.log.Info("oauth: refreshed a user access token",
		slog.Bool("rotated", tok.RefreshToken != cur.RefreshToken), slog.Int64("expires_in", tok.ExpiresIn))
	return c.stamp(tok), nil
}

// appToken gets a new app access token (RFC 6749 section 4.4).
func (c *Client) appToken(ctx context.Context, _ *oauth2.Token) (*oauth2.Token, error) {
	if c.secret == "" {
		return nil, fmt.Errorf("oauth: token (client_credentials): the client has no secret (WithClientSecret): %w", ErrInvalidClient)
	}
	tok, err := c.grant(true, map[string]string{"grant_type": "client_credentials"}).Token(c.withHTTP(ctx))
	if err != nil {
		return nil, tokenError("token", "client_credentials", err)
	}
	c.stamp(tok)
	c.log.Info("oauth: got an app access token", slog.Int64("expires_in", tok.ExpiresIn))
	return tok, nil
}

// Token returns the source's token, renewed first when it is missing or
// about to expire.
func (s *Source) Token() (*oauth2.Token, error) {
	return s.get(context.Background(), nil, false)
}

// Refresh returns a token to use in place of stale, which Twitch refused:
// the source's token when it is already another one (a concurrent caller
// renewed it), or else a renewed one. A nil stale renews the token
// whatever it is.
func (s *Source) Refresh(ctx context.Context, stale *oauth2.Token) (*oauth2.Token, error) {
	return s.get(ctx, stale, true)
}

// Set replaces the source's token, after the user authorized the
// application again; it ends an ErrReauthorize. It does not call the
// OnToken hook: the caller has the token.
func (s *Source) Set(tok *oauth2.Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tok, s.dead, s.unsaved = tok, nil, false
}

// usable says whether tok can be handed out without renewing it. s.mu is
// held.
func (s *Source) usable(tok *oauth2.Token, stale *oauth2.Token, force bool) bool {
	if tok == nil || tok.AccessToken == "" {
		return false
	}
	if force && (stale == nil || stale.AccessToken == tok.AccessToken) {
		return false
	}
	return tok.Expiry.IsZero() || time.Now().Before(tok.Expiry.Add(-s.before))
}

func (s *Source) get(ctx context.Context, stale *oauth2.Token, force bool) (*oauth2.Token, error) {
	for {
		s.mu.Lock()
		if s.dead != nil {
			err := s.dead
			s.mu.Unlock()
			return nil, err
		}
		if s.usable(s.tok, stale, force) {
			tok := s.tok
			retry := s.unsaved && !time.Now().Before(s.triedAt.Add(saveRetry))
			if retry {
				s.triedAt = time.Now()
			}
			s.mu.Unlock()
			if retry {
				s.saveCurrent()
			}
			return tok, nil
		}
		f := s.flight
		if f == nil {
			f = &flight{done: make(chan struct{})}
			s.flight = f
			cur := s.tok
			s.mu.Unlock()
			s.renew(ctx, f, cur)
			return f.tok, f.err
		}
		s.mu.Unlock()

		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-f.done:
		}
		if f.err == nil {
			return f.tok, nil
		}
		if (errors.Is(f.err, context.Canceled) || errors.Is(f.err, context.DeadlineExceeded)) && ctx.Err() == nil {
			continue // the caller who renewed gave up; this one has time
		}
		return nil, f.err
	}
}

// renew runs the flight f: it gets a new token, saves it and hands it to
// every caller waiting on f.
func (s *Source) renew(ctx context.Context, f *flight, cur *oauth2.Token) {
	tok, err := s.fetch(ctx, cur)
	s.mu.Lock()
	if err == nil {
		s.tok = tok
		s.unsaved = s.save != nil
	} else if errors.Is(err, ErrReauthorize) {
		s.dead = err
	}
	s.mu.Unlock()
	if err == nil {
		s.saveCurrent()
	} else {
		s.c.log.Warn("oauth: renewing the token failed", slog.Any("err", err))
	}
	s.mu.Lock()
	f.tok, f.err = tok, err
	s.flight = nil
	close(f.done)
	s.mu.Unlock()
}

// saveCurrent calls the OnToken hook with the source's token if it is not
// saved yet. Saves take turns, and each saves the token that is current
// when its turn comes, so the last one saved is the newest.
func (s *Source) saveCurrent() {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	s.mu.Lock()
	tok, pending := s.tok, s.unsaved
	s.triedAt = time.Now()
	s.mu.Unlock()
	if !pending {
		return
	}
	if err := s.save(tok); err != nil {
		s.c.log.Error("oauth: saving the new token failed; it is kept in memory and saved again later",
			slog.Any("err", err))
		return
	}
	s.mu.Lock()
	if s.tok == tok {
		s.unsaved = false
	}
	s.mu.Unlock()
}
