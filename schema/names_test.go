package schema

import (
	"slices"
	"strings"
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

func TestGoWords(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"ChannelChatMessage", []string{"Channel", "Chat", "Message"}},
		{"BroadcasterUserID", []string{"Broadcaster", "User", "ID"}},
		{"UserIDs", []string{"User", "IDs"}},
		{"IDsFor", []string{"IDs", "For"}},
		{"HTTPServer", []string{"HTTP", "Server"}},
		{"URL1x", []string{"URL1x"}},
		{"SubscriptionTier1000", []string{"Subscription", "Tier1000"}},
		{"AutoModAction", []string{"Auto", "Mod", "Action"}},
		{"", nil},
	} {
		assert.DeepEqual(t, goWords(tc.in), tc.want)
	}
}

func TestJoinNames(t *testing.T) {
	for _, tc := range []struct{ owner, name, want string }{
		{"ChannelChatMessage", "MessageType", "ChannelChatMessageType"},
		{"ChannelChatMessage", "Reply", "ChannelChatMessageReply"},
		{"ChatMessage", "ChatMessageFragment", "ChatMessageFragment"},
		{"ChatMessage", "Message", "ChatMessageMessage"},         // nothing would be left of the field
		{"GetUsersParams", "ParamsLogin", "GetUsersParamsLogin"}, // a whole word only
		{"PollStatus", "Active", "PollStatusActive"},
		{"ChatNoticeType", "TypeX", "ChatNoticeTypeX"},
		{"UserIDs", "IDsCount", "UserIDsCount"},
		{"Reward", "Rewards", "RewardRewards"},
	} {
		assert.Equal(t, joinNames(tc.owner, tc.name), tc.want, "joinNames(%q, %q)", tc.owner, tc.name)
	}
}

// No Go name of the real schema says a word twice where an owner's name
// meets a field's or a value's (ChannelChatMessageMessageType). A doubled
// word inside a subscription type's own name
// (channel.channel_points_custom_reward.add) is Twitch's, and stays.
func TestRealSchemaHasNoStutter(t *testing.T) {
	s, err := LoadDir("../schema")
	assert.NilError(t, err)
	var bases []string
	for _, sub := range s.EventSub.Subscriptions {
		bases = append(bases, sub.GoName)
	}
	var names []string
	seen := map[any]bool{}
	var walkType func(t *Type)
	walkObject := func(o *Object) {
		if seen[o] {
			return
		}
		seen[o] = true
		names = append(names, o.GoName)
		for _, f := range o.Fields {
			walkType(f.Type)
		}
	}
	walkType = func(t *Type) {
		switch t.Kind {
		case KindArray, KindMap:
			walkType(t.Elem)
		case KindObject:
			walkObject(t.Object)
		case KindEnum:
			if !seen[t.Enum] {
				seen[t.Enum] = true
				names = append(names, t.Enum.GoName)
				for _, v := range t.Enum.Values {
					names = append(names, v.GoName)
				}
			}
		}
	}
	for _, sub := range s.EventSub.Subscriptions {
		walkObject(sub.Condition)
		walkObject(sub.Event)
	}
	for _, o := range append(s.EventSub.Objects, s.Helix.Objects...) {
		walkObject(o)
	}
	for _, e := range append(s.EventSub.Enums, s.Helix.Enums...) {
		walkType(&Type{Kind: KindEnum, Enum: e})
	}
	for _, op := range s.Helix.Operations {
		names = append(names, op.GoName)
		for _, f := range append(append([]*Field{}, op.Query...), op.Body...) {
			walkType(f.Type)
		}
		if op.Response != nil {
			walkObject(op.Response)
		}
	}
	assert.Assert(t, len(names) > 1000)
	for _, name := range names {
		words := goWords(name)
		for i := 1; i < len(words); i++ {
			if words[i] != words[i-1] {
				continue
			}
			twitchs := slices.ContainsFunc(bases, func(b string) bool {
				bw := goWords(b)
				return strings.HasPrefix(name, b) && i < len(bw) && bw[i] == bw[i-1]
			})
			assert.Assert(t, twitchs, "%s says %s twice", name, words[i])
		}
	}
}
