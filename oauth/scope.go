package oauth

import "slices"

// Scope is an OAuth scope, such as ScopeModeratorReadFollowers.
type Scope string

// TokenType is the kind of access token a call or subscription takes.
type TokenType string

// Token types.
const (
	TokenApp  TokenType = "app"  // an app access token, from the client credentials flow
	TokenUser TokenType = "user" // a user access token, granted by a user
	TokenJWT  TokenType = "jwt"  // a JSON Web Token signed by an extension's backend service
)

// Requirement is one way to be allowed to make a call or a subscription: a
// token of type Token that carries Scopes. Scopes is a list of groups: every
// group must be satisfied, and a group is satisfied by any one of its scopes.
// A Requirement without scopes needs only the token.
type Requirement struct {
	Token  TokenType
	Scopes [][]Scope
}

// Clone returns a copy of r that shares no memory with it, down to its
// scope groups.
func (r Requirement) Clone() Requirement {
	if r.Scopes != nil {
		groups := make([][]Scope, len(r.Scopes))
		for i, g := range r.Scopes {
			groups[i] = slices.Clone(g)
		}
		r.Scopes = groups
	}
	return r
}

// Missing returns the groups of r that granted does not satisfy, in order;
// it returns nil when granted is enough.
func (r Requirement) Missing(granted []Scope) [][]Scope {
	have := make(map[Scope]bool, len(granted))
	for _, s := range granted {
		have[s] = true
	}
	var missing [][]Scope
	for _, group := range r.Scopes {
		ok := false
		for _, s := range group {
			ok = ok || have[s]
		}
		if !ok {
			missing = append(missing, group)
		}
	}
	return missing
}

// Check says whether a token of type token that carries granted may make a
// call or subscription that accepts reqs (an Operation's or a TypeInfo's
// Auth): it returns the scope groups the token lacks, and false when reqs
// accept no token of that type at all. A nil result with true means the
// token is enough.
func Check(reqs []Requirement, token TokenType, granted []Scope) (missing [][]Scope, accepted bool) {
	for _, r := range reqs {
		if r.Token == token {
			return r.Missing(granted), true
		}
	}
	return nil, false
}
