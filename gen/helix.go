package gen

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/twitchify-go/twitch/schema"
)

// helix emits package helix: one file per resource group, holding its
// operations and named types, and operations_gen.go with the table of every
// operation.
func (g *generator) helix() {
	dir := g.cfg.HelixDir
	for _, grp := range g.schema.Helix.Groups {
		f := g.newFile("helix", grp.File)
		for _, op := range grp.Operations {
			g.operation(f, op)
		}
		addAll(f, namedDecls(grp.Objects, grp.Enums))
		g.emit(dir, grp.Name+"_gen.go", f)
	}

	groupFiles := map[string]bool{}
	for _, grp := range g.schema.Helix.Groups {
		groupFiles[grp.File] = true
	}
	g.objectFiles("helix", dir, g.schema.Helix.Objects, g.schema.Helix.Enums, func(file string) bool { return groupFiles[file] })

	f := g.newFile("helix")
	infos := make([]jen.Code, 0, len(g.schema.Helix.Operations))
	for _, op := range g.schema.Helix.Operations {
		infos = append(infos, jen.Op("&").Id(opVar(op)))
	}
	f.Comment("operations lists every operation of the schema, sorted by name.")
	f.Var().Id("operations").Op("=").Index().Op("*").Id("Operation").Values(infos...)
	g.emit(dir, "operations_gen.go", f)
}

// opVar is the unexported variable that holds an operation's facts.
func opVar(op *schema.Operation) string { return lowerFirst(op.GoName) + "Op" }

func (g *generator) operation(f *jen.File, op *schema.Operation) {
	hasParams := len(op.Query) > 0 || len(op.Body) > 0
	if hasParams {
		addAll(f, g.paramsDecl(op))
	}
	if op.Response != nil {
		addAll(f, structDecl(op.Response, doc(fmt.Sprintf("%s is the answer of %s.", op.Response.GoName, op.GoName))))
	}

	// The doc says what the method does when the schema says it, then which
	// tokens it takes; the last line names the endpoint for tools, as
	// go-github does.
	var paragraphs [][]string
	if op.Description != "" {
		paragraphs = append(paragraphs, wrap(op.GoName+" "+describe(op.Description, ""), docWidth))
	}
	if len(op.Auth) > 0 || op.Description == "" {
		paragraphs = append(paragraphs, authDoc(op.GoName, op.Auth))
	}
	paragraphs = append(paragraphs, wrap(docLink(op.DocURL), docWidth), wrap(fmt.Sprintf("meta:operation %s %s", op.Method, op.Path), docWidth))
	comment := docParagraphs(paragraphs...)

	params := []jen.Code{jen.Id("ctx").Qual("context", "Context")}
	if hasParams {
		params = append(params, jen.Id("params").Op("*").Id(op.ParamsName()))
	}
	results := []jen.Code{jen.Error()}
	switch {
	case op.Response != nil:
		results = []jen.Code{jen.Op("*").Id(op.Response.GoName), jen.Error()}
	case op.ResponseType != "":
		results = []jen.Code{jen.Index().Byte(), jen.Error()}
	}

	var body []jen.Code
	if hasParams {
		body = append(body, jen.If(jen.Id("params").Op("==").Nil()).Block(
			jen.Id("params").Op("=").New(jen.Id(op.ParamsName())),
		))
	}
	body = append(body, jen.Id("r").Op(":=").Id("c").Dot("newRequest").Call(jen.Op("&").Id(opVar(op))))
	for _, q := range op.Query {
		body = append(body, queryCode(q))
	}
	for _, b := range op.Body {
		if check := requiredCheck(b); check != nil {
			body = append(body, jen.Id("requireField").Call(jen.Id("r"), jen.Lit(b.Name), check))
		}
	}
	for _, pg := range op.ParamGroups {
		body = append(body, groupCode(op, pg)...)
	}
	if len(op.Body) > 0 {
		body = append(body, jen.Id("r").Dot("body").Op("=").Id("params"))
	}
	switch {
	case op.ResponseType != "":
		// Not JSON: the method returns the body's bytes.
		body = append(body,
			jen.Var().Id("out").Index().Byte(),
			jen.If(jen.Err().Op(":=").Id("c").Dot("send").Call(jen.Id("ctx"), jen.Id("r"), jen.Op("&").Id("out")), jen.Err().Op("!=").Nil()).Block(
				jen.Return(jen.Nil(), jen.Err()),
			),
			jen.Return(jen.Id("out"), jen.Nil()),
		)
	case op.Response == nil:
		body = append(body, jen.Return(jen.Id("c").Dot("send").Call(jen.Id("ctx"), jen.Id("r"), jen.Nil())))
	default:
		body = append(body,
			jen.Id("out").Op(":=").New(jen.Id(op.Response.GoName)),
			jen.If(jen.Err().Op(":=").Id("c").Dot("send").Call(jen.Id("ctx"), jen.Id("r"), jen.Id("out")), jen.Err().Op("!=").Nil()).Block(
				jen.Return(jen.Nil(), jen.Err()),
			),
			jen.Return(jen.Id("out"), jen.Nil()),
		)
	}
	f.Add(comment.Func().Params(jen.Id("c").Op("*").Id("Client")).Id(op.GoName).Params(params...).Params(results...).Block(body...))

	auth, scopeDecls := g.authCode(op.Auth, lowerFirst(op.GoName)+"Scopes", op.GoName)
	var paginated, idempotent, paramGroups jen.Code
	if op.Paginated {
		paginated = jen.True()
	}
	if op.Idempotent() {
		idempotent = jen.True()
	}
	if len(op.ParamGroups) > 0 {
		groups := make([]jen.Code, len(op.ParamGroups))
		for i, pg := range op.ParamGroups {
			names := make([]jen.Code, len(pg.Params))
			for j, p := range pg.Params {
				names[j] = jen.Lit(p.Name)
			}
			var rule, maxTotal jen.Code
			if pg.Rule != "" {
				rule = jen.Id(ruleConst[pg.Rule])
			}
			if pg.MaxTotal > 0 {
				maxTotal = jen.Lit(pg.MaxTotal)
			}
			groups[i] = structLit(true,
				keyed{"Params", jen.Index().String().Values(names...)},
				keyed{"Rule", rule},
				keyed{"MaxTotal", maxTotal})
		}
		paramGroups = jen.Index().Id("ParamGroup").Values(groups...)
	}
	f.Var().Id(opVar(op)).Op("=").Id("Operation").Add(structLit(true,
		keyed{"Name", jen.Lit(op.GoName)},
		keyed{"Method", jen.Qual("net/http", methodConst(op.Method))},
		keyed{"Path", jen.Lit(op.Path)},
		keyed{"Success", statusCode(op.Success)},
		keyed{"DocURL", jen.Lit(op.DocURL)},
		keyed{"Auth", auth},
		keyed{"Paginated", paginated},
		keyed{"Idempotent", idempotent},
		keyed{"ParamGroups", paramGroups},
	))
	for _, d := range scopeDecls {
		f.Line()
		f.Add(d)
	}
	f.Line()
	if op.Paginated {
		g.allMethod(f, op)
	}
}

// groupDoc says what a parameter group asks of the caller.
func groupDoc(pg *schema.ParamGroup) string {
	names := make([]string, len(pg.Params))
	for i, p := range pg.Params {
		names[i] = p.GoName
	}
	list := strings.Join(names, ", ")
	var says []string
	switch pg.Rule {
	case schema.RuleExactlyOne:
		says = append(says, "set exactly one of "+list)
	case schema.RuleAtLeastOne:
		says = append(says, "set at least one of "+list)
	case schema.RuleAtMostOne:
		says = append(says, "set at most one of "+list)
	}
	if pg.MaxTotal > 0 {
		if len(says) == 0 {
			says = append(says, fmt.Sprintf("%s take at most %d values together", list, pg.MaxTotal))
		} else {
			says = append(says, fmt.Sprintf("with at most %d values together", pg.MaxTotal))
		}
	}
	s := strings.Join(says, ", ")
	s = strings.ToUpper(s[:1]) + s[1:] + "."
	if pg.Description != "" {
		s += " " + pg.Description
	}
	return s
}

// ruleConst names the runtime's constant for a parameter group's rule.
var ruleConst = map[string]string{
	schema.RuleExactlyOne: "RuleExactlyOne",
	schema.RuleAtLeastOne: "RuleAtLeastOne",
	schema.RuleAtMostOne:  "RuleAtMostOne",
}

// groupCode checks a parameter group through the runtime helpers of
// helix/request.go: how many of its parameters are set, and how many
// values they have together.
func groupCode(op *schema.Operation, pg *schema.ParamGroup) []jen.Code {
	names := make([]string, len(pg.Params))
	for i, p := range pg.Params {
		names[i] = p.Name
	}
	list := jen.Lit(strings.Join(names, ", "))
	var code []jen.Code
	if pg.Rule != "" {
		args := []jen.Code{jen.Id("r"), jen.Id(ruleConst[pg.Rule]), list}
		for _, p := range pg.Params {
			args = append(args, setExpr(p, slices.Contains(op.Body, p)))
		}
		code = append(code, jen.Id("checkGroup").Call(args...))
	}
	if pg.MaxTotal > 0 {
		args := []jen.Code{jen.Id("r"), list, jen.Lit(pg.MaxTotal)}
		for _, p := range pg.Params {
			args = append(args, jen.Len(jen.Id("params").Dot(p.GoName)))
		}
		code = append(code, jen.Id("checkTotal").Call(args...))
	}
	return code
}

// setExpr is the expression that is true when an optional parameter is set.
// A body field that is a slice or map is set when it is not nil: an empty
// one is sent, and means something ("tags": [] removes every tag).
func setExpr(f *schema.Field, inBody bool) jen.Code {
	v := jen.Id("params").Dot(f.GoName)
	switch {
	case pointer(f), inBody && (f.Type.Kind == schema.KindArray || f.Type.Kind == schema.KindMap):
		return v.Op("!=").Nil()
	case f.Type.Kind == schema.KindString || f.Type.Kind == schema.KindEnum:
		return v.Op("!=").Lit("")
	case f.Type.Kind == schema.KindTimestamp:
		return jen.Op("!").Add(v).Dot("IsZero").Call()
	case f.Type.Kind == schema.KindArray || f.Type.Kind == schema.KindMap || f.Type.Kind == schema.KindJSON:
		return jen.Len(v).Op(">").Lit(0)
	}
	// An int, bool or object that is not a pointer is always sent.
	return jen.True()
}

// allMethod emits <Name>All, which walks every page of a paginated
// operation and yields its items one by one.
func (g *generator) allMethod(f *jen.File, op *schema.Operation) {
	var item *jen.Statement
	for _, fl := range op.Response.Fields {
		if fl.Name == "data" {
			item = goType(fl.Type.Elem)
		}
	}
	after := "After"
	for _, q := range op.Query {
		if q.Name == "after" {
			after = q.GoName
		}
	}
	comment := doc(
		fmt.Sprintf("%s yields every item of %s, page after page, from params.%s on (from the first page when it is empty). It stops after the last page, at the first error, which it yields, or when the loop breaks. It does not change params.", op.AllName(), op.GoName, after),
		docLink(op.DocURL),
	)
	f.Add(comment.Func().Params(jen.Id("c").Op("*").Id("Client")).Id(op.AllName()).
		Params(jen.Id("ctx").Qual("context", "Context"), jen.Id("params").Op("*").Id(op.ParamsName())).
		Qual("iter", "Seq2").Types(item.Clone(), jen.Error()).
		Block(
			jen.Id("p").Op(":=").New(jen.Id(op.ParamsName())),
			jen.If(jen.Id("params").Op("!=").Nil()).Block(jen.Op("*").Id("p").Op("=").Op("*").Id("params")),
			jen.Return(jen.Id("pages").Call(jen.Id("ctx"), jen.Op("&").Id("p").Dot(after),
				jen.Func().Params(jen.Id("ctx").Qual("context", "Context")).Params(jen.Index().Add(item.Clone()), jen.String(), jen.Error()).Block(
					jen.List(jen.Id("res"), jen.Err()).Op(":=").Id("c").Dot(op.GoName).Call(jen.Id("ctx"), jen.Id("p")),
					jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Lit(""), jen.Err())),
					jen.Return(jen.Id("res").Dot("Data"), jen.Id("res").Dot("Pagination").Dot("Cursor"), jen.Nil()),
				),
			)),
		))
	f.Line()
}

// paramsDecl declares the parameters struct: query parameters (not part of
// the JSON body) and body fields, then the inline types they define.
func (g *generator) paramsDecl(op *schema.Operation) []jen.Code {
	var fields []jen.Code
	for _, q := range op.Query {
		comment := paramComment(q, "Query parameter")
		// The query tag names the parameter for readers and tools; the
		// generated method does the encoding.
		tag := map[string]string{"query": q.Name}
		if len(op.Body) > 0 {
			tag["json"] = "-"
		}
		fields = append(fields, jen.Comment(comment), jen.Id(q.GoName).Add(fieldType(q)).Tag(tag))
	}
	for _, b := range op.Body {
		fields = append(fields, jen.Comment(paramComment(b, "Body field")), jen.Id(b.GoName).Add(fieldType(b)).Tag(jsonTag(b)))
	}
	name := op.ParamsName()
	paragraphs := []string{fmt.Sprintf("%s holds the parameters of %s.", name, op.GoName)}
	for _, pg := range op.ParamGroups {
		paragraphs = append(paragraphs, groupDoc(pg))
	}
	decls := []jen.Code{doc(paragraphs...).Type().Id(name).Struct(fields...)}
	decls = append(decls, inlineDecls(name, op.Query)...)
	return append(decls, inlineDecls(name, op.Body)...)
}

// paramComment says what a parameter is and whether Twitch requires it.
func paramComment(f *schema.Field, kind string) string {
	parts := []string{fmt.Sprintf("%s %q", kind, f.Name)}
	if !f.Optional {
		parts[0] += ", required"
	}
	if f.Max > 0 {
		parts[0] += fmt.Sprintf(", at most %d values", f.Max)
	}
	parts[0] += "."
	if f.Description != "" {
		parts = append(parts, f.Description)
	}
	return strings.Join(parts, " ")
}

// queryCode adds one query parameter to the request r, through the runtime
// helpers of helix/request.go.
func queryCode(q *schema.Field) jen.Code {
	v := jen.Id("params").Dot(q.GoName)
	required := jen.Lit(!q.Optional)
	name := jen.Lit(q.Name)
	r := jen.Id("r")
	switch t := q.Type; t.Kind {
	case schema.KindArray:
		return jen.Id("queryStrings").Call(r, name, v, required, jen.Lit(q.Max))
	case schema.KindString, schema.KindEnum:
		return jen.Id("queryString").Call(r, name, v, required)
	case schema.KindTimestamp:
		return jen.Id("queryTime").Call(r, name, v, required)
	case schema.KindInt, schema.KindBool, schema.KindFloat:
		format := map[schema.Kind]string{schema.KindInt: "formatInt", schema.KindBool: "formatBool", schema.KindFloat: "formatFloat"}[t.Kind]
		if pointer(q) {
			return jen.Id("queryOptional").Call(r, name, v, jen.Id(format))
		}
		return jen.Id("queryString").Call(r, name, jen.Id(format).Call(v), jen.True())
	}
	panic(fmt.Sprintf("gen: query parameter %s has kind %d", q.Name, q.Type.Kind))
}

// requiredCheck is the expression that is true when a required body field is
// set, or nil where Go cannot tell (numbers, bools and objects have no
// "missing" value).
func requiredCheck(f *schema.Field) jen.Code {
	if f.Optional || pointer(f) {
		return nil
	}
	v := jen.Id("params").Dot(f.GoName)
	switch f.Type.Kind {
	case schema.KindString, schema.KindEnum:
		return v.Op("!=").Lit("")
	case schema.KindArray, schema.KindMap, schema.KindJSON:
		return jen.Len(v).Op(">").Lit(0)
	case schema.KindTimestamp:
		return jen.Op("!").Add(v).Dot("IsZero").Call()
	}
	return nil
}

func methodConst(method string) string {
	return "Method" + method[:1] + strings.ToLower(method[1:])
}

// statusCode names a status by its net/http constant where it has one.
func statusCode(code int) jen.Code {
	name, ok := map[int]string{
		http.StatusOK:        "StatusOK",
		http.StatusCreated:   "StatusCreated",
		http.StatusAccepted:  "StatusAccepted",
		http.StatusNoContent: "StatusNoContent",
	}[code]
	if !ok {
		return jen.Lit(code)
	}
	return jen.Qual("net/http", name)
}

// authDoc is the doc paragraph that says which tokens an operation takes,
// as comment lines: "GetFoo needs a user access token with foo:read." or a
// list, one item per kind of token, with what the schema says of each.
func authDoc(name string, auth []*schema.Auth) []string {
	var items []string
	for i := 0; i < len(auth); i++ {
		a := auth[i]
		token := tokenPhrase[a.TokenType]
		// An app and a user token with the same scopes and the same
		// conditions make one item.
		if i+1 < len(auth) && a.TokenType == schema.TokenApp && auth[i+1].TokenType == schema.TokenUser &&
			scopesKey(a) == scopesKey(auth[i+1]) && a.Description == auth[i+1].Description {
			token = "an app or a user access token"
			i++
		}
		item := token
		if len(a.Scopes) > 0 {
			item += " with " + scopesPhrase(a.Scopes)
		}
		item += "."
		if a.Description != "" {
			item += " " + a.Description
		}
		items = append(items, item)
	}
	switch len(items) {
	case 0:
		return wrap(name+" needs no token.", docWidth)
	case 1:
		return wrap(name+" needs "+items[0], docWidth)
	}
	lines := []string{"// " + name + " takes one of these tokens:"}
	for _, item := range items {
		for j, l := range wrap(item, docWidth-4) {
			if j == 0 {
				lines = append(lines, "//   - "+strings.TrimPrefix(l, "// "))
			} else {
				lines = append(lines, "//     "+strings.TrimPrefix(l, "// "))
			}
		}
	}
	return lines
}

// tokenPhrase names a token type in an operation's doc.
var tokenPhrase = map[string]string{
	schema.TokenApp:  "an app access token",
	schema.TokenUser: "a user access token",
	schema.TokenJWT:  "a JWT signed by an extension's backend",
}

// scopesPhrase says which scopes a token must carry: every group, one scope
// of each: "a, b and one of c or d".
func scopesPhrase(groups [][]*schema.Scope) string {
	parts := make([]string, len(groups))
	for i, group := range groups {
		names := make([]string, len(group))
		for j, s := range group {
			names[j] = s.Name
		}
		if len(names) == 1 {
			parts[i] = names[0]
		} else {
			parts[i] = "one of " + strings.Join(names, " or ")
		}
	}
	return joinAnd(parts)
}

// docParagraphs starts a declaration with a doc comment made of paragraphs
// of comment lines, separated by "//" lines; empty ones are skipped.
func docParagraphs(paragraphs ...[]string) *jen.Statement {
	var lines []string
	for _, p := range paragraphs {
		if len(p) == 0 || (len(p) == 1 && p[0] == "//") {
			continue
		}
		if len(lines) > 0 {
			lines = append(lines, "//")
		}
		lines = append(lines, p...)
	}
	return jen.Comment(strings.Join(lines, "\n")).Line()
}
