package eventsub

import (
	"encoding/json"
	"slices"

	"github.com/twitchify-go/twitch/internal/jsonerr"
	"github.com/twitchify-go/twitch/oauth"
)

// TypeInfo is what the schema says about one subscription type in one
// version. The generated code holds one per type and version; treat it as
// read-only.
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

	newCondition func() Condition
	decode       func(data []byte) (any, error)
}

// NewCondition returns a new, empty condition of the type, such as a
// *ChannelFollowCondition.
func (t *TypeInfo) NewCondition() Condition { return t.newCondition() }

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
type Condition interface {
	TypeInfo() *TypeInfo
}

type typeVersion struct{ typ, version string }

// Lookup returns the facts of a subscription type and version, and whether
// the schema knows it.
func Lookup(typ, version string) (*TypeInfo, bool) {
	t, ok := registry[typeVersion{typ, version}]
	return t, ok
}

// Types returns every subscription type and version the schema knows,
// sorted by type, then version.
func Types() []*TypeInfo { return slices.Clone(typeInfos) }

// decodeEvent and decodeEvents are the decoders of the registry: one event
// object, or a batch of them. Errors say where in data the problem is.
func decodeEvent[T any](data []byte) (any, error) {
	v := new(T)
	if err := json.Unmarshal(data, v); err != nil {
		return nil, jsonerr.Describe(data, v, err)
	}
	return v, nil
}

func decodeEvents[T any](data []byte) (any, error) {
	var v []T
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, jsonerr.Describe(data, &v, err)
	}
	return v, nil
}
