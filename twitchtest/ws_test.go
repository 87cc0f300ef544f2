package twitchtest_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/twitchtest"
)

// dialSession opens a WebSocket to the fake, reads the welcome, and returns
// the session's ID; the connection closes with the test.
func dialSession(t *testing.T, srv *twitchtest.Server) string {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(srv.EventSub.URL, nil)
	assert.NilError(t, err)
	t.Cleanup(func() { ws.Close() })
	var welcome struct {
		Metadata struct {
			MessageType string `json:"message_type"`
		} `json:"metadata"`
		Payload struct {
			Session struct {
				ID               string `json:"id"`
				KeepaliveTimeout int    `json:"keepalive_timeout_seconds"`
			} `json:"session"`
		} `json:"payload"`
	}
	assert.NilError(t, ws.ReadJSON(&welcome))
	assert.Equal(t, welcome.Metadata.MessageType, "session_welcome")
	assert.Equal(t, welcome.Payload.Session.KeepaliveTimeout, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	assert.Equal(t, srv.EventSub.WaitSession(ctx), welcome.Payload.Session.ID)
	return welcome.Payload.Session.ID
}

// Keepalives come at the configured interval, and stop with Silence.
func TestKeepalivesAndSilence(t *testing.T) {
	srv := newFake(t, twitchtest.WithKeepalive(10, 5*time.Millisecond))
	ws, _, err := websocket.DefaultDialer.Dial(srv.EventSub.URL, nil)
	assert.NilError(t, err)
	defer ws.Close()
	var m map[string]map[string]any
	assert.NilError(t, ws.ReadJSON(&m))
	session := m["payload"]["session"].(map[string]any)["id"].(string)
	for range 3 {
		assert.NilError(t, ws.ReadJSON(&m))
		assert.Equal(t, m["metadata"]["message_type"], "session_keepalive")
	}
	assert.NilError(t, srv.EventSub.Silence(session))
	// At most the one keepalive already on its way comes; then nothing,
	// through 40 keepalive intervals.
	assert.NilError(t, ws.SetReadDeadline(time.Now().Add(200*time.Millisecond)))
	late := 0
	for ws.ReadJSON(&m) == nil {
		late++
	}
	assert.Assert(t, late <= 1, "%d keepalives after Silence", late)
}

// A client that sends a message is closed with 4001, as by Twitch.
func TestInboundTrafficCloses(t *testing.T) {
	srv := newFake(t)
	ws, _, err := websocket.DefaultDialer.Dial(srv.EventSub.URL, nil)
	assert.NilError(t, err)
	defer ws.Close()
	var m json.RawMessage
	assert.NilError(t, ws.ReadJSON(&m))
	assert.NilError(t, ws.WriteMessage(websocket.TextMessage, []byte("hello")))
	for {
		_, _, err = ws.ReadMessage()
		if err != nil {
			break
		}
	}
	assert.Assert(t, websocket.IsCloseError(err, 4001), "%v", err)
}

// Notify takes a generated event and sends it to the subscriptions whose
// conditions select it, and only to them.
func TestNotifyFindsTheSubscription(t *testing.T) {
	srv := newFake(t)
	ctx := context.Background()
	h := helix.New("client", srv.Token("token"), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.Client()))
	ws, _, err := websocket.DefaultDialer.Dial(srv.EventSub.URL, nil)
	assert.NilError(t, err)
	defer ws.Close()
	var welcome struct {
		Payload struct{ Session struct{ ID string } }
	}
	assert.NilError(t, ws.ReadJSON(&welcome))
	subscribe := func(broadcaster string) string {
		res, err := h.CreateEventSubSubscription(ctx, &helix.CreateEventSubSubscriptionParams{
			Type: "channel.follow", Version: "2",
			Condition: json.RawMessage(`{"broadcaster_user_id": "` + broadcaster + `", "moderator_user_id": "` + broadcaster + `"}`),
			Transport: helix.EventSubTransportParams{Method: helix.EventSubTransportMethodWebSocket, SessionID: welcome.Payload.Session.ID},
		})
		assert.NilError(t, err)
		return res.Data[0].ID
	}
	subscribe("1")
	second := subscribe("2")

	ids, err := srv.EventSub.Notify(&eventsub.ChannelFollowEvent{UserID: "77", BroadcasterUserID: "2"})
	assert.NilError(t, err)
	assert.Equal(t, len(ids), 1)
	var frame struct {
		Metadata struct {
			MessageID   string `json:"message_id"`
			MessageType string `json:"message_type"`
		}
		Payload struct {
			Subscription struct{ ID string }
			Event        eventsub.ChannelFollowEvent
		}
	}
	for frame.Metadata.MessageType != "notification" {
		assert.NilError(t, ws.ReadJSON(&frame))
	}
	assert.Equal(t, frame.Metadata.MessageID, ids[0])
	assert.Equal(t, frame.Payload.Subscription.ID, second)
	assert.Equal(t, frame.Payload.Event.UserID, "77")

	// A value, not a pointer, works too; a broadcaster nobody follows is
	// nobody's event.
	ids, err = srv.EventSub.Notify(eventsub.ChannelFollowEvent{BroadcasterUserID: "1"})
	assert.NilError(t, err)
	assert.Equal(t, len(ids), 1)
	_, err = srv.EventSub.Notify(&eventsub.ChannelFollowEvent{BroadcasterUserID: "3"})
	assert.ErrorIs(t, err, twitchtest.ErrNotFound)
	assert.ErrorContains(t, err, "no subscription of channel.follow version 2 selects the event")

	for _, tc := range []struct {
		event any
		err   string
	}{
		{json.RawMessage(`{}`), "json.RawMessage is not a generated EventSub event"},
		{eventsub.DropEntitlementGrantEvent{}, "drop.entitlement.grant version 1 comes in batches"},
		{[]eventsub.ChannelFollowEvent{{}}, "channel.follow version 2 sends one event at a time"},
	} {
		_, err := srv.EventSub.Notify(tc.event)
		assert.ErrorContains(t, err, tc.err)
	}
}
