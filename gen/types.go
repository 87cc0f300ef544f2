package gen

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/twitchify-go/twitch/schema"
)

// The Go shape of a field follows one rule, written down in schema/README.md:
//
//   - a field that may be null is a pointer, unless it is a slice or JSON;
//   - an optional bool, int or float is a pointer, because its zero value is
//     a value worth sending (false, 0) and absent must stay distinguishable;
//   - an optional object is a pointer;
//   - anything else is a value; optional fields are tagged omitzero, so an
//     absent field stays absent when the struct is encoded again.

// pointer reports whether a field's Go type is a pointer.
func pointer(f *schema.Field) bool {
	switch f.Type.Kind {
	case schema.KindArray, schema.KindMap, schema.KindJSON, schema.KindPagination:
		return false
	case schema.KindObject:
		return f.Optional || f.Nullable
	case schema.KindBool, schema.KindInt, schema.KindFloat:
		return f.Optional || f.Nullable
	}
	return f.Nullable
}

// goType is the Go type of t, as a value, in what Twitch sends.
func goType(t *schema.Type) *jen.Statement { return goTypeOf(t, false) }

// goTypeOf is the Go type of t, as a value. A timestamp is the runtime's
// Time (helix.Time, and eventsub.Time, its alias), which reads every form
// Twitch sends; in what only the caller sends (request is true) it is a
// plain time.Time, which the caller can set without a conversion.
func goTypeOf(t *schema.Type, request bool) *jen.Statement {
	switch t.Kind {
	case schema.KindString:
		return jen.String()
	case schema.KindInt:
		return jen.Int()
	case schema.KindFloat:
		return jen.Float64()
	case schema.KindBool:
		return jen.Bool()
	case schema.KindTimestamp:
		if request {
			return jen.Qual("time", "Time")
		}
		return jen.Id("Time")
	case schema.KindJSON:
		return jen.Qual("encoding/json", "RawMessage")
	case schema.KindObject:
		return jen.Id(t.Object.GoName)
	case schema.KindEnum:
		return jen.Id(t.Enum.GoName)
	case schema.KindArray:
		return jen.Index().Add(goTypeOf(t.Elem, request))
	case schema.KindMap:
		return jen.Map(jen.String()).Add(goTypeOf(t.Elem, request))
	case schema.KindPagination:
		return jen.Id("Pagination")
	}
	panic(fmt.Sprintf("gen: type kind %d has no Go type", t.Kind))
}

// fieldType is the Go type of a field, a pointer where the rule says so.
func fieldType(f *schema.Field) *jen.Statement {
	if pointer(f) {
		return jen.Op("*").Add(goTypeOf(f.Type, f.Request))
	}
	return goTypeOf(f.Type, f.Request)
}

func jsonTag(f *schema.Field) map[string]string {
	if f.Optional {
		return map[string]string{"json": f.Name + ",omitzero"}
	}
	return map[string]string{"json": f.Name}
}

// structDecl declares an object as a struct, then the inline types its
// fields define, depth first. comment is the doc comment, from doc.
func structDecl(o *schema.Object, comment *jen.Statement) []jen.Code {
	fields := make([]jen.Code, 0, len(o.Fields)*2)
	for _, f := range o.Fields {
		if f.Description != "" {
			fields = append(fields, jen.Comment(f.Description))
		}
		fields = append(fields, jen.Id(f.GoName).Add(fieldType(f)).Tag(jsonTag(f)))
	}
	decls := []jen.Code{comment.Type().Id(o.GoName).Struct(fields...)}
	if d := aliasDecoder(o); d != nil {
		decls = append(decls, d)
	}
	return append(decls, inlineDecls(o.GoName, o.Fields)...)
}

// aliasDecoder is the UnmarshalJSON method of an object with fields that
// Twitch spells two ways (schema.Field.Aliases), or nil. It decodes the
// JSON once, into the struct itself, with a shadow field for each name
// and alias of those fields; the first spelling present wins, in the
// order name, aliases. Encoding writes the name.
func aliasDecoder(o *schema.Object) jen.Code {
	var shadows, picks []jen.Code
	var spelled []string
	for _, f := range o.Fields {
		if len(f.Aliases) == 0 {
			continue
		}
		spelled = append(spelled, fmt.Sprintf("%s as %s", strings.Join(f.Aliases, " or "), f.Name))
		var cases []jen.Code
		for i, name := range append([]string{f.Name}, f.Aliases...) {
			shadow := fmt.Sprintf("%s%d", f.GoName, i)
			shadows = append(shadows, jen.Id(shadow).Op("*").Add(fieldType(f)).Tag(map[string]string{"json": name}))
			cases = append(cases, jen.Case(jen.Id("v").Dot(shadow).Op("!=").Nil()).Block(
				jen.Id("o").Dot(f.GoName).Op("=").Op("*").Id("v").Dot(shadow),
			))
		}
		picks = append(picks, jen.Switch().Block(cases...))
	}
	if len(shadows) == 0 {
		return nil
	}
	comment := doc(fmt.Sprintf("UnmarshalJSON decodes %s, reading %s, since Twitch's own sources spell these fields more than one way.", o.GoName, strings.Join(spelled, ", ")))
	body := []jen.Code{
		jen.Type().Id("plain").Id(o.GoName),
		jen.Id("v").Op(":=").Struct(append([]jen.Code{jen.Op("*").Id("plain")}, shadows...)...).Values(jen.Dict{
			jen.Id("plain"): jen.Parens(jen.Op("*").Id("plain")).Call(jen.Id("o")),
		}),
		jen.If(jen.Err().Op(":=").Qual(jsonImport, "Unmarshal").Call(jen.Id("data"), jen.Op("&").Id("v")), jen.Err().Op("!=").Nil()).Block(
			jen.Return(jen.Err()),
		),
	}
	body = append(body, picks...)
	body = append(body, jen.Return(jen.Nil()))
	return comment.Func().Params(jen.Id("o").Op("*").Id(o.GoName)).Id("UnmarshalJSON").
		Params(jen.Id("data").Index().Byte()).Error().Block(body...)
}

// inlineDecls declares the objects and enums that fields define in place.
func inlineDecls(owner string, fields []*schema.Field) []jen.Code {
	var decls []jen.Code
	for _, f := range fields {
		t := f.Type
		for t.Kind == schema.KindArray || t.Kind == schema.KindMap {
			t = t.Elem
		}
		switch {
		case t.Kind == schema.KindObject && t.Object.Inline:
			comment := doc(fmt.Sprintf("%s is the %s member of %s.", t.Object.GoName, f.Name, owner), f.Description)
			decls = append(decls, structDecl(t.Object, comment)...)
		case t.Kind == schema.KindEnum && t.Enum.Inline:
			comment := doc(fmt.Sprintf("%s is the type of the %s member of %s.", t.Enum.GoName, f.Name, owner), f.Description)
			decls = append(decls, enumDecl(t.Enum, comment)...)
		}
	}
	return decls
}

// enumDecl declares an enum as a string type with a constant per known value.
func enumDecl(e *schema.Enum, comment *jen.Statement) []jen.Code {
	consts := make([]jen.Code, 0, len(e.Values)*2)
	for _, v := range e.Values {
		if v.Description != "" {
			consts = append(consts, jen.Comment(v.Description))
		}
		consts = append(consts, jen.Id(v.GoName).Id(e.GoName).Op("=").Lit(v.Value))
	}
	return []jen.Code{
		comment.Type().Id(e.GoName).String(),
		doc(fmt.Sprintf("Known values of %s. Twitch may send values not listed here.", e.GoName)).Const().Defs(consts...),
	}
}

// namedDecls declares the named objects and enums of one schema file.
func namedDecls(objects []*schema.Object, enums []*schema.Enum) []jen.Code {
	var decls []jen.Code
	for _, o := range objects {
		decls = append(decls, structDecl(o, doc(o.GoName+" is "+describe(o.Description, "an object of Twitch's API.")))...)
	}
	for _, e := range enums {
		decls = append(decls, enumDecl(e, doc(e.GoName+" is "+describe(e.Description, "a string with known values.")))...)
	}
	return decls
}

// describe turns a schema description ("A Twitch user.") into the rest of a
// sentence that starts with a Go name ("User is a Twitch user.").
func describe(description, fallback string) string {
	if description == "" {
		return fallback
	}
	r := []rune(description)
	if len(r) > 1 && r[0] >= 'A' && r[0] <= 'Z' && !(r[1] >= 'A' && r[1] <= 'Z') {
		r[0] += 'a' - 'A'
	}
	return string(r)
}

// objectFiles emits the named objects and enums of the schema's objects
// files, one Go file per schema file: objects_<name>_gen.go. Those whose
// schema file inGroup reports as a Helix group file are left out: the
// group's own Go file declares them.
func (g *generator) objectFiles(pkg, dir string, objects []*schema.Object, enums []*schema.Enum, inGroup func(file string) bool) {
	byFile := map[string]*jen.File{}
	var order []string
	file := func(src string) *jen.File {
		if byFile[src] == nil {
			byFile[src], order = g.newFile(pkg, src), append(order, src)
		}
		return byFile[src]
	}
	for _, o := range objects {
		if inGroup == nil || !inGroup(o.File) {
			addAll(file(o.File), namedDecls([]*schema.Object{o}, nil))
		}
	}
	for _, e := range enums {
		if inGroup == nil || !inGroup(e.File) {
			addAll(file(e.File), namedDecls(nil, []*schema.Enum{e}))
		}
	}
	slices.Sort(order)
	for _, src := range order {
		g.emit(dir, "objects_"+strings.TrimSuffix(path.Base(src), ".json")+"_gen.go", byFile[src])
	}
}
