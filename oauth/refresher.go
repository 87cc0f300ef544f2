package oauth

import (
	"context"

	"golang.org/x/oauth2"
)

// Refresher is a token source that can replace a token Twitch refused
// before its expiry said it would (revoked, or expired early). A
// helix.Client whose token source is a Refresher calls Refresh once after a
// 401 that says its token is invalid, then sends the request again once.
type Refresher interface {
	oauth2.TokenSource
	// Refresh returns a token to use in place of stale, which an earlier
	// Token call returned. When the source already holds a newer token
	// (another caller refreshed it), Refresh returns that one, so that
	// many callers refused at once cause one refresh.
	Refresh(ctx context.Context, stale *oauth2.Token) (*oauth2.Token, error)
}
