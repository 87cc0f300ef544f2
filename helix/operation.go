package helix

import (
	"slices"
	"strings"

	"github.com/twitchify-go/twitch/oauth"
)

// Operation is what the schema says about one Helix endpoint. Operations
// and LookupOperation return copies: changing one changes nothing else,
// and the client never reads them.
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

// Operations returns every operation of the schema, sorted by name. The
// result is the caller's own, down to the last slice.
func Operations() []Operation {
	out := make([]Operation, len(operations))
	for i, op := range operations {
		out[i] = op.clone()
	}
	return out
}

// LookupOperation returns the operation named name (the Client method,
// "GetUsers"), as a copy; false if the schema has none of that name.
func LookupOperation(name string) (Operation, bool) {
	i, found := slices.BinarySearchFunc(operations, name, func(op *Operation, name string) int {
		return strings.Compare(op.Name, name)
	})
	if !found {
		return Operation{}, false
	}
	return operations[i].clone(), true
}

// clone returns a deep copy of op: the generated tables the client sends
// requests from stay out of callers' reach.
func (op *Operation) clone() Operation {
	c := *op
	c.Auth = cloneAuth(op.Auth)
	if op.ParamGroups != nil {
		c.ParamGroups = make([]ParamGroup, len(op.ParamGroups))
		for i, g := range op.ParamGroups {
			g.Params = slices.Clone(g.Params)
			c.ParamGroups[i] = g
		}
	}
	return c
}

// cloneAuth returns a deep copy of reqs.
func cloneAuth(reqs []oauth.Requirement) []oauth.Requirement {
	if reqs == nil {
		return nil
	}
	out := make([]oauth.Requirement, len(reqs))
	for i, r := range reqs {
		out[i] = r.Clone()
	}
	return out
}

// Pagination is the cursor of a paginated answer. Cursor is empty on the
// last page; pass it as the After parameter to get the next one.
type Pagination struct {
	Cursor string `json:"cursor,omitzero"`
}
