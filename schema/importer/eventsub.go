package importer

import (
	"path"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/twitchify-go/twitch/schema"
	"github.com/twitchify-go/twitch/schema/format"
)

const subscriptionTypesURL = "https://dev.twitch.tv/docs/eventsub/eventsub-subscription-types/"

var eventsubTypeName = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)+$`)

// parseEventSub reads every subscription type and version: the summary
// table of the subscription types page names them, each one's section there
// gives its scopes, transports and examples, and the reference page's
// condition and event tables give its fields.
func parseEventSub(types, ref *page, scopes map[string]bool) ([]*format.Subscription, []Example, []error) {
	var errs []error
	top := types.ids["subscription-types"]
	if top == nil {
		return nil, nil, []error{types.errorf("subscription-types", "heading not found")}
	}
	summary := tableAfter(top)
	if summary == nil {
		return nil, nil, []error{types.errorf("subscription-types", "expected the table of subscription types after the heading")}
	}
	t := parseTable(summary)
	nameCol, versionCol := t.column("name"), t.column("version")
	if nameCol < 0 || versionCol < 0 {
		return nil, nil, []error{types.errorf("subscription-types", "the table of subscription types needs Name and Version columns, found %q", t.headers)}
	}

	type entry struct {
		anchor string
		sub    *format.Subscription
	}
	var entries []entry
	anchors := map[string]bool{}
	for i, row := range t.rows {
		if len(row) <= max(nameCol, versionCol) || len(row[0].links) == 0 {
			errs = append(errs, types.errorf("subscription-types", "row %d: expected a link to the type's section, its name and its version", i+1))
			continue
		}
		anchor := strings.TrimPrefix(row[0].links[0], "#")
		sub := &format.Subscription{
			Type:    row[nameCol].text,
			Version: strings.ToLower(row[versionCol].text),
			Status:  "stable",
			DocURL:  subscriptionTypesURL + "#" + anchor,
		}
		switch label := row[0].text; {
		case strings.HasSuffix(label, "BETA"):
			sub.Status = "beta"
		case strings.HasSuffix(label, "NEW"):
			sub.Status = "new"
		}
		if !eventsubTypeName.MatchString(sub.Type) || !(sub.Version == "beta" || isNumber(sub.Version)) {
			errs = append(errs, types.errorf("subscription-types", "row %d: %q version %q is not a subscription type and version", i+1, sub.Type, sub.Version))
			continue
		}
		if types.ids[anchor] == nil {
			errs = append(errs, types.errorf("subscription-types", "row %d links to #%s, which is not on the page", i+1, anchor))
			continue
		}
		entries = append(entries, entry{anchor, sub})
		anchors[anchor] = true
	}

	var subs []*format.Subscription
	var examples []Example
	for _, e := range entries {
		ex, err := parseSubscriptionSection(types, ref, e.anchor, anchors, e.sub, scopes)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		subs = append(subs, e.sub)
		examples = append(examples, ex...)
	}
	return subs, examples, errs
}

func isNumber(s string) bool {
	_, ok := atoiPrefix(s)
	return ok && strings.Trim(s, "0123456789") == ""
}

// sectionNodes returns the elements after the heading with the id anchor,
// up to the next heading that starts another section (one of stops, or any
// h1 or h2).
func sectionNodes(p *page, anchor string, stops map[string]bool) []*html.Node {
	var out []*html.Node
	for c := nextElement(p.ids[anchor]); c != nil; c = nextElement(c) {
		if c.DataAtom == atom.H1 || c.DataAtom == atom.H2 || (c.DataAtom == atom.H3 && stops[attr(c, "id")]) {
			break
		}
		out = append(out, c)
	}
	return out
}

func parseSubscriptionSection(types, ref *page, anchor string, anchors map[string]bool, sub *format.Subscription, scopes map[string]bool) ([]Example, error) {
	nodes := sectionNodes(types, anchor, anchors)

	var request, payload *table
	var authNodes []*html.Node
	var examples []Example
	heading, inAuth := "", false
	webhookOnly := false
	for _, n := range nodes {
		if isHeading(n) {
			heading = text(n)
			inAuth = heading == "Authorization"
			continue
		}
		if inAuth {
			authNodes = append(authNodes, n)
		}
		if strings.Contains(text(n), "only supported by webhooks") {
			webhookOnly = true
		}
		for _, tn := range findAll(n, atom.Table) {
			t := parseTable(tn)
			names := firstColumn(t)
			switch {
			case names["condition"] && names["transport"]:
				request = t
			case names["subscription"] && (names["event"] || names["events"]):
				payload = t
			}
		}
		for _, pre := range findAll(n, atom.Pre) {
			examples = append(examples, Example{
				Page: types.name, Section: anchor, Heading: heading,
				Type: sub.Type, Version: sub.Version, JSON: []byte(rawText(pre)),
			})
		}
	}
	if request == nil {
		return nil, types.errorf(anchor, "no request body table (with condition and transport rows)")
	}
	if payload == nil {
		return nil, types.errorf(anchor, "no notification payload table (with subscription and event rows)")
	}

	eventRow := "event"
	if firstColumn(payload)["events"] {
		eventRow, sub.Payload = "events", "events"
	}
	var err error
	if sub.Condition.Fields, err = partFields(types, ref, anchor, request, "condition"); err != nil {
		return nil, err
	}
	if sub.Event.Fields, err = partFields(types, ref, anchor, payload, eventRow); err != nil {
		return nil, err
	}
	for _, f := range sub.Condition.Fields {
		// Twitch sends every condition value as a string.
		f.Type, f.Enum, f.Nullable = "string", nil, false
		f.Fill = conditionFill(sub.Type, f.Name)
	}

	sub.Transports = []string{"webhook", "websocket", "conduit"}
	if webhookOnly {
		sub.Transports = []string{"webhook"}
	}
	groups := scopeGroups(authNodes, scopes)
	ownChannelOnly(sub.Condition.Fields, len(groups) > 0)
	for _, token := range tokenTypes(sub.Transports) {
		sub.Auth = append(sub.Auth, format.Auth{TokenType: token, Scopes: groups})
	}
	return examples, nil
}

// conditionFills is the rule that gives a condition field its "fill"
// (schema/README.md): by the field's name, and for a name whose meaning
// depends on the type, by the type too (path.Match patterns). The first
// match wins; a field no rule matches is left to the caller. Curation
// overrides the rule where it is wrong for a type.
var conditionFills = []struct{ types, field, fill string }{
	{"*", "broadcaster_user_id", schema.FillBroadcaster}, // the channel watched
	{"*", "broadcaster_id", schema.FillBroadcaster},
	{"*", "moderator_user_id", schema.FillUser}, // a moderator, or the broadcaster
	{"*", "client_id", schema.FillClientID},     // the application's own
	{"*", "extension_client_id", schema.FillClientID},
	// user_id is the user reading chat in chat types, the user the type
	// is about in user types; elsewhere it could be anyone, so it is left
	// to the caller until a rule or a curation says otherwise.
	{"channel.chat.*", "user_id", schema.FillUser},
	{"channel.chat_settings.*", "user_id", schema.FillUser},
	{"user.*", "user_id", schema.FillUser},
}

// conditionFill is the fill the rule gives the condition field name of the
// subscription type typ, or "".
func conditionFill(typ, name string) string {
	for _, r := range conditionFills {
		if ok, _ := path.Match(r.types, typ); ok && r.field == name {
			return r.fill
		}
	}
	return ""
}

// ownChannelOnly turns the channel fields of a condition into the token's
// user's when the type needs scopes and no other field is the token's user
// (a moderator, a chat reader): Twitch then checks the scopes against the
// channel's broadcaster, so over a WebSocket only the broadcaster's own
// token can subscribe, and a client fills the field with its own user.
// Types without scopes (stream.online) can watch any channel.
func ownChannelOnly(fields []*format.Field, scoped bool) {
	if !scoped || slices.ContainsFunc(fields, func(f *format.Field) bool { return f.Fill == schema.FillUser }) {
		return
	}
	for _, f := range fields {
		if f.Fill == schema.FillBroadcaster {
			f.Fill = schema.FillUser
		}
	}
}

// tokenTypes are the tokens a subscription over the transports takes:
// webhooks and conduits take an app token, WebSockets a user token.
func tokenTypes(transports []string) []string {
	var app, user bool
	for _, t := range transports {
		app = app || t != "websocket"
		user = user || t == "websocket"
	}
	var out []string
	if app {
		out = append(out, "app")
	}
	if user {
		out = append(out, "user")
	}
	return out
}

// firstColumn is the set of names in a table's first column.
func firstColumn(t *table) map[string]bool {
	names := map[string]bool{}
	for _, row := range t.rows {
		names[strings.TrimSpace(row[0].text)] = true
	}
	return names
}

// rowLink returns the reference anchor the type cell of the row name links to.
func rowLink(t *table, name string) (string, bool) {
	typeCol := t.column("type")
	for _, row := range t.rows {
		if strings.TrimSpace(row[0].text) != name || typeCol < 0 || typeCol >= len(row) {
			continue
		}
		for _, href := range row[typeCol].links {
			if _, frag, ok := strings.Cut(href, "#"); ok && frag != "" {
				return frag, true
			}
		}
	}
	return "", false
}

// partFields reads the fields of the condition or event: from the
// reference page's table that its row links to, or else from the rows
// nested under it in the section's own table.
func partFields(types, ref *page, anchor string, t *table, row string) ([]*format.Field, error) {
	if link, ok := rowLink(t, row); ok {
		return referenceFields(ref, link)
	}
	fc := &fieldContext{page: types, section: anchor}
	fields, err := fc.tableFields(t)
	if err != nil {
		return nil, err
	}
	for _, f := range fields {
		if f.Name == row && len(f.Fields) > 0 {
			return f.Fields, nil
		}
	}
	return nil, types.errorf(anchor, "the %s row neither links to the reference nor has nested rows", row)
}

// referenceFields reads the table after the heading anchor of the
// reference page.
func referenceFields(ref *page, anchor string) ([]*format.Field, error) {
	h := ref.heading(anchor)
	if h == nil {
		return nil, ref.errorf(anchor, "heading not found")
	}
	tn := tableAfter(h)
	if tn == nil {
		return nil, ref.errorf(anchor, "expected a table after the heading")
	}
	fc := &fieldContext{page: ref, section: anchor}
	return fc.tableFields(parseTable(tn))
}
