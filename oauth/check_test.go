package oauth_test

import (
	"testing"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/oauth"
)

func TestCheck(t *testing.T) {
	reqs := []oauth.Requirement{
		{Token: oauth.TokenUser, Scopes: [][]oauth.Scope{{oauth.ScopeUserWriteChat}}},
		{Token: oauth.TokenApp, Scopes: [][]oauth.Scope{{oauth.ScopeUserWriteChat}, {oauth.ScopeUserBot}}},
	}

	missing, ok := oauth.Check(reqs, oauth.TokenUser, []oauth.Scope{oauth.ScopeUserWriteChat})
	assert.Assert(t, ok)
	assert.Assert(t, missing == nil)

	missing, ok = oauth.Check(reqs, oauth.TokenApp, []oauth.Scope{oauth.ScopeUserWriteChat})
	assert.Assert(t, ok)
	assert.DeepEqual(t, missing, [][]oauth.Scope{{oauth.ScopeUserBot}})

	missing, ok = oauth.Check(reqs, oauth.TokenJWT, nil)
	assert.Assert(t, !ok, "no requirement accepts a JWT")
	assert.Assert(t, missing == nil)
}
