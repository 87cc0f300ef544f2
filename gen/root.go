package gen

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/twitchify-go/twitch/schema"
)

// rootMethods are the exported methods of the hand-written *Client of the
// root package. A generated On<Type> method must not take one of their
// names; a test in this package keeps the list equal to what the root
// package declares.
var rootMethods = []string{
	"Close", "Helix", "OnAuth", "OnCode", "OnConnected", "OnDisconnected", "OnError", "OnReady",
	"OnReconnected", "OnRevoked", "Reply", "Run", "SendChatMessage", "SendChatMessageTo",
	"Subscribe", "User", "WebhookHandler",
}

// root emits the root package's handlers_gen.go: for every subscription type
// and version, an On<Type> method of *Client that registers a typed handler
// and asks Run to subscribe to the type. Each method hands the type's facts
// (its TypeInfo), its own name (for errors) and a function that registers
// the handler on a Dispatcher to one unexported method of the hand-written
// client, Client.on; nothing per type is written by hand.
func (g *generator) root() {
	if g.cfg.RootDir == "" {
		return
	}
	if g.cfg.EventSubImport == "" {
		g.errs = append(g.errs, fmt.Errorf("config: RootDir is set but EventSubImport is empty"))
		return
	}
	es := g.cfg.EventSubImport
	var sources []string
	for _, s := range g.schema.EventSub.Subscriptions {
		sources = append(sources, s.File)
	}
	f := g.newFile("twitch", sources...)
	f.ImportName(es, "eventsub")
	for _, s := range g.schema.EventSub.Subscriptions {
		name := "On" + s.GoName
		if slices.Contains(rootMethods, name) {
			g.errs = append(g.errs, fmt.Errorf("%s: subscription type %s would generate Client.%s, a method of the hand-written client", s.File, describeVersion(s), name))
			continue
		}
		eventType := jen.Op("*").Qual(es, s.Event.GoName)
		if s.Batched {
			eventType = jen.Index().Qual(es, s.Event.GoName)
		}
		f.Add(docParagraphs(
			wrap(fmt.Sprintf("%s calls h with each %s event. %s", name, describeVersion(s), s.Description), docWidth),
			wrap(rootSubscribeDoc(s), docWidth),
			wrap(batchedDoc(s), docWidth),
			wrap(betaDoc(s), docWidth),
			wrap(docLink(s.DocURL), docWidth),
		).Func().Params(jen.Id("c").Op("*").Id("Client")).Id(name).Params(
			jen.Id("h").Func().Params(jen.Qual("context", "Context"), eventType),
		).Block(
			jen.Id("c").Dot("on").Call(
				jen.Qual(es, s.Condition.GoName).Values().Dot("TypeInfo").Call(),
				jen.Lit(name),
				jen.Func().Params(jen.Id("d").Op("*").Qual(es, "Dispatcher")).Block(
					jen.Id("d").Dot("On"+s.GoName).Call(jen.Id("h")),
				),
			),
		))
		f.Line()
	}
	g.emit(g.cfg.RootDir, "handlers_gen.go", f)
}

// rootSubscribeDoc says how Run subscribes to the type by itself (for which
// channels, filling which condition fields with what) and what the token
// needs; or why Run refuses it.
func rootSubscribeDoc(s *schema.Subscription) string {
	if !slices.Contains(s.Transports, schema.TransportWebSocket) {
		return fmt.Sprintf("Twitch delivers it by %s only, not over the WebSocket the client uses: Run refuses it.",
			strings.Join(s.Transports, " or "))
	}
	var user *schema.Auth
	for _, a := range s.Auth {
		if a.TokenType == schema.TokenUser {
			user = a
		}
	}
	if user == nil {
		return "It takes an app access token, and Twitch takes WebSocket subscriptions with a user access token only: Run refuses it."
	}
	var filled, yours []string
	perChannel := false
	for _, f := range s.Condition.Fields {
		switch f.Fill {
		case schema.FillBroadcaster:
			perChannel = true
			filled = append(filled, f.Name+" to the channel")
		case schema.FillUser:
			filled = append(filled, f.Name+" to the token's user")
		case schema.FillClientID:
			filled = append(filled, f.Name+" to the client ID")
		default:
			if !f.Optional {
				yours = append(yours, f.Name)
			}
		}
	}
	needs := "no scope"
	if len(user.Scopes) > 0 {
		needs = scopesPhrase(user.Scopes)
	}
	if len(yours) > 0 {
		return fmt.Sprintf("Its condition's %s only you know: subscribe to it with Subscribe before Run, or Run fails. The token needs %s.",
			joinAnd(yours), needs)
	}
	what := "Run subscribes to it once, for the token's user (not for the channels of WithChannels)"
	if perChannel {
		what = "Run subscribes to it for the token's user's channel and each channel of WithChannels"
	}
	if len(filled) > 0 {
		what += ", setting " + joinAnd(filled)
	}
	return what + "; the token needs " + needs + "."
}

// batchedDoc notes that a handler gets a batch of events.
func batchedDoc(s *schema.Subscription) string {
	if !s.Batched {
		return ""
	}
	return "Each notification carries a batch of events, which h gets at once."
}

// betaDoc notes that a version is in beta.
func betaDoc(s *schema.Subscription) string {
	if s.Status != schema.StatusBeta {
		return ""
	}
	return "Twitch marks this version as beta: it may change or go away without notice."
}
