package eventsub_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/oauth"
	"github.com/twitchify-go/twitch/twitchtest"
)

// scribble changes everything that can be changed through a TypeInfo: its
// fields, and the elements of its slices down to the scope groups.
func scribble(info *eventsub.TypeInfo) {
	info.Type, info.Version, info.Status, info.DocURL = "x.y", "9", eventsub.TypeBeta, "https://example.com"
	info.Batched = !info.Batched
	for i := range info.Auth {
		info.Auth[i].Token = oauth.TokenJWT
		for j := range info.Auth[i].Scopes {
			for k := range info.Auth[i].Scopes[j] {
				info.Auth[i].Scopes[j][k] = "scribbled"
			}
		}
	}
	for i := range info.Transports {
		info.Transports[i] = eventsub.TransportWebSocket
	}
	for i := range info.ConditionFields {
		info.ConditionFields[i] = eventsub.ConditionField{Name: "scribbled"}
	}
}

// What the package hands out is the caller's own: changing all of it
// changes no Lookup, no subscription's checks or request, and no dispatch.
func TestMetadataCannotBeChanged(t *testing.T) {
	ctx := context.Background()
	before := eventsub.Types()

	// Everything the package returns, scribbled over.
	for i := range before {
		info := eventsub.Types()[i]
		scribble(&info)
		again, _ := eventsub.Lookup(before[i].Type, before[i].Version)
		scribble(&again)
	}
	follow := followCondition("1").TypeInfo()
	scribble(&follow)
	drop := eventsub.DropEntitlementGrantCondition{}.TypeInfo()
	scribble(&drop)
	n := parseFrame(t, "notification_channel_follow.json").Notification
	fromNotification, _ := n.TypeInfo()
	scribble(&fromNotification)

	// Lookup and Types answer as before.
	assert.DeepEqual(t, eventsub.Types(), before)
	for _, info := range before {
		got, ok := eventsub.Lookup(info.Type, info.Version)
		assert.Assert(t, ok)
		assert.DeepEqual(t, got, info)
	}

	// The checks of Subscribe still know the required fields and the
	// transports, and what is sent names the type and version.
	var ise *eventsub.InvalidSubscriptionError
	hs := start(t, nil, func(c *eventsub.Client) {
		assert.Assert(t, errors.As(c.Subscribe(ctx, &eventsub.ChannelFollowCondition{BroadcasterUserID: "1"}), &ise))
		assert.Equal(t, ise.Field, "moderator_user_id")
		assert.Assert(t, errors.As(c.Subscribe(ctx, &eventsub.DropEntitlementGrantCondition{OrganizationID: "o"}), &ise))
		assert.NilError(t, c.Subscribe(ctx, followCondition("1")))
	})
	wait(t, hs.ev.ready, "ready")
	sub := hs.onlySubscription(t)
	assert.Equal(t, sub.Type, "channel.follow")
	assert.Equal(t, sub.Version, "2")

	// A refusal's scopes are its own too.
	forbidden := twitchtest.Fault{Status: http.StatusForbidden}
	assert.NilError(t, hs.srv.Helix.FailNext("CreateEventSubSubscription", forbidden, forbidden))
	var se *eventsub.SubscriptionError
	assert.Assert(t, errors.As(hs.client.Subscribe(ctx, followCondition("2")), &se))
	se.Scopes[0][0] = "scribbled"
	assert.Assert(t, errors.As(hs.client.Subscribe(ctx, followCondition("3")), &se))
	assert.DeepEqual(t, se.Scopes, [][]oauth.Scope{{oauth.ScopeModeratorReadFollowers}})

	// Dispatch reaches the typed handler, and the notification's facts are
	// the schema's.
	var d eventsub.Dispatcher
	got := make(chan string, 1)
	d.OnChannelFollow(func(_ context.Context, e *eventsub.ChannelFollowEvent) { got <- e.UserID })
	n = parseFrame(t, "notification_channel_follow.json").Notification
	d.Dispatch(ctx, n)
	assert.Equal(t, wait(t, got, "the event"), "81234567")
	info, ok := n.TypeInfo()
	assert.Assert(t, ok)
	want, _ := eventsub.Lookup("channel.follow", "2")
	assert.DeepEqual(t, info, want)
}
