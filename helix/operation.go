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
}

// Operations returns every operation of the schema, sorted by name.
func Operations() []*Operation { return slices.Clone(operations) }

// Pagination is the cursor of a paginated answer. Cursor is empty on the
// last page; pass it as the After parameter to get the next one.
type Pagination struct {
	Cursor string `json:"cursor,omitzero"`
}
