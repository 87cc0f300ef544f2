package schema

import (
	"testing"

	"gotest.tools/v3/assert"
)

func TestGoName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"broadcaster_user_id", "BroadcasterUserID"},
		{"user_ids", "UserIDs"},
		{"profile_image_url", "ProfileImageURL"},
		{"igdb_id", "IGDBID"},
		{"vip", "VIP"},
		{"vips", "VIPs"},
		{"automod_terms", "AutoModTerms"},
		{"channel.chat.message", "ChannelChatMessage"},
		{"channel.channel_points_custom_reward.add", "ChannelChannelPointsCustomRewardAdd"},
		{"moderator:read:followers", "ModeratorReadFollowers"},
		{"sub-gifter", "SubGifter"},
		{"url_1x", "URL1x"},
		{"DebatedSocialIssuesAndPolitics", "DebatedSocialIssuesAndPolitics"},
		{"websocket_disconnected", "WebSocketDisconnected"},
		{"CANCELED", "Canceled"},
		{"ACTIVE_MONITORING", "ActiveMonitoring"},
		{"MatureGame", "MatureGame"},
		{"ID", "ID"},
		{"1000", "1000"},
		{"api_json_http_https", "APIJSONHTTPHTTPS"},
		{"", ""},
	} {
		assert.Equal(t, GoName(tc.in), tc.want, "GoName(%q)", tc.in)
	}
}

func TestValidGoName(t *testing.T) {
	assert.Assert(t, validGoName("ChannelFollow"))
	assert.Assert(t, !validGoName("channelFollow"), "unexported")
	assert.Assert(t, !validGoName("1x"))
	assert.Assert(t, !validGoName("Chat-Message"))
	assert.Assert(t, !validGoName(""))
}
