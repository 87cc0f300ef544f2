package schema

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
)

// callerGiven are the required condition fields of WebSocket types that no
// client can fill on its own, each with why: the caller gives them. None
// today; a new type with a required field that has neither a fill nor an
// entry here fails TestWebSocketConditionsAreFilled, so that someone
// decides (schema/README.md, "fill").
var callerGiven = map[string]string{}

// unfilled returns what keeps the WebSocket types of s from being
// subscribed with only the token's user and the channel: a required
// condition field with no fill and no entry in listed ("<type> <version>
// <field>"), a condition with no filled field at all (Twitch refuses an
// empty one), and an entry of listed that names no such unfilled field.
func unfilled(s *Schema, listed map[string]string) []string {
	var problems []string
	used := map[string]bool{}
	for _, sub := range s.EventSub.Subscriptions {
		if !slices.Contains(sub.Transports, TransportWebSocket) {
			continue
		}
		filled := 0
		for _, f := range sub.Condition.Fields {
			key := sub.Type + " " + sub.Version + " " + f.Name
			switch {
			case f.Fill != "":
				filled++
			case f.Optional:
			case listed[key] != "":
				used[key] = true
			default:
				problems = append(problems, fmt.Sprintf("%s: required condition field %s has no fill and is not listed as given by the caller", sub.File, f.Name))
			}
		}
		if filled == 0 && len(sub.Condition.Fields) > 0 {
			problems = append(problems, fmt.Sprintf("%s: no condition field has a fill", sub.File))
		}
	}
	for key := range listed {
		if !used[key] {
			problems = append(problems, fmt.Sprintf("listed as given by the caller, but not a required, unfilled condition field of a WebSocket type: %s", key))
		}
	}
	slices.Sort(problems)
	return problems
}

// Every WebSocket type of the real schema can be subscribed with only what
// a client knows (the channel, the token's user, its client ID), or says
// which field the caller must give.
func TestWebSocketConditionsAreFilled(t *testing.T) {
	s, err := LoadDir(".")
	assert.NilError(t, err)
	assert.DeepEqual(t, unfilled(s, callerGiven), []string(nil))

	// The figures, for the record (go test -v).
	var websocket, auto int
	var callerNeeded, notWebSocket []string
	for _, sub := range s.EventSub.Subscriptions {
		name := sub.Type + " " + sub.Version
		if !slices.Contains(sub.Transports, TransportWebSocket) {
			notWebSocket = append(notWebSocket, name)
			continue
		}
		websocket++
		if slices.ContainsFunc(sub.Condition.Fields, func(f *Field) bool { return !f.Optional && f.Fill == "" }) {
			callerNeeded = append(callerNeeded, name)
		} else {
			auto++
		}
	}
	t.Logf("%d types, %d over a WebSocket: %d filled from the token's user and the channel alone, %d need a value from the caller %v; not over a WebSocket: %s",
		len(s.EventSub.Subscriptions), websocket, auto, len(callerNeeded), callerNeeded, strings.Join(notWebSocket, ", "))
}

// The check finds each kind of gap.
func TestUnfilledFindsGaps(t *testing.T) {
	files := edit(t, "eventsub/thing.update.v1.json", `{"name": "reward_id", "type": "string", "optional": true}`, `{"name": "reward_id", "type": "string"}`)
	s, err := load(files)
	assert.NilError(t, err)
	assert.DeepEqual(t, unfilled(s, nil), []string{
		"eventsub/thing.update.v1.json: required condition field reward_id has no fill and is not listed as given by the caller",
	})
	assert.DeepEqual(t, unfilled(s, map[string]string{"thing.update 1 reward_id": "only the caller knows the reward"}), []string(nil))

	s, err = load(baseSchema())
	assert.NilError(t, err)
	assert.DeepEqual(t, unfilled(s, map[string]string{"thing.update 1 reward_id": "stale"}), []string{
		"listed as given by the caller, but not a required, unfilled condition field of a WebSocket type: thing.update 1 reward_id",
	})

	files = edit(t, "eventsub/thing.update.v1.json", `"fill": "broadcaster"`, `"optional": true`)
	files["eventsub/thing.update.v1.json"] = strings.Replace(files["eventsub/thing.update.v1.json"], `"fill": "user"`, `"optional": true`, 1)
	s, err = load(files)
	assert.NilError(t, err)
	assert.DeepEqual(t, unfilled(s, nil), []string{"eventsub/thing.update.v1.json: no condition field has a fill"})
}
