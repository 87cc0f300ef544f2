package oauth_test

import (
	"slices"
	"testing"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/twitchify-go/twitch/oauth"
)

// moderate is shaped like channel.moderate's requirement: groups of
// alternatives, then groups of one.
var moderate = oauth.Requirement{
	Token: oauth.TokenUser,
	Scopes: [][]oauth.Scope{
		{oauth.ScopeModeratorReadBlockedTerms, oauth.ScopeModeratorManageBlockedTerms},
		{oauth.ScopeModeratorReadChatSettings, oauth.ScopeModeratorManageChatSettings},
		{oauth.ScopeModeratorReadModerators},
		{oauth.ScopeModeratorReadVIPs},
	},
}

func TestRequirementMissing(t *testing.T) {
	tests := []struct {
		name    string
		req     oauth.Requirement
		granted []oauth.Scope
		want    [][]oauth.Scope
	}{{
		name:    "single scope granted",
		req:     oauth.Requirement{Token: oauth.TokenUser, Scopes: [][]oauth.Scope{{oauth.ScopeUserReadChat}}},
		granted: []oauth.Scope{oauth.ScopeUserReadChat},
		want:    nil,
	}, {
		name:    "single scope among others",
		req:     oauth.Requirement{Token: oauth.TokenUser, Scopes: [][]oauth.Scope{{oauth.ScopeUserReadChat}}},
		granted: []oauth.Scope{oauth.ScopeChatRead, oauth.ScopeUserReadChat, oauth.ScopeUserBot},
		want:    nil,
	}, {
		name:    "single scope not granted",
		req:     oauth.Requirement{Token: oauth.TokenUser, Scopes: [][]oauth.Scope{{oauth.ScopeUserReadChat}}},
		granted: []oauth.Scope{oauth.ScopeChatRead},
		want:    [][]oauth.Scope{{oauth.ScopeUserReadChat}},
	}, {
		name: "all groups satisfied by first alternatives",
		req:  moderate,
		granted: []oauth.Scope{
			oauth.ScopeModeratorReadVIPs, oauth.ScopeModeratorReadModerators,
			oauth.ScopeModeratorReadChatSettings, oauth.ScopeModeratorReadBlockedTerms,
		},
		want: nil,
	}, {
		name: "one-of groups satisfied by the other member",
		req:  moderate,
		granted: []oauth.Scope{
			oauth.ScopeModeratorManageBlockedTerms, oauth.ScopeModeratorManageChatSettings,
			oauth.ScopeModeratorReadModerators, oauth.ScopeModeratorReadVIPs,
		},
		want: nil,
	}, {
		name: "both members of a group is fine too",
		req:  moderate,
		granted: []oauth.Scope{
			oauth.ScopeModeratorReadBlockedTerms, oauth.ScopeModeratorManageBlockedTerms,
			oauth.ScopeModeratorManageChatSettings, oauth.ScopeModeratorReadModerators, oauth.ScopeModeratorReadVIPs,
		},
		want: nil,
	}, {
		name:    "missing groups in the requirement's order",
		req:     moderate,
		granted: []oauth.Scope{oauth.ScopeModeratorManageChatSettings, oauth.ScopeUserBot},
		want: [][]oauth.Scope{
			{oauth.ScopeModeratorReadBlockedTerms, oauth.ScopeModeratorManageBlockedTerms},
			{oauth.ScopeModeratorReadModerators},
			{oauth.ScopeModeratorReadVIPs},
		},
	}, {
		name:    "nothing granted",
		req:     moderate,
		granted: nil,
		want:    moderate.Scopes,
	}, {
		name:    "no scopes needed, none granted",
		req:     oauth.Requirement{Token: oauth.TokenApp},
		granted: nil,
		want:    nil,
	}, {
		name:    "no scopes needed, some granted",
		req:     oauth.Requirement{Token: oauth.TokenApp},
		granted: []oauth.Scope{oauth.ScopeUserBot},
		want:    nil,
	}, {
		name:    "empty groups list",
		req:     oauth.Requirement{Token: oauth.TokenUser, Scopes: [][]oauth.Scope{}},
		granted: []oauth.Scope{oauth.ScopeUserBot},
		want:    nil,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.req.Missing(tt.granted)
			assert.DeepEqual(t, got, tt.want)
			if tt.want == nil {
				// nil, not an empty slice, so callers can test got == nil.
				assert.Assert(t, got == nil, "got %#v", got)
			}
		})
	}
}

// Missing does not change the requirement or the granted scopes.
func TestRequirementMissingDoesNotMutate(t *testing.T) {
	req := oauth.Requirement{
		Token:  oauth.TokenApp,
		Scopes: [][]oauth.Scope{{oauth.ScopeUserReadChat}, {oauth.ScopeUserBot, oauth.ScopeChannelBot}},
	}
	granted := []oauth.Scope{oauth.ScopeChannelBot}
	missing := req.Missing(granted)
	assert.DeepEqual(t, missing, [][]oauth.Scope{{oauth.ScopeUserReadChat}})
	assert.DeepEqual(t, req.Scopes, [][]oauth.Scope{{oauth.ScopeUserReadChat}, {oauth.ScopeUserBot, oauth.ScopeChannelBot}})
	assert.DeepEqual(t, granted, []oauth.Scope{oauth.ScopeChannelBot})
}

func TestAllScopes(t *testing.T) {
	all := oauth.AllScopes()
	assert.Equal(t, len(all), 81)
	assert.Assert(t, slices.IsSorted(all), "AllScopes is not sorted: %v", all)
	assert.Equal(t, len(slices.Compact(slices.Clone(all))), len(all), "duplicates")

	assert.Equal(t, oauth.ScopeUserReadChat, oauth.Scope("user:read:chat"))
	assert.Assert(t, is.Contains(all, oauth.ScopeUserReadChat))
	assert.Assert(t, is.Contains(all, oauth.ScopeModeratorReadFollowers))
	assert.Equal(t, all[0], oauth.ScopeAnalyticsReadExtensions)
	assert.Equal(t, all[len(all)-1], oauth.ScopeWhispersRead)
	assert.Equal(t, string(oauth.ScopeChannelManageVIPs), "channel:manage:vips")

	// Every scope the eventsub and helix requirements use is among them;
	// here a few spelled out as Twitch writes them.
	for _, s := range []string{
		"moderator:read:followers", "user:write:chat", "user:bot", "channel:bot",
		"channel:edit:commercial", "channel:manage:broadcast", "moderator:manage:automod_settings",
	} {
		assert.Assert(t, slices.Contains(all, oauth.Scope(s)), "%s not in AllScopes", s)
	}

	// Each call returns a fresh slice.
	all[0] = "tampered"
	assert.Equal(t, oauth.AllScopes()[0], oauth.ScopeAnalyticsReadExtensions)
}

// A Requirement's clone shares nothing with it, down to the scope groups.
func TestRequirementClone(t *testing.T) {
	r := oauth.Requirement{Token: oauth.TokenUser, Scopes: [][]oauth.Scope{{oauth.ScopeChatRead, oauth.ScopeUserReadChat}}}
	c := r.Clone()
	assert.DeepEqual(t, c, r)
	c.Scopes[0][0] = oauth.ScopeUserBot
	c.Scopes[0] = append(c.Scopes[0], oauth.ScopeUserWriteChat)
	assert.DeepEqual(t, r.Scopes, [][]oauth.Scope{{oauth.ScopeChatRead, oauth.ScopeUserReadChat}})
	assert.DeepEqual(t, oauth.Requirement{Token: oauth.TokenApp}.Clone(), oauth.Requirement{Token: oauth.TokenApp})
}
