package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
	"gotest.tools/v3/fs"
)

const fixturePages = "../../schema/importer/testdata/pages"

// newSchemaDir is an empty schema folder with the importer fixtures'
// curation.
func newSchemaDir(t *testing.T) string {
	t.Helper()
	fixes, err := os.ReadFile("../../schema/importer/testdata/curated/fixes.json")
	assert.NilError(t, err)
	dir := fs.NewDir(t, "schema", fs.WithDir("curated", fs.WithFile("fixes.json", string(fixes))))
	return dir.Path()
}

func TestImportDryRunThenWrite(t *testing.T) {
	dir := newSchemaDir(t)
	code, stdout, stderr := codegen("import", "-from", fixturePages, "-schema", dir, "-dry-run")
	assert.Equal(t, code, 0, stderr)
	assert.Assert(t, strings.Contains(stdout, "create "+filepath.Join(dir, "eventsub/widget.spin.v1.json")+"\n    subscription type widget.spin version 1 added\n"), stdout)
	assert.Assert(t, strings.HasSuffix(stdout, "7 file(s) would change; nothing was written (-dry-run)\n"), stdout)
	entries, err := os.ReadDir(dir)
	assert.NilError(t, err)
	assert.Equal(t, len(entries), 1, "only curated/: a dry run writes nothing")

	code, stdout, stderr = codegen("import", "-from", fixturePages, "-schema", dir)
	assert.Equal(t, code, 0, stderr)
	assert.Assert(t, strings.HasSuffix(stdout, "7 file(s) changed; now run go generate ./...\n"), stdout)

	code, stdout, _ = codegen("import", "-from", fixturePages, "-schema", dir, "-dry-run")
	assert.Equal(t, code, 0)
	assert.Equal(t, stdout, "no changes\n")

	// The written schema generates.
	out := t.TempDir()
	code, _, stderr = codegen(append([]string{"-schema", dir}, outputFlags(out)...)...)
	assert.Equal(t, code, 0, stderr)
}

// Nothing is written when the pages need a curation the schema lacks, or
// the curation does not apply.
func TestImportWritesNothingOnError(t *testing.T) {
	dir := newSchemaDir(t)
	stale := `{"operations": {"get-gadgets": {"set": {"name": "GetGadgets"}}}}`
	assert.NilError(t, os.WriteFile(filepath.Join(dir, "curated", "stale.json"), []byte(stale), 0o644))
	code, stdout, stderr := codegen("import", "-from", fixturePages, "-schema", dir)
	assert.Equal(t, code, 1)
	assert.Equal(t, stdout, "")
	assert.Equal(t, stderr, filepath.Join(dir, "curated", "stale.json")+`: operations["get-gadgets"]: the reference has no such operation`+"\ncodegen import: nothing was written\n")

	assert.NilError(t, os.Remove(filepath.Join(dir, "curated", "fixes.json")))
	assert.NilError(t, os.Remove(filepath.Join(dir, "curated", "stale.json")))
	code, _, stderr = codegen("import", "-from", fixturePages, "-schema", dir)
	assert.Equal(t, code, 1)
	assert.Assert(t, strings.Contains(stderr, `eventsub-reference.html: section "widget-peek-event-moved": heading not found`), stderr)

	entries, err := os.ReadDir(dir)
	assert.NilError(t, err)
	assert.Equal(t, len(entries), 1, "only curated/")
}

// The committed schema is exactly what the importer and the curation make of
// the saved reference pages.
func TestImportReproducesCommittedSchema(t *testing.T) {
	docs := filepath.Join("..", "..", "..", "shared", "twitch-docs")
	if _, err := os.Stat(filepath.Join(docs, "reference.html")); err != nil {
		t.Skipf("no saved reference pages in %s (they sit beside the module in CI): %v", docs, err)
	}
	code, stdout, stderr := codegen("import", "-from", docs, "-schema", "../../schema", "-dry-run")
	assert.Equal(t, code, 0, stderr)
	assert.Equal(t, stdout, "no changes\n")
}
