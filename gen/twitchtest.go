package gen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/twitchify-go/twitch/schema"
)

// twitchtest emits twitchtest/eventsub_gen.go: for every subscription type
// and version, what the fake needs to act like Twitch (the condition fields
// it requires, the scopes a user token needs, whether notifications come in
// batches) and sample payloads, so tests can cover every event. The fake
// reads these instead of importing package eventsub, which lets eventsub's
// own tests use the fake.
func (g *generator) twitchtest() {
	if g.cfg.TwitchTestDir == "" {
		return
	}
	f := g.newFile("twitchtest")
	entries := map[string][]jen.Code{}
	var order []string
	for _, s := range g.schema.EventSub.Subscriptions {
		var required []jen.Code
		for _, fl := range s.Condition.Fields {
			if !fl.Optional {
				required = append(required, jen.Lit(fl.Name))
			}
		}
		var scopes []jen.Code
		for _, a := range s.Auth {
			if a.TokenType != schema.TokenUser {
				continue
			}
			for _, group := range a.Scopes {
				names := make([]jen.Code, len(group))
				for i, sc := range group {
					names[i] = jen.Lit(sc.Name)
				}
				scopes = append(scopes, jen.Values(names...))
			}
		}
		var event any = sampleObject(s.Event, 0)
		if s.Batched {
			event = []any{event}
		}
		entry := jen.Lit(s.Version).Op(":").Values(jen.DictFunc(func(d jen.Dict) {
			d[jen.Id("required")] = jen.Index().String().Values(required...)
			if len(scopes) > 0 {
				d[jen.Id("scopes")] = jen.Index().Index().String().Values(scopes...)
			}
			if s.Batched {
				d[jen.Id("batched")] = jen.True()
			}
			if !slices.Contains(s.Transports, schema.TransportWebSocket) {
				d[jen.Id("webhookOnly")] = jen.True()
			}
			d[jen.Id("condition")] = rawString(g.sampleJSON(sampleObject(s.Condition, 0)))
			d[jen.Id("event")] = rawString(g.sampleJSON(event))
		}))
		if entries[s.Type] == nil {
			order = append(order, s.Type)
		}
		entries[s.Type] = append(entries[s.Type], entry)
	}
	f.Comment("eventsubTypes holds, by type and version, every subscription type of the schema.")
	f.Var().Id("eventsubTypes").Op("=").Map(jen.String()).Map(jen.String()).Id("eventsubType").Values(jen.DictFunc(func(d jen.Dict) {
		for _, typ := range order {
			d[jen.Lit(typ)] = jen.Values(entries[typ]...)
		}
	}))
	g.emit(g.cfg.TwitchTestDir, "eventsub_gen.go", f)
	g.twitchtestHelix()
}

// twitchtestHelix emits twitchtest/helix_gen.go: for every Helix operation,
// what the fake checks (method, parameters, tokens and scopes) and a sample
// answer with every field filled in.
func (g *generator) twitchtestHelix() {
	f := g.newFile("twitchtest")
	ops := make([]jen.Code, 0, len(g.schema.Helix.Operations))
	for _, op := range g.schema.Helix.Operations {
		ops = append(ops, jen.Values(jen.DictFunc(func(d jen.Dict) {
			d[jen.Id("name")] = jen.Lit(op.GoName)
			d[jen.Id("method")] = jen.Lit(op.Method)
			d[jen.Id("path")] = jen.Lit(op.Path)
			d[jen.Id("success")] = jen.Lit(op.Success)
			if len(op.Query) > 0 {
				d[jen.Id("query")] = helixParams(op.Query)
			}
			if len(op.Body) > 0 {
				d[jen.Id("body")] = helixParams(op.Body)
			}
			if len(op.ParamGroups) > 0 {
				groups := make([]jen.Code, len(op.ParamGroups))
				for i, pg := range op.ParamGroups {
					names := make([]jen.Code, len(pg.Params))
					for j, p := range pg.Params {
						names[j] = jen.Lit(p.Name)
					}
					groups[i] = jen.Values(jen.DictFunc(func(d jen.Dict) {
						d[jen.Id("params")] = jen.Index().String().Values(names...)
						if pg.Rule != "" {
							d[jen.Id("rule")] = jen.Lit(pg.Rule)
						}
						if pg.MaxTotal > 0 {
							d[jen.Id("maxTotal")] = jen.Lit(pg.MaxTotal)
						}
					}))
				}
				d[jen.Id("groups")] = jen.Index().Id("helixGroup").Values(groups...)
			}
			auth := make([]jen.Code, len(op.Auth))
			for i, a := range op.Auth {
				auth[i] = jen.Values(jen.DictFunc(func(d jen.Dict) {
					d[jen.Id("token")] = jen.Lit(a.TokenType)
					if len(a.Scopes) > 0 {
						groups := make([]jen.Code, len(a.Scopes))
						for j, group := range a.Scopes {
							names := make([]jen.Code, len(group))
							for k, sc := range group {
								names[k] = jen.Lit(sc.Name)
							}
							groups[j] = jen.Values(names...)
						}
						d[jen.Id("scopes")] = jen.Index().Index().String().Values(groups...)
					}
				}))
			}
			if len(auth) > 0 {
				d[jen.Id("auth")] = jen.Index().Id("helixAuth").Values(auth...)
			}
			if op.Paginated {
				d[jen.Id("paginated")] = jen.True()
			}
			if op.ResponseType != "" {
				d[jen.Id("contentType")] = jen.Lit(op.ResponseType)
			}
			if op.Response != nil {
				d[jen.Id("response")] = rawString(g.sampleJSON(sampleObject(op.Response, 0)))
			}
		})))
	}
	f.Comment("helixOperations holds every Helix operation of the schema, sorted by name.")
	f.Var().Id("helixOperations").Op("=").Index().Id("helixOperation").Values(ops...)
	g.emit(g.cfg.TwitchTestDir, "helix_gen.go", f)
}

// helixParams lists query parameters or body fields for the fake's checks.
func helixParams(fields []*schema.Field) jen.Code {
	params := make([]jen.Code, len(fields))
	for i, p := range fields {
		params[i] = jen.Values(jen.DictFunc(func(d jen.Dict) {
			d[jen.Id("name")] = jen.Lit(p.Name)
			t := p.Type
			if t.Kind == schema.KindArray {
				d[jen.Id("repeated")] = jen.True()
				t = t.Elem
			}
			if kind := paramKinds[t.Kind]; kind != "" {
				d[jen.Id("kind")] = jen.Lit(kind)
			}
			if !p.Optional {
				d[jen.Id("required")] = jen.True()
			}
			if p.Max > 0 {
				d[jen.Id("max")] = jen.Lit(p.Max)
			}
		}))
	}
	return jen.Index().Id("helixParam").Values(params...)
}

// paramKinds are the kinds of value the fake parses a parameter as.
var paramKinds = map[schema.Kind]string{
	schema.KindInt:       "int",
	schema.KindFloat:     "float",
	schema.KindBool:      "bool",
	schema.KindTimestamp: "timestamp",
	schema.KindObject:    "object",
	schema.KindJSON:      "json",
	schema.KindMap:       "object",
}

// rawString is a string literal in backquotes, easier to read for JSON.
func rawString(s string) jen.Code {
	if strings.Contains(s, "`") {
		return jen.Lit(s)
	}
	return jen.Op("`" + s + "`")
}

// sampleJSON encodes a sample value; the values are maps, slices and
// scalars, which always encode.
func (g *generator) sampleJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		g.errs = append(g.errs, fmt.Errorf("sample payload: %w", err))
	}
	return string(bytes.TrimSpace(b.Bytes()))
}

// sampleObject is a value for every field of o: an object the generated
// types decode, with every optional and nullable member present so that a
// test sees data everywhere.
func sampleObject(o *schema.Object, depth int) map[string]any {
	m := map[string]any{}
	for _, f := range o.Fields {
		m[f.Name] = sampleValue(f.Name, f.Type, depth+1)
	}
	return m
}

func sampleValue(name string, t *schema.Type, depth int) any {
	switch t.Kind {
	case schema.KindString:
		return name
	case schema.KindInt:
		return 1
	case schema.KindFloat:
		return 1.5
	case schema.KindBool:
		return true
	case schema.KindTimestamp:
		if t.Unix {
			return 1735787045 // the same instant, as Unix seconds
		}
		return "2025-01-02T03:04:05Z"
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
		return []any{sampleValue(name, t.Elem, depth+1)}
	case schema.KindMap:
		if depth > 8 {
			return map[string]any{}
		}
		return map[string]any{"key": sampleValue(name, t.Elem, depth+1)}
	case schema.KindObject:
		if depth > 8 {
			return map[string]any{}
		}
		return sampleObject(t.Object, depth)
	}
	return nil
}
