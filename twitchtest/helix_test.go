package twitchtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"gotest.tools/v3/assert"
	"gotest.tools/v3/poll"

	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/oauth"
	"github.com/twitchify-go/twitch/twitchtest"
)

// newFake starts a fake Twitch that stops with the test.
func newFake(t *testing.T, opts ...twitchtest.Option) *twitchtest.Server {
	t.Helper()
	srv := twitchtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// call makes a raw Helix request to the fake and returns the status, the
// headers and the decoded body.
func call(t *testing.T, srv *twitchtest.Server, method, path, token, body string) (int, http.Header, map[string]any) {
	t.Helper()
	return callWith(t, srv.Client(), srv, method, path, token, body)
}

// callWith is call through the HTTP client hc.
func callWith(t *testing.T, hc *http.Client, srv *twitchtest.Server, method, path, token, body string) (int, http.Header, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.Helix.URL+path, rd)
	assert.NilError(t, err)
	req.Header.Set("Client-Id", "client")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	assert.NilError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	assert.NilError(t, err)
	var m map[string]any
	if len(data) > 0 {
		assert.NilError(t, json.Unmarshal(data, &m), "%s", data)
	}
	return resp.StatusCode, resp.Header, m
}

// The fake refuses what Twitch refuses, with Twitch's error shape.
func TestHelixChecksParameters(t *testing.T) {
	srv := newFake(t)
	for _, tc := range []struct {
		method, path, body string
		status             int
		message            string
	}{
		{"GET", "/channels/followers", "", 400, `Missing required parameter "broadcaster_id".`},
		{"GET", "/channels/followers?broadcaster_id=1&first=many", "", 400, `The value of the parameter "first" is not valid.`},
		{"GET", "/channels/followers?broadcaster_id=1&broadcaster_id=2", "", 400, `The parameter "broadcaster_id" may be given once.`},
		{"GET", "/users?idd=1", "", 400, `The parameter "idd" is not one this endpoint takes.`},
		{"GET", "/users?id=" + strings.Repeat("1&id=", 100) + "1", "", 400, `The parameter "id" may be given at most 100 times.`},
		{"GET", "/clips?broadcaster_id=1&game_id=2", "", 400, "Specify exactly one of broadcaster_id, game_id, id."},
		{"POST", "/chat/messages", `{"broadcaster_id":"1","sender_id":"2"}`, 400, `Missing required body field "message".`},
		{"POST", "/chat/messages", `{"broadcaster_id":"1","sender_id":"2","message":"m","colour":"red"}`, 400, `The body field "colour" is not one this endpoint takes.`},
		{"POST", "/chat/messages", `[1]`, 400, "The request body is not a JSON object."},
		{"GET", "/users", `{"a":1}`, 400, "This endpoint takes no body."},
		{"PATCH", "/channels?broadcaster_id=1", `{}`, 400, "Specify at least one of game_id, broadcaster_language, title, delay, tags, content_classification_labels, is_branded_content."},
		{"PATCH", "/channels?broadcaster_id=1", `{"tags":[]}`, 204, ""},
		{"GET", "/users?id=1&login=a", "", 200, ""},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			status, _, body := call(t, srv, tc.method, tc.path, "token", tc.body)
			assert.Equal(t, status, tc.status)
			if tc.message != "" {
				assert.Equal(t, body["message"], tc.message)
				assert.Equal(t, body["error"], "Bad Request")
				assert.Equal(t, body["status"], float64(400))
			}
		})
	}
}

// Once tokens are registered, the fake checks each against the operation:
// known, not expired, of the right type, with the scopes.
func TestHelixChecksTokens(t *testing.T) {
	srv := newFake(t)
	srv.OAuth.AddToken("user", twitchtest.TokenInfo{UserID: "1", Scopes: []string{"moderator:read:followers"}})
	srv.OAuth.AddToken("app", twitchtest.TokenInfo{Type: oauth.TokenApp})
	srv.OAuth.AddToken("old", twitchtest.TokenInfo{ExpiresAt: time.Now().Add(-time.Minute)})
	for _, tc := range []struct {
		token, path string
		status      int
		message     string
	}{
		{"user", "/channels/followers?broadcaster_id=1", 200, ""},
		{"", "/channels/followers?broadcaster_id=1", 401, "OAuth token is missing"},
		{"stranger", "/channels/followers?broadcaster_id=1", 401, "Invalid OAuth token"},
		{"old", "/users", 401, "Invalid OAuth token"},
		{"app", "/channels/followers?broadcaster_id=1", 401, "This endpoint requires a user access token."},
		{"user", "/chat/chatters?broadcaster_id=1&moderator_id=1", 401, "Missing scope: moderator:read:chatters"},
		{"app", "/users?id=1", 200, ""},
	} {
		t.Run(tc.token+" "+tc.path, func(t *testing.T) {
			status, _, body := call(t, srv, "GET", tc.path, tc.token, "")
			assert.Equal(t, status, tc.status)
			if tc.message != "" {
				assert.Equal(t, body["message"], tc.message)
			}
		})
	}
	assert.ErrorIs(t, srv.OAuth.ExpireToken("nobody"), twitchtest.ErrNotFound)
	assert.NilError(t, srv.OAuth.ExpireToken("user"))
	status, _, _ := call(t, srv, "GET", "/users", "user", "")
	assert.Equal(t, status, 401)
}

// Every answer carries the token's bucket; an empty one answers 429. The
// fake runs on the bubble's clock.
func TestHelixRateLimit(t *testing.T) {
	srv := newFake(t, twitchtest.WithRateLimit(3, 30*time.Second))
	synctest.Test(t, func(t *testing.T) {
		hc := srv.InMemoryClient()
		now := time.Now()
		for i, want := range []string{"2", "1", "0"} {
			status, h, _ := callWith(t, hc, srv, "GET", "/users", "a", "")
			assert.Equal(t, status, 200, "call %d", i)
			assert.Equal(t, h.Get("Ratelimit-Limit"), "3")
			assert.Equal(t, h.Get("Ratelimit-Remaining"), want)
			// Full again once the points taken have refilled, 10 s each.
			assert.Equal(t, h.Get("Ratelimit-Reset"), strconv.FormatInt(now.Add(time.Duration(i+1)*10*time.Second).Unix(), 10))
			assert.Equal(t, h.Get("Date"), now.UTC().Format(http.TimeFormat))
		}
		status, h, body := callWith(t, hc, srv, "GET", "/users", "a", "")
		assert.Equal(t, status, 429)
		assert.Equal(t, h.Get("Ratelimit-Remaining"), "0")
		assert.Equal(t, body["message"], "Too Many Requests")

		// Another token has its own bucket; time refills this one.
		status, _, _ = callWith(t, hc, srv, "GET", "/users", "b", "")
		assert.Equal(t, status, 200)
		time.Sleep(10 * time.Second)
		status, _, _ = callWith(t, hc, srv, "GET", "/users", "a", "")
		assert.Equal(t, status, 200)
		served, refused := srv.Helix.RateLimitStats()
		assert.Equal(t, served, 5)
		assert.Equal(t, refused, 1)
	})
}

// Faults answer in place of the usual answer, in order, for one operation
// or any.
func TestHelixFaults(t *testing.T) {
	srv := newFake(t)
	assert.ErrorIs(t, srv.Helix.FailNext("GetWidgets", twitchtest.Fault{Status: 500}), twitchtest.ErrNotFound)
	assert.NilError(t, srv.Helix.FailNext("GetUsers", twitchtest.Fault{Status: 503, Message: "try later"}, twitchtest.Fault{Status: 429}))
	assert.NilError(t, srv.Helix.FailNext("", twitchtest.Fault{Status: 401}))

	status, _, body := call(t, srv, "GET", "/games/top", "t", "")
	assert.Equal(t, status, 401, "the fault for any operation")
	assert.Equal(t, body["message"], "Unauthorized")
	status, _, body = call(t, srv, "GET", "/users", "t", "")
	assert.Equal(t, status, 503)
	assert.Equal(t, body["message"], "try later")
	status, h, _ := call(t, srv, "GET", "/users", "t", "")
	assert.Equal(t, status, 429)
	assert.Equal(t, h.Get("Ratelimit-Remaining"), "0")
	status, _, _ = call(t, srv, "GET", "/users", "t", "")
	assert.Equal(t, status, 200)
}

// A slow answer holds the client until its context ends.
func TestHelixSlowAnswer(t *testing.T) {
	srv := newFake(t)
	assert.NilError(t, srv.Helix.FailNext("GetUsers", twitchtest.Fault{Delay: time.Hour}))
	h := helix.New("client", srv.Token("t"), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.Client()), helix.WithMaxRetries(0))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := h.GetUsers(ctx, nil)
		done <- err
	}()
	poll.WaitOn(t, func(poll.LogT) poll.Result {
		if len(srv.Helix.Requests()) == 1 {
			return poll.Success()
		}
		return poll.Continue("the request has not arrived")
	})
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
}

// Data a test sets is served a page at a time, with cursors and a total.
func TestHelixData(t *testing.T) {
	srv := newFake(t)
	assert.ErrorIs(t, srv.Helix.SetData("GetWidgets"), twitchtest.ErrNotFound)
	var items []any
	for i := range 5 {
		items = append(items, map[string]any{"user_id": strconv.Itoa(i)})
	}
	assert.NilError(t, srv.Helix.SetData("GetChannelFollowers", items...))

	status, _, body := call(t, srv, "GET", "/channels/followers?broadcaster_id=1&first=2", "t", "")
	assert.Equal(t, status, 200)
	assert.Equal(t, len(body["data"].([]any)), 2)
	assert.Equal(t, body["total"], float64(5))
	cursor := body["pagination"].(map[string]any)["cursor"].(string)
	_, _, body = call(t, srv, "GET", "/channels/followers?broadcaster_id=1&first=2&after="+cursor, "t", "")
	assert.Equal(t, body["data"].([]any)[0].(map[string]any)["user_id"], "2")
	_, _, body = call(t, srv, "GET", "/channels/followers?broadcaster_id=1&first=10&after="+cursor, "t", "")
	assert.Equal(t, len(body["data"].([]any)), 3)
	assert.DeepEqual(t, body["pagination"], map[string]any{})

	status, _, body = call(t, srv, "GET", "/channels/followers?broadcaster_id=1&after=bogus", "t", "")
	assert.Equal(t, status, 400)
	assert.Equal(t, body["message"], "The cursor in the after query parameter is not valid.")

	// Through the client, decoded.
	h := helix.New("client", srv.Token("t"), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.Client()))
	n := 0
	for _, err := range h.GetChannelFollowersAll(context.Background(), &helix.GetChannelFollowersParams{BroadcasterID: "1", First: ptr(2)}) {
		assert.NilError(t, err)
		n++
	}
	assert.Equal(t, n, 5)
	var api *helix.APIError
	_, err := h.GetClips(context.Background(), &helix.GetClipsParams{GameID: "1"})
	assert.Assert(t, !errors.As(err, &api), "%v", err)
}

func ptr[T any](v T) *T { return &v }
