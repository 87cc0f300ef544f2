package helix_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/oauth2"
	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/oauth"
	"github.com/twitchify-go/twitch/twitchtest"
)

// newClient returns a client of the fake that reaches it in memory, so that
// it can run in a synctest bubble.
func newClient(srv *twitchtest.Server, tokens oauth2.TokenSource, opts ...helix.Option) *helix.Client {
	opts = append([]helix.Option{helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.InMemoryClient())}, opts...)
	return helix.New(clientID, tokens, opts...)
}

func requestsFor(srv *twitchtest.Server, op string) []twitchtest.HelixRequest {
	var out []twitchtest.HelixRequest
	for _, r := range srv.Helix.Requests() {
		if r.Operation == op {
			out = append(out, r)
		}
	}
	return out
}

// 400 callers at once against a bucket of 80 points per 10 s: nobody sees
// a 429, the fake refuses nothing, and the calls take about as long as the
// bucket allows.
func TestPacingConcurrentCallers(t *testing.T) {
	srv := twitchtest.NewServer(twitchtest.WithRateLimit(80, 10*time.Second))
	t.Cleanup(srv.Close)
	synctest.Test(t, func(t *testing.T) {
		c := newClient(srv, srv.Token(token))
		start := time.Now()
		const calls = 400
		errs := make(chan error, calls)
		var wg sync.WaitGroup
		for range calls {
			wg.Go(func() {
				_, err := c.GetUsers(context.Background(), &helix.GetUsersParams{ID: []string{"1"}})
				errs <- err
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		close(errs)
		for err := range errs {
			assert.NilError(t, err)
		}
		served, refused := srv.Helix.RateLimitStats()
		assert.Equal(t, served, calls)
		assert.Equal(t, refused, 0, "429s the client had to retry")

		// The first 80 go at once; the other 320 need 40 s of refill.
		throughput := float64(calls) / elapsed.Seconds()
		t.Logf("%d calls in %s: %.2f calls/s, %.0f%% of the bucket's 8/s", calls, elapsed, throughput, throughput/8*100)
		assert.Assert(t, elapsed >= 40*time.Second, elapsed)
		assert.Assert(t, throughput >= 0.9*8, "throughput %.2f/s", throughput)
	})
}

// An empty bucket holds the next call back until its reset.
func TestPacingWaitsForTheReset(t *testing.T) {
	srv := twitchtest.NewServer(twitchtest.WithRateLimit(2, 10*time.Second))
	t.Cleanup(srv.Close)
	synctest.Test(t, func(t *testing.T) {
		c := newClient(srv, srv.Token(token))
		ctx := context.Background()
		start := time.Now()
		for range 2 {
			_, err := c.GetUsers(ctx, nil)
			assert.NilError(t, err)
		}
		assert.Equal(t, time.Since(start), time.Duration(0))
		_, err := c.GetUsers(ctx, nil)
		assert.NilError(t, err)
		// The bucket is full again 10 s after it was emptied.
		assert.Equal(t, time.Since(start), 10*time.Second)
		served, refused := srv.Helix.RateLimitStats()
		assert.Equal(t, served, 3)
		assert.Equal(t, refused, 0)
	})
}

// A caller waiting for the rate limit gives up when its context ends.
func TestPacingRespectsTheContext(t *testing.T) {
	srv := twitchtest.NewServer(twitchtest.WithRateLimit(1, 30*time.Second))
	t.Cleanup(srv.Close)
	synctest.Test(t, func(t *testing.T) {
		c := newClient(srv, srv.Token(token))
		_, err := c.GetUsers(context.Background(), nil)
		assert.NilError(t, err)

		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := c.GetUsers(ctx, nil)
			done <- err
		}()
		synctest.Wait() // the call waits for the reset, 30 s away
		cancel()
		err = <-done
		assert.ErrorIs(t, err, context.Canceled)
		assert.ErrorContains(t, err, "helix: GetUsers: waiting for the rate limit")
		assert.Equal(t, len(srv.Helix.Requests()), 1, "the waiting call was never sent")
	})
}

// Clients for different tokens keep separate buckets, as Twitch does.
func TestWithTokenHasItsOwnBucket(t *testing.T) {
	srv := twitchtest.NewServer(twitchtest.WithRateLimit(1, time.Minute))
	t.Cleanup(srv.Close)
	synctest.Test(t, func(t *testing.T) {
		app := newClient(srv, srv.Token("app-token"))
		user := app.WithToken(srv.Token("user-token"))
		ctx := context.Background()
		start := time.Now()
		_, err := app.GetUsers(ctx, nil)
		assert.NilError(t, err)
		_, err = user.GetUsers(ctx, nil)
		assert.NilError(t, err)
		assert.Equal(t, time.Since(start), time.Duration(0), "the user's bucket is not the app's")

		reqs := srv.Helix.Requests()
		assert.Equal(t, reqs[0].Token, "app-token")
		assert.Equal(t, reqs[1].Token, "user-token")
	})
}

// A 429 waits for the reset and tries again; one that stays is returned
// after the retries, as ErrRateLimited.
func TestRetriesAfter429(t *testing.T) {
	srv := twitchtest.NewServer()
	t.Cleanup(srv.Close)
	synctest.Test(t, func(t *testing.T) {
		c := newClient(srv, srv.Token(token))
		ctx := context.Background()

		assert.NilError(t, srv.Helix.FailNext("SendChatMessage", twitchtest.Fault{Status: http.StatusTooManyRequests}))
		msg := &helix.SendChatMessageParams{BroadcasterID: "1", SenderID: "2", Message: "hi"}
		start := time.Now()
		_, err := c.SendChatMessage(ctx, msg)
		assert.NilError(t, err, "a 429 was not processed, so even a POST is sent again")
		assert.Equal(t, len(requestsFor(srv, "SendChatMessage")), 2)
		// The 429 said the bucket is full again in a second.
		assert.Equal(t, time.Since(start), time.Second)

		faults := make([]twitchtest.Fault, 4)
		for i := range faults {
			faults[i] = twitchtest.Fault{Status: http.StatusTooManyRequests}
		}
		assert.NilError(t, srv.Helix.FailNext("GetUsers", faults...))
		_, err = c.GetUsers(ctx, nil)
		assert.ErrorIs(t, err, helix.ErrRateLimited)
		var apiErr *helix.APIError
		assert.Assert(t, errors.As(err, &apiErr))
		assert.Equal(t, apiErr.RateLimit.Limit, 800)
		assert.Equal(t, apiErr.RateLimit.Remaining, 0)
		assert.Assert(t, apiErr.RateLimit.Reset.After(time.Now()), "reset %v", apiErr.RateLimit.Reset)
		assert.Equal(t, len(requestsFor(srv, "GetUsers")), 4, "the call and 3 retries")
	})
}

// Server errors are retried with growing waits, but only for operations
// that may be sent twice.
func TestRetriesAfterServerErrors(t *testing.T) {
	srv := twitchtest.NewServer()
	t.Cleanup(srv.Close)
	synctest.Test(t, func(t *testing.T) {
		c := newClient(srv, srv.Token(token))
		ctx := context.Background()

		assert.NilError(t, srv.Helix.FailNext("GetUsers", twitchtest.Fault{Status: 503}, twitchtest.Fault{Status: 502}))
		start := time.Now()
		_, err := c.GetUsers(ctx, nil)
		assert.NilError(t, err)
		assert.Equal(t, len(requestsFor(srv, "GetUsers")), 3)
		// About 250 ms, then about 500 ms, each less up to half as jitter.
		waited := time.Since(start)
		assert.Assert(t, waited >= 375*time.Millisecond && waited <= 750*time.Millisecond, waited)

		// Sending a chat message twice would show it twice.
		assert.NilError(t, srv.Helix.FailNext("SendChatMessage", twitchtest.Fault{Status: 500}))
		_, err = c.SendChatMessage(ctx, &helix.SendChatMessageParams{BroadcasterID: "1", SenderID: "2", Message: "hi"})
		var apiErr *helix.APIError
		assert.Assert(t, errors.As(err, &apiErr))
		assert.Equal(t, apiErr.StatusCode, 500)
		assert.Equal(t, len(requestsFor(srv, "SendChatMessage")), 1)

		// Retries end.
		assert.NilError(t, srv.Helix.FailNext("GetGames", twitchtest.Fault{Status: 500}, twitchtest.Fault{Status: 500}, twitchtest.Fault{Status: 500}, twitchtest.Fault{Status: 500}))
		_, err = c.GetGames(ctx, &helix.GetGamesParams{ID: []string{"1"}})
		assert.Assert(t, errors.As(err, &apiErr))
		assert.Equal(t, apiErr.StatusCode, 500)
		assert.Equal(t, len(requestsFor(srv, "GetGames")), 4)

		// WithMaxRetries(0) turns them off.
		none := newClient(srv, srv.Token(token), helix.WithMaxRetries(0))
		assert.NilError(t, srv.Helix.FailNext("GetTopGames", twitchtest.Fault{Status: 500}))
		_, err = none.GetTopGames(ctx, nil)
		assert.Assert(t, errors.As(err, &apiErr))
		assert.Equal(t, len(requestsFor(srv, "GetTopGames")), 1)
	})
}

// A caller waiting to retry gives up when its context ends, and learns
// both why it waited and why it stopped.
func TestRetryRespectsTheContext(t *testing.T) {
	srv := twitchtest.NewServer()
	t.Cleanup(srv.Close)
	synctest.Test(t, func(t *testing.T) {
		c := newClient(srv, srv.Token(token))
		assert.NilError(t, srv.Helix.FailNext("GetUsers", twitchtest.Fault{Status: 503}))
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := c.GetUsers(ctx, nil)
			done <- err
		}()
		synctest.Wait() // the call waits to retry
		cancel()
		err := <-done
		assert.ErrorIs(t, err, context.Canceled)
		var apiErr *helix.APIError
		assert.Assert(t, errors.As(err, &apiErr), "%v", err)
		assert.Equal(t, apiErr.StatusCode, 503)
		assert.Equal(t, len(srv.Helix.Requests()), 1)
	})
}

// refresher is a token source whose Refresh hands out the next token, and
// counts how often it was asked.
type refresher struct {
	mu      sync.Mutex
	tokens  []string // the current one first
	asked   atomic.Int32
	lastErr error
}

func (r *refresher) Token() (*oauth2.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return &oauth2.Token{AccessToken: r.tokens[0]}, nil
}

func (r *refresher) Refresh(_ context.Context, stale *oauth2.Token) (*oauth2.Token, error) {
	r.asked.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lastErr != nil {
		return nil, r.lastErr
	}
	if stale.AccessToken == r.tokens[0] && len(r.tokens) > 1 {
		r.tokens = r.tokens[1:]
	}
	return &oauth2.Token{AccessToken: r.tokens[0]}, nil
}

var _ oauth.Refresher = (*refresher)(nil)

// A 401 for an invalid token refreshes it once and sends the call again
// once; a second 401 is the caller's.
func TestRefreshOnceAfter401(t *testing.T) {
	srv := twitchtest.NewServer()
	t.Cleanup(srv.Close)
	for _, tok := range []string{"tok-1", "tok-2", "tok-3"} {
		srv.OAuth.AddToken(tok, twitchtest.TokenInfo{Scopes: []string{"user:write:chat"}})
	}
	assert.NilError(t, srv.OAuth.ExpireToken("tok-1"))
	src := &refresher{tokens: []string{"tok-1", "tok-2", "tok-3"}}
	c := newClient(srv, src)
	ctx := context.Background()

	_, err := c.GetUsers(ctx, nil)
	assert.NilError(t, err)
	assert.Equal(t, src.asked.Load(), int32(1))
	reqs := requestsFor(srv, "GetUsers")
	assert.Equal(t, len(reqs), 2)
	assert.Equal(t, reqs[0].Token, "tok-1")
	assert.Equal(t, reqs[1].Token, "tok-2")

	// Both the token and its replacement are refused.
	assert.NilError(t, srv.OAuth.ExpireToken("tok-2"))
	assert.NilError(t, srv.OAuth.ExpireToken("tok-3"))
	_, err = c.GetUsers(ctx, nil)
	assert.ErrorIs(t, err, helix.ErrUnauthorized)
	assert.Equal(t, src.asked.Load(), int32(2))
	assert.Equal(t, len(requestsFor(srv, "GetUsers")), 4, "one more try, not more")

	// A refresh that fails is reported with the 401.
	src.lastErr = errors.New("the refresh token is no longer valid")
	_, err = c.GetUsers(ctx, nil)
	assert.ErrorIs(t, err, helix.ErrUnauthorized)
	assert.ErrorContains(t, err, "the refresh token is no longer valid")
}

// A 401 that a new token would not mend (a missing scope) is returned
// without a refresh; a plain token source is asked again only for a token
// it might have renewed meanwhile.
func TestNoRefreshForOther401s(t *testing.T) {
	srv := twitchtest.NewServer()
	t.Cleanup(srv.Close)
	srv.OAuth.AddToken("tok-1", twitchtest.TokenInfo{Scopes: []string{"user:read:email"}})
	src := &refresher{tokens: []string{"tok-1", "tok-2"}}
	c := newClient(srv, src)
	_, err := c.SendChatMessage(context.Background(), &helix.SendChatMessageParams{BroadcasterID: "1", SenderID: "2", Message: "hi"})
	assert.ErrorIs(t, err, helix.ErrUnauthorized)
	assert.ErrorIs(t, err, helix.ErrMissingScope)
	assert.Assert(t, !errors.Is(err, helix.ErrForbidden), "a 401 is not a 403")
	assert.ErrorContains(t, err, "Missing scope: user:write:chat")
	assert.Equal(t, src.asked.Load(), int32(0))

	// A static source has nothing new: one request.
	assert.NilError(t, srv.OAuth.ExpireToken("tok-1"))
	static := newClient(srv, srv.Token("tok-1"))
	_, err = static.GetUsers(context.Background(), nil)
	assert.ErrorIs(t, err, helix.ErrUnauthorized)
	assert.Equal(t, len(requestsFor(srv, "GetUsers")), 1)
}

// Each sentinel matches its case and no other.
func TestSentinels(t *testing.T) {
	cases := []struct {
		status  int
		message string
		is      []error
	}{
		{401, "Invalid OAuth token", []error{helix.ErrUnauthorized}},
		{401, "", []error{helix.ErrUnauthorized}},
		{401, "Missing scope: channel:manage:polls", []error{helix.ErrUnauthorized, helix.ErrMissingScope}},
		{403, "The user is banned", []error{helix.ErrForbidden}},
		{403, "missing scope: moderator:read:followers", []error{helix.ErrForbidden, helix.ErrMissingScope}},
		{403, "The access token is missing the required scopes", []error{helix.ErrForbidden, helix.ErrMissingScope}},
		{400, "Missing scope: channel:manage:polls", nil}, // only a 401 or 403 is about the token
		{404, "Not Found", []error{helix.ErrNotFound}},
		{429, "Too Many Requests", []error{helix.ErrRateLimited}},
		{400, "Bad Request", nil},
	}
	all := []error{helix.ErrUnauthorized, helix.ErrForbidden, helix.ErrMissingScope, helix.ErrNotFound, helix.ErrRateLimited}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%d %s", tc.status, tc.message), func(t *testing.T) {
			err := error(&helix.APIError{Operation: "GetUsers", StatusCode: tc.status, Message: tc.message})
			for _, sentinel := range all {
				want := false
				for _, s := range tc.is {
					want = want || s == sentinel
				}
				assert.Equal(t, errors.Is(err, sentinel), want, "%v", sentinel)
			}
		})
	}
}

// Paging walks every page in order, stops when the caller breaks, and
// yields an error that ends a walk.
func TestPagination(t *testing.T) {
	srv := twitchtest.NewServer()
	t.Cleanup(srv.Close)
	c := newClient(srv, srv.Token(token))
	ctx := context.Background()
	var followers []any
	for i := range 45 {
		followers = append(followers, helix.ChannelFollower{UserID: strconv.Itoa(i), UserLogin: "user" + strconv.Itoa(i)})
	}
	assert.NilError(t, srv.Helix.SetData("GetChannelFollowers", followers...))
	params := &helix.GetChannelFollowersParams{BroadcasterID: "1", First: ptr(20)}

	var ids []string
	for f, err := range c.GetChannelFollowersAll(ctx, params) {
		assert.NilError(t, err)
		ids = append(ids, f.UserID)
	}
	assert.Equal(t, len(ids), 45)
	for i, id := range ids {
		assert.Equal(t, id, strconv.Itoa(i))
	}
	reqs := requestsFor(srv, "GetChannelFollowers")
	assert.Equal(t, len(reqs), 3)
	assert.Equal(t, reqs[0].Query.Get("after"), "")
	assert.Equal(t, reqs[1].Query.Get("after"), "page-20")
	assert.Equal(t, reqs[2].Query.Get("after"), "page-40")
	assert.Equal(t, params.After, "", "the caller's params are left alone")

	// The single-page call gives the cursor to the caller.
	page, err := c.GetChannelFollowers(ctx, params)
	assert.NilError(t, err)
	assert.Equal(t, len(page.Data), 20)
	assert.Equal(t, page.Total, 45)
	assert.Equal(t, page.Pagination.Cursor, "page-20")

	// Breaking after 25 items fetches two pages, not three.
	before := len(requestsFor(srv, "GetChannelFollowers"))
	n := 0
	for _, err := range c.GetChannelFollowersAll(ctx, params) {
		assert.NilError(t, err)
		if n++; n == 25 {
			break
		}
	}
	assert.Equal(t, len(requestsFor(srv, "GetChannelFollowers"))-before, 2)

	// An error on the second page ends the walk after the first page.
	assert.NilError(t, srv.Helix.FailNext("GetChannelFollowers", twitchtest.Fault{}, twitchtest.Fault{Status: 400, Message: "bad cursor"}))
	n = 0
	var last error
	for _, err := range c.GetChannelFollowersAll(ctx, params) {
		if err != nil {
			last = err
			continue
		}
		n++
	}
	assert.Equal(t, n, 20)
	assert.ErrorContains(t, last, "bad cursor")

	// A cancelled context ends the walk before another page is asked for.
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	before = len(requestsFor(srv, "GetChannelFollowers"))
	n = 0
	for _, err := range c.GetChannelFollowersAll(cctx, params) {
		if err != nil {
			last = err
			break
		}
		if n++; n == 20 {
			cancel()
		}
	}
	assert.ErrorIs(t, last, context.Canceled)
	assert.Equal(t, len(requestsFor(srv, "GetChannelFollowers"))-before, 1)
}

// Whatever goes wrong, no token appears in an error or in the log.
func TestNoTokenInErrorsOrLogs(t *testing.T) {
	const secret = "tok-9c2f7e41d6b8a53e"
	const fresh = "tok-0a8b7c6d5e4f3210"
	srv := twitchtest.NewServer()
	t.Cleanup(srv.Close)
	synctest.Test(t, func(t *testing.T) { noTokenInErrorsOrLogs(t, srv, secret, fresh) })
}

func noTokenInErrorsOrLogs(t *testing.T, srv *twitchtest.Server, secret, fresh string) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv.OAuth.AddToken(secret, twitchtest.TokenInfo{})
	srv.OAuth.AddToken(fresh, twitchtest.TokenInfo{})
	assert.NilError(t, srv.OAuth.ExpireToken(secret))
	assert.NilError(t, srv.OAuth.ExpireToken(fresh))
	src := &refresher{tokens: []string{secret, fresh}}
	c := newClient(srv, src, helix.WithLogger(logger))
	ctx := context.Background()

	var errs []error
	_, err := c.GetUsers(ctx, nil) // 401, refresh, 401
	errs = append(errs, err)
	src.lastErr = fmt.Errorf("refresh failed")
	_, err = c.GetUsers(ctx, nil)
	errs = append(errs, err)

	srv.OAuth.AddToken(secret, twitchtest.TokenInfo{})
	src.tokens = []string{secret}
	assert.NilError(t, srv.Helix.FailNext("", twitchtest.Fault{Status: 429}, twitchtest.Fault{Status: 429}, twitchtest.Fault{Status: 429}, twitchtest.Fault{Status: 429}))
	_, err = c.GetUsers(ctx, nil)
	errs = append(errs, err)
	assert.NilError(t, srv.Helix.FailNext("", twitchtest.Fault{Status: 503}, twitchtest.Fault{Status: 503}, twitchtest.Fault{Status: 503}, twitchtest.Fault{Status: 503}))
	_, err = c.GetUsers(ctx, nil)
	errs = append(errs, err)
	_, err = c.GetClips(ctx, &helix.GetClipsParams{})
	errs = append(errs, err)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = c.GetUsers(cancelled, nil)
	errs = append(errs, err)

	for i, err := range errs {
		assert.Assert(t, err != nil, "case %d", i)
		for _, tok := range []string{secret, fresh, "Bearer"} {
			assert.Assert(t, !strings.Contains(err.Error(), tok), "case %d: %q", i, err)
		}
	}
	assert.Assert(t, logs.Len() > 0, "the retries were logged")
	for _, tok := range []string{secret, fresh, "Bearer"} {
		assert.Assert(t, !strings.Contains(logs.String(), tok), "log: %s", logs.String())
	}
}

// A group of parameters of which exactly one must be set is checked before
// anything is sent.
func TestParamGroups(t *testing.T) {
	srv := twitchtest.NewServer()
	t.Cleanup(srv.Close)
	c := newClient(srv, srv.Token(token))
	ctx := context.Background()
	for _, tc := range []struct {
		params *helix.GetClipsParams
		want   string
	}{
		{&helix.GetClipsParams{}, "helix: GetClips: parameters broadcaster_id, game_id, id: set exactly one of them, not 0"},
		{&helix.GetClipsParams{BroadcasterID: "1", GameID: "2"}, "helix: GetClips: parameters broadcaster_id, game_id, id: set exactly one of them, not 2"},
	} {
		_, err := c.GetClips(ctx, tc.params)
		assert.Error(t, err, tc.want)
	}
	ids := make([]string, 60)
	logins := make([]string, 41)
	for i := range ids {
		ids[i] = strconv.Itoa(i)
	}
	for i := range logins {
		logins[i] = "l" + strconv.Itoa(i)
	}
	_, err := c.GetUsers(ctx, &helix.GetUsersParams{ID: ids, Login: logins})
	var invalid *helix.InvalidParamsError
	assert.Assert(t, errors.As(err, &invalid))
	assert.Equal(t, invalid.Param, "id, login")
	assert.Equal(t, err.Error(), "helix: GetUsers: parameters id, login: at most 100 values together, got 101")
	assert.Equal(t, len(srv.Helix.Requests()), 0)

	_, err = c.GetClips(ctx, &helix.GetClipsParams{GameID: "2"})
	assert.NilError(t, err)
}
