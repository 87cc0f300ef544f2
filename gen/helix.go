package gen

import (
	"fmt"
	"net/http"
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

	summary := fmt.Sprintf("%s calls %s %s.", op.GoName, op.Method, op.Path)
	if op.Description != "" {
		summary = op.GoName + " " + describe(op.Description, "")
	}
	// The last line names the endpoint for tools, as go-github does.
	comment := doc(summary, docLink(op.DocURL), fmt.Sprintf("meta:operation %s %s", op.Method, op.Path))

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

	f.Var().Id(opVar(op)).Op("=").Id("Operation").Values(jen.DictFunc(func(d jen.Dict) {
		d[jen.Id("Name")] = jen.Lit(op.GoName)
		d[jen.Id("Method")] = jen.Qual("net/http", methodConst(op.Method))
		d[jen.Id("Path")] = jen.Lit(op.Path)
		d[jen.Id("Success")] = statusCode(op.Success)
		d[jen.Id("DocURL")] = jen.Lit(op.DocURL)
		d[jen.Id("Auth")] = g.authCode(op.Auth)
		if op.Paginated {
			d[jen.Id("Paginated")] = jen.True()
		}
	}))
	f.Line()
}

// paramsDecl declares the parameters struct: query parameters (not part of
// the JSON body) and body fields, then the inline types they define.
func (g *generator) paramsDecl(op *schema.Operation) []jen.Code {
	var fields []jen.Code
	for _, q := range op.Query {
		comment := paramComment(q, "Query parameter")
		tag := map[string]string{"json": "-"}
		if len(op.Body) == 0 {
			tag = nil
		}
		fields = append(fields, jen.Comment(comment), jen.Id(q.GoName).Add(fieldType(q)).Tag(tag))
	}
	for _, b := range op.Body {
		fields = append(fields, jen.Comment(paramComment(b, "Body field")), jen.Id(b.GoName).Add(fieldType(b)).Tag(jsonTag(b)))
	}
	name := op.ParamsName()
	decls := []jen.Code{doc(fmt.Sprintf("%s holds the parameters of %s.", name, op.GoName)).Type().Id(name).Struct(fields...)}
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
