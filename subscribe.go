package twitch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/oauth"
)

// plan is what Run subscribes to for the handlers, and the scopes it
// needs: worked out from the schema's facts (eventsub.TypeInfo) before
// anything is sent.
type plan struct {
	types []*handler // the types Run subscribes to by itself
	needs *scopeNeeds
}

// makePlan checks every handler's type: Run subscribes to it by itself
// when Twitch delivers it over a WebSocket with a user token and Run can
// fill every required field of its condition (the schema says with what:
// ConditionField.Fill). A type with a field only the caller knows is left
// to the caller's Subscribe; without one, it is an error, as are the types
// a WebSocket client cannot have. The scopes are those of every handler's
// type, and WithScopes's.
func (c *Client) makePlan() (*plan, error) {
	c.mu.Lock()
	handlers := slices.Clone(c.handlers)
	c.mu.Unlock()
	explicit := map[string]bool{} // type and version of what Subscribe asked for
	for _, s := range c.events.Subscriptions() {
		info := s.Condition.TypeInfo()
		explicit[info.Type+" "+info.Version] = true
	}

	p := &plan{needs: &scopeNeeds{}}
	for _, s := range c.cfg.scopes {
		p.needs.add([]oauth.Scope{s}, "WithScopes")
	}
	// What the client subscribes with: a user token over the WebSocket, an
	// app token by webhook.
	transport, token := eventsub.TransportWebSocket, oauth.TokenUser
	switch {
	case c.hook != nil:
		transport, token = eventsub.TransportWebhook, oauth.TokenApp
	case c.conduit != nil:
		transport, token = eventsub.TransportConduit, oauth.TokenApp
	}
	var errs []error
	for _, h := range handlers {
		info, method := h.info, strings.Join(h.methods, ", ")
		refuse := func(field, reason string) {
			errs = append(errs, &HandlerError{Method: method, Type: info.Type, Version: info.Version, Field: field, Reason: reason})
		}
		if !slices.Contains(info.Transports, transport) {
			var ts []string
			for _, t := range info.Transports {
				ts = append(ts, string(t))
			}
			if transport == eventsub.TransportWebSocket {
				refuse("", fmt.Sprintf("Twitch delivers it by %s only, not over the WebSocket this client uses; receive it by webhook (WithWebhook)", strings.Join(ts, " or ")))
			} else {
				refuse("", fmt.Sprintf("Twitch delivers it by %s only, not by %s", strings.Join(ts, " or "), transport))
			}
			continue
		}
		req := requirement(info, token)
		if req == nil {
			if token == oauth.TokenUser {
				refuse("", "it takes an app access token, and Twitch takes WebSocket subscriptions with a user access token only; receive it by webhook (WithWebhook)")
			} else {
				refuse("", fmt.Sprintf("Twitch takes it with a user access token only, over a WebSocket, not by %s; run a client on a WebSocket for it", transport))
			}
			continue
		}
		// The user grants the scopes, with either token: over a webhook,
		// Twitch checks the grant of the user in the condition.
		for _, group := range req.Scopes {
			p.needs.add(group, h.methods...)
		}
		auto := true
		for _, f := range info.ConditionFields {
			switch f.Fill {
			case eventsub.FillBroadcaster, eventsub.FillUser, eventsub.FillClientID:
				continue
			case eventsub.FillNone:
				if !f.Required {
					continue
				}
			default:
				refuse(f.Name, fmt.Sprintf("the schema says to fill it with %q, which this client does not know: update the module", f.Fill))
				auto = false
				continue
			}
			auto = false
			if !explicit[info.Type+" "+info.Version] {
				refuse(f.Name, fmt.Sprintf("its value is one only you know; subscribe before Run with c.Subscribe(ctx, &%s{...}), giving it", conditionName(info)))
			}
		}
		if auto {
			p.types = append(p.types, h)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return p, nil
}

// requirement is the way to subscribe to info's type with a token of the
// kind token, or nil when there is none.
func requirement(info eventsub.TypeInfo, token oauth.TokenType) *oauth.Requirement {
	for i, r := range info.Auth {
		if r.Token == token {
			return &info.Auth[i]
		}
	}
	return nil
}

// conditionName is the Go name of info's condition type:
// "eventsub.ChannelRaidCondition".
func conditionName(info eventsub.TypeInfo) string {
	return strings.TrimPrefix(fmt.Sprintf("%T", info.NewCondition()), "*")
}

// conditions are the conditions of the plan's types for the token's user
// and the channels the client watches: one per channel for a type with a
// broadcaster field, one for the others.
func (p *plan) conditions(clientID string, user User, channels []User) ([]eventsub.Condition, error) {
	var out []eventsub.Condition
	for _, h := range p.types {
		perChannel := slices.ContainsFunc(h.info.ConditionFields, func(f eventsub.ConditionField) bool {
			return f.Fill == eventsub.FillBroadcaster
		})
		watched := channels
		if !perChannel {
			watched = channels[:1]
		}
		for _, ch := range watched {
			cond, err := fill(h.info, clientID, user.ID, ch.ID)
			if err != nil {
				return nil, fmt.Errorf("twitch: %s: %w", strings.Join(h.methods, ", "), err)
			}
			out = append(out, cond)
		}
	}
	return out, nil
}

// fill returns a condition of info's type with each field the schema says
// how to fill set: the channel, the user, the client ID.
func fill(info eventsub.TypeInfo, clientID, userID, broadcasterID string) (eventsub.Condition, error) {
	values := map[string]string{}
	for _, f := range info.ConditionFields {
		switch f.Fill {
		case eventsub.FillBroadcaster:
			values[f.Name] = broadcasterID
		case eventsub.FillUser:
			values[f.Name] = userID
		case eventsub.FillClientID:
			values[f.Name] = clientID
		}
	}
	cond := info.NewCondition()
	if cond == nil {
		return nil, fmt.Errorf("%s version %s is not in the schema", info.Type, info.Version)
	}
	data, err := json.Marshal(values)
	if err == nil {
		err = json.Unmarshal(data, cond)
	}
	if err != nil {
		return nil, fmt.Errorf("fill the condition of %s version %s: %w", info.Type, info.Version, err)
	}
	return cond, nil
}

// scopeNeeds are the scope groups the client needs (a group is satisfied
// by any one of its scopes), each with what needs it.
type scopeNeeds struct {
	groups []MissingScope
}

// add records that by needs one scope of group.
func (n *scopeNeeds) add(group []oauth.Scope, by ...string) {
	for i := range n.groups {
		if slices.Equal(n.groups[i].Scopes, group) {
			for _, b := range by {
				if !slices.Contains(n.groups[i].NeededBy, b) {
					n.groups[i].NeededBy = append(n.groups[i].NeededBy, b)
				}
			}
			return
		}
	}
	n.groups = append(n.groups, MissingScope{Scopes: slices.Clone(group), NeededBy: slices.Clone(by)})
}

// missing returns the groups granted does not satisfy, or nil.
func (n *scopeNeeds) missing(granted []oauth.Scope) *MissingScopesError {
	var out []MissingScope
	for _, g := range n.groups {
		if !slices.ContainsFunc(g.Scopes, func(s oauth.Scope) bool { return slices.Contains(granted, s) }) {
			out = append(out, MissingScope{Scopes: slices.Clone(g.Scopes), NeededBy: slices.Clone(g.NeededBy)})
		}
	}
	if out == nil {
		return nil
	}
	return &MissingScopesError{Missing: out}
}

// request is the scopes to ask the user for: one of each group, the first
// (the least a type needs: reading before managing), unless another
// group's choice satisfies it already.
func (n *scopeNeeds) request() []oauth.Scope {
	var out []oauth.Scope
	for _, g := range n.groups {
		if !slices.ContainsFunc(g.Scopes, func(s oauth.Scope) bool { return slices.Contains(out, s) }) {
			out = append(out, g.Scopes[0])
		}
	}
	return out
}

// resolveChannels returns the channels the client watches: the token's
// user's own first, then WithChannels's, looked up with Get Users.
func (c *Client) resolveChannels(ctx context.Context, own User) ([]User, error) {
	out := []User{own}
	var ids, logins []string
	for _, ch := range c.cfg.channels {
		ch = strings.TrimSpace(ch)
		switch {
		case ch == "":
			return nil, errors.New("twitch: WithChannels: an empty channel")
		case isID(ch):
			ids = append(ids, ch)
		default:
			logins = append(logins, strings.ToLower(strings.TrimPrefix(ch, "#")))
		}
	}
	found := map[string]User{}
	for len(ids)+len(logins) > 0 {
		// Get Users takes 100 IDs and logins together.
		n := min(len(ids), 100)
		batchIDs, batchLogins := ids[:n], logins[:min(len(logins), 100-n)]
		ids, logins = ids[n:], logins[len(batchLogins):]
		res, err := c.helix.GetUsers(ctx, &helix.GetUsersParams{ID: batchIDs, Login: batchLogins})
		if err != nil {
			return nil, fmt.Errorf("twitch: Run: look up the channels of WithChannels: %w", err)
		}
		for _, u := range res.Data {
			found["id:"+u.ID] = User{ID: u.ID, Login: u.Login}
			found["login:"+strings.ToLower(u.Login)] = User{ID: u.ID, Login: u.Login}
		}
		var unknown []string
		for _, id := range batchIDs {
			if _, ok := found["id:"+id]; !ok {
				unknown = append(unknown, id)
			}
		}
		for _, l := range batchLogins {
			if _, ok := found["login:"+l]; !ok {
				unknown = append(unknown, l)
			}
		}
		if len(unknown) > 0 {
			return nil, fmt.Errorf("twitch: Run: WithChannels: Twitch has no user %s", strings.Join(unknown, ", "))
		}
	}
	for _, ch := range c.cfg.channels {
		ch = strings.TrimSpace(ch)
		key := "id:" + ch
		if !isID(ch) {
			key = "login:" + strings.ToLower(strings.TrimPrefix(ch, "#"))
		}
		u := found[key]
		if !slices.ContainsFunc(out, func(o User) bool { return o.ID == u.ID }) {
			out = append(out, u)
		}
	}
	return out, nil
}

// isID says whether a channel of WithChannels is a user ID (digits) rather
// than a login.
func isID(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
