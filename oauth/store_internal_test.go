package oauth

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/oauth2"
	"gotest.tools/v3/assert"
)

// Issue 10, case 18: Save syncs the folder after the rename, so that a
// power cut cannot bring back the old file; a failed sync fails the Save
// (a Source then saves again later).
func TestFileStoreSyncsTheFolderAfterTheRename(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token.json")
	f := NewFileStore(path)
	assert.NilError(t, f.Save(&oauth2.Token{AccessToken: "old-access"}))

	var synced []string
	f.syncDir = func(d string) error {
		// The rename is done: the folder holds the new file.
		data, err := os.ReadFile(path)
		assert.NilError(t, err)
		synced = append(synced, d+": "+string(data))
		return nil
	}
	assert.NilError(t, f.Save(&oauth2.Token{AccessToken: "new-access"}))
	assert.Equal(t, len(synced), 1)
	assert.Equal(t, synced[0], dir+": "+`{
  "access_token": "new-access"
}
`)

	failure := errors.New("input/output error")
	f.syncDir = func(string) error { return failure }
	err := f.Save(&oauth2.Token{AccessToken: "newer-access"})
	assert.ErrorIs(t, err, failure)
	assert.ErrorContains(t, err, "oauth: token file "+path+": the token is written, but syncing the folder failed")
	assert.Assert(t, !strings.Contains(err.Error(), "newer-access"))
	entries, err := os.ReadDir(dir)
	assert.NilError(t, err)
	assert.Equal(t, len(entries), 1, "no temporary file left")
}

// The folder sync works on the machine the tests run on.
func TestSyncDir(t *testing.T) {
	assert.NilError(t, syncDir(t.TempDir()))
	assert.ErrorIs(t, syncDir(filepath.Join(t.TempDir(), "missing")), os.ErrNotExist)
}

// The names os.CreateTemp gives Save's temporary files are the ones the
// cleanup recognizes (a new Go that named them otherwise would leave them
// again).
func TestTemporaryFileNames(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token.json")
	for range 20 {
		tmp, err := createTemp(path)
		assert.NilError(t, err)
		assert.NilError(t, tmp.Close())
		assert.Assert(t, isTempOf(filepath.Base(tmp.Name()), "token.json"), tmp.Name())
		fi, err := os.Stat(tmp.Name())
		assert.NilError(t, err)
		assert.Equal(t, fi.Mode().Perm(), os.FileMode(0o600))
	}
	for _, name := range []string{".token.json.tmp", ".token.json..tmp", ".token.json.1a.tmp", "token.json.1.tmp", ".token.json.1.tmp.x"} {
		assert.Assert(t, !isTempOf(name, "token.json"), name)
	}
}
