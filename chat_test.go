package twitch_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"testing/synctest"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch"
	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/twitchtest"
)

// readyBot is a bot of the fake's user with a token for following and
// chatting, run until it is ready.
func readyBot(t *testing.T, srv *twitchtest.Server, opts ...twitch.Option) *bot {
	t.Helper()
	srv.OAuth.AddToken("chat", twitchtest.TokenInfo{ClientID: clientID, UserID: userID, Login: login, Scopes: followScopes})
	b := newBot(t, srv, append([]twitch.Option{twitch.WithToken("chat", "")}, opts...)...)
	b.OnChannelFollow(func(context.Context, *eventsub.ChannelFollowEvent) {})
	b.start(t)
	b.waitReady(t)
	return b
}

// chatBodies are the bodies of the Send Chat Message requests the fake got.
func chatBodies(t *testing.T, srv *twitchtest.Server) []map[string]string {
	t.Helper()
	var out []map[string]string
	for _, r := range srv.Helix.Requests() {
		if r.Operation == "SendChatMessage" {
			var body map[string]string
			assert.NilError(t, json.Unmarshal(r.Body, &body))
			out = append(out, body)
		}
	}
	return out
}

func TestChat(t *testing.T) {
	srv := newFake(t)
	synctest.Test(t, func(t *testing.T) {
		b := readyBot(t, srv)
		ctx := context.Background()
		assert.NilError(t, b.SendChatMessage(ctx, "hello"))
		assert.NilError(t, b.SendChatMessageTo(ctx, "1003", "hello there"))
		assert.NilError(t, b.Reply(ctx, &eventsub.ChannelChatMessageEvent{BroadcasterUserID: "1003", MessageID: "m-1"}, "hi back"))
		assert.DeepEqual(t, chatBodies(t, srv), []map[string]string{
			{"broadcaster_id": userID, "sender_id": userID, "message": "hello"},
			{"broadcaster_id": "1003", "sender_id": userID, "message": "hello there"},
			{"broadcaster_id": "1003", "sender_id": userID, "message": "hi back", "reply_parent_message_id": "m-1"},
		})
	})
}

// Twitch counts characters, not bytes: 500 two-byte characters go, 501
// are refused before anything is sent.
func TestChatMessageTooLong(t *testing.T) {
	srv := newFake(t)
	synctest.Test(t, func(t *testing.T) {
		b := readyBot(t, srv)
		ctx := context.Background()
		assert.NilError(t, b.SendChatMessage(ctx, strings.Repeat("é", 500)))
		err := b.SendChatMessage(ctx, strings.Repeat("é", 501))
		assert.Assert(t, errors.Is(err, twitch.ErrChatMessageTooLong), "%v", err)
		assert.Error(t, err, "twitch: SendChatMessage: the message is 501 characters long, and Twitch takes at most 500: twitch: chat message too long")
		assert.Equal(t, len(chatBodies(t, srv)), 1, "the long one was not sent")
		assert.Error(t, b.SendChatMessage(ctx, ""), "twitch: SendChatMessage: the message is empty")
	})
}

// A message Twitch accepts but drops (is_sent false) is an error with
// Twitch's code and message.
func TestChatMessageDropped(t *testing.T) {
	srv := newFake(t)
	assert.NilError(t, srv.Helix.SetData("SendChatMessage", helix.SentChatMessage{
		MessageID:  "",
		IsSent:     false,
		DropReason: &helix.ChatMessageDropReason{Code: "msg_duplicate", Message: "Your message is identical to the one you sent within the last 30 seconds."},
	}))
	synctest.Test(t, func(t *testing.T) {
		b := readyBot(t, srv)
		err := b.SendChatMessage(context.Background(), "again")
		var dropped *twitch.ChatMessageDroppedError
		assert.Assert(t, errors.As(err, &dropped), "%v", err)
		assert.DeepEqual(t, *dropped, twitch.ChatMessageDroppedError{
			BroadcasterID: userID, Code: "msg_duplicate", Message: "Your message is identical to the one you sent within the last 30 seconds.",
		})
		assert.Error(t, err, "twitch: SendChatMessage: Twitch dropped the message to channel 141981764: "+
			"Your message is identical to the one you sent within the last 30 seconds. (msg_duplicate)")
	})
}

// Before Run has a token, Helix calls and chat fail with ErrNoToken.
func TestNoTokenBeforeRun(t *testing.T) {
	srv := newFake(t)
	c := twitch.New(clientID, twitch.WithEndpoints(srv.Endpoints()), twitch.WithHTTPClient(srv.Client()))
	_, err := c.Helix().GetUsers(context.Background(), nil)
	assert.Assert(t, errors.Is(err, twitch.ErrNoToken), "%v", err)
	err = c.SendChatMessage(context.Background(), "hi")
	assert.Assert(t, errors.Is(err, twitch.ErrNoToken), "%v", err)
	assert.Equal(t, len(srv.Helix.Requests()), 0)
}
