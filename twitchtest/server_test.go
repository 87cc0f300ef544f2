package twitchtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/twitchtest"
)

// Every sample event and condition decodes strictly into the generated
// types: the samples cover every field of every type.
func TestSamplesDecodeStrictly(t *testing.T) {
	for _, info := range eventsub.Types() {
		event, ok := twitchtest.SampleEvent(info.Type, info.Version)
		assert.Assert(t, ok, "%s %s", info.Type, info.Version)
		key := "event"
		if info.Batched {
			key = "events"
		}
		body := `{"subscription": {"type": "` + info.Type + `", "version": "` + info.Version + `"}, "` + key + `": ` + string(event) + `}`
		n, err := eventsub.ParseNotification([]byte(body))
		assert.NilError(t, err, "%s %s", info.Type, info.Version)
		got, _ := n.TypeInfo()
		assert.DeepEqual(t, got, info)

		cond, _ := twitchtest.SampleCondition(info.Type, info.Version)
		dec := json.NewDecoder(bytes.NewReader(cond))
		dec.DisallowUnknownFields()
		assert.NilError(t, dec.Decode(info.NewCondition()), "%s %s", info.Type, info.Version)
	}
	_, ok := twitchtest.SampleEvent("no.such.type", "1")
	assert.Assert(t, !ok)
}

// The Helix EventSub endpoints check what Twitch checks and answer with its
// error shapes.
func TestHelixSubscriptionEndpoints(t *testing.T) {
	srv := newFake(t, twitchtest.WithUserToken("token", "moderator:read:followers"), twitchtest.WithSubscriptionLimit(2))
	ctx := context.Background()
	h := helix.New("client", srv.Token("token"), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.Client()))

	// A live session to subscribe on: a WebSocket connection's.
	ws := dialSession(t, srv)
	create := func(typ, version, condition, session string) (*helix.CreateEventSubSubscriptionResponse, error) {
		return h.CreateEventSubSubscription(ctx, &helix.CreateEventSubSubscriptionParams{
			Type: typ, Version: version, Condition: json.RawMessage(condition),
			Transport: helix.EventSubTransportParams{Method: helix.EventSubTransportMethodWebSocket, SessionID: session},
		})
	}
	res, err := create("channel.follow", "2", `{"broadcaster_user_id": "1", "moderator_user_id": "1"}`, ws)
	assert.NilError(t, err)
	assert.Equal(t, res.Data[0].Status, helix.EventSubSubscriptionStatusEnabled)
	assert.Equal(t, res.Data[0].Transport.SessionID, ws)
	assert.Equal(t, res.TotalCost, 1)
	assert.Equal(t, res.MaxTotalCost, 10000)

	for _, tc := range []struct {
		name                        string
		typ, version, cond, session string
		status                      int
		message                     string
	}{
		{"unknown type", "channel.nope", "1", `{}`, ws, 400, "The combination of values in the type and version fields is not valid."},
		{"missing condition field", "channel.follow", "2", `{"broadcaster_user_id": "1"}`, ws, 400, "The condition object is missing one or more required fields."},
		{"no such session", "stream.online", "1", `{"broadcaster_user_id": "1"}`, "session-999", 400, "The session_id in the transport is not a live WebSocket session."},
		{"conflict", "channel.follow", "2", `{"moderator_user_id": "1", "broadcaster_user_id": "1"}`, ws, 409, "subscription already exists"},
		{"missing scope", "channel.chat.message", "1", `{"broadcaster_user_id": "1", "user_id": "2"}`, ws, 403, "subscription missing proper authorization"},
		{"webhook-only type", "drop.entitlement.grant", "1", `{"organization_id": "1"}`, ws, 400, "The subscription type does not support the websocket transport."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := create(tc.typ, tc.version, tc.cond, tc.session)
			var api *helix.APIError
			assert.Assert(t, errors.As(err, &api), "%v", err)
			assert.Equal(t, api.StatusCode, tc.status)
			assert.Equal(t, api.Message, tc.message)
		})
	}

	_, err = create("stream.online", "1", `{"broadcaster_user_id": "1"}`, ws)
	assert.NilError(t, err)
	_, err = create("stream.offline", "1", `{"broadcaster_user_id": "1"}`, ws)
	var api *helix.APIError
	assert.Assert(t, errors.As(err, &api))
	assert.Equal(t, api.StatusCode, http.StatusTooManyRequests, "the per-session limit of 2")

	list, err := h.GetEventSubSubscriptions(ctx, &helix.GetEventSubSubscriptionsParams{Type: "stream.online"})
	assert.NilError(t, err)
	assert.Equal(t, len(list.Data), 1)
	assert.Equal(t, list.Total, 2)
	assert.Equal(t, list.TotalCost, 2)

	assert.NilError(t, h.DeleteEventSubSubscription(ctx, &helix.DeleteEventSubSubscriptionParams{ID: list.Data[0].ID}))
	err = h.DeleteEventSubSubscription(ctx, &helix.DeleteEventSubSubscriptionParams{ID: list.Data[0].ID})
	assert.Assert(t, errors.As(err, &api))
	assert.Equal(t, api.StatusCode, http.StatusNotFound)
	assert.Equal(t, len(srv.EventSub.Subscriptions()), 1)

	// Without a token, or with one the fake does not know: 401.
	for _, token := range []string{"", "stranger"} {
		_, err = helix.New("client", srv.Token(token), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.Client())).
			GetEventSubSubscriptions(ctx, nil)
		assert.Assert(t, errors.As(err, &api))
		assert.Equal(t, api.StatusCode, http.StatusUnauthorized)
	}
}

// Commands name sessions and subscriptions that exist.
func TestCommandsOnMissingThings(t *testing.T) {
	srv := newFake(t)
	for _, err := range []error{
		srv.EventSub.Reconnect("session-9"),
		srv.EventSub.Drop("session-9"),
		srv.EventSub.Silence("session-9"),
		srv.EventSub.CloseSession("session-9", 4000),
		srv.EventSub.SendFrame("session-9", []byte(`{}`)),
		srv.EventSub.Revoke("subscription-9", "user_removed"),
		func() error {
			_, err := srv.EventSub.Send(twitchtest.Notification{SubscriptionID: "subscription-9"})
			return err
		}(),
		func() error { _, err := srv.EventSub.Notify(&eventsub.ChannelFollowEvent{}); return err }(),
	} {
		assert.ErrorIs(t, err, twitchtest.ErrNotFound)
	}
}

// NewServer starts a fake that Close stops, as httptest's; closing twice
// is harmless, and a closed fake answers nothing.
func TestNewServerAndClose(t *testing.T) {
	srv := twitchtest.NewServer()
	defer srv.Close()
	resp, err := srv.Client().Get(srv.Helix.URL + "/eventsub/subscriptions")
	assert.NilError(t, err)
	resp.Body.Close()
	assert.Equal(t, resp.StatusCode, http.StatusUnauthorized)
	assert.Equal(t, srv.Helix.URL, srv.URL+"/helix")
	assert.Equal(t, srv.OAuth.URL, srv.URL)
	assert.Equal(t, srv.EventSub.URL, "ws"+strings.TrimPrefix(srv.URL, "http")+"/eventsub")
	srv.Close()
	srv.Close()
	_, err = srv.Client().Get(srv.Helix.URL + "/users")
	assert.Assert(t, err != nil)
}
