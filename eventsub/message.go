package eventsub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/twitchify-go/twitch/helix"
	ijson "github.com/twitchify-go/twitch/internal/json"
)

// MessageType is the kind of a WebSocket message.
type MessageType string

// Message types.
const (
	MessageSessionWelcome   MessageType = "session_welcome"
	MessageSessionKeepalive MessageType = "session_keepalive"
	MessageSessionReconnect MessageType = "session_reconnect"
	MessageNotification     MessageType = "notification"
	MessageRevocation       MessageType = "revocation"
)

// Message is one WebSocket frame. Which of Session, Notification and
// Revocation is set follows Metadata.MessageType; a keepalive, or a message
// type this package does not know, has only Metadata.
type Message struct {
	Metadata     Metadata
	Session      *Session                    // session_welcome, session_reconnect
	Notification *Notification               // notification
	Revocation   *helix.EventSubSubscription // revocation: the subscription Twitch ended, and why in its Status
}

// Metadata is the "metadata" object of a WebSocket frame.
type Metadata struct {
	MessageID           string      `json:"message_id"`
	MessageType         MessageType `json:"message_type"`
	MessageTimestamp    time.Time   `json:"message_timestamp"`
	SubscriptionType    string      `json:"subscription_type,omitzero"`    // notification and revocation
	SubscriptionVersion string      `json:"subscription_version,omitzero"` // notification and revocation
}

// Session is the WebSocket session of a welcome or reconnect message.
type Session struct {
	ID                      string    `json:"id"`
	Status                  string    `json:"status"`
	ConnectedAt             time.Time `json:"connected_at"`
	KeepaliveTimeoutSeconds int       `json:"keepalive_timeout_seconds"` // 0 in a reconnect message
	ReconnectURL            string    `json:"reconnect_url"`             // set in a reconnect message
	RecoveryURL             string    `json:"recovery_url"`
}

// Notification is one notification: the subscription it is for and its event.
type Notification struct {
	Subscription helix.EventSubSubscription

	// Event is the decoded event: a pointer to the generated event struct
	// of the subscription's type and version (*ChannelFollowEvent, ...), a
	// slice of them for a batched type (drop.entitlement.grant), or a
	// *RawEvent when the schema does not know the type or version.
	Event any

	entry *typeEntry // nil for a RawEvent
}

// TypeInfo returns the facts of the notification's subscription type (a
// copy), and false when the schema does not know the type and version.
func (n *Notification) TypeInfo() (TypeInfo, bool) {
	if n.entry == nil {
		return TypeInfo{}, false
	}
	return n.entry.info.clone(), true
}

// Condition decodes the subscription's condition into its generated type,
// such as *ChannelFollowCondition.
func (n *Notification) Condition() (Condition, error) {
	if n.entry == nil {
		return nil, fmt.Errorf("eventsub: unknown subscription type %s version %s", n.Subscription.Type, n.Subscription.Version)
	}
	c := n.entry.newCondition()
	if err := ijson.Unmarshal(n.Subscription.Condition, c); err != nil {
		return nil, fmt.Errorf("eventsub: %s version %s: %w", n.Subscription.Type, n.Subscription.Version, ijson.Within(err, "condition"))
	}
	return c, nil
}

// RawEvent is the event of a notification whose type or version the schema
// does not know, kept as the JSON Twitch sent.
type RawEvent struct {
	JSON json.RawMessage // the "event" object, or the "events" array of a batch
}

// payload is a notification's or frame payload's JSON: the subscription
// and its event or batch of events.
type payload struct {
	Session      *Session                    `json:"session"`
	Subscription *helix.EventSubSubscription `json:"subscription"`
	Event        json.RawMessage             `json:"event"`
	Events       json.RawMessage             `json:"events"`
}

// ParseMessage decodes a WebSocket frame: its metadata and, by message type,
// its session, notification or revoked subscription. A frame in which an
// object has a key twice (as keys match fields: exactly, by case, or
// through an escape) is an error that names the object, as in
// ParseNotification.
func ParseMessage(frame []byte) (*Message, error) {
	if m, ok := parseFrameFast(frame); ok {
		return m, nil
	}
	return parseFrame(frame)
}

// parseFrameFast is ParseMessage's fast path. A notification's metadata
// names its type and version before its payload, so the frame can be
// decoded in one pass into the type's own frame struct. The decoded frame
// is checked against the peek; anything unexpected reports false, and
// takes the general path, parseFrame.
func parseFrameFast(frame []byte) (*Message, bool) {
	typ, version, ok := peekSubscription(frame)
	if !ok {
		return nil, false
	}
	e := registry[string(typ)][string(version)]
	if e == nil {
		return nil, false
	}
	return e.decodeFrame(frame, e)
}

// parseFrame is ParseMessage's general path: any frame, decoded in two
// steps (the frame with its event kept raw, then the event by its
// subscription's type), and errors that say precisely what is wrong.
func parseFrame(frame []byte) (*Message, error) {
	var f struct {
		Metadata Metadata `json:"metadata"`
		Payload  payload  `json:"payload"`
	}
	if err := ijson.Unmarshal(frame, &f); err != nil {
		return nil, fmt.Errorf("eventsub: message: %w", err)
	}
	m := &Message{Metadata: f.Metadata}
	switch f.Metadata.MessageType {
	case "":
		return nil, errors.New("eventsub: message: metadata.message_type is missing")
	case MessageSessionWelcome, MessageSessionReconnect:
		if f.Payload.Session == nil {
			return nil, fmt.Errorf("eventsub: %s message: payload.session is missing", f.Metadata.MessageType)
		}
		m.Session = f.Payload.Session
	case MessageNotification:
		n, err := newNotification(&f.Payload, "payload.")
		if err != nil {
			return nil, err
		}
		m.Notification = n
	case MessageRevocation:
		if f.Payload.Subscription == nil {
			return nil, errors.New("eventsub: revocation message: payload.subscription is missing")
		}
		m.Revocation = f.Payload.Subscription
	}
	return m, nil
}

// ParseNotification decodes a notification object, {"subscription": ...,
// "event": ...}: the body of a webhook notification, or the payload of a
// WebSocket notification frame. An object with a key twice is an error,
// at any depth.
func ParseNotification(body []byte) (*Notification, error) {
	if n, ok := parseBodyFast(body); ok {
		return n, nil
	}
	return parseBody(body)
}

// parseBodyFast is ParseNotification's fast path. Twitch writes the
// subscription first, and its type and version before its condition: the
// body can be decoded in one pass into the type's own struct, checked
// against the peek as in parseFrameFast.
func parseBodyFast(body []byte) (*Notification, bool) {
	typ, version, ok := peekBody(body)
	if !ok {
		return nil, false
	}
	e := registry[string(typ)][string(version)]
	if e == nil {
		return nil, false
	}
	return e.decodeBody(body, e)
}

// parseBody is ParseNotification's general path, as parseFrame is
// ParseMessage's.
func parseBody(body []byte) (*Notification, error) {
	var p payload
	if err := ijson.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("eventsub: notification: %w", err)
	}
	return newNotification(&p, "")
}

// newNotification decodes the event of p with its type's generated decoder.
// where prefixes JSON paths in errors.
func newNotification(p *payload, where string) (*Notification, error) {
	if p.Subscription == nil {
		return nil, fmt.Errorf("eventsub: notification: %ssubscription is missing", where)
	}
	sub := p.Subscription
	n := &Notification{Subscription: *sub}
	e := registry[sub.Type][sub.Version]
	if e == nil {
		raw := p.Event
		if raw == nil {
			raw = p.Events
		}
		n.Event = &RawEvent{JSON: raw}
		return n, nil
	}
	key, raw := "event", p.Event
	if e.info.Batched {
		key, raw = "events", p.Events
	}
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, fmt.Errorf("eventsub: %s version %s notification: %s%s is missing", sub.Type, sub.Version, where, key)
	}
	event, err := e.decode(raw)
	if err != nil {
		return nil, fmt.Errorf("eventsub: %s version %s notification: %w", sub.Type, sub.Version, ijson.Within(err, where+key))
	}
	n.Event, n.entry = event, e
	return n, nil
}

var (
	subscriptionTypeKey    = []byte(`"subscription_type"`)
	subscriptionVersionKey = []byte(`"subscription_version"`)
	typeKey                = []byte(`"type"`)
	versionKey             = []byte(`"version"`)
)

// peekSubscription finds the subscription type and version a notification
// frame's metadata names, without decoding the frame. It may be fooled by a
// frame that is not Twitch's (its result is only a guess that decodeFrame
// checks), and it never allocates.
func peekSubscription(frame []byte) (typ, version []byte, ok bool) {
	typ, ok = peekString(frame, subscriptionTypeKey)
	if !ok {
		return nil, nil, false
	}
	version, ok = peekString(frame, subscriptionVersionKey)
	return typ, version, ok
}

// peekBody finds the subscription type and version of a notification
// body, as peekSubscription does in a frame: the first "type" and
// "version" keys, which are the subscription's in what Twitch sends.
func peekBody(body []byte) (typ, version []byte, ok bool) {
	typ, ok = peekString(body, typeKey)
	if !ok {
		return nil, nil, false
	}
	version, ok = peekString(body, versionKey)
	return typ, version, ok
}

// peekString returns the string value of the first key in frame: the bytes
// between the quotes, when they hold no escape.
func peekString(frame, key []byte) ([]byte, bool) {
	i := bytes.Index(frame, key)
	if i < 0 {
		return nil, false
	}
	rest := bytes.TrimLeft(frame[i+len(key):], " \t\r\n")
	if len(rest) == 0 || rest[0] != ':' {
		return nil, false
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	if len(rest) == 0 || rest[0] != '"' {
		return nil, false
	}
	end := bytes.IndexByte(rest[1:], '"')
	if end < 0 || bytes.IndexByte(rest[1:1+end], '\\') >= 0 {
		return nil, false
	}
	return rest[1 : 1+end], true
}
