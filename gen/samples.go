package gen

import (
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/twitchify-go/twitch/schema"
)

// sampler builds the sample payloads of package twitchtest: a value for
// every field, which the generated types decode, and which looks like what
// Twitch sends. User IDs are numeric, logins lower-case, display names
// match their login, times are RFC 3339, URLs are URLs, IDs of other things
// are UUIDs. The same user role has the same user everywhere (the
// broadcaster of a condition is the broadcaster of its events), and every
// value depends only on the schema, so the output is deterministic.
type sampler struct {
	// users are the prefixes of the fields that name a user: "user" for
	// user_id, user_login and user_name; "broadcaster_user" for
	// broadcaster_user_id, ...; "" for an object's own id, login and
	// display_name. A prefix is a user's when the schema has a
	// <prefix>_login field somewhere.
	users map[string]bool
}

func newSampler(s *schema.Schema) *sampler {
	sm := &sampler{users: map[string]bool{}}
	seen := map[*schema.Object]bool{}
	var walkObject func(o *schema.Object)
	var walkType func(t *schema.Type)
	walkObject = func(o *schema.Object) {
		if o == nil || seen[o] {
			return
		}
		seen[o] = true
		for _, f := range o.Fields {
			if f.Name == "login" {
				sm.users[""] = true
			} else if p, ok := strings.CutSuffix(f.Name, "_login"); ok {
				sm.users[p] = true
			}
			walkType(f.Type)
		}
	}
	walkType = func(t *schema.Type) {
		switch t.Kind {
		case schema.KindObject:
			walkObject(t.Object)
		case schema.KindArray, schema.KindMap:
			walkType(t.Elem)
		}
	}
	for _, sub := range s.EventSub.Subscriptions {
		walkObject(sub.Condition)
		walkObject(sub.Event)
	}
	for _, op := range s.Helix.Operations {
		walkObject(op.Response)
	}
	return sm
}

// sampleTime is the time of every sample; a time that ends something is an
// hour later.
var sampleTime = time.Date(2025, 3, 4, 18, 30, 0, 0, time.UTC)

// object is a value for every field of o, with every optional and nullable
// member present, so that a test sees data everywhere.
func (sm *sampler) object(o *schema.Object, depth int) map[string]any {
	return sm.objectIn("", o, depth)
}

// objectIn is object for the value of a field named parent: a game's or
// category's id and name are Twitch's own.
func (sm *sampler) objectIn(parent string, o *schema.Object, depth int) map[string]any {
	m := map[string]any{}
	for _, f := range o.Fields {
		switch {
		case (parent == "game" || parent == "category") && f.Name == "id" && f.Type.Kind == schema.KindString:
			m[f.Name] = sampleStrings["game_id"]
		case (parent == "game" || parent == "category") && f.Name == "name" && f.Type.Kind == schema.KindString:
			m[f.Name] = sampleStrings["game_name"]
		default:
			m[f.Name] = sm.value(o, f.Name, f.Type, depth+1)
		}
	}
	return m
}

// value is a sample of a field named name, of type t, in the object o.
func (sm *sampler) value(o *schema.Object, name string, t *schema.Type, depth int) any {
	switch t.Kind {
	case schema.KindString:
		return sm.str(o, name)
	case schema.KindInt:
		if isTimeName(name) {
			return sampleTimeOf(name).Unix() // Unix seconds
		}
		return 1
	case schema.KindFloat:
		return 1.5
	case schema.KindBool:
		return true
	case schema.KindTimestamp:
		if t.Unix {
			return sampleTimeOf(name).Unix() // Twitch sends these as Unix seconds
		}
		return sampleTimeOf(name).Format(time.RFC3339)
	case schema.KindJSON:
		return map[string]any{}
	case schema.KindEnum:
		for _, v := range t.Enum.Values {
			if v.Value != "" {
				return v.Value
			}
		}
		return ""
	case schema.KindPagination:
		return map[string]any{} // the last page: Twitch sends no cursor
	case schema.KindArray:
		if depth > 8 {
			return []any{}
		}
		return []any{sm.value(o, singular(name), t.Elem, depth+1)}
	case schema.KindMap:
		if depth > 8 {
			return map[string]any{}
		}
		return map[string]any{"key": sm.value(o, singular(name), t.Elem, depth+1)}
	case schema.KindObject:
		if depth > 8 {
			return map[string]any{}
		}
		return sm.objectIn(name, t.Object, depth)
	}
	return nil
}

// str is a sample string for a field named name in the object o.
func (sm *sampler) str(o *schema.Object, name string) string {
	if v, ok := sampleStrings[name]; ok {
		return v
	}
	// A user: <role>_id, <role>_login, <role>_name, display_name.
	if role, part, ok := sm.userField(o, name); ok {
		p := personaOf(role)
		switch part {
		case "id":
			return p.id
		case "login":
			return p.login
		}
		return p.name
	}
	switch {
	case isTimeName(name):
		return sampleTimeOf(name).Format(time.RFC3339)
	case isURLName(name):
		return sampleURL(name)
	case name == "color" || strings.HasSuffix(name, "_color"):
		return "#9146FF"
	case name == "language" || strings.HasSuffix(name, "_language"):
		return "en"
	case name == "email" || strings.HasSuffix(name, "_email"):
		return "twitchdev@example.com"
	case name == "client_id" || strings.HasSuffix(name, "_client_id"):
		return clientID(o.GoName + "." + name)
	case name == "id" || strings.HasSuffix(name, "_id"):
		if numeric[name] {
			return fmt.Sprint(number(o.GoName + "." + name))
		}
		return uuid(o.GoName + "." + name)
	}
	return "Sample " + strings.ReplaceAll(name, "_", " ")
}

// userField says whether the field is a user's ID, login or display name,
// and whose: the user's role ("broadcaster", "from_broadcaster", "" for
// the object's own user) and which of the three it is.
func (sm *sampler) userField(o *schema.Object, name string) (role, part string, ok bool) {
	switch name {
	case "id", "login", "display_name", "displayName":
		// An object's own user: the one its login names.
		role, ok := ownUser(o)
		if !ok || (name == "id" && role != "" && hasField(o, role+"_id")) {
			return "", "", false // a Stream has an id and a user_login: the id is the stream's
		}
		if name == "id" || name == "login" {
			return strings.TrimSuffix(role, "_user"), name, true
		}
		return strings.TrimSuffix(role, "_user"), "name", true
	}
	for _, part := range []string{"id", "login", "name", "display_name"} {
		prefix, found := strings.CutSuffix(name, "_"+part)
		if !found {
			continue
		}
		if sm.users[prefix] || userRoles[prefix] || strings.HasSuffix(prefix, "user") ||
			(part == "id" && (strings.HasSuffix(prefix, "broadcaster") || strings.HasSuffix(prefix, "channel"))) {
			if part == "display_name" {
				part = "name"
			}
			return strings.TrimSuffix(prefix, "_user"), part, true
		}
	}
	return "", "", false
}

// ownUser returns the prefix of the object's login field: "" for login,
// "broadcaster" for a lone broadcaster_login (a search result's channel),
// and whether it has one. A login with its own name field beside it is
// not the object's own.
func ownUser(o *schema.Object) (string, bool) {
	if hasField(o, "login") {
		return "", true
	}
	for _, f := range o.Fields {
		if p, ok := strings.CutSuffix(f.Name, "_login"); ok && !hasField(o, p+"_name") {
			return p, true
		}
	}
	return "", false
}

func hasField(o *schema.Object, name string) bool {
	for _, f := range o.Fields {
		if f.Name == name {
			return true
		}
	}
	return false
}

// userRoles are prefixes that name a user though the schema has no login
// beside them.
var userRoles = map[string]bool{"creator": true, "owner": true, "sender": true, "author": true}

// persona is a sample user.
type persona struct{ id, login, name string }

// personas are the users of common roles; other roles get one made from
// their name.
var personas = map[string]persona{
	"":            {"141981764", "twitchdev", "TwitchDev"},
	"broadcaster": {"141981764", "twitchdev", "TwitchDev"},
	"user":        {"713936733", "cool_viewer", "Cool_Viewer"},
	"moderator":   {"424596340", "helpful_mod", "Helpful_Mod"},
}

func personaOf(role string) persona {
	if p, ok := personas[role]; ok {
		return p
	}
	words := strings.Split(role, "_")
	for i, w := range words {
		if w != "" {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	login := role + "_42"
	return persona{id: fmt.Sprint(number(role)), login: login, name: strings.Join(words, "_") + "_42"}
}

// sampleStrings are the samples of fields whose name says what they hold.
var sampleStrings = map[string]string{
	"text":                          "Hello, chat!",
	"message":                       "Hello, chat!",
	"message_body":                  "Hello, chat!",
	"parent_message_body":           "Good morning, chat!",
	"content":                       "Hello, chat!",
	"system_message":                "TwitchDev subscribed at Tier 1.",
	"moderator_message":             "Please keep it friendly.",
	"title":                         "Building a chat bot in Go",
	"description":                   "A short description.",
	"charity_description":           "Helps people everywhere.",
	"summary":                       "A short summary.",
	"prompt":                        "Name a game for the next stream",
	"user_input":                    "Stardew Valley, please!",
	"reason":                        "Spamming the chat",
	"name":                          "Sample",
	"game_name":                     "Just Chatting",
	"category_name":                 "Just Chatting",
	"category":                      "Just Chatting",
	"game_id":                       "509658",
	"category_id":                   "509658",
	"charity_name":                  "Example Charity",
	"team_name":                     "staff",
	"team_display_name":             "Staff",
	"plan_name":                     "Channel Subscription (twitchdev)",
	"prefix":                        "Cheer",
	"tier":                          "1000",
	"version":                       "1",
	"status":                        "active",
	"type":                          "",
	"cursor":                        sampleCursor,
	"pagination":                    sampleCursor,
	"term":                          "spoiler",
	"tag":                           "English",
	"content_classification_label":  "Gambling",
	"content_classification_labels": "Gambling",
	"chat_rules_cited":              "No spoilers",
	"currency":                      "USD",
	"code":                          "msg_duplicate",
	"sku":                           "sku-0001",
	"domain":                        "example.com",
	"duration":                      "3m21s",
	"viewable":                      "public",
	"stream_key":                    "live_141981764_a1b2c3d4e5f6g7h8i9j0",
	"scope":                         "chat:read",
	"shard_id":                      "0",
}

// sampleCursor is a page cursor, as opaque as Twitch's.
const sampleCursor = "eyJiIjpudWxsLCJhIjp7Ik9mZnNldCI6MjB9fQ"

// numeric are IDs of things other than users that Twitch gives as numbers.
var numeric = map[string]bool{"stream_id": true, "video_id": true, "emote_set_id": true, "set_id": true, "igdb_id": true}

// isTimeName reports whether a field named name holds a time.
func isTimeName(name string) bool {
	return strings.HasSuffix(name, "_at") || name == "expiration"
}

// sampleTimeOf is the sample time of a field: an hour later for one that
// ends or expires something.
func sampleTimeOf(name string) time.Time {
	for _, word := range []string{"end", "expir", "until", "cooldown"} {
		if strings.Contains(name, word) {
			return sampleTime.Add(time.Hour)
		}
	}
	return sampleTime
}

// isURLName reports whether a field named name holds a URL.
func isURLName(name string) bool {
	if strings.Contains(strings.ToLower(name), "url") {
		return true
	}
	switch name {
	case "callback", "banner", "charity_logo", "charity_website", "template":
		return true
	}
	return false
}

// sampleURL is a URL for a field named name: an image on Twitch's CDN for
// what looks like an image, with the {width}x{height} of Twitch's
// thumbnail templates.
func sampleURL(name string) string {
	slug := strings.ReplaceAll(strings.TrimSuffix(strings.ToLower(name), "_url"), "_", "-")
	switch {
	case name == "box_art_url" || name == "thumbnail_url":
		return "https://static-cdn.jtvnw.net/twitchtest/" + slug + "-{width}x{height}.jpg"
	case name == "template":
		return "https://static-cdn.jtvnw.net/emoticons/v2/{{id}}/{{format}}/{{theme_mode}}/{{scale}}"
	}
	for _, word := range []string{"image", "logo", "icon", "banner", "url_", "screenshot", "download"} {
		if strings.Contains(name, word) {
			return "https://static-cdn.jtvnw.net/twitchtest/" + slug + ".png"
		}
	}
	return "https://example.com/twitchtest/" + slug
}

// singular is the name of an item of a list field: "ids" → "id".
func singular(name string) string {
	if strings.HasSuffix(name, "s") && !strings.HasSuffix(name, "ss") {
		return strings.TrimSuffix(name, "s")
	}
	return name
}

// number is a 9-digit number made from seed.
func number(seed string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(seed))
	return 100000000 + h.Sum32()%900000000
}

// uuid is a version 4 UUID made from seed.
func uuid(seed string) string {
	h := fnv.New128a()
	h.Write([]byte(seed))
	b := h.Sum(nil)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// clientID is 30 lower-case letters and digits made from seed, as Twitch's
// client IDs are.
func clientID(seed string) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	h := fnv.New64a()
	out := make([]byte, 30)
	for i := range out {
		h.Write([]byte(seed))
		out[i] = alphabet[h.Sum64()%uint64(len(alphabet))]
	}
	return string(out)
}
