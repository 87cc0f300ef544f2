package twitchtest

import (
	"net/http"
	"slices"
	"strings"
	"sync"
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

// isUser reports whether the token is a user token that names its user.
func (i *TokenInfo) isUser() bool {
	return i != nil && i.Type != oauth.TokenApp && i.UserID != ""
}

// tokenState is what the fake says of a token presented to it.
type tokenState int

const (
	tokenValid tokenState = iota
	tokenUnknown
	tokenExpired
)

// tokenRegistry is the access tokens the fake accepts. OAuth owns it (it
// issues and revokes tokens); Helix and EventSub check tokens with it. Its
// lock is its own, and the last one taken: OAuth may hold its lock while it
// registers a token, never the other way round.
type tokenRegistry struct {
	mu     sync.Mutex
	tokens map[string]*TokenInfo
}

func (r *tokenRegistry) add(token string, info TokenInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	info.Scopes = slices.Clone(info.Scopes)
	r.tokens[token] = &info
}

// expire makes the fake refuse token from now on; false when it does not
// know it.
func (r *tokenRegistry) expire(token string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	info := r.tokens[token]
	if info == nil {
		return false
	}
	info.ExpiresAt = time.Now().Add(-time.Second)
	return true
}

// lookup says what the fake knows of token: nil info and tokenValid when
// no token is registered (anything goes).
func (r *tokenRegistry) lookup(token string) (*TokenInfo, tokenState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.tokens) == 0 {
		return nil, tokenValid
	}
	info := r.tokens[token]
	switch {
	case info == nil:
		return nil, tokenUnknown
	case !info.ExpiresAt.IsZero() && !time.Now().Before(info.ExpiresAt):
		return nil, tokenExpired
	}
	copied := *info
	copied.Scopes = slices.Clone(info.Scopes)
	return &copied, tokenValid
}

// authenticate checks the Client-Id and Authorization headers as Twitch
// does, and returns the token and what the fake knows of it (nil when no
// token is registered: every token has every scope), or the answer that
// refuses them.
func (r *tokenRegistry) authenticate(req *http.Request) (string, *TokenInfo, *response) {
	token, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		return "", nil, refusal(http.StatusUnauthorized, "OAuth token is missing")
	}
	if req.Header.Get("Client-Id") == "" {
		return "", nil, refusal(http.StatusUnauthorized, "Client-Id header required")
	}
	info, state := r.lookup(token)
	if state != tokenValid {
		return "", nil, refusal(http.StatusUnauthorized, "Invalid OAuth token")
	}
	if info != nil && info.ClientID != "" && info.ClientID != req.Header.Get("Client-Id") {
		return "", nil, refusal(http.StatusUnauthorized, "Client ID and OAuth token do not match")
	}
	return token, info, nil
}

// refusal is an error answer, for functions that return nil when there is
// none.
func refusal(status int, message string) *response {
	r := apiError(status, message)
	return &r
}

// allowed checks a token against the ways an operation may be called, and
// returns Twitch's answer when none fits, or nil.
func allowed(info *TokenInfo, auth []helixAuth) *response {
	if info == nil || len(auth) == 0 {
		return nil
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
			return nil
		} else if missing == "" {
			missing = m
		}
	}
	switch {
	case fits:
		return refusal(http.StatusUnauthorized, "Missing scope: "+missing)
	case typ == oauth.TokenApp:
		return refusal(http.StatusUnauthorized, "This endpoint requires a user access token.")
	}
	return refusal(http.StatusUnauthorized, "This endpoint requires an app access token.")
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
