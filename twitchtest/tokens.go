package twitchtest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/twitchify-go/twitch/oauth"
)

// TokenInfo is what the fake knows of an access token.
type TokenInfo struct {
	// Type is oauth.TokenUser (the default when empty) or oauth.TokenApp.
	Type     oauth.TokenType
	ClientID string // the application it was issued to; empty for any
	UserID   string // the user it acts for; empty for an app token
	Login    string
	Scopes   []string
	// ExpiresAt is when the fake starts refusing it; zero for never.
	ExpiresAt time.Time
}

// tokenState is what the fake says of a token presented to it.
type tokenState int

const (
	tokenValid tokenState = iota
	tokenUnknown
	tokenExpired
)

// AddToken registers an access token. Once any token is registered (here
// or by WithToken), the fake answers 401 to tokens it does not know, 401
// "Missing scope" to a call whose scopes a token lacks, and 401 to a token
// of the wrong type; without any, every token is accepted with every scope.
func (s *Server) AddToken(token string, info TokenInfo) {
	s.tokenMu.Lock()
	defer s.tokenMu.Unlock()
	info.Scopes = slices.Clone(info.Scopes)
	s.tokens[token] = &info
}

// ExpireToken makes the fake refuse token from now on with Twitch's 401
// "Invalid OAuth token", as when it expires or is revoked.
func (s *Server) ExpireToken(token string) error {
	s.tokenMu.Lock()
	defer s.tokenMu.Unlock()
	info := s.tokens[token]
	if info == nil {
		return fmt.Errorf("%w: no such token", ErrNotFound)
	}
	info.ExpiresAt = s.now().Add(-time.Second)
	return nil
}

// lookupToken says what the fake knows of token: nil info and
// tokenValid when no token is registered (anything goes).
func (s *Server) lookupToken(token string) (*TokenInfo, tokenState) {
	s.tokenMu.Lock()
	defer s.tokenMu.Unlock()
	if len(s.tokens) == 0 {
		return nil, tokenValid
	}
	info := s.tokens[token]
	switch {
	case info == nil:
		return nil, tokenUnknown
	case !info.ExpiresAt.IsZero() && !s.now().Before(info.ExpiresAt):
		return nil, tokenExpired
	}
	copied := *info
	return &copied, tokenValid
}

// authenticate checks the Client-Id and Authorization headers as Twitch
// does, and returns the token and what the fake knows of it (nil when no
// token is registered: every token has every scope).
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (string, *TokenInfo, bool) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		apiError(w, http.StatusUnauthorized, "OAuth token is missing")
		return "", nil, false
	}
	if r.Header.Get("Client-Id") == "" {
		apiError(w, http.StatusUnauthorized, "Client-Id header required")
		return "", nil, false
	}
	info, state := s.lookupToken(token)
	if state != tokenValid {
		apiError(w, http.StatusUnauthorized, "Invalid OAuth token")
		return "", nil, false
	}
	if info != nil && info.ClientID != "" && info.ClientID != r.Header.Get("Client-Id") {
		apiError(w, http.StatusUnauthorized, "Client ID and OAuth token do not match")
		return "", nil, false
	}
	return token, info, true
}

// allowed checks a token against the ways an operation may be called, and
// answers as Twitch does when none fits.
func allowed(w http.ResponseWriter, info *TokenInfo, auth []helixAuth) bool {
	if info == nil || len(auth) == 0 {
		return true
	}
	typ := info.Type
	if typ == "" {
		typ = oauth.TokenUser
	}
	var missing string
	fits := false
	for _, a := range auth {
		if a.token != string(typ) {
			continue
		}
		fits = true
		if m := missingScope(info.Scopes, a.scopes); m == "" {
			return true
		} else if missing == "" {
			missing = m
		}
	}
	if !fits {
		if typ == oauth.TokenApp {
			apiError(w, http.StatusUnauthorized, "This endpoint requires a user access token.")
		} else {
			apiError(w, http.StatusUnauthorized, "This endpoint requires an app access token.")
		}
		return false
	}
	apiError(w, http.StatusUnauthorized, "Missing scope: "+missing)
	return false
}

// missingScope returns the scopes of the first group that has names none
// of, or "" when every group is satisfied.
func missingScope(has []string, groups [][]string) string {
	for _, group := range groups {
		if !slices.ContainsFunc(group, func(sc string) bool { return slices.Contains(has, sc) }) {
			return strings.Join(group, " or ")
		}
	}
	return ""
}
