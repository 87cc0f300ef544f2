package eventsub_test

import (
	"bytes"
	stdjson "encoding/json"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/eventsub"
)

// ParseMessage decodes a notification frame in one pass when its metadata
// names the type; a frame whose metadata and payload disagree, or whose
// payload comes first, still decodes by the subscription object.
func TestParseMessageFastPathFallsBack(t *testing.T) {
	const follow = `"subscription": {"id": "s", "status": "enabled", "type": "channel.follow", "version": "2", "cost": 0,
		"condition": {}, "transport": {"method": "websocket", "session_id": "x"}, "created_at": "2025-01-01T00:00:00Z"},
		"event": {"user_id": "1", "user_login": "a", "user_name": "A", "broadcaster_user_id": "2",
		"broadcaster_user_login": "b", "broadcaster_user_name": "B", "followed_at": "2025-01-01T00:00:00Z",
		"note": "\"subscription_type\": \"stream.online\""}`
	for name, frame := range map[string]string{
		"metadata first": `{"metadata": {"message_id": "m", "message_type": "notification", "message_timestamp": "2025-01-01T00:00:00Z",
			"subscription_type": "channel.follow", "subscription_version": "2"}, "payload": {` + follow + `}}`,
		"metadata that lies": `{"metadata": {"message_id": "m", "message_type": "notification", "message_timestamp": "2025-01-01T00:00:00Z",
			"subscription_type": "stream.online", "subscription_version": "1"}, "payload": {` + follow + `}}`,
		"payload first": `{"payload": {` + follow + `}, "metadata": {"message_id": "m", "message_type": "notification",
			"message_timestamp": "2025-01-01T00:00:00Z", "subscription_type": "channel.follow", "subscription_version": "2"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			m, err := eventsub.ParseMessage([]byte(frame))
			assert.NilError(t, err)
			e, ok := m.Notification.Event.(*eventsub.ChannelFollowEvent)
			assert.Assert(t, ok, "event is %T", m.Notification.Event)
			assert.Equal(t, e.UserLogin, "a")
			assert.Equal(t, typeInfo(t, m.Notification).Type, "channel.follow")
			assert.Equal(t, m.Metadata.MessageID, "m")
		})
	}
}

// A notification frame without its event is an error on either path.
func TestParseMessageFastPathMissingEvent(t *testing.T) {
	frame := `{"metadata": {"message_id": "m", "message_type": "notification", "message_timestamp": "2025-01-01T00:00:00Z",
		"subscription_type": "channel.follow", "subscription_version": "2"},
		"payload": {"subscription": {"id": "s", "type": "channel.follow", "version": "2"}}}`
	_, err := eventsub.ParseMessage([]byte(frame))
	assert.ErrorContains(t, err, "channel.follow version 2 notification: payload.event is missing")
}

// ParseNotification decodes a body in one pass when its first "type" and
// "version" are its subscription's; a body whose event comes first, or
// whose first "type" is another's, still decodes by the subscription
// object.
func TestParseNotificationFastPathFallsBack(t *testing.T) {
	const sub = `"subscription": {"id": "s", "status": "enabled", "type": "channel.follow", "version": "2", "cost": 0,
		"condition": {}, "transport": {"method": "webhook", "callback": "https://example.net/es"}, "created_at": "2025-01-01T00:00:00Z"}`
	const event = `"event": {"user_id": "1", "user_login": "a", "user_name": "A", "broadcaster_user_id": "2",
		"broadcaster_user_login": "b", "broadcaster_user_name": "B", "followed_at": "2025-01-01T00:00:00Z"}`
	for name, tc := range map[string]struct {
		body string
		fast bool
	}{
		"subscription first": {`{` + sub + `, ` + event + `}`, true},
		"event first":        {`{` + event + `, ` + sub + `}`, true},
		"another type first": {`{"note": {"type": "stream.online", "version": "1"}, ` + sub + `, ` + event + `}`, false},
		"unknown type first": {`{"note": {"type": "x", "version": "1"}, ` + sub + `, ` + event + `}`, false},
	} {
		t.Run(name, func(t *testing.T) {
			_, fast := eventsub.ParseBodyFast([]byte(tc.body))
			assert.Equal(t, fast, tc.fast)
			n, err := eventsub.ParseNotification([]byte(tc.body))
			assert.NilError(t, err)
			e, ok := n.Event.(*eventsub.ChannelFollowEvent)
			assert.Assert(t, ok, "event is %T", n.Event)
			assert.Equal(t, e.UserLogin, "a")
			assert.Equal(t, typeInfo(t, n).Type, "channel.follow")
		})
	}
}

// A chat message with a byte that is not UTF-8 is delivered, the byte
// read as U+FFFD (as encoding/json reads it), on every path.
func TestInvalidUTF8IsDelivered(t *testing.T) {
	frame := readTestdata(t, "notification_channel_chat_message.json")
	frame = bytes.Replace(frame, []byte("agreed"), []byte("agr\xffed"), 1)
	var f struct {
		Payload stdjson.RawMessage `json:"payload"`
	}
	assert.NilError(t, stdjson.Unmarshal(frame, &f))
	body := []byte(f.Payload)
	for name, parse := range map[string]func() (any, error){
		"ParseMessage":      func() (any, error) { m, err := eventsub.ParseMessage(frame); return notificationOf(m), err },
		"ParseFrame":        func() (any, error) { m, err := eventsub.ParseFrame(frame); return notificationOf(m), err },
		"ParseNotification": func() (any, error) { n, err := eventsub.ParseNotification(body); return n, err },
		"ParseBody":         func() (any, error) { n, err := eventsub.ParseBody(body); return n, err },
	} {
		t.Run(name, func(t *testing.T) {
			n, err := parse()
			assert.NilError(t, err)
			e := n.(*eventsub.Notification).Event.(*eventsub.ChannelChatMessageEvent)
			assert.Equal(t, e.Message.Text, "@TulipTom agr\uFFFDed moonliGrow")
		})
	}
}

func notificationOf(m *eventsub.Message) *eventsub.Notification {
	if m == nil {
		return nil
	}
	return m.Notification
}
