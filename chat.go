package twitch

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
)

// maxChatMessage is the most characters Twitch takes in a chat message.
// Twitch counts characters (Unicode code points), as utf8.RuneCountInString
// does, not bytes.
const maxChatMessage = 500

// SendChatMessage sends text to the chat of the token's user's own
// channel, as that user. The token needs user:write:chat (WithScopes).
//
// Text longer than Twitch takes (500 characters) is refused before
// anything is sent (ErrChatMessageTooLong). A message Twitch accepts but
// does not send (AutoMod, the channel's settings, a duplicate) is a
// *ChatMessageDroppedError with Twitch's reason.
func (c *Client) SendChatMessage(ctx context.Context, text string) error {
	return c.sendChat(ctx, "", text, "")
}

// SendChatMessageTo sends text to the chat of the channel broadcasterID,
// as the token's user, who must be allowed to chat there. See
// SendChatMessage.
func (c *Client) SendChatMessageTo(ctx context.Context, broadcasterID, text string) error {
	if broadcasterID == "" {
		return errors.New("twitch: SendChatMessage: the broadcaster ID is empty")
	}
	return c.sendChat(ctx, broadcasterID, text, "")
}

// Reply answers a chat message in its channel's chat, as a reply to it.
// See SendChatMessage.
func (c *Client) Reply(ctx context.Context, msg *eventsub.ChannelChatMessageEvent, text string) error {
	if msg == nil || msg.BroadcasterUserID == "" || msg.MessageID == "" {
		return errors.New("twitch: Reply: the message to reply to has no channel or no message ID")
	}
	return c.sendChat(ctx, msg.BroadcasterUserID, text, msg.MessageID)
}

func (c *Client) sendChat(ctx context.Context, broadcasterID, text, replyTo string) error {
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		return errors.New("twitch: SendChatMessage: the message is empty")
	case n > maxChatMessage:
		return fmt.Errorf("twitch: SendChatMessage: the message is %d characters long, and Twitch takes at most %d: %w", n, maxChatMessage, ErrChatMessageTooLong)
	}
	me := c.User()
	if me.ID == "" {
		return fmt.Errorf("twitch: SendChatMessage: the client does not know its user yet: %w", ErrNoToken)
	}
	if broadcasterID == "" {
		broadcasterID = me.ID
	}
	res, err := c.helix.SendChatMessage(ctx, &helix.SendChatMessageParams{
		BroadcasterID:        broadcasterID,
		SenderID:             me.ID,
		Message:              text,
		ReplyParentMessageID: replyTo,
	})
	if err != nil {
		return fmt.Errorf("twitch: %w", err)
	}
	if len(res.Data) == 0 {
		return errors.New("twitch: SendChatMessage: Twitch answered without the message's status")
	}
	if m := res.Data[0]; !m.IsSent {
		e := &ChatMessageDroppedError{BroadcasterID: broadcasterID}
		if m.DropReason != nil {
			e.Code, e.Message = m.DropReason.Code, m.DropReason.Message
		}
		return e
	}
	return nil
}
