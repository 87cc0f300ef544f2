package gen

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
)

// structFields returns the field names of every struct type declared in
// the hand-written files of the runtime packages, by "pkg.Type".
func structFields(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, pkg := range []string{"eventsub", "helix", "oauth"} {
		dir := filepath.Join("..", pkg)
		entries, err := os.ReadDir(dir)
		assert.NilError(t, err)
		for _, e := range entries {
			name := e.Name()
			if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") || strings.HasSuffix(name, "_gen.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, name), nil, parser.SkipObjectResolution)
			assert.NilError(t, err)
			ast.Inspect(f, func(n ast.Node) bool {
				ts, ok := n.(*ast.TypeSpec)
				if !ok {
					return true
				}
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					return true
				}
				var names []string
				for _, fl := range st.Fields.List {
					for _, n := range fl.Names {
						names = append(names, n.Name)
					}
				}
				out[pkg+"."+ts.Name.Name] = names
				return true
			})
		}
	}
	return out
}

// typeName names the type of a composite literal as structFields does, or
// "" when it is not a named type of the runtime.
func typeName(pkg string, expr ast.Expr) string {
	switch e := expr.(type) {
	case *ast.Ident:
		return pkg + "." + e.Name
	case *ast.SelectorExpr:
		if x, ok := e.X.(*ast.Ident); ok {
			return x.Name + "." + e.Sel.Name
		}
	}
	return ""
}

// Generated struct literals name their fields in the order of the struct,
// not sorted: readers compare them with the struct's declaration.
func TestGeneratedLiteralsInStructOrder(t *testing.T) {
	structs := structFields(t)
	checked := map[string]int{}
	for _, file := range generateTestSchema(t) {
		f, err := parser.ParseFile(token.NewFileSet(), file.Path, file.Data, parser.SkipObjectResolution)
		assert.NilError(t, err)
		pkg := f.Name.Name
		var check func(lit *ast.CompositeLit, typ string)
		check = func(lit *ast.CompositeLit, typ string) {
			if lit.Type != nil {
				typ = typeName(pkg, lit.Type)
				if arr, ok := lit.Type.(*ast.ArrayType); ok {
					typ = "[]" + typeName(pkg, arr.Elt)
				}
			}
			elem := strings.TrimPrefix(typ, "[]")
			var keys []string
			for _, el := range lit.Elts {
				v := el
				if kv, ok := el.(*ast.KeyValueExpr); ok {
					if id, ok := kv.Key.(*ast.Ident); ok {
						keys = append(keys, id.Name)
					}
					v = kv.Value
				}
				if inner, ok := v.(*ast.CompositeLit); ok {
					if strings.HasPrefix(typ, "[]") {
						check(inner, elem)
					} else {
						check(inner, "")
					}
				}
			}
			fields, ok := structs[typ]
			if !ok || len(keys) == 0 {
				return
			}
			checked[typ]++
			order := make([]int, len(keys))
			for i, k := range keys {
				order[i] = slices.Index(fields, k)
				assert.Assert(t, order[i] >= 0, "%s: %s has no field %s", file.Path, typ, k)
			}
			assert.Assert(t, slices.IsSorted(order), "%s: a %s literal lists %v; the struct declares %v", file.Path, typ, keys, fields)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if vs, ok := n.(*ast.ValueSpec); ok {
				for _, v := range vs.Values {
					if lit, ok := v.(*ast.CompositeLit); ok {
						check(lit, "")
					}
				}
				return false
			}
			return true
		})
	}
	// The literals the generator writes were all seen.
	for _, typ := range []string{"helix.Operation", "helix.ParamGroup", "eventsub.typeEntry", "eventsub.TypeInfo", "eventsub.ConditionField", "oauth.Requirement"} {
		assert.Assert(t, checked[typ] > 0, "no %s literal was checked", typ)
	}
}

// No generated doc line only repeats the method and path that the
// meta:operation line gives.
func TestNoDocOnlyRepeatsTheEndpoint(t *testing.T) {
	repeat := regexp.MustCompile(`^// \w+ (calls|sends) (GET|POST|PUT|PATCH|DELETE) /\S*\.?$`)
	for _, file := range generateTestSchema(t) {
		for i, line := range strings.Split(string(file.Data), "\n") {
			assert.Assert(t, !repeat.MatchString(line), "%s:%d: %s", file.Path, i+1, line)
		}
	}
}
