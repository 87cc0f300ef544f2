package schema

// The model is what Load returns: every reference resolved and every Go name
// computed once, so the generator only has to print.

// Schema is everything the schema folder describes.
type Schema struct {
	Scopes   []*Scope // sorted by Name
	EventSub EventSub
	Helix    Helix
}

// Scope is an OAuth scope.
type Scope struct {
	Name        string // "moderator:read:followers"
	GoName      string // "ScopeModeratorReadFollowers"
	Description string
}

// Auth is one way to authorize an operation or a subscription: a token of a
// kind, carrying scopes.
type Auth struct {
	TokenType   string     // "app" or "user"
	Scopes      [][]*Scope // every group must be satisfied; a group by any one of its scopes
	Description string
}

// Token types an Auth may name.
const (
	TokenApp  = "app"
	TokenUser = "user"
	TokenJWT  = "jwt" // a JSON Web Token signed by an extension's backend
)

// EventSub is the EventSub half of the schema.
type EventSub struct {
	Subscriptions []*Subscription // sorted by Type, then Version
	Objects       []*Object       // named shared objects, sorted by GoName
	Enums         []*Enum         // named enums, sorted by GoName
}

// Subscription is one EventSub subscription type in one version.
type Subscription struct {
	File        string // slash-separated, relative to the schema folder: "eventsub/channel.follow.v2.json"
	Type        string // "channel.follow"
	Version     string // "2", or "beta"
	Status      string // "stable", "new" or "beta"
	DocURL      string
	Description string
	Note        string // why a curated fact differs from Twitch's reference; not generated
	Auth        []*Auth
	Transports  []string // "webhook", "websocket", "conduit"
	// Batched is true when a notification carries an "events" array of
	// events rather than one "event" object (drop.entitlement.grant).
	Batched bool

	GoName    string  // base name: "ChannelFollow", "ChannelModerateV2"
	Condition *Object // GoName + "Condition"
	Event     *Object // GoName + "Event"
}

// Subscription statuses.
const (
	StatusStable = "stable"
	StatusNew    = "new"
	StatusBeta   = "beta"
)

// Transports a subscription may allow.
const (
	TransportWebhook   = "webhook"
	TransportWebSocket = "websocket"
	TransportConduit   = "conduit"
)

// Object is a JSON object with known fields: a named shared object, an
// inline object of a field, a condition, an event, or a Helix response.
type Object struct {
	GoName      string
	Description string
	Fields      []*Field
	File        string // the schema file that defines it
	Inline      bool   // defined by a field or an operation rather than by name
}

// Field is one member of an object, or one query parameter.
type Field struct {
	Name        string // the JSON name (or query parameter name), exactly as Twitch spells it
	GoName      string
	Description string
	Type        *Type
	Optional    bool   // may be absent
	Nullable    bool   // may be null
	Max         int    // repeated query parameters: the most values allowed, 0 for no limit
	Note        string // why a curated fact differs from Twitch's reference; not generated
	// Aliases are other JSON names Twitch's own sources use for the field
	// (the reference says one, Twitch's test tool sends another); decoding
	// accepts them, encoding writes Name.
	Aliases []string
	// Request is true for what only the caller sends: a query parameter,
	// a body field, or a member of an inline object a body defines.
	Request bool
	// Fill is, for a condition field, what a client that subscribes on
	// its own puts in it: one of the Fill constants, or "" when only the
	// caller knows the value (or it may stay empty). Always "" elsewhere.
	Fill string
}

// What a condition field is filled with when a client subscribes on its
// own, with a user token, on behalf of a channel (Field.Fill).
const (
	// FillBroadcaster is the channel the subscription watches: the token's
	// user's own channel, or another channel the client watches.
	FillBroadcaster = "broadcaster"
	// FillUser is the token's user, acting on the channel: a moderator, a
	// chat reader, the user a type is about, or the broadcaster of a type
	// only its own token can subscribe to.
	FillUser = "user"
	// FillClientID is the application's client ID.
	FillClientID = "client_id"
)

// Kind is the kind of a Type.
type Kind int

// Kinds of types. Pagination is Helix's {"cursor": ...} object, which the
// Helix runtime reads, so it is built in rather than described in the schema.
const (
	KindString Kind = iota + 1
	KindInt
	KindFloat
	KindBool
	KindTimestamp
	KindJSON
	KindObject
	KindEnum
	KindArray
	KindMap // a JSON object with arbitrary keys: map[string]Elem
	KindPagination
)

// builtinKinds are the type names of the schema that are not defined in it.
var builtinKinds = map[string]Kind{
	"string":    KindString,
	"int":       KindInt,
	"float":     KindFloat,
	"bool":      KindBool,
	"timestamp": KindTimestamp,
	// Unix seconds on the wire (a JSON number); the same Go type.
	"unix_timestamp": KindTimestamp,
	"json":           KindJSON,
	"pagination":     KindPagination,
}

// Type is the type of a field.
type Type struct {
	Kind Kind
	// Unix is true for a KindTimestamp that Twitch sends as Unix seconds,
	// a JSON number, rather than as an RFC 3339 string.
	Unix   bool
	Object *Object // KindObject
	Enum   *Enum   // KindEnum
	Elem   *Type   // KindArray, KindMap
}

// Scalar reports whether t is a single string, number, bool, timestamp or enum.
func (t *Type) Scalar() bool {
	switch t.Kind {
	case KindString, KindInt, KindFloat, KindBool, KindTimestamp, KindEnum:
		return true
	}
	return false
}

// Enum is a string type with known values. Values not listed still decode:
// Twitch adds values without notice.
type Enum struct {
	GoName      string
	Description string
	Values      []*EnumValue
	File        string
	Inline      bool
}

// EnumValue is one known value of an Enum.
type EnumValue struct {
	Value       string
	GoName      string // the constant: enum GoName + value name, "ChatMessageTypeText"
	Description string
}

// Helix is the Helix half of the schema.
type Helix struct {
	Groups     []*Group     // sorted by Name
	Operations []*Operation // every group's, sorted by GoName
	Objects    []*Object    // named objects of every group, sorted by GoName
	Enums      []*Enum      // named enums of every group, sorted by GoName
}

// Group is one Helix resource group: one file of schema/helix.
type Group struct {
	Name        string // the file name without ".json": "chat"
	File        string
	Description string
	Operations  []*Operation // in file order
	Objects     []*Object    // named objects defined in the file, in file order
	Enums       []*Enum      // named enums defined in the file, in file order
}

// Operation is one Helix endpoint.
type Operation struct {
	GoName      string // the client method: "GetUsers"
	Method      string // "GET", "POST", "PUT", "PATCH" or "DELETE"
	Path        string // below the Helix base URL: "/users"
	DocURL      string
	Description string
	Note        string // why a curated fact differs from Twitch's reference; not generated
	Auth        []*Auth
	Query       []*Field
	Body        []*Field
	// ParamGroups are rules over several parameters, checked before a
	// request is sent.
	ParamGroups []*ParamGroup
	Response    *Object // GoName + "Response"; nil when Twitch answers without a JSON body
	// ResponseType is the content type of a response that is not JSON
	// (Get Channel iCalendar answers text/calendar); the method returns
	// its bytes.
	ResponseType string
	Success      int // the HTTP status of success
	Group        *Group

	// Paginated is true when the response carries a pagination cursor and
	// the operation takes an "after" parameter to ask for the next page.
	Paginated bool
}

// ParamGroup is a rule over several optional parameters of an operation
// (query parameters or body fields) that no single parameter can state:
// "exactly one of broadcaster_id, game_id and id", "at most 100 IDs and
// logins together".
type ParamGroup struct {
	Params      []*Field
	Rule        string // one of the Rule constants, or "" when only MaxTotal applies
	MaxTotal    int    // the most values all Params may have together, 0 for no limit
	Description string
	Note        string
}

// Rules of a ParamGroup: how many of its parameters must be set.
const (
	RuleExactlyOne = "exactly_one"
	RuleAtLeastOne = "at_least_one"
	RuleAtMostOne  = "at_most_one"
)

// AllName is the Go name of the method that iterates over every item of a
// paginated operation, across pages: "GetChannelFollowersAll".
func (op *Operation) AllName() string { return op.GoName + "All" }

// Idempotent reports whether sending the request twice does no more than
// sending it once, so that a failed attempt may be retried: true for GET,
// PUT and DELETE, as HTTP defines them (RFC 9110, section 9.2.2).
func (op *Operation) Idempotent() bool {
	return op.Method == "GET" || op.Method == "PUT" || op.Method == "DELETE"
}

// ParamsName is the Go name of the operation's parameters struct.
func (op *Operation) ParamsName() string { return op.GoName + "Params" }
