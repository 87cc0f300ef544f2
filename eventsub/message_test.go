package eventsub_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/oauth"
)

// sessionID is the WebSocket session every frame in testdata belongs to.
const sessionID = "AgoQk3r8Zb2dR0yq1mVt7XcP0hIGY2VsbC1i"

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	assert.NilError(t, err)
	return data
}

func parseFrame(t *testing.T, name string) *eventsub.Message {
	t.Helper()
	msg, err := eventsub.ParseMessage(readTestdata(t, name))
	assert.NilError(t, err)
	return msg
}

// parseTime parses an RFC 3339 timestamp the way the decoder does, so that
// the expected and decoded values compare equal.
func parseTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	assert.NilError(t, err)
	return v
}

func ptr[T any](v T) *T { return &v }

// jsonValue decodes JSON into generic values, so that two documents can be
// compared regardless of whitespace and key order.
func jsonValue(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	assert.NilError(t, json.Unmarshal(data, &v), "JSON: %s", data)
	return v
}

// payloadOf returns the "payload" object of a frame: what a webhook body of
// the same notification would be.
func payloadOf(t *testing.T, frame []byte) []byte {
	t.Helper()
	var f struct {
		Payload json.RawMessage `json:"payload"`
	}
	assert.NilError(t, json.Unmarshal(frame, &f))
	return f.Payload
}

// wantSub is the part of a subscription the notification tests check.
type wantSub struct {
	id, typ, version string
	status           helix.EventSubSubscriptionStatus
	cost             int
	method           helix.EventSubTransportMethod
	sessionID        string
	callback         string
	createdAt        string
	condition        string // JSON
}

func assertSubscription(t *testing.T, got helix.EventSubSubscription, want wantSub) {
	t.Helper()
	assert.Equal(t, got.ID, want.id)
	assert.Equal(t, got.Type, want.typ)
	assert.Equal(t, got.Version, want.version)
	assert.Equal(t, got.Status, want.status)
	assert.Equal(t, got.Cost, want.cost)
	assert.Equal(t, got.Transport.Method, want.method)
	assert.Equal(t, got.Transport.SessionID, want.sessionID)
	assert.Equal(t, got.Transport.Callback, want.callback)
	assert.Assert(t, got.Transport.ConnectedAt.IsZero())
	assert.Assert(t, got.CreatedAt.Equal(parseTime(t, want.createdAt)), "created_at %v", got.CreatedAt)
	assert.DeepEqual(t, jsonValue(t, got.Condition), jsonValue(t, []byte(want.condition)))
}

func assertMetadata(t *testing.T, got eventsub.Metadata, id string, typ eventsub.MessageType, ts, subType, subVersion string) {
	t.Helper()
	assert.DeepEqual(t, got, eventsub.Metadata{
		MessageID:           id,
		MessageType:         typ,
		MessageTimestamp:    parseTime(t, ts),
		SubscriptionType:    subType,
		SubscriptionVersion: subVersion,
	})
}

// parseNotificationFrame parses a notification frame, checks that it has
// nothing but a notification, and that ParseNotification of its payload, as
// a webhook would deliver it, decodes the same.
// typeInfo returns the TypeInfo of a notification of a type the schema knows.
func typeInfo(t *testing.T, n *eventsub.Notification) eventsub.TypeInfo {
	t.Helper()
	info, ok := n.TypeInfo()
	assert.Assert(t, ok, "%s version %s is not in the schema", n.Subscription.Type, n.Subscription.Version)
	return info
}

func parseNotificationFrame(t *testing.T, name string) *eventsub.Message {
	t.Helper()
	frame := readTestdata(t, name)
	msg, err := eventsub.ParseMessage(frame)
	assert.NilError(t, err)
	assert.Assert(t, msg.Notification != nil)
	assert.Assert(t, is.Nil(msg.Session))
	assert.Assert(t, is.Nil(msg.Revocation))

	n, err := eventsub.ParseNotification(payloadOf(t, frame))
	assert.NilError(t, err)
	assert.DeepEqual(t, n.Subscription, msg.Notification.Subscription)
	assert.DeepEqual(t, n.Event, msg.Notification.Event)
	info, known := n.TypeInfo()
	frameInfo, frameKnown := msg.Notification.TypeInfo()
	assert.Equal(t, known, frameKnown)
	assert.DeepEqual(t, info, frameInfo)
	return msg
}

func TestParseMessageSessionWelcome(t *testing.T) {
	msg := parseFrame(t, "session_welcome.json")

	assertMetadata(t, msg.Metadata, "5d1b3c2e-7a40-4f0e-9c61-2b8a4e9f0a11",
		eventsub.MessageSessionWelcome, "2025-03-14T09:26:53.538912764Z", "", "")
	assert.Assert(t, msg.Session != nil)
	assert.DeepEqual(t, *msg.Session, eventsub.Session{
		ID:                      sessionID,
		Status:                  "connected",
		ConnectedAt:             parseTime(t, "2025-03-14T09:26:53.521004187Z"),
		KeepaliveTimeoutSeconds: 25,
		ReconnectURL:            "", // null in the frame
		RecoveryURL:             "",
	})
	assert.Assert(t, is.Nil(msg.Notification))
	assert.Assert(t, is.Nil(msg.Revocation))
}

func TestParseMessageSessionKeepalive(t *testing.T) {
	msg := parseFrame(t, "session_keepalive.json")

	assertMetadata(t, msg.Metadata, "9a0f6b41-0c3e-4d2a-8f57-c1e2d3b4a596",
		eventsub.MessageSessionKeepalive, "2025-03-14T09:27:18.610223541Z", "", "")
	assert.Assert(t, is.Nil(msg.Session))
	assert.Assert(t, is.Nil(msg.Notification))
	assert.Assert(t, is.Nil(msg.Revocation))
}

func TestParseMessageSessionReconnect(t *testing.T) {
	msg := parseFrame(t, "session_reconnect.json")

	assert.Equal(t, msg.Metadata.MessageType, eventsub.MessageSessionReconnect)
	assert.Equal(t, msg.Metadata.MessageID, "e4c7a2b0-51d9-4a8e-b3f6-0d9c8b7a6e25")
	assert.Assert(t, msg.Session != nil)
	assert.Equal(t, msg.Session.ReconnectURL, "wss://eventsub.wss.twitch.tv/ws?id=a1b2c3d4-e5f6-4789-9abc-def012345678")
	assert.Equal(t, msg.Session.Status, "reconnecting")
	assert.Equal(t, msg.Session.ID, sessionID)
	assert.Equal(t, msg.Session.KeepaliveTimeoutSeconds, 0) // null in a reconnect
	assert.Assert(t, is.Nil(msg.Notification))
}

func TestParseMessageRevocation(t *testing.T) {
	msg := parseFrame(t, "revocation.json")

	assertMetadata(t, msg.Metadata, "3f8e2d1c-6b5a-4c3d-9e8f-7a6b5c4d3e2f",
		eventsub.MessageRevocation, "2025-03-14T12:40:00.118734003Z", "channel.follow", "2")
	assert.Assert(t, msg.Revocation != nil)
	assert.Equal(t, msg.Revocation.Status, helix.EventSubSubscriptionStatusAuthorizationRevoked)
	assert.Equal(t, string(msg.Revocation.Status), "authorization_revoked")
	assertSubscription(t, *msg.Revocation, wantSub{
		id: "c0ffee11-2233-4455-8899-aabbccddeeff", typ: "channel.follow", version: "2",
		status: "authorization_revoked", method: helix.EventSubTransportMethodWebSocket,
		sessionID: sessionID, createdAt: "2025-03-14T09:27:01.905117724Z",
		condition: `{"broadcaster_user_id":"70001234","moderator_user_id":"70001234"}`,
	})
	assert.Assert(t, is.Nil(msg.Notification))
	assert.Assert(t, is.Nil(msg.Session))
}

func TestParseMessageChannelFollow(t *testing.T) {
	msg := parseNotificationFrame(t, "notification_channel_follow.json")

	assertMetadata(t, msg.Metadata, "b7e1c9d2-4f3a-4e8b-a6c5-1d2e3f4a5b6c",
		eventsub.MessageNotification, "2025-03-14T09:41:12.385071264Z", "channel.follow", "2")
	n := msg.Notification
	assertSubscription(t, n.Subscription, wantSub{
		id: "c0ffee11-2233-4455-8899-aabbccddeeff", typ: "channel.follow", version: "2",
		status: helix.EventSubSubscriptionStatusEnabled, method: helix.EventSubTransportMethodWebSocket,
		sessionID: sessionID, createdAt: "2025-03-14T09:27:01.905117724Z",
		condition: `{"broadcaster_user_id":"70001234","moderator_user_id":"70005678"}`,
	})
	info, _ := eventsub.Lookup("channel.follow", "2")
	assert.DeepEqual(t, typeInfo(t, n), info)

	e, ok := n.Event.(*eventsub.ChannelFollowEvent)
	assert.Assert(t, ok, "event is %T", n.Event)
	assert.DeepEqual(t, *e, eventsub.ChannelFollowEvent{
		UserID:               "81234567",
		UserLogin:            "pixel_otter",
		UserName:             "Pixel_Otter",
		BroadcasterUserID:    "70001234",
		BroadcasterUserLogin: "moonlitgarden",
		BroadcasterUserName:  "MoonlitGarden",
		FollowedAt:           eventsub.Time{Time: parseTime(t, "2025-03-14T09:41:12.371002531Z")},
	})
	assert.Equal(t, e.FollowedAt.Nanosecond(), 371002531)
}

func TestParseMessageChannelUpdate(t *testing.T) {
	msg := parseNotificationFrame(t, "notification_channel_update.json")

	assertMetadata(t, msg.Metadata, "0a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d",
		eventsub.MessageNotification, "2025-03-14T10:05:44.902118311Z", "channel.update", "2")
	assertSubscription(t, msg.Notification.Subscription, wantSub{
		id: "d15ea5e0-1111-4222-8333-944455566677", typ: "channel.update", version: "2",
		status: helix.EventSubSubscriptionStatusEnabled, cost: 1, method: helix.EventSubTransportMethodWebSocket,
		sessionID: sessionID, createdAt: "2025-03-14T09:27:02.113400987Z",
		condition: `{"broadcaster_user_id":"70001234"}`,
	})

	e, ok := msg.Notification.Event.(*eventsub.ChannelUpdateEvent)
	assert.Assert(t, ok, "event is %T", msg.Notification.Event)
	assert.DeepEqual(t, *e, eventsub.ChannelUpdateEvent{
		BroadcasterUserID:           "70001234",
		BroadcasterUserLogin:        "moonlitgarden",
		BroadcasterUserName:         "MoonlitGarden",
		Title:                       "Speedrunning the greenhouse DLC (any%)",
		Language:                    "de",
		CategoryID:                  "493057",
		CategoryName:                "Garden Sim 3",
		ContentClassificationLabels: []string{"ProfanityVulgarity", "Gambling"},
	})
}

func TestParseMessageStreamOnline(t *testing.T) {
	msg := parseNotificationFrame(t, "notification_stream_online.json")

	assertMetadata(t, msg.Metadata, "7c6b5a49-3827-4165-9f0e-dcba98765432",
		eventsub.MessageNotification, "2025-03-14T18:00:03.250000001Z", "stream.online", "1")
	assertSubscription(t, msg.Notification.Subscription, wantSub{
		id: "5ca1ab1e-0000-4000-8000-000000000001", typ: "stream.online", version: "1",
		status: helix.EventSubSubscriptionStatusEnabled, method: helix.EventSubTransportMethodWebSocket,
		sessionID: sessionID, createdAt: "2025-03-14T09:27:02.5Z",
		condition: `{"broadcaster_user_id":"70001234"}`,
	})

	e, ok := msg.Notification.Event.(*eventsub.StreamOnlineEvent)
	assert.Assert(t, ok, "event is %T", msg.Notification.Event)
	assert.DeepEqual(t, *e, eventsub.StreamOnlineEvent{
		ID:                   "41876522213",
		BroadcasterUserID:    "70001234",
		BroadcasterUserLogin: "moonlitgarden",
		BroadcasterUserName:  "MoonlitGarden",
		Type:                 eventsub.StreamOnlineTypeLive,
		StartedAt:            eventsub.Time{Time: time.Date(2025, 3, 14, 17, 59, 58, 0, time.UTC)},
	})
}

func TestParseMessageChannelChatMessage(t *testing.T) {
	msg := parseNotificationFrame(t, "notification_channel_chat_message.json")

	assertMetadata(t, msg.Metadata, "f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9",
		eventsub.MessageNotification, "2025-03-14T18:12:30.774410052Z", "channel.chat.message", "1")
	assertSubscription(t, msg.Notification.Subscription, wantSub{
		id: "ab12cd34-ef56-4789-8abc-def012345679", typ: "channel.chat.message", version: "1",
		status: helix.EventSubSubscriptionStatusEnabled, method: helix.EventSubTransportMethodWebSocket,
		sessionID: sessionID, createdAt: "2025-03-14T09:27:03.001234567Z",
		condition: `{"broadcaster_user_id":"70001234","user_id":"70009999"}`,
	})

	e, ok := msg.Notification.Event.(*eventsub.ChannelChatMessageEvent)
	assert.Assert(t, ok, "event is %T", msg.Notification.Event)
	assert.DeepEqual(t, *e, eventsub.ChannelChatMessageEvent{
		BroadcasterUserID:    "70001234",
		BroadcasterUserName:  "MoonlitGarden",
		BroadcasterUserLogin: "moonlitgarden",
		ChatterUserID:        "81234567",
		ChatterUserName:      "Pixel_Otter",
		ChatterUserLogin:     "pixel_otter",
		MessageID:            "9e8d7c6b-5a49-4382-9170-fedcba987654",
		Message: eventsub.ChatMessage{
			Text: "@TulipTom agreed moonliGrow",
			Fragments: []eventsub.ChatMessageFragment{{
				Type: eventsub.ChatMessageFragmentTypeMention,
				Text: "@TulipTom",
				Mention: &eventsub.ChatMention{
					UserID:    "82223333",
					UserName:  "TulipTom",
					UserLogin: "tuliptom",
				},
			}, {
				Type: eventsub.ChatMessageFragmentTypeText,
				Text: " agreed ",
			}, {
				Type: eventsub.ChatMessageFragmentTypeEmote,
				Text: "moonliGrow",
				Emote: &eventsub.ChatEmote{
					ID:         "emotesv2_4c3b2a1f0e9d8c7b",
					EmoteSetID: "318204",
					OwnerID:    "70001234",
					Format:     []eventsub.ChatEmoteFormat{eventsub.ChatEmoteFormatStatic, eventsub.ChatEmoteFormatAnimated},
				},
			}},
		},
		MessageType: eventsub.ChannelChatMessageTypeText,
		Badges: []eventsub.ChatBadge{
			{SetID: "subscriber", ID: "6", Info: "7"},
			{SetID: "premium", ID: "1", Info: ""},
		},
		Cheer: nil,
		Color: "#8A2BE2",
		Reply: &eventsub.ChannelChatMessageReply{
			ParentMessageID:   "1a2b3c4d-0000-4111-8222-333344445555",
			ParentMessageBody: "who else wants the cactus run?",
			ParentUserID:      "82223333",
			ParentUserName:    "TulipTom",
			ParentUserLogin:   "tuliptom",
			ThreadMessageID:   "0f0e0d0c-aaaa-4bbb-8ccc-dddd00001111",
			ThreadUserID:      "83334444",
			ThreadUserName:    "FernFriend",
			ThreadUserLogin:   "fernfriend",
		},
	})
	// The nulls of the frame are nil, not pointers to zero values.
	assert.Assert(t, is.Nil(e.Cheer))
	assert.Assert(t, is.Nil(e.ChannelPointsCustomRewardID))
	assert.Assert(t, is.Nil(e.SourceBroadcasterUserID))
	assert.Assert(t, is.Nil(e.SourceBroadcasterUserName))
	assert.Assert(t, is.Nil(e.SourceBroadcasterUserLogin))
	assert.Assert(t, is.Nil(e.SourceMessageID))
	assert.Assert(t, is.Nil(e.SourceBadges))
	assert.Assert(t, is.Nil(e.IsSourceOnly))
}

func TestParseMessageChannelChatMessageSharedChat(t *testing.T) {
	msg := parseNotificationFrame(t, "notification_channel_chat_message_shared.json")

	assert.Equal(t, msg.Metadata.MessageID, "aa11bb22-cc33-4d44-8e55-ff6677889900")
	e, ok := msg.Notification.Event.(*eventsub.ChannelChatMessageEvent)
	assert.Assert(t, ok, "event is %T", msg.Notification.Event)
	assert.DeepEqual(t, *e, eventsub.ChannelChatMessageEvent{
		BroadcasterUserID:    "70001234",
		BroadcasterUserName:  "MoonlitGarden",
		BroadcasterUserLogin: "moonlitgarden",
		ChatterUserID:        "84445555",
		ChatterUserName:      "QuietBirch",
		ChatterUserLogin:     "quietbirch",
		MessageID:            "11112222-3333-4444-8555-666677778888",
		Message: eventsub.ChatMessage{
			Text: "hello from the other garden",
			Fragments: []eventsub.ChatMessageFragment{{
				Type: eventsub.ChatMessageFragmentTypeText,
				Text: "hello from the other garden",
			}},
		},
		MessageType:                eventsub.ChannelChatMessageTypeText,
		Badges:                     []eventsub.ChatBadge{},
		Color:                      "",
		SourceBroadcasterUserID:    ptr("70112233"),
		SourceBroadcasterUserName:  ptr("CactusCorner"),
		SourceBroadcasterUserLogin: ptr("cactuscorner"),
		SourceMessageID:            ptr("99990000-8888-4777-8666-555544443333"),
		SourceBadges:               []eventsub.ChatBadge{{SetID: "moderator", ID: "1", Info: ""}},
		IsSourceOnly:               ptr(false),
	})
	assert.Assert(t, is.Nil(e.Reply))
	assert.Assert(t, e.Badges != nil, "an empty badges array is an empty slice")
	assert.Assert(t, e.IsSourceOnly != nil && !*e.IsSourceOnly)
}

func TestParseMessageChannelModerateTimeout(t *testing.T) {
	msg := parseNotificationFrame(t, "notification_channel_moderate_timeout.json")

	assertMetadata(t, msg.Metadata, "d4c3b2a1-9f8e-47d6-b5c4-a3b2c1d0e9f8",
		eventsub.MessageNotification, "2025-03-14T18:20:45.660123987Z", "channel.moderate", "2")
	assertSubscription(t, msg.Notification.Subscription, wantSub{
		id: "0dd0dd00-1234-4567-89ab-cdef01234567", typ: "channel.moderate", version: "2",
		status: helix.EventSubSubscriptionStatusEnabled, method: helix.EventSubTransportMethodWebSocket,
		sessionID: sessionID, createdAt: "2025-03-14T09:27:04.22Z",
		condition: `{"broadcaster_user_id":"70001234","moderator_user_id":"70005678"}`,
	})

	e, ok := msg.Notification.Event.(*eventsub.ChannelModerateV2Event)
	assert.Assert(t, ok, "event is %T", msg.Notification.Event)
	// Every member other than the action's own is null in the frame and
	// must stay nil; DeepEqual against a struct that sets only Timeout
	// checks all of them.
	assert.DeepEqual(t, *e, eventsub.ChannelModerateV2Event{
		BroadcasterUserID:    "70001234",
		BroadcasterUserLogin: "moonlitgarden",
		BroadcasterUserName:  "MoonlitGarden",
		ModeratorUserID:      "70005678",
		ModeratorUserLogin:   "hedgewarden",
		ModeratorUserName:    "HedgeWarden",
		Action:               eventsub.ModerateActionTimeout,
		Timeout: &eventsub.ModerateTimeout{
			UserID:    "85556666",
			UserLogin: "weedwhacker99",
			UserName:  "WeedWhacker99",
			Reason:    ptr("spamming links"),
			ExpiresAt: eventsub.Time{Time: time.Date(2025, 3, 14, 18, 30, 45, 0, time.UTC)},
		},
	})
	assert.Assert(t, is.Nil(e.SourceBroadcasterUserID))
	assert.Assert(t, is.Nil(e.Warn))
	assert.Assert(t, is.Nil(e.Ban))
	assert.Assert(t, is.Nil(e.SharedChatTimeout))
}

func TestParseMessageChannelModerateWarn(t *testing.T) {
	msg := parseNotificationFrame(t, "notification_channel_moderate_warn.json")

	assert.Equal(t, msg.Metadata.MessageID, "e5f6a7b8-c9d0-41e2-93f4-a5b6c7d8e9f0")
	e, ok := msg.Notification.Event.(*eventsub.ChannelModerateV2Event)
	assert.Assert(t, ok, "event is %T", msg.Notification.Event)
	assert.DeepEqual(t, *e, eventsub.ChannelModerateV2Event{
		BroadcasterUserID:    "70001234",
		BroadcasterUserLogin: "moonlitgarden",
		BroadcasterUserName:  "MoonlitGarden",
		ModeratorUserID:      "70005678",
		ModeratorUserLogin:   "hedgewarden",
		ModeratorUserName:    "HedgeWarden",
		Action:               eventsub.ModerateActionWarn,
		Warn: &eventsub.ModerateWarn{
			UserID:    "86667777",
			UserLogin: "loudsprout",
			UserName:  "LoudSprout",
			Reason:    ptr("please keep spoilers out of chat"),
		},
	})
	assert.Assert(t, is.Nil(e.Warn.ChatRulesCited))
	assert.Assert(t, is.Nil(e.Timeout))
}

func wantDropEvents(t *testing.T) []eventsub.DropEntitlementGrantEvent {
	data := func(userID, userName, userLogin, entitlementID, createdAt string) eventsub.DropEntitlementGrantData {
		return eventsub.DropEntitlementGrantData{
			OrganizationID: "7a1b2c3d-4e5f-4061-8273-94a5b6c7d8e9",
			CategoryID:     "493057",
			CategoryName:   "Garden Sim 3",
			CampaignID:     "c4a7b1e2-5d3f-4a6b-8c9d-0e1f2a3b4c5d",
			UserID:         userID,
			UserName:       userName,
			UserLogin:      userLogin,
			EntitlementID:  entitlementID,
			BenefitID:      "b2000002-3333-4444-8555-666677778888",
			CreatedAt:      eventsub.Time{Time: parseTime(t, createdAt)},
		}
	}
	return []eventsub.DropEntitlementGrantEvent{{
		ID:   "bd1f9a6e-0001-4a2b-9c3d-4e5f6a7b8c9d",
		Data: data("81234567", "Pixel_Otter", "pixel_otter", "e1000001-2222-4333-8444-555566667777", "2025-03-14T19:00:01.25Z"),
	}, {
		ID:   "bd1f9a6e-0002-4a2b-9c3d-4e5f6a7b8c9d",
		Data: data("82223333", "TulipTom", "tuliptom", "e1000003-2222-4333-8444-555566667777", "2025-03-14T19:00:02.5Z"),
	}}
}

func TestParseNotificationDropEntitlementGrant(t *testing.T) {
	n, err := eventsub.ParseNotification(readTestdata(t, "webhook_drop_entitlement_grant.json"))
	assert.NilError(t, err)

	assertSubscription(t, n.Subscription, wantSub{
		id: "f00dface-aaaa-4bbb-8ccc-123456789abc", typ: "drop.entitlement.grant", version: "1",
		status: helix.EventSubSubscriptionStatusEnabled, method: helix.EventSubTransportMethodWebhook,
		callback: "https://drops.example.org/twitch/eventsub", createdAt: "2025-03-01T08:00:00Z",
		condition: `{"organization_id":"7a1b2c3d-4e5f-4061-8273-94a5b6c7d8e9","category_id":"493057","campaign_id":""}`,
	})
	info, _ := eventsub.Lookup("drop.entitlement.grant", "1")
	assert.DeepEqual(t, typeInfo(t, n), info)

	// A batched type decodes to a slice of values, not a pointer.
	events, ok := n.Event.([]eventsub.DropEntitlementGrantEvent)
	assert.Assert(t, ok, "event is %T", n.Event)
	assert.DeepEqual(t, events, wantDropEvents(t))
}

// The drop notification framed as a WebSocket message: ParseMessage must
// take the batch from payload.events as well.
func TestParseMessageDropEntitlementGrant(t *testing.T) {
	body := readTestdata(t, "webhook_drop_entitlement_grant.json")
	frame := []byte(`{"metadata":{"message_id":"0b0b0b0b-1c1c-4d2d-8e3e-4f4f4f4f4f4f","message_type":"notification",` +
		`"message_timestamp":"2025-03-14T19:00:03.5Z","subscription_type":"drop.entitlement.grant","subscription_version":"1"},` +
		`"payload":` + string(body) + `}`)

	msg, err := eventsub.ParseMessage(frame)
	assert.NilError(t, err)
	assertMetadata(t, msg.Metadata, "0b0b0b0b-1c1c-4d2d-8e3e-4f4f4f4f4f4f",
		eventsub.MessageNotification, "2025-03-14T19:00:03.5Z", "drop.entitlement.grant", "1")
	assert.Assert(t, msg.Notification != nil)
	events, ok := msg.Notification.Event.([]eventsub.DropEntitlementGrantEvent)
	assert.Assert(t, ok, "event is %T", msg.Notification.Event)
	assert.DeepEqual(t, events, wantDropEvents(t))
}

func TestParseMessageUnknownType(t *testing.T) {
	frame := readTestdata(t, "notification_unknown_type.json")
	msg := parseNotificationFrame(t, "notification_unknown_type.json")

	n := msg.Notification
	assert.Equal(t, n.Subscription.Type, "channel.future.thing")
	assert.Equal(t, n.Subscription.Version, "1")
	assert.Equal(t, n.Subscription.ID, "abcdabcd-1234-4321-8abc-abcdabcdabcd")
	_, known := n.TypeInfo()
	assert.Assert(t, !known)

	raw, ok := n.Event.(*eventsub.RawEvent)
	assert.Assert(t, ok, "event is %T", n.Event)
	var f struct {
		Payload struct {
			Event json.RawMessage `json:"event"`
		} `json:"payload"`
	}
	assert.NilError(t, json.Unmarshal(frame, &f))
	assert.Equal(t, compact(t, raw.JSON), compact(t, f.Payload.Event))
	assert.DeepEqual(t, jsonValue(t, raw.JSON), map[string]any{
		"broadcaster_user_id": "70001234",
		"gadget":              map[string]any{"name": "sprinkler", "level": float64(3)},
		"tags":                []any{"new", "shiny"},
	})
}

func compact(t *testing.T, data []byte) string {
	t.Helper()
	var buf bytes.Buffer
	assert.NilError(t, json.Compact(&buf, data))
	return buf.String()
}

// A version of a known type that the schema lacks is not decoded with the
// other version's struct.
func TestParseNotificationUnknownVersion(t *testing.T) {
	body := `{"subscription":{"id":"1e1e1e1e-2f2f-4a3a-8b4b-5c5c5c5c5c5c","status":"enabled","type":"channel.follow","version":"99",` +
		`"cost":0,"condition":{"broadcaster_user_id":"70001234"},"transport":{"method":"webhook","callback":"https://hooks.example.net/es"},` +
		`"created_at":"2025-03-14T09:00:00Z"},` +
		`"event":{"user_id":"81234567","followed_at":"2025-03-14T09:41:12Z","follow_kind":"hyper"}}`
	n, err := eventsub.ParseNotification([]byte(body))
	assert.NilError(t, err)
	assert.Equal(t, n.Subscription.Version, "99")
	_, known := n.TypeInfo()
	assert.Assert(t, !known)
	raw, ok := n.Event.(*eventsub.RawEvent)
	assert.Assert(t, ok, "event is %T", n.Event)
	assert.Equal(t, compact(t, raw.JSON), `{"user_id":"81234567","followed_at":"2025-03-14T09:41:12Z","follow_kind":"hyper"}`)
}

// An unknown batched type keeps its "events" array as the raw JSON.
func TestParseNotificationUnknownBatchedType(t *testing.T) {
	body := `{"subscription":{"id":"x1","status":"enabled","type":"drop.entitlement.grant","version":"7","cost":0,` +
		`"condition":{},"transport":{"method":"webhook"},"created_at":"2025-03-14T09:00:00Z"},` +
		`"events":[{"id":"e1","data":{"user_id":"1"}}]}`
	n, err := eventsub.ParseNotification([]byte(body))
	assert.NilError(t, err)
	raw, ok := n.Event.(*eventsub.RawEvent)
	assert.Assert(t, ok, "event is %T", n.Event)
	assert.Equal(t, compact(t, raw.JSON), `[{"id":"e1","data":{"user_id":"1"}}]`)
}

func TestParseMessageErrors(t *testing.T) {
	const meta = `"metadata":{"message_id":"m1","message_type":"notification","message_timestamp":"2025-03-14T09:00:00Z"}`
	const followSub = `"subscription":{"id":"s1","status":"enabled","type":"channel.follow","version":"2","cost":0,` +
		`"condition":{"broadcaster_user_id":"1","moderator_user_id":"1"},"transport":{"method":"websocket","session_id":"x"},` +
		`"created_at":"2025-03-14T09:00:00Z"}`
	tests := []struct {
		name  string
		frame string
		want  []string // substrings of the error
	}{{
		name:  "malformed JSON",
		frame: "{\n  \"metadata\": {\n    \"message_id\": \"m1\",\n    \"message_type\" \"notification\"\n  }\n}",
		want:  []string{"eventsub: message", "line 4, column ", `invalid character '"' after object key`},
	}, {
		name:  "truncated JSON",
		frame: `{"metadata":{"message_id":"m1"`,
		want:  []string{"eventsub: message", "line 1", "column", "unexpected end of JSON input"},
	}, {
		name:  "missing message_type",
		frame: `{"metadata":{"message_id":"m1","message_timestamp":"2025-03-14T09:00:00Z"},"payload":{}}`,
		want:  []string{"metadata.message_type is missing"},
	}, {
		name:  "welcome without session",
		frame: `{"metadata":{"message_id":"m1","message_type":"session_welcome","message_timestamp":"2025-03-14T09:00:00Z"},"payload":{}}`,
		want:  []string{"session_welcome", "payload.session is missing"},
	}, {
		name:  "reconnect with null session",
		frame: `{"metadata":{"message_id":"m1","message_type":"session_reconnect","message_timestamp":"2025-03-14T09:00:00Z"},"payload":{"session":null}}`,
		want:  []string{"session_reconnect", "payload.session is missing"},
	}, {
		name:  "revocation without subscription",
		frame: `{"metadata":{"message_id":"m1","message_type":"revocation","message_timestamp":"2025-03-14T09:00:00Z"},"payload":{}}`,
		want:  []string{"revocation", "payload.subscription is missing"},
	}, {
		name:  "notification without subscription",
		frame: `{` + meta + `,"payload":{"event":{"user_id":"1"}}}`,
		want:  []string{"notification", "payload.subscription is missing"},
	}, {
		name:  "known type without event",
		frame: `{` + meta + `,"payload":{` + followSub + `}}`,
		want:  []string{"channel.follow version 2", "payload.event is missing"},
	}, {
		name:  "known type with null event",
		frame: `{` + meta + `,"payload":{` + followSub + `,"event":null}}`,
		want:  []string{"channel.follow version 2", "payload.event is missing"},
	}, {
		name:  "batched type with event instead of events",
		frame: `{` + meta + `,"payload":{"subscription":{"type":"drop.entitlement.grant","version":"1"},"event":{"id":"e1"}}}`,
		want:  []string{"drop.entitlement.grant version 1", "payload.events is missing"},
	}, {
		name:  "string field given a number",
		frame: `{` + meta + `,"payload":{` + followSub + `,"event":{"user_id":123,"followed_at":"2025-03-14T09:00:00Z"}}}`,
		want:  []string{"channel.follow version 2", "payload.event", "payload.event.user_id", "number"},
	}, {
		name:  "batched event field of the wrong type",
		frame: `{` + meta + `,"payload":{"subscription":{"type":"drop.entitlement.grant","version":"1"},"events":[{"id":"e1","data":{"user_id":42}}]}}`,
		want:  []string{"drop.entitlement.grant version 1", "payload.events", "user_id"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := eventsub.ParseMessage([]byte(tt.frame))
			assert.Assert(t, is.Nil(msg))
			assert.Assert(t, err != nil)
			for _, w := range tt.want {
				assert.ErrorContains(t, err, w)
			}
		})
	}
}

// The column of a syntax error is that of the byte that is wrong, counted
// from 1 as editors and compilers do.
func TestSyntaxErrorColumn(t *testing.T) {
	// The stray quote is the 20th byte of line 4.
	_, err := eventsub.ParseMessage([]byte("{\n  \"metadata\": {\n    \"message_id\": \"m1\",\n    \"message_type\" \"notification\"\n  }\n}"))
	assert.ErrorContains(t, err, "line 4, column 20: invalid character")
	// The x is the 13th byte of line 2.
	_, err = eventsub.ParseNotification([]byte("{\"subscription\": {\"type\": \"channel.follow\",\n\"version\": 2x}}"))
	assert.ErrorContains(t, err, "line 2, column 13: invalid character 'x'")
	// On the first line: the comma is the 2nd byte.
	_, err = eventsub.ParseNotification([]byte(`{,}`))
	assert.ErrorContains(t, err, "line 1, column 2: invalid character ','")
}

// A timestamp of the wrong JSON type must name the field it was found in,
// like the other type errors do.
func TestParseMessageWrongTypeTimestampNamesField(t *testing.T) {
	frame := `{"metadata":{"message_id":"m1","message_type":"notification","message_timestamp":"2025-03-14T09:00:00Z"},` +
		`"payload":{"subscription":{"type":"channel.follow","version":"2"},"event":{"user_id":"1","followed_at":true}}}`
	_, err := eventsub.ParseMessage([]byte(frame))
	assert.ErrorContains(t, err, "channel.follow version 2")
	assert.ErrorContains(t, err, "followed_at")
}

func TestParseNotificationErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string
	}{{
		name: "malformed JSON",
		body: "{\"subscription\": {\"type\": \"channel.follow\",\n\"version\": 2x}}",
		want: []string{"eventsub: notification", "line 2, column ", "invalid character 'x'"},
	}, {
		name: "no subscription",
		body: `{"event":{"user_id":"1"}}`,
		want: []string{"notification", "subscription is missing"},
	}, {
		name: "known type without event",
		body: `{"subscription":{"type":"stream.online","version":"1"}}`,
		want: []string{"stream.online version 1", "event is missing"},
	}, {
		name: "int field given a string",
		body: `{"subscription":{"type":"channel.moderate","version":"2"},"event":{"action":"slow","slow":{"wait_time_seconds":"30"}}}`,
		want: []string{"channel.moderate version 2", "event", "wait_time_seconds", "string"},
	}, {
		name: "array field given an object",
		body: `{"subscription":{"type":"channel.update","version":"2"},"event":{"content_classification_labels":{"id":"Gambling"}}}`,
		want: []string{"channel.update version 2", "event.content_classification_labels"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := eventsub.ParseNotification([]byte(tt.body))
			assert.Assert(t, is.Nil(n))
			assert.Assert(t, err != nil)
			for _, w := range tt.want {
				assert.ErrorContains(t, err, w)
			}
			// Webhook bodies have no "payload." prefix to their paths.
			assert.Assert(t, !strings.Contains(err.Error(), "payload."), err.Error())
		})
	}
}

func TestNotificationCondition(t *testing.T) {
	msg := parseFrame(t, "notification_channel_follow.json")

	c, err := msg.Notification.Condition()
	assert.NilError(t, err)
	fc, ok := c.(*eventsub.ChannelFollowCondition)
	assert.Assert(t, ok, "condition is %T", c)
	assert.DeepEqual(t, *fc, eventsub.ChannelFollowCondition{
		BroadcasterUserID: "70001234",
		ModeratorUserID:   "70005678",
	})
	assert.DeepEqual(t, c.TypeInfo(), typeInfo(t, msg.Notification))
}

func TestNotificationConditionDrop(t *testing.T) {
	n, err := eventsub.ParseNotification(readTestdata(t, "webhook_drop_entitlement_grant.json"))
	assert.NilError(t, err)
	c, err := n.Condition()
	assert.NilError(t, err)
	assert.DeepEqual(t, c, &eventsub.DropEntitlementGrantCondition{
		OrganizationID: "7a1b2c3d-4e5f-4061-8273-94a5b6c7d8e9",
		CategoryID:     "493057",
	})
}

func TestNotificationConditionRawEvent(t *testing.T) {
	msg := parseFrame(t, "notification_unknown_type.json")

	c, err := msg.Notification.Condition()
	assert.Assert(t, is.Nil(c))
	assert.ErrorContains(t, err, "unknown subscription type channel.future.thing version 1")
}

func TestNotificationConditionWrongType(t *testing.T) {
	body := `{"subscription":{"type":"channel.follow","version":"2","condition":{"broadcaster_user_id":70001234}},` +
		`"event":{"user_id":"1","followed_at":"2025-03-14T09:00:00Z"}}`
	n, err := eventsub.ParseNotification([]byte(body))
	assert.NilError(t, err)
	c, err := n.Condition()
	assert.Assert(t, is.Nil(c))
	assert.ErrorContains(t, err, "channel.follow version 2: condition")
	assert.ErrorContains(t, err, "condition.broadcaster_user_id")
}

func TestLookup(t *testing.T) {
	info, ok := eventsub.Lookup("channel.follow", "2")
	assert.Assert(t, ok)
	assert.Equal(t, info.Type, "channel.follow")
	assert.Equal(t, info.Version, "2")
	assert.Equal(t, info.Status, eventsub.TypeStable)
	assert.Equal(t, info.DocURL, "https://dev.twitch.tv/docs/eventsub/eventsub-subscription-types/#channelfollow")
	assert.Assert(t, !info.Batched)
	assert.DeepEqual(t, info.Transports, []eventsub.TransportMethod{
		eventsub.TransportWebhook, eventsub.TransportWebSocket, eventsub.TransportConduit,
	})
	assert.DeepEqual(t, info.Auth, []oauth.Requirement{
		{Token: oauth.TokenApp, Scopes: [][]oauth.Scope{{oauth.ScopeModeratorReadFollowers}}},
		{Token: oauth.TokenUser, Scopes: [][]oauth.Scope{{oauth.ScopeModeratorReadFollowers}}},
	})
	assert.DeepEqual(t, info.ConditionFields, []eventsub.ConditionField{
		{Name: "broadcaster_user_id", GoName: "BroadcasterUserID", Required: true, Fill: eventsub.FillBroadcaster},
		{Name: "moderator_user_id", GoName: "ModeratorUserID", Required: true, Fill: eventsub.FillUser},
	})

	drop, ok := eventsub.Lookup("drop.entitlement.grant", "1")
	assert.Assert(t, ok)
	assert.Assert(t, drop.Batched)
	assert.DeepEqual(t, drop.Transports, []eventsub.TransportMethod{eventsub.TransportWebhook})
	assert.DeepEqual(t, drop.Auth, []oauth.Requirement{{Token: oauth.TokenApp}})
	assert.DeepEqual(t, drop.ConditionFields, []eventsub.ConditionField{
		{Name: "organization_id", GoName: "OrganizationID", Required: true},
		{Name: "category_id", GoName: "CategoryID"},
		{Name: "campaign_id", GoName: "CampaignID"},
	})

	mod, ok := eventsub.Lookup("channel.moderate", "2")
	assert.Assert(t, ok)
	assert.Equal(t, mod.Status, eventsub.TypeNew)
	assert.Equal(t, len(mod.Auth), 2)
	assert.Equal(t, len(mod.Auth[0].Scopes), 8)
	assert.DeepEqual(t, mod.Auth[0].Scopes[0], []oauth.Scope{oauth.ScopeModeratorReadBlockedTerms, oauth.ScopeModeratorManageBlockedTerms})

	for _, tv := range [][2]string{
		{"channel.future.thing", "1"},
		{"channel.follow", "1"},
		{"channel.follow", "99"},
		{"channel.follow", ""},
		{"", "2"},
		{"Channel.Follow", "2"},
	} {
		info, ok := eventsub.Lookup(tv[0], tv[1])
		assert.Assert(t, !ok, "Lookup(%q, %q)", tv[0], tv[1])
		assert.DeepEqual(t, info, eventsub.TypeInfo{})
	}
}

func TestTypes(t *testing.T) {
	types := eventsub.Types()
	var got [][2]string
	for _, ti := range types {
		got = append(got, [2]string{ti.Type, ti.Version})
	}
	// The types of the first slice of the schema, among all of them.
	assert.Equal(t, len(got), 82)
	for _, want := range [][2]string{
		{"channel.chat.message", "1"},
		{"channel.follow", "2"},
		{"channel.moderate", "2"},
		{"channel.update", "2"},
		{"drop.entitlement.grant", "1"},
		{"stream.online", "1"},
	} {
		assert.Assert(t, slices.Contains(got, want), "%v", want)
	}
	for _, ti := range types {
		info, ok := eventsub.Lookup(ti.Type, ti.Version)
		assert.Assert(t, ok)
		assert.DeepEqual(t, info, ti)
		assert.Assert(t, len(ti.ConditionFields) > 0, "%s %s has no condition fields", ti.Type, ti.Version)
	}
	assert.Assert(t, slices.IsSortedFunc(types, func(a, b eventsub.TypeInfo) int {
		return strings.Compare(a.Type, b.Type)
	}), "sorted by type")
}

func TestTypeInfoConditions(t *testing.T) {
	tests := []struct {
		typ, version string
		cond         eventsub.Condition // the generated condition, as a value
		newCond      eventsub.Condition // what NewCondition must return
	}{
		{"channel.chat.message", "1", eventsub.ChannelChatMessageCondition{}, &eventsub.ChannelChatMessageCondition{}},
		{"channel.follow", "2", eventsub.ChannelFollowCondition{}, &eventsub.ChannelFollowCondition{}},
		{"channel.moderate", "2", eventsub.ChannelModerateV2Condition{}, &eventsub.ChannelModerateV2Condition{}},
		{"channel.update", "2", eventsub.ChannelUpdateCondition{}, &eventsub.ChannelUpdateCondition{}},
		{"drop.entitlement.grant", "1", eventsub.DropEntitlementGrantCondition{}, &eventsub.DropEntitlementGrantCondition{}},
		{"stream.online", "1", eventsub.StreamOnlineCondition{}, &eventsub.StreamOnlineCondition{}},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			info, ok := eventsub.Lookup(tt.typ, tt.version)
			assert.Assert(t, ok)
			assert.DeepEqual(t, tt.cond.TypeInfo(), info)
			assert.DeepEqual(t, tt.newCond.TypeInfo(), info)

			c := info.NewCondition()
			assert.DeepEqual(t, c, tt.newCond) // a pointer to the zero condition
			assert.DeepEqual(t, c.TypeInfo(), info)
			assert.Assert(t, c != info.NewCondition(), "each call returns a new condition")
		})
	}
}

// A TypeInfo the schema does not know makes no condition.
func TestTypeInfoNewConditionUnknown(t *testing.T) {
	assert.Assert(t, is.Nil(eventsub.TypeInfo{}.NewCondition()))
	assert.Assert(t, is.Nil(eventsub.TypeInfo{Type: "channel.follow", Version: "1"}.NewCondition()))
}

// A condition built from NewCondition takes the condition's JSON.
func TestTypeInfoNewConditionDecodes(t *testing.T) {
	info, ok := eventsub.Lookup("channel.chat.message", "1")
	assert.Assert(t, ok)
	c := info.NewCondition()
	assert.NilError(t, json.Unmarshal([]byte(`{"broadcaster_user_id":"70001234","user_id":"70009999"}`), c))
	assert.DeepEqual(t, c, &eventsub.ChannelChatMessageCondition{BroadcasterUserID: "70001234", UserID: "70009999"})
}
