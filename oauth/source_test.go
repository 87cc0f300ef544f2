package oauth_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/oauth2"
	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/oauth"
)

// concurrently runs n calls of get at once and returns the access tokens
// they got, failing the test on any error.
func concurrently(t *testing.T, n int, get func() (*oauth2.Token, error)) []string {
	t.Helper()
	var wg sync.WaitGroup
	start := make(chan struct{})
	got := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			tok, err := get()
			errs[i] = err
			if err == nil {
				got[i] = tok.AccessToken
			}
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		assert.NilError(t, err)
	}
	return got
}

func assertAllEqual(t *testing.T, got []string, want string) {
	t.Helper()
	for i, g := range got {
		assert.Equal(t, g, want, "caller %d", i)
	}
}

// 100 callers of an expired token cause one refresh.
func TestSourceExpiredTokenRefreshesOnce(t *testing.T) {
	f := newFixture(t)
	synctest.Test(t, func(t *testing.T) {
		c := f.client("bot")
		old := f.srv.OAuth.GrantUserToken("bot", "chat:read")
		ts := c.UserTokenSource(old)
		time.Sleep(5 * time.Hour)

		got := concurrently(t, 100, ts.Token)
		tok, err := ts.Token()
		assert.NilError(t, err)
		assert.Assert(t, tok.AccessToken != old.AccessToken)
		assertAllEqual(t, got, tok.AccessToken)
		assert.Equal(t, f.srv.OAuth.Stats().Refreshes, 1)
		assert.Equal(t, f.hits.n.Load(), int64(1))
		assert.Equal(t, tok.Expiry, time.Now().Add(4*time.Hour))
		assert.DeepEqual(t, oauth.TokenScopes(tok), []oauth.Scope{oauth.ScopeChatRead})
	})
}

// 100 callers refused at once (a 401) with the same token cause one
// refresh, and all get the new token: the Refresher contract helix uses.
func TestSourceRefreshOfAStaleTokenRefreshesOnce(t *testing.T) {
	f := newFixture(t)
	c := f.client("bot")
	old := f.srv.OAuth.GrantUserToken("bot")
	ts := c.UserTokenSource(old)
	stale, err := ts.Token()
	assert.NilError(t, err)
	assert.Equal(t, stale.AccessToken, old.AccessToken)
	assert.NilError(t, f.srv.OAuth.ExpireToken(stale.AccessToken)) // Twitch ended it early

	ctx := context.Background()
	got := concurrently(t, 100, func() (*oauth2.Token, error) { return ts.Refresh(ctx, stale) })
	fresh, err := ts.Token()
	assert.NilError(t, err)
	assert.Assert(t, fresh.AccessToken != stale.AccessToken)
	assertAllEqual(t, got, fresh.AccessToken)
	assert.Equal(t, f.srv.OAuth.Stats().Refreshes, 1)

	// A late caller with the old token gets the new one without a refresh;
	// a caller refused with the new one causes a refresh.
	late, err := ts.Refresh(ctx, stale)
	assert.NilError(t, err)
	assert.Equal(t, late.AccessToken, fresh.AccessToken)
	assert.Equal(t, f.srv.OAuth.Stats().Refreshes, 1)
	newer, err := ts.Refresh(ctx, fresh)
	assert.NilError(t, err)
	assert.Assert(t, newer.AccessToken != fresh.AccessToken)
	assert.Equal(t, f.srv.OAuth.Stats().Refreshes, 2)
}

func TestSourceRenewsShortlyBeforeExpiry(t *testing.T) {
	f := newFixture(t)
	synctest.Test(t, func(t *testing.T) {
		old := f.srv.OAuth.GrantUserToken("bot")
		ts := f.client("bot").UserTokenSource(old, oauth.WithRenewBefore(2*time.Minute))

		time.Sleep(4*time.Hour - 3*time.Minute)
		tok, err := ts.Token()
		assert.NilError(t, err)
		assert.Equal(t, tok.AccessToken, old.AccessToken, "3 minutes left: kept")
		assert.Equal(t, f.srv.OAuth.Stats().Refreshes, 0)

		time.Sleep(90 * time.Second)
		tok, err = ts.Token()
		assert.NilError(t, err)
		assert.Assert(t, tok.AccessToken != old.AccessToken, "90 seconds left: renewed")
		assert.Equal(t, f.srv.OAuth.Stats().Refreshes, 1)
	})
}

// A public client refreshes without a secret, Twitch rotates its refresh
// token each time, and the hook keeps each new one.
func TestSourcePersistsRotatedRefreshTokens(t *testing.T) {
	f := newFixture(t)
	f.srv.OAuth.AddClient("bot", "") // public: the fake refuses any secret
	c := f.client("bot")
	first := f.srv.OAuth.GrantUserToken("bot", "user:bot")
	store := oauth.NewFileStore(filepath.Join(t.TempDir(), "token.json"))
	assert.NilError(t, store.Save(first))

	var saved []*oauth2.Token
	ts := c.UserTokenSource(first, oauth.OnToken(func(tok *oauth2.Token) error {
		saved = append(saved, tok) // calls take turns
		return store.Save(tok)
	}))
	ctx := context.Background()
	second, err := ts.Refresh(ctx, first)
	assert.NilError(t, err)
	third, err := ts.Refresh(ctx, second)
	assert.NilError(t, err)

	assert.Equal(t, len(saved), 2)
	assert.Equal(t, saved[0], second)
	assert.Equal(t, saved[1], third)
	refresh := []string{first.RefreshToken, second.RefreshToken, third.RefreshToken}
	assert.Assert(t, refresh[0] != refresh[1] && refresh[1] != refresh[2] && refresh[0] != refresh[2], "rotated each time")

	loaded, err := store.Load()
	assert.NilError(t, err)
	assert.Equal(t, loaded.AccessToken, third.AccessToken)
	assert.Equal(t, loaded.RefreshToken, third.RefreshToken)
	assert.DeepEqual(t, oauth.TokenScopes(loaded), []oauth.Scope{oauth.ScopeUserBot})
	fi, err := os.Stat(store.Path())
	assert.NilError(t, err)
	assert.Equal(t, fi.Mode().Perm(), os.FileMode(0o600))

	// The rotated-out refresh token is dead: a program that had not kept
	// the new one would have to ask the user again.
	_, err = c.UserTokenSource(second).Refresh(ctx, nil)
	assert.Assert(t, errors.Is(err, oauth.ErrReauthorize), "%v", err)
	// The kept one works.
	_, err = c.UserTokenSource(loaded).Refresh(ctx, nil)
	assert.NilError(t, err)
}

// A confidential client refreshes with its secret; Twitch keeps its
// refresh token unless told to rotate.
func TestSourceConfidentialClient(t *testing.T) {
	f := newFixture(t)
	f.srv.OAuth.AddClient("web", "s3cret-value")
	ctx := context.Background()
	first := f.srv.OAuth.GrantUserToken("web")

	tok, err := f.client("web", oauth.WithClientSecret("s3cret-value")).UserTokenSource(first).Refresh(ctx, nil)
	assert.NilError(t, err)
	assert.Equal(t, tok.RefreshToken, first.RefreshToken)
	assert.Assert(t, tok.AccessToken != first.AccessToken)

	f.srv.OAuth.RotateRefreshTokens(true)
	rotated, err := f.client("web", oauth.WithClientSecret("s3cret-value")).UserTokenSource(tok).Refresh(ctx, nil)
	assert.NilError(t, err)
	assert.Assert(t, rotated.RefreshToken != first.RefreshToken)

	_, err = f.client("web", oauth.WithClientSecret("wrong-secret")).UserTokenSource(rotated).Refresh(ctx, nil)
	assert.Assert(t, errors.Is(err, oauth.ErrInvalidClient), "%v", err)
	assert.Equal(t, asError(t, err).StatusCode, http.StatusForbidden)
	_, err = f.client("web").UserTokenSource(rotated).Refresh(ctx, nil)
	assert.Assert(t, errors.Is(err, oauth.ErrInvalidClient), "without the secret: %v", err)
	assertNoSecret(t, errText(err)+f.logs.String(), "s3cret-value", "wrong-secret", rotated.RefreshToken, rotated.AccessToken)
}

// A refresh token Twitch refuses ends the source: ErrReauthorize, from
// then on without asking Twitch again, until Set. The error says what to
// do.
func TestSourceInvalidRefreshTokenMeansReauthorize(t *testing.T) {
	for _, rfc := range []bool{false, true} {
		f := newFixture(t)
		f.srv.OAuth.UseRFCErrors(rfc)
		synctest.Test(t, func(t *testing.T) {
			c := f.client("bot")
			old := f.srv.OAuth.GrantUserToken("bot")
			ts := c.UserTokenSource(old)
			assert.NilError(t, f.srv.OAuth.RevokeToken(old.RefreshToken)) // the user disconnected the app
			time.Sleep(5 * time.Hour)

			_, err := ts.Token()
			assertReauthorize(t, err)
			e := asError(t, err)
			assert.Equal(t, e.StatusCode, http.StatusBadRequest)
			if !rfc {
				assert.Equal(t, e.Message, "Invalid refresh token")
				assert.Equal(t, e.Code, "", "Twitch's \"error\" is the status's text, not a code")
				assert.Assert(t, strings.HasPrefix(err.Error(), "oauth: token (refresh_token): 400 Invalid refresh token: the user must authorize"), "%v", err)
			}
			sent := f.hits.n.Load()
			_, err = ts.Refresh(context.Background(), old)
			assertReauthorize(t, err)
			assert.Equal(t, f.hits.n.Load(), sent, "no request once the refresh token is known to be dead")
			assertNoSecret(t, errText(err)+f.logs.String(), old.RefreshToken, old.AccessToken)

			// The user authorizes again.
			again := f.srv.OAuth.GrantUserToken("bot")
			ts.Set(again)
			tok, err := ts.Token()
			assert.NilError(t, err)
			assert.Equal(t, tok.AccessToken, again.AccessToken)
		})
	}

	f := newFixture(t)
	_, err := f.client("bot").UserTokenSource(&oauth2.Token{AccessToken: "a"}).Refresh(context.Background(), nil)
	assertReauthorize(t, err)
	assert.Equal(t, err.Error(), "oauth: token (refresh_token): the token has no refresh token: "+
		"the user must authorize the application again: get a new token "+
		"(the device flow does it: go run github.com/twitchify-go/twitch/cmd/twitch-token) "+
		"and give it to the token source (Source.Set)")
	assert.Equal(t, f.hits.n.Load(), int64(0))
}

// A failed save does not lose the token: the source keeps using it and
// saves it again later.
func TestSourceSavesAgainAfterAFailure(t *testing.T) {
	f := newFixture(t)
	synctest.Test(t, func(t *testing.T) { sourceSavesAgainAfterAFailure(t, f) })
}

func sourceSavesAgainAfterAFailure(t *testing.T, f *fixture) {
	old := f.srv.OAuth.GrantUserToken("bot")
	var mu sync.Mutex
	var saved []string
	fail := true
	ts := f.client("bot").UserTokenSource(old, oauth.OnToken(func(tok *oauth2.Token) error {
		mu.Lock()
		defer mu.Unlock()
		if fail {
			fail = false
			return errors.New("disk full")
		}
		saved = append(saved, tok.RefreshToken+"/"+tok.AccessToken)
		return nil
	}))
	tok, err := ts.Refresh(context.Background(), nil)
	assert.NilError(t, err, "the token is good even if saving it failed")
	assert.Assert(t, len(saved) == 0)

	_, err = ts.Token()
	assert.NilError(t, err)
	assert.Equal(t, len(saved), 0, "not again within a minute")

	time.Sleep(time.Minute)
	got, err := ts.Token()
	assert.NilError(t, err)
	assert.Equal(t, got, tok)
	assert.DeepEqual(t, saved, []string{tok.RefreshToken + "/" + tok.AccessToken})

	time.Sleep(time.Minute)
	_, err = ts.Token()
	assert.NilError(t, err)
	assert.Equal(t, len(saved), 1, "saved once")
	assert.Assert(t, strings.Contains(f.logs.String(), "saving the new token failed"))
	assertNoSecret(t, f.logs.String(), tok.AccessToken, tok.RefreshToken, old.AccessToken, old.RefreshToken)
}

// hangFirst is a transport whose first request hangs until its context
// ends, as on a Twitch that does not answer.
type hangFirst struct {
	base    http.RoundTripper
	started chan struct{} // closed when the first request is sent
	once    sync.Once
}

func (h *hangFirst) RoundTrip(r *http.Request) (*http.Response, error) {
	first := false
	h.once.Do(func() { first = true })
	if !first {
		return h.base.RoundTrip(r)
	}
	close(h.started)
	<-r.Context().Done()
	return nil, r.Context().Err()
}

// When the caller renewing the token gives up, a caller waiting for it
// renews it itself.
func TestSourceWaiterRenewsWhenTheRenewerGivesUp(t *testing.T) {
	f := newFixture(t)
	old := f.srv.OAuth.GrantUserToken("bot")
	hang := &hangFirst{base: f.srv.InMemoryClient().Transport, started: make(chan struct{})}
	ts := f.client("bot", oauth.WithHTTPClient(&http.Client{Transport: hang})).UserTokenSource(old)

	ctx, cancel := context.WithCancel(context.Background())
	leader := make(chan error, 1)
	go func() {
		_, err := ts.Refresh(ctx, old)
		leader <- err
	}()
	<-hang.started
	waiter := make(chan error, 1)
	go func() {
		_, err := ts.Refresh(context.Background(), old)
		waiter <- err
	}()
	cancel()
	assert.ErrorIs(t, <-leader, context.Canceled)
	assert.NilError(t, <-waiter)
	assert.Equal(t, f.srv.OAuth.Stats().Refreshes, 1)
	tok, err := ts.Token()
	assert.NilError(t, err)
	assert.Assert(t, tok.AccessToken != old.AccessToken)
}

func TestAppTokenSource(t *testing.T) {
	f := newFixture(t)
	f.srv.OAuth.AddClient("app", "app-secret-value")
	synctest.Test(t, func(t *testing.T) { appTokenSource(t, f) })
}

func appTokenSource(t *testing.T, f *fixture) {
	c := f.client("app", oauth.WithClientSecret("app-secret-value"))
	ts := c.AppTokenSource(nil)

	got := concurrently(t, 100, ts.Token)
	first, err := ts.Token()
	assert.NilError(t, err)
	assertAllEqual(t, got, first.AccessToken)
	assert.Equal(t, f.srv.OAuth.Stats().AppTokens, 1)
	assert.Equal(t, first.RefreshToken, "")
	assert.Equal(t, first.Expiry, time.Now().Add(60*24*time.Hour))

	ctx := context.Background()
	v, err := c.Validate(ctx, first.AccessToken)
	assert.NilError(t, err)
	assert.Equal(t, v.ClientID, "app")
	assert.Equal(t, v.Login, "")
	assert.Equal(t, v.UserID, "")

	// Renewed near its expiry, and on demand.
	time.Sleep(60*24*time.Hour - 30*time.Second)
	second, err := ts.Token()
	assert.NilError(t, err)
	assert.Assert(t, second.AccessToken != first.AccessToken)
	third, err := ts.Refresh(ctx, second)
	assert.NilError(t, err)
	assert.Assert(t, third.AccessToken != second.AccessToken)
	assert.Equal(t, f.srv.OAuth.Stats().AppTokens, 3)

	// Without the secret, or with a wrong one.
	sent := f.hits.n.Load()
	_, err = f.client("app").AppTokenSource(nil).Token()
	assert.Assert(t, errors.Is(err, oauth.ErrInvalidClient), "%v", err)
	assert.Equal(t, f.hits.n.Load(), sent, "not sent without a secret")
	_, err = f.client("app", oauth.WithClientSecret("nope-secret")).AppTokenSource(nil).Token()
	assert.Assert(t, errors.Is(err, oauth.ErrInvalidClient), "%v", err)
	assertNoSecret(t, errText(err)+f.logs.String(), "app-secret-value", "nope-secret", first.AccessToken, second.AccessToken, third.AccessToken)
}
