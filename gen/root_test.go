package gen

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	"gotest.tools/v3/golden"

	"github.com/twitchify-go/twitch/schema"
)

// rootConfig generates the root package only, into the folder "twitch".
var rootConfig = Config{
	SchemaDir:      "schema",
	RootDir:        "twitch",
	EventSubImport: "github.com/twitchify-go/twitch/eventsub",
	OAuthImport:    "github.com/twitchify-go/twitch/oauth",
}

// generateRoot returns the root package's generated files for the test
// schema, under dir.
func generateRoot(t *testing.T, dir string) []File {
	t.Helper()
	s, err := schema.LoadDir(filepath.Join("testdata", "schema"))
	assert.NilError(t, err)
	cfg := rootConfig
	cfg.RootDir = dir
	files, err := Generate(s, cfg)
	assert.NilError(t, err)
	var out []File
	for _, f := range files {
		if f.Path == path.Join(dir, "handlers_gen.go") {
			out = append(out, f)
		}
	}
	return out
}

// TestRootGolden compares the root package's On<Type> methods for the
// test schema with testdata/golden/twitch; go test ./gen -update rewrites
// it.
func TestRootGolden(t *testing.T) {
	files := generateRoot(t, "twitch")
	assert.Equal(t, len(files), 1)
	assert.Equal(t, files[0].Path, "twitch/handlers_gen.go")
	assert.Assert(t, IsGenerated(files[0].Data))
	golden.Assert(t, string(files[0].Data), path.Join("golden", "twitch", "handlers_gen.go.golden"))
}

// The generator refuses a type whose On<Type> method would take the name of
// one of the hand-written client's methods.
func TestRootRefusesARuntimeName(t *testing.T) {
	s, err := schema.LoadDir(filepath.Join("testdata", "schema"))
	assert.NilError(t, err)
	s.EventSub.Subscriptions[0].GoName = "Ready"
	_, err = Generate(s, rootConfig)
	assert.ErrorContains(t, err, "would generate Client.OnReady, a method of the hand-written client")
}

// rootMethods is what the root package's hand-written *Client declares.
func TestRootMethodsMatchRuntime(t *testing.T) {
	var got []string
	for _, name := range runtimeNames(t, "..") {
		if m, ok := strings.CutPrefix(name, "Client."); ok {
			got = append(got, m)
		}
	}
	assert.DeepEqual(t, slices.Sorted(slices.Values(rootMethods)), got)
}

// copyRoot copies the root package's hand-written files into dir, for a
// module built from generated code: package twitchtest imports it.
func copyRoot(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir("..")
	assert.NilError(t, err)
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() && strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") && !strings.HasSuffix(name, "_gen.go") {
			copyFile(t, filepath.Join("..", name), filepath.Join(dir, name))
		}
	}
}
