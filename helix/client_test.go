package helix_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/oauth"
)

const (
	clientID = "k3v9q0client7x2w1e8r5t"
	// token must never show up in an error.
	token = "tok_5f2c9a1e7b3d8046secret"
)

// received is one request as the fake server saw it.
type received struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
}

// fake is a Helix stand-in mounted below /helix, as the real API is, so
// that a path that drops the base URL's path is caught.
type fake struct {
	t     *testing.T
	srv   *httptest.Server
	count atomic.Int32

	mu   sync.Mutex
	reqs []received

	status int
	body   string
	header http.Header
}

func newFake(t *testing.T, status int, body string) *fake {
	t.Helper()
	f := &fake{t: t, status: status, body: body, header: http.Header{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/helix/", f.serve)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		f.count.Add(1)
		t.Errorf("request outside the base path: %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	f.count.Add(1)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("read request body: %v", err)
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, received{
		Method:   r.Method,
		Path:     r.URL.Path,
		RawQuery: r.URL.RawQuery,
		Header:   r.Header.Clone(),
		Body:     body,
	})
	f.mu.Unlock()
	for k, vs := range f.header {
		w.Header()[k] = vs
	}
	if f.body != "" && w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(f.status)
	_, _ = io.WriteString(w, f.body)
}

// client returns a client of the fake with a static token.
func (f *fake) client(opts ...helix.Option) *helix.Client {
	opts = append([]helix.Option{
		helix.WithBaseURL(f.srv.URL + "/helix"),
		helix.WithHTTPClient(f.srv.Client()),
	}, opts...)
	return helix.New(clientID, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token}), opts...)
}

// only returns the one request the fake received.
func (f *fake) only() received {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	assert.Equal(f.t, len(f.reqs), 1, "requests received")
	assert.Equal(f.t, f.count.Load(), int32(1))
	return f.reqs[0]
}

// assertHeaders checks the headers every request carries, and that
// Content-Type is set exactly when there is a body.
func assertHeaders(t *testing.T, r received, hasBody bool) {
	t.Helper()
	assert.Equal(t, r.Header.Get("Client-Id"), clientID)
	assert.DeepEqual(t, r.Header.Values("Authorization"), []string{"Bearer " + token})
	if hasBody {
		assert.Equal(t, r.Header.Get("Content-Type"), "application/json")
		assert.Assert(t, len(r.Body) > 0)
	} else {
		assert.DeepEqual(t, r.Header.Values("Content-Type"), []string(nil))
		assert.Equal(t, len(r.Body), 0)
	}
}

// bodyJSON decodes a request body into generic values, so the test sees
// exactly which members were sent.
func bodyJSON(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	assert.NilError(t, json.Unmarshal(body, &m), "body: %s", body)
	return m
}

func ptr[T any](v T) *T { return &v }

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	assert.NilError(t, err)
	return v
}

// assertInvalidParams checks err is an *InvalidParamsError and that nothing
// was sent.
func assertInvalidParams(t *testing.T, f *fake, err error, want helix.InvalidParamsError) {
	t.Helper()
	var ipe *helix.InvalidParamsError
	assert.Assert(t, errors.As(err, &ipe), "error %v (%T) is not an *InvalidParamsError", err, err)
	assert.DeepEqual(t, *ipe, want)
	assert.Equal(t, err.Error(), "helix: "+want.Operation+": parameter "+want.Param+": "+want.Reason)
	assert.Equal(t, f.count.Load(), int32(0), "requests sent")
}

const usersBody = `{"data":[{"id":"1","login":"fernfriend","display_name":"FernFriend","type":"","broadcaster_type":"affiliate",` +
	`"description":"Plants, mostly.","profile_image_url":"https://static-cdn.example/fern-300x300.png","offline_image_url":"",` +
	`"view_count":0,"created_at":"2019-06-02T14:03:11Z"},` +
	`{"id":"2","login":"tuliptom","display_name":"TulipTom","type":"staff","broadcaster_type":"partner","description":"",` +
	`"profile_image_url":"","offline_image_url":"https://static-cdn.example/tom-offline.png","view_count":1234,` +
	`"email":"tom@example.org","created_at":"2016-11-20T08:45:00.5Z"}]}`

func TestGetUsers(t *testing.T) {
	f := newFake(t, http.StatusOK, usersBody)

	res, err := f.client().GetUsers(context.Background(), &helix.GetUsersParams{
		ID:    []string{"1", "2"},
		Login: []string{"fernfriend"},
	})
	assert.NilError(t, err)

	r := f.only()
	assert.Equal(t, r.Method, http.MethodGet)
	assert.Equal(t, r.Path, "/helix/users")
	assert.Equal(t, r.RawQuery, "id=1&id=2&login=fernfriend")
	assertHeaders(t, r, false)

	assert.DeepEqual(t, res, &helix.GetUsersResponse{Data: []helix.User{{
		ID:              "1",
		Login:           "fernfriend",
		DisplayName:     "FernFriend",
		Type:            helix.UserTypeNormal,
		BroadcasterType: helix.BroadcasterTypeAffiliate,
		Description:     "Plants, mostly.",
		ProfileImageURL: "https://static-cdn.example/fern-300x300.png",
		CreatedAt:       helix.Time{Time: time.Date(2019, 6, 2, 14, 3, 11, 0, time.UTC)},
	}, {
		ID:              "2",
		Login:           "tuliptom",
		DisplayName:     "TulipTom",
		Type:            helix.UserTypeStaff,
		BroadcasterType: helix.BroadcasterTypePartner,
		OfflineImageURL: "https://static-cdn.example/tom-offline.png",
		ViewCount:       1234,
		Email:           "tom@example.org",
		CreatedAt:       helix.Time{Time: time.Date(2016, 11, 20, 8, 45, 0, 500_000_000, time.UTC)},
	}}})
}

func TestGetUsersNilParams(t *testing.T) {
	f := newFake(t, http.StatusOK, `{"data":[{"id":"70001234","login":"moonlitgarden","created_at":"2020-01-01T00:00:00Z"}]}`)

	res, err := f.client().GetUsers(context.Background(), nil)
	assert.NilError(t, err)

	r := f.only()
	assert.Equal(t, r.Method, http.MethodGet)
	assert.Equal(t, r.Path, "/helix/users")
	assert.Equal(t, r.RawQuery, "")
	assertHeaders(t, r, false)
	assert.Equal(t, len(res.Data), 1)
	assert.Equal(t, res.Data[0].Login, "moonlitgarden")
}

func TestGetUsersMaxValues(t *testing.T) {
	ids := make([]string, 101)
	for i := range ids {
		ids[i] = string(rune('a'+i%26)) + "x"
	}

	t.Run("101 is too many", func(t *testing.T) {
		f := newFake(t, http.StatusOK, `{"data":[]}`)
		res, err := f.client().GetUsers(context.Background(), &helix.GetUsersParams{ID: ids})
		assert.Assert(t, is.Nil(res))
		assertInvalidParams(t, f, err, helix.InvalidParamsError{
			Operation: "GetUsers",
			Param:     "id",
			Reason:    "at most 100 values allowed, got 101",
		})
	})
	t.Run("login is checked too", func(t *testing.T) {
		f := newFake(t, http.StatusOK, `{"data":[]}`)
		_, err := f.client().GetUsers(context.Background(), &helix.GetUsersParams{ID: []string{"1"}, Login: ids})
		assertInvalidParams(t, f, err, helix.InvalidParamsError{
			Operation: "GetUsers",
			Param:     "login",
			Reason:    "at most 100 values allowed, got 101",
		})
	})
	t.Run("100 is allowed", func(t *testing.T) {
		f := newFake(t, http.StatusOK, `{"data":[]}`)
		res, err := f.client().GetUsers(context.Background(), &helix.GetUsersParams{ID: ids[:100]})
		assert.NilError(t, err)
		assert.Equal(t, len(res.Data), 0)
		r := f.only()
		assert.Equal(t, strings.Count(r.RawQuery, "id="), 100)
	})
}

const followersBody = `{"data":[{"user_id":"81234567","user_name":"Pixel_Otter","user_login":"pixel_otter",` +
	`"followed_at":"2025-03-14T09:41:12Z"},{"user_id":"82223333","user_name":"TulipTom","user_login":"tuliptom",` +
	`"followed_at":"2024-12-24T20:15:30.25Z"}],"total":1873,"pagination":{"cursor":"eyJiIjpudWxsLCJhIjoiMTczMTAifQ"}}`

func TestGetChannelFollowers(t *testing.T) {
	f := newFake(t, http.StatusOK, followersBody)

	res, err := f.client().GetChannelFollowers(context.Background(), &helix.GetChannelFollowersParams{
		UserID:        "81234567",
		BroadcasterID: "70001234",
		First:         ptr(0), // zero is sent, not dropped
		After:         "eyJwIjoiYWJjIn0",
	})
	assert.NilError(t, err)

	r := f.only()
	assert.Equal(t, r.Method, http.MethodGet)
	assert.Equal(t, r.Path, "/helix/channels/followers")
	assert.Equal(t, r.RawQuery, "after=eyJwIjoiYWJjIn0&broadcaster_id=70001234&first=0&user_id=81234567")
	assertHeaders(t, r, false)

	assert.DeepEqual(t, res, &helix.GetChannelFollowersResponse{
		Data: []helix.ChannelFollower{{
			FollowedAt: helix.Time{Time: time.Date(2025, 3, 14, 9, 41, 12, 0, time.UTC)},
			UserID:     "81234567",
			UserLogin:  "pixel_otter",
			UserName:   "Pixel_Otter",
		}, {
			FollowedAt: helix.Time{Time: mustTime(t, "2024-12-24T20:15:30.25Z")},
			UserID:     "82223333",
			UserLogin:  "tuliptom",
			UserName:   "TulipTom",
		}},
		Pagination: helix.Pagination{Cursor: "eyJiIjpudWxsLCJhIjoiMTczMTAifQ"},
		Total:      1873,
	})
}

func TestGetChannelFollowersOptionalUnset(t *testing.T) {
	f := newFake(t, http.StatusOK, `{"data":[],"total":0,"pagination":{}}`)

	res, err := f.client().GetChannelFollowers(context.Background(), &helix.GetChannelFollowersParams{
		BroadcasterID: "70001234",
	})
	assert.NilError(t, err)

	r := f.only()
	assert.Equal(t, r.RawQuery, "broadcaster_id=70001234")
	assert.Equal(t, res.Total, 0)
	assert.Equal(t, res.Pagination.Cursor, "", "last page")
	assert.Equal(t, len(res.Data), 0)

	f2 := newFake(t, http.StatusOK, `{"data":[],"total":0,"pagination":{}}`)
	_, err = f2.client().GetChannelFollowers(context.Background(), &helix.GetChannelFollowersParams{
		BroadcasterID: "70001234",
		First:         ptr(100),
	})
	assert.NilError(t, err)
	assert.Equal(t, f2.only().RawQuery, "broadcaster_id=70001234&first=100")
}

func TestGetChannelFollowersMissingBroadcaster(t *testing.T) {
	f := newFake(t, http.StatusOK, followersBody)

	res, err := f.client().GetChannelFollowers(context.Background(), &helix.GetChannelFollowersParams{
		UserID: "81234567",
		First:  ptr(5),
	})
	assert.Assert(t, is.Nil(res))
	assertInvalidParams(t, f, err, helix.InvalidParamsError{
		Operation: "GetChannelFollowers",
		Param:     "broadcaster_id",
		Reason:    "required but not set",
	})

	// nil params lack it too.
	_, err = f.client().GetChannelFollowers(context.Background(), nil)
	assertInvalidParams(t, f, err, helix.InvalidParamsError{
		Operation: "GetChannelFollowers",
		Param:     "broadcaster_id",
		Reason:    "required but not set",
	})
}

func TestModifyChannelInformation(t *testing.T) {
	f := newFake(t, http.StatusNoContent, "")

	err := f.client().ModifyChannelInformation(context.Background(), &helix.ModifyChannelInformationParams{
		BroadcasterID:       "70001234",
		GameID:              "493057",
		BroadcasterLanguage: "de",
		Title:               "Greenhouse speedruns, round 2",
		Delay:               ptr(0),
		Tags:                []string{"German", "Speedrun"},
		ContentClassificationLabels: []helix.ContentClassificationLabelSetting{
			{ID: helix.ContentClassificationLabelSettingIDGambling, IsEnabled: true},
			{ID: helix.ContentClassificationLabelSettingIDProfanityVulgarity, IsEnabled: false},
		},
		IsBrandedContent: ptr(false),
	})
	assert.NilError(t, err)

	r := f.only()
	assert.Equal(t, r.Method, http.MethodPatch)
	assert.Equal(t, r.Path, "/helix/channels")
	assert.Equal(t, r.RawQuery, "broadcaster_id=70001234")
	assertHeaders(t, r, true)
	// broadcaster_id is a query parameter and must not be in the body.
	assert.DeepEqual(t, bodyJSON(t, r.Body), map[string]any{
		"game_id":              "493057",
		"broadcaster_language": "de",
		"title":                "Greenhouse speedruns, round 2",
		"delay":                float64(0),
		"tags":                 []any{"German", "Speedrun"},
		"content_classification_labels": []any{
			map[string]any{"id": "Gambling", "is_enabled": true},
			map[string]any{"id": "ProfanityVulgarity", "is_enabled": false},
		},
		"is_branded_content": false,
	})
}

func TestModifyChannelInformationOptionalFields(t *testing.T) {
	tests := []struct {
		name   string
		params helix.ModifyChannelInformationParams
		want   map[string]any
	}{{
		name:   "only title",
		params: helix.ModifyChannelInformationParams{BroadcasterID: "70001234", Title: "just chatting"},
		want:   map[string]any{"title": "just chatting"},
	}, {
		name:   "empty tags clear them",
		params: helix.ModifyChannelInformationParams{BroadcasterID: "70001234", Tags: []string{}},
		want:   map[string]any{"tags": []any{}},
	}, {
		name:   "nil tags are left out",
		params: helix.ModifyChannelInformationParams{BroadcasterID: "70001234", Tags: nil, GameID: "0"},
		want:   map[string]any{"game_id": "0"},
	}, {
		name:   "branded true",
		params: helix.ModifyChannelInformationParams{BroadcasterID: "70001234", IsBrandedContent: ptr(true), Delay: ptr(90)},
		want:   map[string]any{"is_branded_content": true, "delay": float64(90)},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, http.StatusNoContent, "")
			err := f.client().ModifyChannelInformation(context.Background(), &tt.params)
			assert.NilError(t, err)
			r := f.only()
			assert.Equal(t, r.RawQuery, "broadcaster_id=70001234")
			assertHeaders(t, r, true)
			assert.DeepEqual(t, bodyJSON(t, r.Body), tt.want)
		})
	}
}

// Twitch wants at least one field to change; nothing set is refused before
// anything is sent.
func TestModifyChannelInformationNothingSet(t *testing.T) {
	f := newFake(t, http.StatusNoContent, "")
	err := f.client().ModifyChannelInformation(context.Background(), &helix.ModifyChannelInformationParams{BroadcasterID: "70001234"})
	var invalid *helix.InvalidParamsError
	assert.Assert(t, errors.As(err, &invalid))
	assert.Equal(t, invalid.Param, "game_id, broadcaster_language, title, delay, tags, content_classification_labels, is_branded_content")
	assert.Equal(t, invalid.Reason, "set at least one of them")
	assert.Equal(t, f.count.Load(), int32(0))
}

func TestModifyChannelInformationMissingBroadcaster(t *testing.T) {
	f := newFake(t, http.StatusNoContent, "")
	err := f.client().ModifyChannelInformation(context.Background(), &helix.ModifyChannelInformationParams{Title: "x"})
	assertInvalidParams(t, f, err, helix.InvalidParamsError{
		Operation: "ModifyChannelInformation",
		Param:     "broadcaster_id",
		Reason:    "required but not set",
	})
}

func TestSendChatMessage(t *testing.T) {
	f := newFake(t, http.StatusOK, `{"data":[{"message_id":"","is_sent":false,`+
		`"drop_reason":{"code":"msg_duplicate","message":"The message is identical to the previous one."}}]}`)

	res, err := f.client().SendChatMessage(context.Background(), &helix.SendChatMessageParams{
		BroadcasterID:        "70001234",
		SenderID:             "70009999",
		Message:              "welcome to the greenhouse",
		ReplyParentMessageID: "9e8d7c6b-5a49-4382-9170-fedcba987654",
		ForSourceOnly:        ptr(false),
	})
	assert.NilError(t, err)

	r := f.only()
	assert.Equal(t, r.Method, http.MethodPost)
	assert.Equal(t, r.Path, "/helix/chat/messages")
	assert.Equal(t, r.RawQuery, "")
	assertHeaders(t, r, true)
	assert.DeepEqual(t, bodyJSON(t, r.Body), map[string]any{
		"broadcaster_id":          "70001234",
		"sender_id":               "70009999",
		"message":                 "welcome to the greenhouse",
		"reply_parent_message_id": "9e8d7c6b-5a49-4382-9170-fedcba987654",
		"for_source_only":         false,
	})

	assert.DeepEqual(t, res, &helix.SendChatMessageResponse{Data: []helix.SentChatMessage{{
		MessageID: "",
		IsSent:    false,
		DropReason: &helix.ChatMessageDropReason{
			Code:    "msg_duplicate",
			Message: "The message is identical to the previous one.",
		},
	}}})
}

func TestSendChatMessageOptionalUnset(t *testing.T) {
	f := newFake(t, http.StatusOK, `{"data":[{"message_id":"abc-123","is_sent":true,"drop_reason":null}]}`)

	res, err := f.client().SendChatMessage(context.Background(), &helix.SendChatMessageParams{
		BroadcasterID: "70001234",
		SenderID:      "70009999",
		Message:       "hi",
	})
	assert.NilError(t, err)
	assert.DeepEqual(t, bodyJSON(t, f.only().Body), map[string]any{
		"broadcaster_id": "70001234",
		"sender_id":      "70009999",
		"message":        "hi",
	})
	assert.Equal(t, len(res.Data), 1)
	assert.Equal(t, res.Data[0].MessageID, "abc-123")
	assert.Assert(t, res.Data[0].IsSent)
	assert.Assert(t, is.Nil(res.Data[0].DropReason))
}

func TestSendChatMessageMissingMessage(t *testing.T) {
	f := newFake(t, http.StatusOK, `{"data":[]}`)

	res, err := f.client().SendChatMessage(context.Background(), &helix.SendChatMessageParams{
		BroadcasterID: "70001234",
		SenderID:      "70009999",
	})
	assert.Assert(t, is.Nil(res))
	assertInvalidParams(t, f, err, helix.InvalidParamsError{
		Operation: "SendChatMessage",
		Param:     "message",
		Reason:    "required but not set",
	})

	// The first missing one, in the schema's order, is reported.
	_, err = f.client().SendChatMessage(context.Background(), nil)
	assertInvalidParams(t, f, err, helix.InvalidParamsError{
		Operation: "SendChatMessage",
		Param:     "broadcaster_id",
		Reason:    "required but not set",
	})
}

func TestStartCommercial(t *testing.T) {
	f := newFake(t, http.StatusOK, `{"data":[{"length":90,"message":"","retry_after":480}]}`)

	res, err := f.client().StartCommercial(context.Background(), &helix.StartCommercialParams{
		BroadcasterID: "70001234",
		Length:        90,
	})
	assert.NilError(t, err)

	r := f.only()
	assert.Equal(t, r.Method, http.MethodPost)
	assert.Equal(t, r.Path, "/helix/channels/commercial")
	assert.Equal(t, r.RawQuery, "")
	assertHeaders(t, r, true)
	assert.DeepEqual(t, bodyJSON(t, r.Body), map[string]any{
		"broadcaster_id": "70001234",
		"length":         float64(90),
	})
	assert.DeepEqual(t, res, &helix.StartCommercialResponse{Data: []helix.Commercial{{
		Length:     90,
		Message:    "",
		RetryAfter: 480,
	}}})
}

func TestStartCommercialMissingBroadcaster(t *testing.T) {
	f := newFake(t, http.StatusOK, `{"data":[]}`)
	_, err := f.client().StartCommercial(context.Background(), &helix.StartCommercialParams{Length: 30})
	assertInvalidParams(t, f, err, helix.InvalidParamsError{
		Operation: "StartCommercial",
		Param:     "broadcaster_id",
		Reason:    "required but not set",
	})
}

const createSubBody = `{"data":[{"id":"26b1c993-bfcf-44d9-b876-379dacafe75a","status":"enabled","type":"channel.follow",` +
	`"version":"2","condition":{"broadcaster_user_id":"70001234","moderator_user_id":"70005678"},` +
	`"created_at":"2025-03-14T09:27:01.905117724Z","transport":{"method":"websocket",` +
	`"session_id":"AgoQk3r8Zb2dR0yq1mVt7XcP0hIGY2VsbC1i","connected_at":"2025-03-14T09:26:53.521004187Z"},"cost":1}],` +
	`"total":3,"total_cost":2,"max_total_cost":10}`

func TestCreateEventSubSubscription(t *testing.T) {
	f := newFake(t, http.StatusAccepted, createSubBody)

	res, err := f.client().CreateEventSubSubscription(context.Background(), &helix.CreateEventSubSubscriptionParams{
		Type:      "channel.follow",
		Version:   "2",
		Condition: json.RawMessage(`{"broadcaster_user_id":"70001234","moderator_user_id":"70005678"}`),
		Transport: helix.EventSubTransportParams{
			Method:    helix.EventSubTransportMethodWebSocket,
			SessionID: "AgoQk3r8Zb2dR0yq1mVt7XcP0hIGY2VsbC1i",
		},
	})
	assert.NilError(t, err)

	r := f.only()
	assert.Equal(t, r.Method, http.MethodPost)
	assert.Equal(t, r.Path, "/helix/eventsub/subscriptions")
	assert.Equal(t, r.RawQuery, "")
	assertHeaders(t, r, true)
	assert.DeepEqual(t, bodyJSON(t, r.Body), map[string]any{
		"type":    "channel.follow",
		"version": "2",
		"condition": map[string]any{
			"broadcaster_user_id": "70001234",
			"moderator_user_id":   "70005678",
		},
		"transport": map[string]any{
			"method":     "websocket",
			"session_id": "AgoQk3r8Zb2dR0yq1mVt7XcP0hIGY2VsbC1i",
		},
	})

	assert.Equal(t, res.Total, 3)
	assert.Equal(t, res.TotalCost, 2)
	assert.Equal(t, res.MaxTotalCost, 10)
	assert.Equal(t, len(res.Data), 1)
	sub := res.Data[0]
	assert.Equal(t, sub.ID, "26b1c993-bfcf-44d9-b876-379dacafe75a")
	assert.Equal(t, sub.Status, helix.EventSubSubscriptionStatusEnabled)
	assert.Equal(t, sub.Type, "channel.follow")
	assert.Equal(t, sub.Version, "2")
	assert.Equal(t, sub.Cost, 1)
	assert.Equal(t, string(sub.Condition), `{"broadcaster_user_id":"70001234","moderator_user_id":"70005678"}`)
	assert.Assert(t, sub.CreatedAt.Equal(mustTime(t, "2025-03-14T09:27:01.905117724Z")))
	assert.DeepEqual(t, sub.Transport, helix.EventSubTransport{
		Method:      helix.EventSubTransportMethodWebSocket,
		SessionID:   "AgoQk3r8Zb2dR0yq1mVt7XcP0hIGY2VsbC1i",
		ConnectedAt: helix.Time{Time: mustTime(t, "2025-03-14T09:26:53.521004187Z")},
	})
}

func TestCreateEventSubSubscriptionWebhookBatched(t *testing.T) {
	f := newFake(t, http.StatusAccepted, `{"data":[{"id":"d1","status":"webhook_callback_verification_pending",`+
		`"type":"drop.entitlement.grant","version":"1","condition":{"organization_id":"org-9"},`+
		`"created_at":"2025-03-01T08:00:00Z","transport":{"method":"webhook","callback":"https://drops.example.org/es"},"cost":0}],`+
		`"total":1,"total_cost":0,"max_total_cost":10000}`)

	res, err := f.client().CreateEventSubSubscription(context.Background(), &helix.CreateEventSubSubscriptionParams{
		Type:      "drop.entitlement.grant",
		Version:   "1",
		Condition: json.RawMessage(`{"organization_id":"org-9"}`),
		Transport: helix.EventSubTransportParams{
			Method:   helix.EventSubTransportMethodWebhook,
			Callback: "https://drops.example.org/es",
			Secret:   "0123456789abcdef",
		},
		IsBatchingEnabled: ptr(true),
	})
	assert.NilError(t, err)
	assert.DeepEqual(t, bodyJSON(t, f.only().Body), map[string]any{
		"type":      "drop.entitlement.grant",
		"version":   "1",
		"condition": map[string]any{"organization_id": "org-9"},
		"transport": map[string]any{
			"method":   "webhook",
			"callback": "https://drops.example.org/es",
			"secret":   "0123456789abcdef",
		},
		"is_batching_enabled": true,
	})
	assert.Equal(t, res.Data[0].Status, helix.EventSubSubscriptionStatusWebhookCallbackVerificationPending)
	assert.Equal(t, res.Data[0].Transport.Callback, "https://drops.example.org/es")
	assert.Equal(t, res.MaxTotalCost, 10000)
}

func TestCreateEventSubSubscriptionMissingCondition(t *testing.T) {
	f := newFake(t, http.StatusAccepted, createSubBody)
	_, err := f.client().CreateEventSubSubscription(context.Background(), &helix.CreateEventSubSubscriptionParams{
		Type:      "channel.follow",
		Version:   "2",
		Transport: helix.EventSubTransportParams{Method: helix.EventSubTransportMethodWebSocket, SessionID: "s"},
	})
	assertInvalidParams(t, f, err, helix.InvalidParamsError{
		Operation: "CreateEventSubSubscription",
		Param:     "condition",
		Reason:    "required but not set",
	})
}

func TestAPIErrorJSON(t *testing.T) {
	f := newFake(t, http.StatusBadRequest,
		`{"error":"Bad Request","status":400,"message":"The parameter \"broadcaster_id\" was malformed: the value must be numeric"}`)

	res, err := f.client().GetChannelFollowers(context.Background(), &helix.GetChannelFollowersParams{BroadcasterID: "moonlitgarden"})
	assert.Assert(t, is.Nil(res))
	var apiErr *helix.APIError
	assert.Assert(t, errors.As(err, &apiErr), "error %v (%T) is not an *APIError", err, err)
	assert.DeepEqual(t, *apiErr, helix.APIError{
		Operation:  "GetChannelFollowers",
		StatusCode: 400,
		StatusText: "Bad Request",
		Message:    `The parameter "broadcaster_id" was malformed: the value must be numeric`,
	})
	assert.Equal(t, err.Error(),
		`helix: GetChannelFollowers: 400 Bad Request: The parameter "broadcaster_id" was malformed: the value must be numeric`)
	assert.Equal(t, f.count.Load(), int32(1))
}

// What Twitch's answer holds beyond error, status and message is kept, in
// the error and its text.
func TestAPIErrorDetail(t *testing.T) {
	f := newFake(t, http.StatusBadRequest,
		`{"error":"Bad Request","status":400,"message":"Cannot assign slot","data":{ "code": "USER_NOT_READY" }}`)
	err := f.client().AssignGuestStarSlot(context.Background(), &helix.AssignGuestStarSlotParams{
		BroadcasterID: "1", ModeratorID: "1", SessionID: "s", GuestID: "2", SlotID: "1",
	})
	var apiErr *helix.APIError
	assert.Assert(t, errors.As(err, &apiErr), "%v", err)
	assert.DeepEqual(t, *apiErr, helix.APIError{
		Operation:  "AssignGuestStarSlot",
		StatusCode: 400,
		StatusText: "Bad Request",
		Message:    "Cannot assign slot",
		Detail:     json.RawMessage(`{"data":{"code":"USER_NOT_READY"}}`),
	})
	assert.Equal(t, err.Error(), `helix: AssignGuestStarSlot: 400 Bad Request: Cannot assign slot ({"data":{"code":"USER_NOT_READY"}})`)
	var detail struct {
		Data struct{ Code string }
	}
	assert.NilError(t, json.Unmarshal(apiErr.Detail, &detail))
	assert.Equal(t, detail.Data.Code, "USER_NOT_READY")

	// Several members, and known ones of an unexpected type, are kept; a
	// long detail is cut in the text, not in Detail.
	long := strings.Repeat("x", 300)
	f = newFake(t, http.StatusForbidden, `{"status":403,"message":{"text":"odd"},"b":[1, 2],"a":"`+long+`"}`)
	_, err = f.client().GetUsers(context.Background(), nil)
	assert.Assert(t, errors.As(err, &apiErr))
	assert.Equal(t, apiErr.StatusText, "Forbidden")
	assert.Equal(t, apiErr.Message, "")
	assert.Equal(t, string(apiErr.Detail), `{"a":"`+long+`","b":[1,2],"message":{"text":"odd"}}`)
	assert.Equal(t, err.Error(), `helix: GetUsers: 403 Forbidden ({"a":"`+long[:194]+`...)`)
}

func TestAPIErrorTwitchStatusText(t *testing.T) {
	// Twitch's own "error" text wins over Go's for the status code.
	f := newFake(t, http.StatusTooManyRequests, `{"error":"Rate Limit Exceeded","status":429,"message":"slow down"}`)
	err := f.client(helix.WithMaxRetries(0)).ModifyChannelInformation(context.Background(), &helix.ModifyChannelInformationParams{BroadcasterID: "1", Title: "t"})
	var apiErr *helix.APIError
	assert.Assert(t, errors.As(err, &apiErr))
	assert.Equal(t, apiErr.Operation, "ModifyChannelInformation")
	assert.Equal(t, apiErr.StatusCode, 429)
	assert.Equal(t, apiErr.StatusText, "Rate Limit Exceeded")
	assert.Equal(t, apiErr.Message, "slow down")
	assert.Equal(t, err.Error(), "helix: ModifyChannelInformation: 429 Rate Limit Exceeded: slow down")

	f = newFake(t, http.StatusUnauthorized, `{"error":"Unauthorized","status":401,"message":"Invalid OAuth token"}`)
	_, err = f.client().SendChatMessage(context.Background(), &helix.SendChatMessageParams{BroadcasterID: "1", SenderID: "2", Message: "m"})
	assert.Assert(t, errors.As(err, &apiErr))
	assert.DeepEqual(t, *apiErr, helix.APIError{
		Operation: "SendChatMessage", StatusCode: 401, StatusText: "Unauthorized", Message: "Invalid OAuth token",
	})
}

func TestAPIErrorNotJSON(t *testing.T) {
	f := newFake(t, http.StatusInternalServerError, "<html><body>upstream exploded</body></html>")
	f.header.Set("Content-Type", "text/html")

	res, err := f.client().StartCommercial(context.Background(), &helix.StartCommercialParams{BroadcasterID: "70001234", Length: 30})
	assert.Assert(t, is.Nil(res))
	var apiErr *helix.APIError
	assert.Assert(t, errors.As(err, &apiErr), "error %v (%T) is not an *APIError", err, err)
	assert.DeepEqual(t, *apiErr, helix.APIError{
		Operation:  "StartCommercial",
		StatusCode: 500,
		StatusText: "Internal Server Error",
		Message:    "",
	})
	assert.Equal(t, err.Error(), "helix: StartCommercial: 500 Internal Server Error")
}

func TestAPIErrorEmptyBody(t *testing.T) {
	f := newFake(t, http.StatusServiceUnavailable, "")
	_, err := f.client(helix.WithMaxRetries(0)).GetUsers(context.Background(), nil)
	var apiErr *helix.APIError
	assert.Assert(t, errors.As(err, &apiErr))
	assert.Equal(t, apiErr.StatusCode, 503)
	assert.Equal(t, apiErr.StatusText, "Service Unavailable")
	assert.Equal(t, apiErr.Message, "")
}

// Whatever goes wrong, the access token is not in the error text.
func TestErrorsDoNotLeakToken(t *testing.T) {
	ctx := context.Background()
	var errs []error

	f := newFake(t, http.StatusUnauthorized, `{"error":"Unauthorized","status":401,"message":"Invalid OAuth token"}`)
	_, err := f.client().GetUsers(ctx, &helix.GetUsersParams{Login: []string{"fernfriend"}})
	errs = append(errs, err)

	_, err = f.client().GetChannelFollowers(ctx, nil)
	errs = append(errs, err)

	// A server that is gone: the transport error names the URL.
	gone := newFake(t, http.StatusOK, "{}")
	c := gone.client(helix.WithMaxRetries(0))
	gone.srv.Close()
	_, err = c.GetUsers(ctx, &helix.GetUsersParams{ID: []string{"1"}})
	errs = append(errs, err)

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = f.client().SendChatMessage(cancelled, &helix.SendChatMessageParams{BroadcasterID: "1", SenderID: "2", Message: "m"})
	errs = append(errs, err)

	// A success answer that is not JSON.
	bad := newFake(t, http.StatusOK, `{"data":[{"id":`)
	_, err = bad.client().GetUsers(ctx, nil)
	errs = append(errs, err)

	for i, err := range errs {
		assert.Assert(t, err != nil, "case %d", i)
		assert.Assert(t, !strings.Contains(err.Error(), token), "case %d: %q", i, err.Error())
		assert.Assert(t, !strings.Contains(err.Error(), "Bearer"), "case %d: %q", i, err.Error())
	}
}

func TestDecodeResponseError(t *testing.T) {
	f := newFake(t, http.StatusOK, `{"data":[{"id":5}]}`)
	res, err := f.client().GetUsers(context.Background(), nil)
	assert.Assert(t, is.Nil(res))
	assert.ErrorContains(t, err, "helix: GetUsers: decode response")
	var apiErr *helix.APIError
	assert.Assert(t, !errors.As(err, &apiErr))
}

func TestContextCancelled(t *testing.T) {
	f := newFake(t, http.StatusOK, usersBody)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	res, err := f.client().GetUsers(ctx, &helix.GetUsersParams{ID: []string{"1"}})
	assert.Assert(t, is.Nil(res))
	assert.Assert(t, errors.Is(err, context.Canceled), "error %v", err)
	assert.ErrorContains(t, err, "helix: GetUsers")
	assert.Equal(t, f.count.Load(), int32(0), "a cancelled context sends nothing")
}

// The context also bounds a request in flight: the handler waits for the
// client to go away, and cancel is called once the request has arrived.
func TestContextCancelledInFlight(t *testing.T) {
	arrived := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	c := helix.New(clientID, nil, helix.WithBaseURL(srv.URL+"/helix"), helix.WithHTTPClient(srv.Client()))
	_, err := c.GetUsers(ctx, nil)
	assert.Assert(t, errors.Is(err, context.Canceled), "error %v", err)
}

func TestTokenSourceError(t *testing.T) {
	f := newFake(t, http.StatusOK, usersBody)
	c := helix.New(clientID, failingTokens{}, helix.WithBaseURL(f.srv.URL+"/helix"), helix.WithHTTPClient(f.srv.Client()))

	_, err := c.GetUsers(context.Background(), nil)
	assert.ErrorContains(t, err, "helix: GetUsers: get token")
	assert.Assert(t, errors.Is(err, errNoToken))
	assert.Equal(t, f.count.Load(), int32(0))
}

var errNoToken = errors.New("refresh token expired")

type failingTokens struct{}

func (failingTokens) Token() (*oauth2.Token, error) { return nil, errNoToken }

func TestNilTokenSource(t *testing.T) {
	f := newFake(t, http.StatusOK, `{"data":[]}`)
	c := helix.New(clientID, nil, helix.WithBaseURL(f.srv.URL+"/helix"), helix.WithHTTPClient(f.srv.Client()))

	_, err := c.GetUsers(context.Background(), nil)
	assert.NilError(t, err)
	r := f.only()
	assert.Equal(t, r.Header.Get("Client-Id"), clientID)
	assert.DeepEqual(t, r.Header.Values("Authorization"), []string(nil))
}

func TestBaseURLTrailingSlash(t *testing.T) {
	f := newFake(t, http.StatusOK, `{"data":[]}`)
	c := helix.New(clientID, nil, helix.WithBaseURL(f.srv.URL+"/helix/"), helix.WithHTTPClient(f.srv.Client()))

	_, err := c.GetUsers(context.Background(), &helix.GetUsersParams{Login: []string{"a b&c"}})
	assert.NilError(t, err)
	r := f.only()
	assert.Equal(t, r.Path, "/helix/users")
	assert.Equal(t, r.RawQuery, "login=a+b%26c", "values are escaped")
}

func TestOperations(t *testing.T) {
	ops := helix.Operations()

	type summary struct {
		Name, Method, Path string
		Success            int
		Paginated          bool
	}
	var got []summary
	for _, op := range ops {
		got = append(got, summary{op.Name, op.Method, op.Path, op.Success, op.Paginated})
	}
	// The operations of the first slice of the schema, among all of them.
	assert.Equal(t, len(got), 144)
	for _, want := range []summary{
		{"CreateEventSubSubscription", "POST", "/eventsub/subscriptions", 202, false},
		{"GetChannelFollowers", "GET", "/channels/followers", 200, true},
		{"GetUsers", "GET", "/users", 200, false},
		{"ModifyChannelInformation", "PATCH", "/channels", 204, false},
		{"SendChatMessage", "POST", "/chat/messages", 200, false},
		{"StartCommercial", "POST", "/channels/commercial", 200, false},
	} {
		assert.Assert(t, slices.Contains(got, want), "%+v", want)
	}
	assert.Assert(t, slices.IsSortedFunc(ops, func(a, b helix.Operation) int { return strings.Compare(a.Name, b.Name) }))

	byName := map[string]helix.Operation{}
	for _, op := range ops {
		assert.Assert(t, strings.HasPrefix(op.DocURL, "https://dev.twitch.tv/docs/api/reference/#"), op.DocURL)
		// Only a public endpoint needs no token.
		assert.Assert(t, len(op.Auth) > 0 || op.Name == "GetChannelICalendar", "%s has no auth", op.Name)
		byName[op.Name] = op
	}
	assert.DeepEqual(t, byName["GetChannelFollowers"].Auth, []oauth.Requirement{
		{Token: oauth.TokenUser, Scopes: [][]oauth.Scope{{oauth.ScopeModeratorReadFollowers}}},
	})
	assert.DeepEqual(t, byName["SendChatMessage"].Auth, []oauth.Requirement{
		{Token: oauth.TokenUser, Scopes: [][]oauth.Scope{{oauth.ScopeUserWriteChat}}},
		{Token: oauth.TokenApp, Scopes: [][]oauth.Scope{{oauth.ScopeUserWriteChat}, {oauth.ScopeUserBot}}},
	})
	assert.DeepEqual(t, byName["GetUsers"].Auth, []oauth.Requirement{{Token: oauth.TokenApp}, {Token: oauth.TokenUser}})
	assert.Equal(t, byName["GetUsers"].DocURL, "https://dev.twitch.tv/docs/api/reference/#get-users")

	// LookupOperation finds each of them, and nothing else.
	for _, op := range ops {
		found, ok := helix.LookupOperation(op.Name)
		assert.Assert(t, ok, op.Name)
		assert.DeepEqual(t, found, op)
	}
	for _, name := range []string{"", "getUsers", "GetUser", "Zzz", "AAA"} {
		_, ok := helix.LookupOperation(name)
		assert.Assert(t, !ok, "%q", name)
	}

	// The returned slice is the caller's own.
	first, second, third := ops[0].Name, ops[1].Name, ops[2].Name
	ops[0] = helix.Operation{}
	ops[1], ops[2] = ops[2], ops[1]
	again := helix.Operations()
	assert.Equal(t, len(again), 144)
	assert.Equal(t, again[0].Name, first)
	assert.Equal(t, again[1].Name, second)
	assert.Equal(t, again[2].Name, third)
}

// The requests a method sends follow its Operation.
func TestOperationsMatchRequests(t *testing.T) {
	f := newFake(t, http.StatusOK, `{}`)
	c := f.client()
	ctx := context.Background()
	_, _ = c.GetUsers(ctx, nil)
	_, _ = c.GetChannelFollowers(ctx, &helix.GetChannelFollowersParams{BroadcasterID: "1"})
	_ = c.ModifyChannelInformation(ctx, &helix.ModifyChannelInformationParams{BroadcasterID: "1", Title: "t"})
	_, _ = c.SendChatMessage(ctx, &helix.SendChatMessageParams{BroadcasterID: "1", SenderID: "2", Message: "m"})
	_, _ = c.StartCommercial(ctx, &helix.StartCommercialParams{BroadcasterID: "1", Length: 30})
	_, _ = c.CreateEventSubSubscription(ctx, &helix.CreateEventSubSubscriptionParams{
		Type: "stream.online", Version: "1", Condition: json.RawMessage(`{"broadcaster_user_id":"1"}`),
		Transport: helix.EventSubTransportParams{Method: helix.EventSubTransportMethodWebSocket, SessionID: "s"},
	})

	f.mu.Lock()
	defer f.mu.Unlock()
	seen := map[string]bool{}
	for _, r := range f.reqs {
		seen[r.Method+" "+r.Path] = true
	}
	for _, op := range helix.Operations() {
		switch op.Name {
		case "GetUsers", "GetChannelFollowers", "ModifyChannelInformation", "SendChatMessage", "StartCommercial", "CreateEventSubSubscription":
			assert.Assert(t, seen[op.Method+" /helix"+op.Path], "no request for %s (%s %s)", op.Name, op.Method, op.Path)
		}
	}
	assert.Equal(t, len(f.reqs), 6)
}

// A 429 whose headers show points left is about something else (too many
// EventSub subscriptions), so it is returned at once, not retried.
func TestTooManyWithPointsLeftIsNotRetried(t *testing.T) {
	f := newFake(t, http.StatusTooManyRequests, `{"error":"Too Many Requests","status":429,"message":"websocket transports limited to 300 enabled subscriptions"}`)
	f.header.Set("Ratelimit-Limit", "800")
	f.header.Set("Ratelimit-Remaining", "795")
	f.header.Set("Ratelimit-Reset", strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10))
	_, err := f.client().GetUsers(context.Background(), nil)
	assert.ErrorIs(t, err, helix.ErrRateLimited)
	var apiErr *helix.APIError
	assert.Assert(t, errors.As(err, &apiErr))
	assert.Equal(t, apiErr.RateLimit.Remaining, 795)
	assert.Equal(t, f.count.Load(), int32(1))
}
