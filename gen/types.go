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

// goType is the Go type of t, as a value.
func goType(t *schema.Type) *jen.Statement {
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
		return jen.Qual("time", "Time")
	case schema.KindJSON:
		return jen.Qual("encoding/json", "RawMessage")
	case schema.KindObject:
		return jen.Id(t.Object.GoName)
	case schema.KindEnum:
		return jen.Id(t.Enum.GoName)
	case schema.KindArray:
		return jen.Index().Add(goType(t.Elem))
	case schema.KindMap:
		return jen.Map(jen.String()).Add(goType(t.Elem))
	case schema.KindPagination:
		return jen.Id("Pagination")
	}
	panic(fmt.Sprintf("gen: type kind %d has no Go type", t.Kind))
}

// fieldType is the Go type of a field, a pointer where the rule says so.
func fieldType(f *schema.Field) *jen.Statement {
	if pointer(f) {
		return jen.Op("*").Add(goType(f.Type))
	}
	return goType(f.Type)
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
	return append(decls, inlineDecls(o.GoName, o.Fields)...)
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
