package eventsub

import (
	"slices"

	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/internal/json"
	"github.com/twitchify-go/twitch/oauth"
)

// TypeInfo is what the schema says about one subscription type in one
// version. Lookup, Types and a condition's TypeInfo method return a copy:
// changing it changes nothing else.
type TypeInfo struct {
	Type       string // "channel.follow"
	Version    string // "2", or "beta"
	Status     TypeStatus
	DocURL     string
	Auth       []oauth.Requirement // each a way to be allowed to subscribe
	Transports []TransportMethod   // the transports Twitch allows for this type
	// Batched is true when a notification carries a batch of events (an
	// "events" array) rather than one event; the subscription must be
	// created with batching enabled.
	Batched bool
	// ConditionFields are the fields of the type's condition, in the
	// order of the generated condition struct.
	ConditionFields []ConditionField
}

// ConditionField is one field of a subscription type's condition.
type ConditionField struct {
	Name     string // as Twitch spells it in JSON: "broadcaster_user_id"
	GoName   string // the field of the generated condition struct: "BroadcasterUserID"
	Required bool   // Twitch refuses a subscription whose condition leaves it empty
	// Fill says what a client that subscribes on its own, with a user
	// token, puts in the field; FillNone when only the caller knows the
	// value, or the field may stay empty.
	Fill ConditionFill
}

// ConditionFill is what a condition field holds when a client subscribes
// on its own behalf: the channel it watches, the token's user, or the
// application's client ID. The schema states it for each field of each
// type (schema/README.md, "fill").
type ConditionFill string

// What a condition field is filled with.
const (
	// FillNone marks a field that the caller must give (a reward ID, an
	// organization ID), or that may stay empty.
	FillNone ConditionFill = ""
	// FillBroadcaster is the user ID of the channel the subscription
	// watches: the token's user's own channel, or another channel the
	// client watches (broadcaster_user_id; channel.raid's
	// to_broadcaster_user_id, for raids into the channel).
	FillBroadcaster ConditionFill = "broadcaster"
	// FillUser is the user ID of the token's user, acting on the channel
	// or on its own account: the moderator (moderator_user_id), the user
	// reading chat, the user a user.* type is about (user_id), or the
	// broadcaster of a type only its own token can subscribe to
	// (channel.subscribe's broadcaster_user_id).
	FillUser ConditionFill = "user"
	// FillClientID is the application's client ID (client_id,
	// extension_client_id).
	FillClientID ConditionFill = "client_id"
)

// NewCondition returns a new, empty condition of the type, such as a
// *ChannelFollowCondition, or nil when the schema does not know the type
// and version.
func (t TypeInfo) NewCondition() Condition {
	e := registry[t.Type][t.Version]
	if e == nil {
		return nil
	}
	return e.newCondition()
}

// clone returns a copy of t that shares no memory with it.
func (t TypeInfo) clone() TypeInfo {
	t.Auth = cloneAuth(t.Auth)
	t.Transports = slices.Clone(t.Transports)
	t.ConditionFields = slices.Clone(t.ConditionFields)
	return t
}

// cloneAuth copies requirements down to their scope groups.
func cloneAuth(auth []oauth.Requirement) []oauth.Requirement {
	if auth == nil {
		return nil
	}
	out := make([]oauth.Requirement, len(auth))
	for i, r := range auth {
		out[i] = r.Clone()
	}
	return out
}

// typeEntry is the runtime's own record of a subscription type: its facts,
// which leave the package only as copies, and the generated code that
// builds its conditions and decodes its events. The generated code holds
// one per type and version; the registry, the Dispatcher and every
// Notification point at it.
type typeEntry struct {
	info         TypeInfo
	newCondition func() Condition
	decode       func(data []byte) (any, error)
	// decodeFrame decodes a whole WebSocket notification frame of this
	// type in one pass: ParseMessage's fast path.
	decodeFrame func(frame []byte, e *typeEntry) (*Message, bool)
	// decodeBody decodes a whole notification body (a webhook's) of this
	// type in one pass: ParseNotification's fast path.
	decodeBody func(body []byte, e *typeEntry) (*Notification, bool)
}

// TypeStatus is how settled a subscription type's version is at Twitch.
type TypeStatus string

// Statuses of subscription types.
const (
	TypeStable TypeStatus = "stable"
	TypeNew    TypeStatus = "new"  // recently added, otherwise stable
	TypeBeta   TypeStatus = "beta" // may change or go away without notice
)

// TransportMethod is how EventSub delivers notifications.
type TransportMethod string

// Transport methods.
const (
	TransportWebhook   TransportMethod = "webhook"
	TransportWebSocket TransportMethod = "websocket"
	TransportConduit   TransportMethod = "conduit"
)

// Condition is implemented by every generated condition struct. A condition
// is the JSON "condition" of a subscription; TypeInfo says which type and
// version it belongs to.
//
// To subscribe to a type the schema does not know yet, implement Condition
// with a struct that encodes to the condition's JSON and a TypeInfo that
// names the type and version; its notifications arrive as a *RawEvent.
type Condition interface {
	TypeInfo() TypeInfo
}

// entryOf returns the runtime's entry for cond's type and version, or nil
// when the schema does not know them.
func entryOf(cond Condition) *typeEntry {
	if c, ok := cond.(interface{ entry() *typeEntry }); ok {
		return c.entry()
	}
	info := cond.TypeInfo()
	return registry[info.Type][info.Version]
}

// Lookup returns the facts of a subscription type and version, and whether
// the schema knows it.
func Lookup(typ, version string) (TypeInfo, bool) {
	e, ok := registry[typ][version]
	if !ok {
		return TypeInfo{}, false
	}
	return e.info.clone(), true
}

// Types returns every subscription type and version the schema knows,
// sorted by type, then version.
func Types() []TypeInfo {
	out := make([]TypeInfo, len(typeEntries))
	for i, e := range typeEntries {
		out[i] = e.info.clone()
	}
	return out
}

// decodeEvent and decodeEvents are the decoders of the registry: one event
// object, or a batch of them. Errors say where in data the problem is.
func decodeEvent[T any](data []byte) (any, error) {
	v := new(T)
	if err := json.Unmarshal(data, v); err != nil {
		return nil, err
	}
	return v, nil
}

func decodeEvents[T any](data []byte) (any, error) {
	var v []T
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// notificationFrame is a whole WebSocket notification frame of one
// subscription type. Decoding the frame straight into it is one pass over
// the bytes, like decoding into a plain struct: no second pass over the
// event, no copy of it. The metadata and the subscription decode in place
// into the Message and Notification it returns, all one allocation.
type notificationFrame[E any] struct {
	Metadata *Metadata `json:"metadata"`
	Payload  struct {
		Subscription *helix.EventSubSubscription `json:"subscription"`
		Event        *E                          `json:"event"`
	} `json:"payload"`

	msg Message
	n   Notification
}

// decodeFrame is the fast path of ParseMessage for a frame whose metadata
// names e's type and version. It reports false when the frame is not
// what the peek promised or does not decode; ParseMessage then takes the
// general path, which says precisely what is wrong.
func decodeFrame[E any](frame []byte, e *typeEntry) (*Message, bool) {
	f := new(notificationFrame[E])
	f.Metadata, f.Payload.Subscription = &f.msg.Metadata, &f.n.Subscription
	if json.Unmarshal(frame, f) != nil || f.Payload.Event == nil || !matches(&f.msg.Metadata, &f.n.Subscription, &e.info) {
		return nil, false
	}
	f.n.Event, f.n.entry = f.Payload.Event, e
	f.msg.Notification = &f.n
	return &f.msg, true
}

// matches reports whether a decoded frame is a notification of info's type
// and version, by its metadata and by its subscription.
func matches(md *Metadata, sub *helix.EventSubSubscription, info *TypeInfo) bool {
	return md.MessageType == MessageNotification &&
		md.SubscriptionType == info.Type && md.SubscriptionVersion == info.Version &&
		isOf(sub, info)
}

// isOf reports whether sub is a subscription of info's type and version.
func isOf(sub *helix.EventSubSubscription, info *TypeInfo) bool {
	return sub.Type == info.Type && sub.Version == info.Version
}

// batchFrame is notificationFrame for a batched type: an "events" array.
type batchFrame[E any] struct {
	Metadata *Metadata `json:"metadata"`
	Payload  struct {
		Subscription *helix.EventSubSubscription `json:"subscription"`
		Events       []E                         `json:"events"`
	} `json:"payload"`

	msg Message
	n   Notification
}

func decodeBatchFrame[E any](frame []byte, e *typeEntry) (*Message, bool) {
	f := new(batchFrame[E])
	f.Metadata, f.Payload.Subscription = &f.msg.Metadata, &f.n.Subscription
	f.msg.Notification = &f.n
	if json.Unmarshal(frame, f) != nil || f.Payload.Events == nil || !matches(&f.msg.Metadata, &f.n.Subscription, &e.info) {
		return nil, false
	}
	f.n.Event, f.n.entry = f.Payload.Events, e
	return &f.msg, true
}

// notificationBody is a whole notification body of one subscription type:
// decodeBody decodes it in one pass, as decodeFrame does a frame, the
// subscription in place into the Notification it returns.
type notificationBody[E any] struct {
	Subscription *helix.EventSubSubscription `json:"subscription"`
	Event        *E                          `json:"event"`

	n Notification
}

// decodeBody is the fast path of ParseNotification for a body whose first
// "type" and "version" name e's. It reports false when the body is not
// what the peek promised or does not decode; ParseNotification then takes
// the general path, which says precisely what is wrong.
func decodeBody[E any](body []byte, e *typeEntry) (*Notification, bool) {
	f := new(notificationBody[E])
	f.Subscription = &f.n.Subscription
	if json.Unmarshal(body, f) != nil || f.Event == nil || !isOf(&f.n.Subscription, &e.info) {
		return nil, false
	}
	f.n.Event, f.n.entry = f.Event, e
	return &f.n, true
}

// batchBody is notificationBody for a batched type: an "events" array.
type batchBody[E any] struct {
	Subscription *helix.EventSubSubscription `json:"subscription"`
	Events       []E                         `json:"events"`

	n Notification
}

func decodeBatchBody[E any](body []byte, e *typeEntry) (*Notification, bool) {
	f := new(batchBody[E])
	f.Subscription = &f.n.Subscription
	if json.Unmarshal(body, f) != nil || f.Events == nil || !isOf(&f.n.Subscription, &e.info) {
		return nil, false
	}
	f.n.Event, f.n.entry = f.Events, e
	return &f.n, true
}
