package twitch_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch"
	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/oauth"
	"github.com/twitchify-go/twitch/twitchtest"
)

// subscribable reports whether Run can subscribe to info's type by itself,
// as the schema's facts say: over a WebSocket, with a user token, every
// required condition field filled.
func subscribable(info eventsub.TypeInfo) bool {
	if !slices.Contains(info.Transports, eventsub.TransportWebSocket) {
		return false
	}
	user := false
	for _, r := range info.Auth {
		user = user || r.Token == oauth.TokenUser
	}
	for _, f := range info.ConditionFields {
		if f.Required && f.Fill == eventsub.FillNone {
			return false
		}
	}
	return user
}

// everyScope is every scope any type's user token needs.
func everyScope() []string {
	var out []string
	for _, info := range eventsub.Types() {
		for _, r := range info.Auth {
			if r.Token != oauth.TokenUser {
				continue
			}
			for _, g := range r.Scopes {
				for _, s := range g {
					if !slices.Contains(out, string(s)) {
						out = append(out, string(s))
					}
				}
			}
		}
	}
	return out
}

// Run subscribes every type the schema can fill, for the own channel and
// another one (WithChannels, by login), with each field filled as the
// schema says: the channel, the token's user, the client ID. A type whose
// only user field is the token's user is subscribed once.
func TestAutoSubscribeEveryType(t *testing.T) {
	const otherID, otherLogin = "1002", "otherchannel"
	srv := newFake(t)
	srv.OAuth.AddToken("all", twitchtest.TokenInfo{ClientID: clientID, UserID: userID, Login: login, Scopes: everyScope()})
	assert.NilError(t, srv.Helix.SetData("GetUsers", map[string]string{"id": otherID, "login": otherLogin}))
	var types []eventsub.TypeInfo
	for _, info := range eventsub.Types() {
		if subscribable(info) {
			types = append(types, info)
		}
	}
	assert.Equal(t, len(types), len(eventsub.Types())-5, "every type but the 5 webhook-only ones")

	got := map[string][]map[string]string{}
	synctest.Test(t, func(t *testing.T) {
		b := newBot(t, srv, twitch.WithToken("all", ""), twitch.WithChannels(otherLogin))
		for _, info := range types {
			b.HandleType(info, "On "+info.Type)
		}
		b.start(t)
		b.waitReady(t)
		for _, sub := range srv.EventSub.Subscriptions() {
			var cond map[string]string
			assert.NilError(t, json.Unmarshal(sub.Condition, &cond))
			for k, v := range cond {
				if v == "" {
					delete(cond, k)
				}
			}
			got[sub.Type+" "+sub.Version] = append(got[sub.Type+" "+sub.Version], cond)
		}
	})

	total, subscribed := 0, 0
	for _, conds := range got {
		subscribed += len(conds)
	}
	for _, info := range types {
		t.Run(info.Type+"/"+info.Version, func(t *testing.T) {
			channels := []string{userID}
			for _, f := range info.ConditionFields {
				if f.Fill == eventsub.FillBroadcaster {
					channels = []string{userID, otherID}
				}
			}
			var want []map[string]string
			for _, ch := range channels {
				cond := map[string]string{}
				for _, f := range info.ConditionFields {
					switch f.Fill {
					case eventsub.FillBroadcaster:
						cond[f.Name] = ch
					case eventsub.FillUser:
						cond[f.Name] = userID
					case eventsub.FillClientID:
						cond[f.Name] = clientID
					}
				}
				want = append(want, cond)
			}
			total += len(want)
			// Run creates them in no particular order.
			have := slices.SortedFunc(slices.Values(got[info.Type+" "+info.Version]), byChannel)
			assert.DeepEqual(t, have, slices.SortedFunc(slices.Values(want), byChannel))
		})
	}
	assert.Equal(t, subscribed, total, "nothing else was subscribed")
	// Spot checks of the facts the table follows: a moderator's type and a
	// type without scopes watch both channels; a type that needs the
	// broadcaster's own authorization, the own channel only.
	assert.Equal(t, len(got["channel.follow 2"]), 2)
	assert.Equal(t, len(got["stream.online 1"]), 2)
	assert.DeepEqual(t, got["channel.subscribe 1"], []map[string]string{{"broadcaster_user_id": userID}})
	assert.DeepEqual(t, got["channel.ad_break.begin 1"], []map[string]string{{"broadcaster_user_id": userID}})
	t.Logf("%d types subscribed: %d subscriptions for 2 channels", len(types), total)
}

// byChannel orders conditions by their fields' values.
func byChannel(a, b map[string]string) int {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return strings.Compare(string(ja), string(jb))
}

// The types Run cannot subscribe to by itself make it fail before it gets
// a token, each with what to do.
func TestAutoSubscribeRefuses(t *testing.T) {
	srv := newFake(t)
	synctest.Test(t, func(t *testing.T) {
		b := newBot(t, srv)
		var refused []string
		for _, info := range eventsub.Types() {
			if !subscribable(info) {
				b.HandleType(info, "On "+info.Type)
				refused = append(refused, info.Type)
			}
		}
		// A type whose required field the schema would not fill.
		follow, _ := eventsub.Lookup("channel.follow", "2")
		follow.ConditionFields[1].Fill = eventsub.FillNone
		b.HandleType(follow, "OnChannelFollow")

		err := b.Run(context.Background())
		assert.Equal(t, err.Error(), strings.Join([]string{
			"twitch: On conduit.shard.disabled: conduit.shard.disabled version 1: Twitch delivers it by webhook or conduit only, not over the WebSocket this client uses; receive it by webhook (WithWebhook)",
			"twitch: On drop.entitlement.grant: drop.entitlement.grant version 1: Twitch delivers it by webhook only, not over the WebSocket this client uses; receive it by webhook (WithWebhook)",
			"twitch: On extension.bits_transaction.create: extension.bits_transaction.create version 1: Twitch delivers it by webhook only, not over the WebSocket this client uses; receive it by webhook (WithWebhook)",
			"twitch: On user.authorization.grant: user.authorization.grant version 1: Twitch delivers it by webhook only, not over the WebSocket this client uses; receive it by webhook (WithWebhook)",
			"twitch: On user.authorization.revoke: user.authorization.revoke version 1: Twitch delivers it by webhook only, not over the WebSocket this client uses; receive it by webhook (WithWebhook)",
			"twitch: OnChannelFollow: channel.follow version 2: condition field moderator_user_id: its value is one only you know; subscribe before Run with c.Subscribe(ctx, &eventsub.ChannelFollowCondition{...}), giving it",
		}, "\n"))
		var he *twitch.HandlerError
		assert.Assert(t, errors.As(err, &he))
		assert.Equal(t, he.Type, "conduit.shard.disabled")
		assert.Equal(t, len(refused), 5)
		assert.Equal(t, srv.OAuth.Stats().DeviceCodes+srv.OAuth.Stats().Validations, 0, "no token was asked for")
	})
}

// A type whose condition Run cannot fill is fine when Subscribe was given
// one: Run subscribes to that, and to nothing more of the type.
func TestSubscribeWhatRunCannotFill(t *testing.T) {
	srv := newFake(t)
	srv.OAuth.AddToken("tok", twitchtest.TokenInfo{ClientID: clientID, UserID: userID, Login: login, Scopes: []string{"moderator:read:followers"}})
	synctest.Test(t, func(t *testing.T) {
		b := newBot(t, srv, twitch.WithToken("tok", ""))
		follow, _ := eventsub.Lookup("channel.follow", "2")
		follow.ConditionFields[1].Fill = eventsub.FillNone
		b.HandleType(follow, "OnChannelFollow")
		assert.NilError(t, b.Subscribe(context.Background(), &eventsub.ChannelFollowCondition{BroadcasterUserID: "1003", ModeratorUserID: userID}))
		// Subscribe checks before Run too.
		var invalid *eventsub.InvalidSubscriptionError
		assert.Assert(t, errors.As(b.Subscribe(context.Background(), &eventsub.ChannelFollowCondition{BroadcasterUserID: "1003"}), &invalid))
		b.start(t)
		b.waitReady(t)
		subs := srv.EventSub.Subscriptions()
		assert.Equal(t, len(subs), 1)
		assert.Equal(t, string(subs[0].Condition), `{"broadcaster_user_id":"1003","moderator_user_id":"141981764"}`)
	})
}

// Every subscription type and version has its generated On<Type> method,
// which registers the type of its handler's event under its own name.
func TestEveryTypeHasAnOnMethod(t *testing.T) {
	c := twitch.New(clientID)
	ctxType := reflect.TypeFor[context.Context]()
	want := map[string][]string{}
	ct := reflect.TypeOf(c)
	for i := range ct.NumMethod() {
		m := ct.Method(i)
		if !strings.HasPrefix(m.Name, "On") || m.Type.NumIn() != 2 {
			continue
		}
		h := m.Type.In(1)
		if h.Kind() != reflect.Func || h.NumIn() != 2 || h.In(0) != ctxType || h.NumOut() != 0 {
			continue
		}
		typed, ok := reflect.New(h.In(1).Elem()).Elem().Interface().(interface{ TypeInfo() eventsub.TypeInfo })
		assert.Assert(t, ok, "%s: the event has no TypeInfo", m.Name)
		info := typed.TypeInfo()
		want[info.Type+" "+info.Version] = []string{m.Name}
		m.Func.Call([]reflect.Value{reflect.ValueOf(c), reflect.MakeFunc(h, func([]reflect.Value) []reflect.Value { return nil })})
	}
	assert.Equal(t, len(want), len(eventsub.Types()))
	assert.DeepEqual(t, c.Registered(), want)
}
