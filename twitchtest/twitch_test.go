package twitchtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"
	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/oauth"
	"github.com/twitchify-go/twitch/twitchtest"
)

// apiError returns err as a *helix.APIError, failing the test if it is not
// one.
func apiError(t *testing.T, err error) *helix.APIError {
	t.Helper()
	var api *helix.APIError
	assert.Assert(t, errors.As(err, &api), "not an *helix.APIError: %v", err)
	return api
}

// Get Users without id or login answers with the user of the token, as
// Twitch does; an app token must name users.
func TestGetUsersAnswersWithTheTokensUser(t *testing.T) {
	srv := newFake(t)
	srv.OAuth.AddToken("gopher-token", twitchtest.TokenInfo{UserID: "1001", Login: "gopher"})
	srv.OAuth.AddToken("reader-token", twitchtest.TokenInfo{UserID: "1002", Login: "reader", Scopes: []string{"user:read:email"}})
	srv.OAuth.AddToken("app-token", twitchtest.TokenInfo{Type: oauth.TokenApp})
	srv.OAuth.SetUser("2002", "streamer")
	issued := srv.OAuth.GrantUserToken("client")
	ctx := context.Background()
	client := func(token string) *helix.Client {
		return helix.New("client", srv.Token(token), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.Client()), helix.WithMaxRetries(0))
	}
	me := func(token string) helix.User {
		t.Helper()
		res, err := client(token).GetUsers(ctx, nil)
		assert.NilError(t, err)
		assert.Equal(t, len(res.Data), 1)
		return res.Data[0]
	}

	u := me("gopher-token")
	assert.Equal(t, u.ID, "1001")
	assert.Equal(t, u.Login, "gopher")
	assert.Equal(t, u.DisplayName, "gopher")
	assert.Equal(t, u.Email, "", "no user:read:email scope")
	u = me("reader-token")
	assert.Equal(t, u.ID, "1002")
	assert.Assert(t, strings.Contains(u.Email, "@"), "with user:read:email: %q", u.Email)
	assert.Equal(t, me(issued.AccessToken).ID, "2002", "a token the fake's OAuth issued knows its user")

	// Named users are the sample's, whatever the token.
	res, err := client("gopher-token").GetUsers(ctx, &helix.GetUsersParams{Login: []string{"twitchdev"}})
	assert.NilError(t, err)
	assert.Equal(t, res.Data[0].ID, "141981764")

	// Data a test set holds the token's user.
	assert.NilError(t, srv.Helix.SetData("GetUsers",
		helix.User{ID: "1000", Login: "other"}, helix.User{ID: "1001", Login: "gopher", DisplayName: "Gopher"}))
	u = me("gopher-token")
	assert.Equal(t, u.DisplayName, "Gopher")

	_, err = client("app-token").GetUsers(ctx, nil)
	api := apiError(t, err)
	assert.Equal(t, api.StatusCode, http.StatusBadRequest)
	assert.Equal(t, api.Message, "The id or login query parameter is required unless the request uses a user access token.")
}

// Send Chat Message takes a message from the token's user only, and at
// most 500 characters long.
func TestSendChatMessageChecksSenderAndLength(t *testing.T) {
	srv := newFake(t, twitchtest.WithUserToken("token", "user:write:chat"))
	h := helix.New("client", srv.Token("token"), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.Client()), helix.WithMaxRetries(0))
	send := func(sender, message string) error {
		_, err := h.SendChatMessage(context.Background(), &helix.SendChatMessageParams{
			BroadcasterID: "12826", SenderID: sender, Message: message,
		})
		return err
	}
	assert.NilError(t, send("141981764", "hello, chat"), "WithUserToken's token is twitchdev's")
	assert.NilError(t, send("141981764", strings.Repeat("é", 500)), "500 characters, 1000 bytes")

	api := apiError(t, send("12826", "hello, chat"))
	assert.Equal(t, api.StatusCode, http.StatusUnauthorized)
	assert.Equal(t, api.Message, "The sender_id must match the user ID in the access token.")

	api = apiError(t, send("141981764", strings.Repeat("a", 501)))
	assert.Equal(t, api.StatusCode, http.StatusUnprocessableEntity)
	assert.Equal(t, api.Message, "The message is too large.")
}

// With AutoApproveDevices, a device flow's first poll gets the token, and
// DeviceAccessToken returns without waiting the interval.
func TestAutoApproveDevices(t *testing.T) {
	srv := newFake(t)
	srv.OAuth.AutoApproveDevices(true)
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		c := oauth.New("bot", oauth.WithBaseURL(srv.OAuth.URL), oauth.WithHTTPClient(srv.InMemoryClient()))
		da, err := c.DeviceAuth(ctx, oauth.ScopeUserReadChat)
		assert.NilError(t, err)
		start := time.Now()
		tok, err := c.DeviceAccessToken(ctx, da)
		assert.NilError(t, err)
		assert.Equal(t, time.Since(start), time.Duration(0), "no wait, one poll")
		assert.Equal(t, srv.OAuth.Stats().DevicePolls, 1)
		v, err := c.Validate(ctx, tok.AccessToken)
		assert.NilError(t, err)
		assert.Equal(t, v.UserID, "141981764")
	})

	// Turned off, codes wait for the user again.
	srv.OAuth.AutoApproveDevices(false)
	_, body := oauthPost(t, srv, "/oauth2/device", url.Values{"client_id": {"bot"}})
	status, body := oauthPost(t, srv, "/oauth2/token", url.Values{
		"client_id": {"bot"}, "device_code": {body["device_code"].(string)}, "grant_type": {"urn:ietf:params:oauth:grant-type:device_code"},
	})
	assert.Equal(t, status, http.StatusBadRequest)
	assert.Equal(t, body["message"], "authorization_pending")
}

// A session without a subscription when the unused timeout has passed is
// closed with 4003, as by Twitch; a session with one is kept.
func TestUnusedSessionIsClosed(t *testing.T) {
	const timeout = 2 * time.Second // a subscription is created well within it
	srv := newFake(t, twitchtest.WithUnusedTimeout(timeout), twitchtest.WithKeepalive(10, 5*time.Millisecond))
	h := helix.New("client", srv.Token("token"), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.Client()))

	dial := func() (*websocket.Conn, string) {
		ws, _, err := websocket.DefaultDialer.Dial(srv.EventSub.URL, nil)
		assert.NilError(t, err)
		t.Cleanup(func() { ws.Close() })
		// A bound for a fake that never closes: the test fails, not hangs.
		assert.NilError(t, ws.SetReadDeadline(time.Now().Add(time.Minute)))
		var welcome struct {
			Payload struct {
				Session struct{ ID string } `json:"session"`
			} `json:"payload"`
		}
		assert.NilError(t, ws.ReadJSON(&welcome))
		return ws, welcome.Payload.Session.ID
	}
	used, usedID := dial()
	cond, _ := twitchtest.SampleCondition("stream.online", "1")
	_, err := h.CreateEventSubSubscription(context.Background(), &helix.CreateEventSubSubscriptionParams{
		Type: "stream.online", Version: "1", Condition: cond,
		Transport: helix.EventSubTransportParams{Method: helix.EventSubTransportMethodWebSocket, SessionID: usedID},
	})
	assert.NilError(t, err)
	unused, _ := dial()

	// The unused session: keepalives, then the close.
	var err2 error
	for err2 == nil {
		_, _, err2 = unused.ReadMessage()
	}
	assert.Assert(t, websocket.IsCloseError(err2, 4003), "%v", err2)
	var ce *websocket.CloseError
	assert.Assert(t, errors.As(err2, &ce))
	assert.Equal(t, ce.Text, "connection unused")

	// The used one, older, is past its timeout too: keepalives stamped
	// after it keep coming.
	deadline := time.Now()
	late := 0
	for late < 20 {
		var m struct {
			Metadata struct {
				MessageType string    `json:"message_type"`
				Timestamp   time.Time `json:"message_timestamp"`
			} `json:"metadata"`
		}
		assert.NilError(t, used.ReadJSON(&m))
		if m.Metadata.MessageType == "session_keepalive" && m.Metadata.Timestamp.After(deadline) {
			late++
		}
	}
	assert.Equal(t, len(srv.EventSub.Subscriptions()), 1)
}

// checkRealistic fails the test for a sample value that does not look like
// what Twitch sends: a string that is its field's name, a user ID that is
// not a number, a login that is not lower-case, a display name that is not
// its login's, a time that is not RFC 3339, a URL that is not one.
func checkRealistic(t *testing.T, where string, v any) {
	t.Helper()
	login := regexp.MustCompile(`^[a-z0-9_]{4,25}$`)
	digits := regexp.MustCompile(`^[0-9]+$`)
	var walk func(path, key string, v any, siblings map[string]any)
	walk = func(path, key string, v any, siblings map[string]any) {
		switch x := v.(type) {
		case map[string]any:
			for k, item := range x {
				walk(path+"."+k, k, item, x)
			}
		case []any:
			for _, item := range x {
				walk(path+"[]", key, item, siblings)
			}
		case string:
			if x == "" {
				return
			}
			assert.Assert(t, x != key, "%s %s: the field's name as its value", where, path)
			switch {
			case key == "user_id" || strings.HasSuffix(key, "_user_id") || key == "broadcaster_id" || key == "moderator_id":
				assert.Assert(t, digits.MatchString(x), "%s %s: user ID %q", where, path, x)
			case key == "login" || strings.HasSuffix(key, "_login"):
				assert.Assert(t, login.MatchString(x), "%s %s: login %q", where, path, x)
			case strings.HasSuffix(key, "_at"):
				_, err := time.Parse(time.RFC3339, x)
				assert.NilError(t, err, "%s %s", where, path)
			case key == "url" || strings.HasSuffix(key, "_url"):
				u, err := url.Parse(x)
				assert.Assert(t, err == nil && u.Scheme == "https" && u.Host != "", "%s %s: URL %q", where, path, x)
			}
			if prefix, ok := strings.CutSuffix(key, "_name"); ok {
				if l, ok := siblings[prefix+"_login"].(string); ok {
					assert.Assert(t, strings.EqualFold(x, l), "%s %s: display name %q of login %q", where, path, x, l)
				}
			}
		}
	}
	walk("", "", v, nil)
}

// Samples look like Twitch's: every event and condition, and the answers
// of common Helix calls.
func TestSamplesAreRealistic(t *testing.T) {
	decode := func(raw []byte) any {
		var v any
		assert.NilError(t, json.Unmarshal(raw, &v))
		return v
	}
	for _, info := range eventsub.Types() {
		event, _ := twitchtest.SampleEvent(info.Type, info.Version)
		cond, _ := twitchtest.SampleCondition(info.Type, info.Version)
		checkRealistic(t, info.Type+" "+info.Version+" event", decode(event))
		checkRealistic(t, info.Type+" "+info.Version+" condition", decode(cond))
	}
	// The same role is the same user everywhere.
	event, _ := twitchtest.SampleEvent("channel.follow", "2")
	cond, _ := twitchtest.SampleCondition("channel.follow", "2")
	assert.Equal(t, decode(event).(map[string]any)["broadcaster_user_id"], decode(cond).(map[string]any)["broadcaster_user_id"])
	assert.Equal(t, decode(event).(map[string]any)["broadcaster_user_login"], "twitchdev")

	srv := newFake(t)
	for _, path := range []string{
		"/users", "/streams", "/channels/followers?broadcaster_id=1", "/clips?broadcaster_id=1",
		"/search/channels?query=go", "/chat/chatters?broadcaster_id=1&moderator_id=1", "/games/top",
	} {
		status, _, body := call(t, srv, "GET", path, "token", "")
		assert.Equal(t, status, http.StatusOK, path)
		checkRealistic(t, path, body)
	}
}
