package oauth_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/twitchify-go/twitch/oauth"
)

// browse gets target as a browser would, following redirects, and returns
// the last answer's status and body.
func browse(t *testing.T, target string) (int, string) {
	t.Helper()
	resp, err := http.Get(target) // the fake and the callback are both on 127.0.0.1
	assert.NilError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	assert.NilError(t, err)
	return resp.StatusCode, string(body)
}

func TestAuthorizationCodeFlow(t *testing.T) {
	f := newFixture(t)
	f.srv.OAuth.AddClient("web", "web-secret-value")
	f.srv.OAuth.SetUser("1001", "streamer")
	c := f.client("web", oauth.WithClientSecret("web-secret-value"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	state := oauth.NewState()
	assert.Assert(t, len(state) >= 22, "at least 128 bits")
	assert.Assert(t, state != oauth.NewState())
	cb, err := oauth.ListenCallback("http://127.0.0.1:0/callback", state)
	assert.NilError(t, err)
	defer cb.Close()
	assert.Assert(t, strings.HasPrefix(cb.RedirectURL, "http://127.0.0.1:"))
	assert.Assert(t, strings.HasSuffix(cb.RedirectURL, "/callback"))

	scopes := []oauth.Scope{oauth.ScopeChannelReadSubscriptions, oauth.ScopeModeratorReadFollowers}
	authURL := c.AuthCodeURL(cb.RedirectURL, state, scopes, oauth.ForceVerify())
	u, err := url.Parse(authURL)
	assert.NilError(t, err)
	assert.Equal(t, u.Scheme+"://"+u.Host+u.Path, f.srv.OAuth.URL+"/oauth2/authorize")
	assert.DeepEqual(t, u.Query(), url.Values{
		"client_id":     {"web"},
		"redirect_uri":  {cb.RedirectURL},
		"response_type": {"code"},
		"scope":         {"channel:read:subscriptions moderator:read:followers"},
		"state":         {state},
		"force_verify":  {"true"},
	})

	status, body := browse(t, authURL)
	assert.Equal(t, status, http.StatusOK)
	assert.Assert(t, is.Contains(body, "Authorized"))
	code, err := cb.Wait(ctx)
	assert.NilError(t, err)
	assert.Assert(t, code != "")

	before := time.Now()
	tok, err := c.Exchange(ctx, code, cb.RedirectURL)
	assert.NilError(t, err)
	assert.DeepEqual(t, oauth.TokenScopes(tok), scopes)
	assert.Assert(t, !tok.Expiry.Before(before.Add(4*time.Hour)) && !tok.Expiry.After(time.Now().Add(4*time.Hour)), tok.Expiry)
	v, err := c.Validate(ctx, tok.AccessToken)
	assert.NilError(t, err)
	assert.Equal(t, v.UserID, "1001")
	assert.Equal(t, v.Login, "streamer")
	assert.Equal(t, f.srv.OAuth.Stats().Exchanges, 1)

	// A code is good once.
	_, err = c.Exchange(ctx, code, cb.RedirectURL)
	assert.Assert(t, errors.Is(err, oauth.ErrInvalidGrant), "%v", err)
	assertNoSecret(t, err.Error()+f.logs.String(), code, "web-secret-value", tok.AccessToken, tok.RefreshToken)

	// The callback takes one redirect.
	status, _ = browse(t, cb.RedirectURL+"?code=other&state="+url.QueryEscape(state))
	assert.Equal(t, status, http.StatusGone)
	again, err := cb.Wait(ctx)
	assert.NilError(t, err)
	assert.Equal(t, again, code)
}

func TestAuthorizationCodeExchangeRefusals(t *testing.T) {
	f := newFixture(t)
	f.srv.OAuth.AddClient("web", "web-secret-value")
	f.srv.OAuth.AddClient("public", "")
	ctx := context.Background()
	state := oauth.NewState()
	cb, err := oauth.ListenCallback("http://127.0.0.1:0/", state)
	assert.NilError(t, err)
	defer cb.Close()
	browse(t, f.client("web").AuthCodeURL(cb.RedirectURL, state, nil))
	code, err := cb.Wait(ctx)
	assert.NilError(t, err)

	_, err = f.client("public").Exchange(ctx, code, cb.RedirectURL)
	assert.Assert(t, errors.Is(err, oauth.ErrInvalidClient), "a public client cannot exchange a code: %v", err)
	_, err = f.client("web", oauth.WithClientSecret("web-secret-value")).Exchange(ctx, code, "http://127.0.0.1/elsewhere")
	assert.Assert(t, errors.Is(err, oauth.ErrInvalidGrant), "another redirect URL: %v", err)
	assertNoSecret(t, err.Error(), code)
}

// Issue 10, case 15: a redirect with a wrong state (any local process or
// web page can send one) is answered 400 and ignored; the callback keeps
// waiting for the real one.
func TestCallbackIgnoresForgedRedirects(t *testing.T) {
	state := oauth.NewState()
	cb, err := oauth.ListenCallback("http://127.0.0.1:0/cb", state)
	assert.NilError(t, err)
	defer cb.Close()

	// Not the callback's path, or no code: not found.
	status, _ := browse(t, strings.TrimSuffix(cb.RedirectURL, "/cb")+"/favicon.ico")
	assert.Equal(t, status, http.StatusNotFound)
	status, _ = browse(t, cb.RedirectURL+"?state="+state)
	assert.Equal(t, status, http.StatusNotFound)

	// Forgeries: another state (here one of the same length), none, an
	// empty one, twice the right one; with a code or with an error.
	forged := oauth.NewState()
	for _, query := range []string{
		"code=stolen-code&state=" + forged,
		"code=stolen-code",
		"code=stolen-code&state=",
		"code=stolen-code&state=" + state + "&state=" + state,
		"code=stolen-code&state=" + state + "x",
		"error=access_denied&error_description=forged&state=" + forged,
	} {
		status, body := browse(t, cb.RedirectURL+"?"+query)
		assert.Equal(t, status, http.StatusBadRequest, query)
		assert.Assert(t, is.Contains(body, "ignored"), query)
		assertNoSecret(t, body, "stolen-code", state, forged)
	}

	// The real redirect still ends the flow.
	status, body := browse(t, cb.RedirectURL+"?code=real-code&state="+url.QueryEscape(state))
	assert.Equal(t, status, http.StatusOK)
	assert.Assert(t, is.Contains(body, "Authorized"))
	code, err := cb.Wait(context.Background())
	assert.NilError(t, err)
	assert.Equal(t, code, "real-code")

	// And a forgery after it changes nothing.
	status, _ = browse(t, cb.RedirectURL+"?code=stolen-code&state="+forged)
	assert.Equal(t, status, http.StatusBadRequest)
	status, _ = browse(t, cb.RedirectURL+"?code=other-code&state="+state)
	assert.Equal(t, status, http.StatusGone)
	code, err = cb.Wait(context.Background())
	assert.NilError(t, err)
	assert.Equal(t, code, "real-code")
}

// Forgeries sent at the same time as the real redirect do not keep it
// from ending the flow.
func TestCallbackUnderAFloodOfForgeries(t *testing.T) {
	state := oauth.NewState()
	cb, err := oauth.ListenCallback("http://127.0.0.1:0/", state)
	assert.NilError(t, err)
	defer cb.Close()
	const senders, each = 8, 25
	start := time.Now()
	statuses := make(chan int, senders*each)
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() {
			for range each {
				resp, err := http.Get(cb.RedirectURL + "?code=stolen-code&state=" + oauth.NewState())
				if err != nil {
					statuses <- 0
					continue
				}
				resp.Body.Close()
				statuses <- resp.StatusCode
			}
		})
	}
	status, _ := browse(t, cb.RedirectURL+"?code=real-code&state="+state)
	assert.Equal(t, status, http.StatusOK)
	wg.Wait()
	t.Logf("%d forged redirects answered in %v", senders*each, time.Since(start))
	close(statuses)
	for s := range statuses {
		assert.Equal(t, s, http.StatusBadRequest)
	}
	code, err := cb.Wait(context.Background())
	assert.NilError(t, err)
	assert.Equal(t, code, "real-code")
}

// When the wait ends without the real redirect, its error says that
// redirects with a wrong state came (the application may have given
// AuthCodeURL another state than ListenCallback), and matches both
// ErrStateMismatch and the context's error.
func TestCallbackWaitReportsForgedRedirects(t *testing.T) {
	state := oauth.NewState()
	cb, err := oauth.ListenCallback("http://127.0.0.1:0/", state)
	assert.NilError(t, err)
	defer cb.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	_, err = cb.Wait(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Assert(t, !errors.Is(err, oauth.ErrStateMismatch), "%v", err)

	forged := oauth.NewState()
	for range 2 {
		status, _ := browse(t, cb.RedirectURL+"?code=stolen-code&state="+forged)
		assert.Equal(t, status, http.StatusBadRequest)
	}
	_, err = cb.Wait(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, err, oauth.ErrStateMismatch)
	assert.ErrorContains(t, err, "context canceled; 2 redirects with a wrong state ignored")
	assertNoSecret(t, err.Error(), "stolen-code", state, forged)
}

// Issue 10, case 16: Close ends a Wait, whether it began before or after.
func TestCallbackCloseEndsWait(t *testing.T) {
	cb, err := oauth.ListenCallback("http://127.0.0.1:0/", oauth.NewState())
	assert.NilError(t, err)
	// The deadline only keeps a broken Close from hanging the test: the
	// Wait must end with ErrClosed, not with it.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	type result struct {
		code string
		err  error
	}
	waiting := make(chan result, 1)
	go func() {
		code, err := cb.Wait(ctx)
		waiting <- result{code, err}
	}()
	start := time.Now()
	assert.NilError(t, cb.Close())
	r := <-waiting
	t.Logf("Wait returned %v after Close began", time.Since(start))
	assert.Equal(t, r.code, "")
	assert.ErrorIs(t, r.err, oauth.ErrClosed)
	assert.ErrorContains(t, r.err, "closed before")

	_, err = cb.Wait(ctx) // after Close
	assert.ErrorIs(t, err, oauth.ErrClosed)
	assert.NilError(t, cb.Close(), "a second Close")
}

// A result that came before Close is still Wait's after it.
func TestCallbackKeepsItsResultAfterClose(t *testing.T) {
	state := oauth.NewState()
	cb, err := oauth.ListenCallback("http://127.0.0.1:0/", state)
	assert.NilError(t, err)
	status, _ := browse(t, cb.RedirectURL+"?code=real-code&state="+state)
	assert.Equal(t, status, http.StatusOK)
	assert.NilError(t, cb.Close())
	for range 10 {
		code, err := cb.Wait(context.Background())
		assert.NilError(t, err)
		assert.Equal(t, code, "real-code")
	}
}

func TestCallbackUserDeclines(t *testing.T) {
	f := newFixture(t)
	c := f.client("web")
	state := oauth.NewState()
	cb, err := oauth.ListenCallback("http://localhost:0", state)
	assert.NilError(t, err)
	defer cb.Close()
	assert.Assert(t, strings.HasPrefix(cb.RedirectURL, "http://localhost:"))

	f.srv.OAuth.DenyNextAuthorization()
	status, _ := browse(t, c.AuthCodeURL(cb.RedirectURL, state, []oauth.Scope{oauth.ScopeUserReadEmail}))
	assert.Equal(t, status, http.StatusBadRequest)
	code, err := cb.Wait(context.Background())
	assert.Equal(t, code, "")
	assert.Assert(t, errors.Is(err, oauth.ErrAccessDenied), "%v", err)
	e := asError(t, err)
	assert.Equal(t, e.Endpoint, "authorize")
	assert.Equal(t, e.Code, "access_denied")
	assert.Equal(t, e.Message, "The user denied you access")
}

func TestCallbackWaitEndsWithItsContext(t *testing.T) {
	cb, err := oauth.ListenCallback("http://[::1]:0/", oauth.NewState())
	if err != nil {
		cb, err = oauth.ListenCallback("http://127.0.0.1:0/", oauth.NewState())
	}
	assert.NilError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = cb.Wait(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	assert.NilError(t, cb.Close())
	_, err = http.Get(cb.RedirectURL)
	assert.Assert(t, err != nil, "closed")
}

func TestListenCallbackWantsALoopbackHTTPURL(t *testing.T) {
	for _, u := range []string{"http://example.com:3000/", "https://localhost:0/", "http://0.0.0.0:0/", "http://192.0.2.1:0/", "::"} {
		_, err := oauth.ListenCallback(u, "state")
		assert.Assert(t, err != nil, "%s", u)
	}
	_, err := oauth.ListenCallback("http://127.0.0.1:0/", "")
	assert.ErrorContains(t, err, "empty state")
}
