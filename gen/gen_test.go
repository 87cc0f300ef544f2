package gen

import (
	"bytes"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"gotest.tools/v3/assert"
	"gotest.tools/v3/golden"

	"github.com/twitchify-go/twitch/schema"
)

var testConfig = Config{
	SchemaDir:     "schema",
	EventSubDir:   "eventsub",
	HelixDir:      "helix",
	OAuthDir:      "oauth",
	TwitchTestDir: "twitchtest",
	OAuthImport:   "github.com/twitchify-go/twitch/oauth",
}

// generateTestSchema generates testdata/schema, which uses every feature of
// the schema format.
func generateTestSchema(t *testing.T) []File {
	t.Helper()
	s, err := schema.LoadDir(filepath.Join("testdata", "schema"))
	assert.NilError(t, err)
	files, err := Generate(s, testConfig)
	assert.NilError(t, err)
	return files
}

// TestGolden compares the output for the test schema with
// testdata/golden; run `go test ./gen -update` to accept a change.
func TestGolden(t *testing.T) {
	files := generateTestSchema(t)
	var names []string
	for _, f := range files {
		names = append(names, f.Path)
		golden.Assert(t, string(f.Data), path.Join("golden", f.Path+".golden"))
	}
	golden.Assert(t, strings.Join(names, "\n")+"\n", path.Join("golden", "files.golden"))
}

func TestDeterministic(t *testing.T) {
	first := generateTestSchema(t)
	for range 3 {
		again := generateTestSchema(t)
		assert.Equal(t, len(again), len(first))
		for i := range first {
			assert.Equal(t, again[i].Path, first[i].Path)
			assert.Assert(t, bytes.Equal(again[i].Data, first[i].Data), "%s differs between runs", first[i].Path)
		}
	}
}

// Every generated file carries the header that go/ast recognises, is
// gofmt'd, and documents every exported declaration.
func TestGeneratedFilesAreWellFormed(t *testing.T) {
	for _, f := range generateTestSchema(t) {
		t.Run(f.Path, func(t *testing.T) {
			assert.Assert(t, IsGenerated(f.Data))
			formatted, err := format.Source(f.Data)
			assert.NilError(t, err)
			assert.Assert(t, bytes.Equal(formatted, f.Data), "not gofmt'd")

			file, err := parser.ParseFile(token.NewFileSet(), f.Path, f.Data, parser.ParseComments)
			assert.NilError(t, err)
			assert.Assert(t, ast.IsGenerated(file))
			for _, decl := range file.Decls {
				switch d := decl.(type) {
				case *ast.FuncDecl:
					if d.Name.IsExported() {
						assert.Assert(t, d.Doc != nil, "func %s has no doc comment", d.Name.Name)
						assert.Assert(t, strings.HasPrefix(d.Doc.Text(), d.Name.Name+" "), "doc of %s: %q", d.Name.Name, d.Doc.Text())
					}
				case *ast.GenDecl:
					for _, spec := range d.Specs {
						if ts, ok := spec.(*ast.TypeSpec); ok && ts.Name.IsExported() {
							assert.Assert(t, d.Doc != nil, "type %s has no doc comment", ts.Name.Name)
							assert.Assert(t, strings.HasPrefix(d.Doc.Text(), ts.Name.Name+" "), "doc of %s: %q", ts.Name.Name, d.Doc.Text())
						}
						if vs, ok := spec.(*ast.ValueSpec); ok && vs.Names[0].IsExported() {
							assert.Assert(t, d.Doc != nil, "const %s has no doc comment", vs.Names[0].Name)
						}
					}
				}
			}
		})
	}
}

// The output for the test schema must build and vet together with the
// hand-written runtime, not only match its golden files.
func TestGeneratedCodeCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module; skipped in -short mode")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	dir := t.TempDir()
	for _, name := range []string{"go.mod", "go.sum"} {
		copyFile(t, filepath.Join("..", name), filepath.Join(dir, name))
	}
	// The hand-written runtime, and the internal packages it uses.
	for _, pkg := range []string{"eventsub", "helix", "oauth", "twitchtest", "internal"} {
		err := filepath.WalkDir(filepath.Join("..", pkg), func(p string, d fs.DirEntry, err error) error {
			name := d.Name()
			if err == nil && !d.IsDir() && strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") && !strings.HasSuffix(name, "_gen.go") {
				copyFile(t, p, filepath.Join(dir, strings.TrimPrefix(p, ".."+string(filepath.Separator))))
			}
			return err
		})
		assert.NilError(t, err)
	}
	// The root package, which twitchtest imports, with its generated half.
	copyRoot(t, dir)
	_, err = Sync(DirFS(dir), nil, append(generateTestSchema(t), generateRoot(t, ".")...), false)
	assert.NilError(t, err)

	cmd := exec.Command(goTool, "vet", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	assert.NilError(t, err, "go vet of the generated test schema:\n%s", out)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	assert.NilError(t, err)
	assert.NilError(t, os.MkdirAll(filepath.Dir(to), 0o755))
	assert.NilError(t, os.WriteFile(to, data, 0o644))
}

// The committed generated code is what the committed schema produces.
func TestRepositoryIsUpToDate(t *testing.T) {
	s, err := schema.LoadDir(filepath.Join("..", "schema"))
	assert.NilError(t, err)
	files, err := Generate(s, testConfig)
	assert.NilError(t, err)
	changes, err := Sync(DirFS(".."), []string{"eventsub", "helix", "oauth", "twitchtest"}, files, true)
	assert.NilError(t, err)
	assert.Equal(t, len(changes), 0, "run go generate ./...: %v", changes)
}

// memFS is an in-memory FS that counts writes.
type memFS struct {
	files  fstest.MapFS
	writes int
}

func (m *memFS) ReadFile(name string) ([]byte, error)       { return m.files.ReadFile(name) }
func (m *memFS) ReadDir(name string) ([]fs.DirEntry, error) { return m.files.ReadDir(name) }
func (m *memFS) WriteFile(name string, data []byte) error {
	m.writes++
	m.files[name] = &fstest.MapFile{Data: bytes.Clone(data)}
	return nil
}
func (m *memFS) Remove(name string) error { delete(m.files, name); return nil }

func TestSync(t *testing.T) {
	generated := func(body string) []byte { return []byte("// " + Header + "\n\npackage p\n" + body) }
	files := []File{
		{Path: "p/a_gen.go", Data: generated("// a")},
		{Path: "p/b_gen.go", Data: generated("// b")},
	}
	m := &memFS{files: fstest.MapFS{
		"p/runtime.go":      {Data: []byte("package p\n")},
		"p/old_gen.go":      {Data: generated("// removed from the schema")},
		"p/handmade_gen.go": {Data: []byte("package p\n// written by a person\n")},
	}}

	// A dry run reports and changes nothing.
	changes, err := Sync(m, []string{"p"}, files, true)
	assert.NilError(t, err)
	assert.DeepEqual(t, changes, []Change{{"p/a_gen.go", Create}, {"p/b_gen.go", Create}, {"p/old_gen.go", Delete}})
	assert.Equal(t, m.writes, 0)
	assert.Equal(t, len(m.files), 3)

	changes, err = Sync(m, []string{"p"}, files, false)
	assert.NilError(t, err)
	assert.Equal(t, len(changes), 3)
	assert.Equal(t, m.writes, 2)
	assert.Equal(t, string(m.files["p/a_gen.go"].Data), string(files[0].Data))
	assert.Assert(t, m.files["p/old_gen.go"] == nil, "the orphan is removed")
	assert.Assert(t, m.files["p/handmade_gen.go"] != nil, "a file without the header is never removed")
	assert.Assert(t, m.files["p/runtime.go"] != nil)

	// Unchanged files are not rewritten.
	changes, err = Sync(m, []string{"p"}, files, false)
	assert.NilError(t, err)
	assert.Equal(t, len(changes), 0)
	assert.Equal(t, m.writes, 2)

	// Only the changed file is rewritten.
	files[1].Data = generated("// b, changed")
	changes, err = Sync(m, []string{"p"}, files, false)
	assert.NilError(t, err)
	assert.DeepEqual(t, changes, []Change{{"p/b_gen.go", Update}})
	assert.Equal(t, m.writes, 3)

	// An output folder that does not exist yet has no orphans.
	_, err = Sync(m, []string{"p", "missing"}, files, true)
	assert.NilError(t, err)
}

func TestDirFSWriteFile(t *testing.T) {
	dir := t.TempDir()
	d := DirFS(dir)
	assert.NilError(t, d.WriteFile("sub/x_gen.go", []byte("one")))
	assert.NilError(t, d.WriteFile("sub/x_gen.go", []byte("two")))
	data, err := os.ReadFile(filepath.Join(dir, "sub", "x_gen.go"))
	assert.NilError(t, err)
	assert.Equal(t, string(data), "two")
	info, err := os.Stat(filepath.Join(dir, "sub", "x_gen.go"))
	assert.NilError(t, err)
	assert.Equal(t, info.Mode().Perm(), fs.FileMode(0o644))

	// Writing over a folder fails and leaves no temporary file behind.
	assert.NilError(t, os.Mkdir(filepath.Join(dir, "sub", "busy_gen.go"), 0o755))
	assert.Assert(t, d.WriteFile("sub/busy_gen.go", []byte("x")) != nil)
	entries, err := os.ReadDir(filepath.Join(dir, "sub"))
	assert.NilError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.DeepEqual(t, names, []string{"busy_gen.go", "x_gen.go"})
}

func TestLowerFirst(t *testing.T) {
	for in, want := range map[string]string{
		"ChannelFollow": "channelFollow",
		"VIPAdd":        "vipAdd",
		"IDFoo":         "idFoo",
		"URL":           "url",
		"x":             "x",
	} {
		assert.Equal(t, lowerFirst(in), want, "lowerFirst(%q)", in)
	}
}
