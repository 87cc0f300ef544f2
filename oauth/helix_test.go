package oauth_test

import (
	"context"
	"sync"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/helix"
)

// A hundred Helix calls refused at once because Twitch ended the token
// early cause one refresh, and all succeed with the new token.
func TestHelixCallsRefusedAtOnceRefreshOnce(t *testing.T) {
	f := newFixture(t)
	c := f.client("bot")
	old := f.srv.OAuth.GrantUserToken("bot")
	ts := c.UserTokenSource(old)
	h := helix.New("bot", ts, helix.WithBaseURL(f.srv.Helix.URL), helix.WithHTTPClient(f.srv.InMemoryClient()))
	ctx := context.Background()
	_, err := h.GetUsers(ctx, &helix.GetUsersParams{Login: []string{"twitchdev"}})
	assert.NilError(t, err)

	assert.NilError(t, f.srv.OAuth.ExpireToken(old.AccessToken))
	var wg sync.WaitGroup
	errs := make([]error, 100)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = h.GetUsers(ctx, &helix.GetUsersParams{Login: []string{"twitchdev"}})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		assert.NilError(t, err, "call %d", i)
	}
	assert.Equal(t, f.srv.OAuth.Stats().Refreshes, 1)
	tok, err := ts.Token()
	assert.NilError(t, err)
	assert.Assert(t, tok.AccessToken != old.AccessToken)
	for _, r := range f.srv.Helix.Requests() {
		assert.Assert(t, r.Token == old.AccessToken || r.Token == tok.AccessToken)
	}
}
