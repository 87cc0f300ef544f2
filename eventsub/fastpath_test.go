package eventsub_test

import (
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
