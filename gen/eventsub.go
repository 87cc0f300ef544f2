package gen

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/twitchify-go/twitch/schema"
)

// eventsub emits package eventsub: one file per area (the subscription type
// without its last word: "channel.chat.message" is in channel_chat_gen.go),
// one per shared object file, and the registry.
func (g *generator) eventsub() {
	dir := g.cfg.EventSubDir
	areas := map[string][]*schema.Subscription{}
	var areaOrder []string
	for _, s := range g.schema.EventSub.Subscriptions {
		area := s.Type[:strings.LastIndex(s.Type, ".")]
		if areas[area] == nil {
			areaOrder = append(areaOrder, area)
		}
		areas[area] = append(areas[area], s)
	}
	for _, area := range areaOrder {
		subs := areas[area]
		var sources []string
		for _, s := range subs {
			sources = append(sources, s.File)
		}
		f := g.newFile("eventsub", sources...)
		for _, s := range subs {
			g.subscription(f, s)
		}
		g.emit(dir, strings.ReplaceAll(area, ".", "_")+"_gen.go", f)
	}

	g.objectFiles("eventsub", dir, g.schema.EventSub.Objects, g.schema.EventSub.Enums, nil)

	g.registry(dir)
}

// entryVar is the unexported variable that holds a subscription type's
// typeEntry: its TypeInfo and its decoders.
func entryVar(s *schema.Subscription) string { return lowerFirst(s.GoName) + "Entry" }

// describeVersion names a subscription type and version in doc comments:
// "channel.follow (version 2)", "channel.x (beta)".
func describeVersion(s *schema.Subscription) string {
	if s.Version == "beta" {
		return s.Type + " (beta)"
	}
	return fmt.Sprintf("%s (version %s)", s.Type, s.Version)
}

func (g *generator) subscription(f *jen.File, s *schema.Subscription) {
	beta := ""
	if s.Status == schema.StatusBeta {
		beta = "Twitch marks this version as beta: it may change or go away without notice."
	}
	cond, event := s.Condition, s.Event

	addAll(f, structDecl(cond, doc(
		fmt.Sprintf("%s is the condition of a %s subscription: it selects the notifications to deliver.", cond.GoName, describeVersion(s)),
		cond.Description, docLink(s.DocURL))))
	f.Comment(fmt.Sprintf("TypeInfo returns the facts of %s: a copy.", describeVersion(s)))
	f.Func().Params(jen.Id(cond.GoName)).Id("TypeInfo").Params().Id("TypeInfo").Block(
		jen.Return(jen.Id(entryVar(s)).Dot("info").Dot("clone").Call()),
	)
	f.Line()
	f.Func().Params(jen.Id(cond.GoName)).Id("entry").Params().Op("*").Id("typeEntry").Block(
		jen.Return(jen.Op("&").Id(entryVar(s))),
	)
	f.Line()

	payload := "the event of a"
	if s.Batched {
		payload = "one event of a batched"
	}
	addAll(f, structDecl(event, doc(
		fmt.Sprintf("%s is %s %s notification.", event.GoName, payload, describeVersion(s)),
		s.Description, event.Description, beta, docLink(s.DocURL))))

	// An event knows its type, as a condition does: twitchtest sends a Go
	// event value to the subscriptions of its type.
	f.Comment(fmt.Sprintf("TypeInfo returns the facts of %s: a copy.", describeVersion(s)))
	f.Func().Params(jen.Id(event.GoName)).Id("TypeInfo").Params().Id("TypeInfo").Block(
		jen.Return(jen.Id(entryVar(s)).Dot("info").Dot("clone").Call()),
	)
	f.Line()

	// The handler takes what Notification.Event holds for this type.
	eventType := jen.Op("*").Id(event.GoName)
	if s.Batched {
		eventType = jen.Index().Id(event.GoName)
	}
	f.Comment(fmt.Sprintf("On%s registers h for %s notifications.", s.GoName, describeVersion(s)))
	if s.Batched {
		f.Comment("Each notification carries a batch of events.")
	}
	f.Func().Params(jen.Id("d").Op("*").Id("Dispatcher")).Id("On" + s.GoName).Params(
		jen.Id("h").Func().Params(jen.Qual("context", "Context"), eventType.Clone()),
	).Block(
		jen.Id("d").Dot("on").Call(
			jen.Op("&").Id(entryVar(s)),
			jen.Func().Params(jen.Id("ctx").Qual("context", "Context"), jen.Id("n").Op("*").Id("Notification")).Block(
				jen.Id("h").Call(jen.Id("ctx"), jen.Id("n").Dot("Event").Assert(eventType.Clone())),
			),
		),
	)
	f.Line()

	decode := jen.Id("decodeEvent").Types(jen.Id(event.GoName))
	frame := jen.Id("decodeFrame").Types(jen.Id(event.GoName))
	body := jen.Id("decodeBody").Types(jen.Id(event.GoName))
	if s.Batched {
		decode = jen.Id("decodeEvents").Types(jen.Id(event.GoName))
		frame = jen.Id("decodeBatchFrame").Types(jen.Id(event.GoName))
		body = jen.Id("decodeBatchBody").Types(jen.Id(event.GoName))
	}
	transports := make([]jen.Code, len(s.Transports))
	for i, t := range s.Transports {
		transports[i] = jen.Id(map[string]string{
			schema.TransportWebhook:   "TransportWebhook",
			schema.TransportWebSocket: "TransportWebSocket",
			schema.TransportConduit:   "TransportConduit",
		}[t])
	}
	status := map[string]string{
		schema.StatusStable: "TypeStable",
		schema.StatusNew:    "TypeNew",
		schema.StatusBeta:   "TypeBeta",
	}[s.Status]
	conditionFields := make([]jen.Code, len(cond.Fields))
	for i, fl := range cond.Fields {
		var required, fill jen.Code
		if !fl.Optional {
			required = jen.True()
		}
		if fl.Fill != "" {
			fill = jen.Id(map[string]string{
				schema.FillBroadcaster: "FillBroadcaster",
				schema.FillUser:        "FillUser",
				schema.FillClientID:    "FillClientID",
			}[fl.Fill])
		}
		conditionFields[i] = structLit(false,
			keyed{"Name", jen.Lit(fl.Name)},
			keyed{"GoName", jen.Lit(fl.GoName)},
			keyed{"Required", required},
			keyed{"Fill", fill})
	}
	auth, scopeDecls := g.authCode(s.Auth, lowerFirst(s.GoName)+"Scopes", describeVersion(s))
	var batched jen.Code
	if s.Batched {
		batched = jen.True()
	}
	f.Var().Id(entryVar(s)).Op("=").Id("typeEntry").Add(structLit(true,
		keyed{"info", jen.Id("TypeInfo").Add(structLit(true,
			keyed{"Type", jen.Lit(s.Type)},
			keyed{"Version", jen.Lit(s.Version)},
			keyed{"Status", jen.Id(status)},
			keyed{"DocURL", jen.Lit(s.DocURL)},
			keyed{"Auth", auth},
			keyed{"Transports", jen.Index().Id("TransportMethod").Values(transports...)},
			keyed{"Batched", batched},
			keyed{"ConditionFields", jen.Index().Id("ConditionField").Add(listLit(conditionFields))},
		))},
		keyed{"newCondition", jen.Func().Params().Id("Condition").Block(jen.Return(jen.New(jen.Id(cond.GoName))))},
		keyed{"decode", decode},
		keyed{"decodeFrame", frame},
		keyed{"decodeBody", body},
	))
	f.Line()
	for _, d := range scopeDecls {
		f.Add(d)
		f.Line()
	}
}

// registry emits the table from (type, version) to TypeInfo, in schema order.
func (g *generator) registry(dir string) {
	f := g.newFile("eventsub")
	entries := make([]jen.Code, 0, len(g.schema.EventSub.Subscriptions))
	for _, s := range g.schema.EventSub.Subscriptions {
		entries = append(entries, jen.Op("&").Id(entryVar(s)))
	}
	f.Comment("typeEntries lists every subscription type and version of the schema, sorted by type and version.")
	f.Var().Id("typeEntries").Op("=").Index().Op("*").Id("typeEntry").Values(entries...)
	f.Line()
	f.Comment("registry finds a subscription type's facts by type, then version.")
	f.Var().Id("registry").Op("=").Map(jen.String()).Map(jen.String()).Op("*").Id("typeEntry").Values(jen.DictFunc(func(d jen.Dict) {
		versions := map[string][]*schema.Subscription{}
		for _, s := range g.schema.EventSub.Subscriptions {
			versions[s.Type] = append(versions[s.Type], s)
		}
		for typ, subs := range versions {
			d[jen.Lit(typ)] = jen.Values(jen.DictFunc(func(v jen.Dict) {
				for _, s := range subs {
					v[jen.Lit(s.Version)] = jen.Op("&").Id(entryVar(s))
				}
			}))
		}
	}))
	g.emit(dir, "registry_gen.go", f)
}
