package helix

import (
	"slices"

	"github.com/twitchify-go/twitch/oauth"
)

// Operation is what the schema says about one Helix endpoint. The generated
// code holds one per operation; treat it as read-only.
type Operation struct {
	Name      string // the Client method: "GetUsers"
	Method    string // "GET", "POST", ...
	Path      string // below the base URL: "/users"
	Success   int    // the status of success
	DocURL    string
	Auth      []oauth.Requirement // each a way to be allowed to call it
	Paginated bool                // the answer has a cursor; "after" asks for the next page

	// Idempotent is true when sending the request twice does no more than
	// sending it once (GET, PUT and DELETE): only these are retried after
	// a server error or a broken connection.
	Idempotent bool

	// ParamGroups are rules over several parameters, checked before the
	// request is sent.
	ParamGroups []ParamGroup
}

// ParamGroup is a rule over several optional parameters, named as Twitch
// names them: "exactly one of broadcaster_id, game_id and id".
type ParamGroup struct {
	Params   []string
	Rule     Rule // "" when only MaxTotal applies
	MaxTotal int  // the most values Params may have together; 0 for no limit
}

// Rule says how many parameters of a ParamGroup must be set.
type Rule string

// Rules of a ParamGroup.
const (
	RuleExactlyOne Rule = "exactly_one"
	RuleAtLeastOne Rule = "at_least_one"
	RuleAtMostOne  Rule = "at_most_one"
)

// Operations returns every operation of the schema, sorted by name.
func Operations() []*Operation { return slices.Clone(operations) }

// Pagination is the cursor of a paginated answer. Cursor is empty on the
// last page; pass it as the After parameter to get the next one.
type Pagination struct {
	Cursor string `json:"cursor,omitzero"`
}
