package oauth_test

import (
	iofs "io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"gotest.tools/v3/assert"
	"gotest.tools/v3/fs"

	"github.com/twitchify-go/twitch/oauth"
)

func TestFileStore(t *testing.T) {
	dir := fs.NewDir(t, "store", fs.WithFile("token.json", "old content", fs.WithMode(0o644)))
	store := oauth.NewFileStore(dir.Join("token.json"))
	expiry := time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC)
	tok := (&oauth2.Token{
		AccessToken: "access-value", RefreshToken: "refresh-value", TokenType: "bearer", Expiry: expiry,
	}).WithExtra(map[string]any{"scope": []any{"chat:read", "user:bot"}})

	assert.NilError(t, store.Save(tok))
	// Replaced whole, owner-only, and nothing else left in the folder.
	assert.Assert(t, fs.Equal(dir.Path(), fs.Expected(t,
		fs.WithFile("token.json", `{
  "access_token": "access-value",
  "refresh_token": "refresh-value",
  "token_type": "bearer",
  "expiry": "2026-03-01T16:00:00Z",
  "scopes": [
    "chat:read",
    "user:bot"
  ]
}
`, fs.WithMode(0o600)))))

	got, err := store.Load()
	assert.NilError(t, err)
	assert.Equal(t, got.AccessToken, "access-value")
	assert.Equal(t, got.RefreshToken, "refresh-value")
	assert.Equal(t, got.TokenType, "bearer")
	assert.Assert(t, got.Expiry.Equal(expiry))
	assert.DeepEqual(t, oauth.TokenScopes(got), []oauth.Scope{oauth.ScopeChatRead, oauth.ScopeUserBot})

	// An RFC 6749 scope string, and a token without scopes.
	tok = (&oauth2.Token{AccessToken: "a2"}).WithExtra(map[string]any{"scope": "chat:read chat:edit"})
	assert.DeepEqual(t, oauth.TokenScopes(tok), []oauth.Scope{oauth.ScopeChatRead, oauth.ScopeChatEdit})
	assert.NilError(t, store.Save(&oauth2.Token{AccessToken: "a3"}))
	got, err = store.Load()
	assert.NilError(t, err)
	assert.Assert(t, got.Expiry.IsZero())
	assert.Assert(t, oauth.TokenScopes(got) == nil)
}

func TestFileStoreErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := oauth.NewFileStore(filepath.Join(dir, "missing.json")).Load()
	assert.ErrorIs(t, err, iofs.ErrNotExist)

	bad := filepath.Join(dir, "bad.json")
	assert.NilError(t, os.WriteFile(bad, []byte(`{"access_token": "secret-in-bad-file", `), 0o600))
	_, err = oauth.NewFileStore(bad).Load()
	assert.ErrorContains(t, err, "bad.json")
	assertNoSecret(t, err.Error(), "secret-in-bad-file")

	empty := filepath.Join(dir, "empty.json")
	assert.NilError(t, os.WriteFile(empty, []byte(`{}`), 0o600))
	_, err = oauth.NewFileStore(empty).Load()
	assert.ErrorContains(t, err, "holds no token")

	err = oauth.NewFileStore(filepath.Join(dir, "no", "such", "folder", "t.json")).Save(&oauth2.Token{AccessToken: "secret-unsaved"})
	assert.ErrorIs(t, err, iofs.ErrNotExist)
	assertNoSecret(t, err.Error(), "secret-unsaved")

	if runtime.GOOS != "windows" && os.Geteuid() != 0 {
		// A folder it may not write to: the old file stays as it was.
		ro := filepath.Join(dir, "ro")
		assert.NilError(t, os.Mkdir(ro, 0o700))
		path := filepath.Join(ro, "t.json")
		assert.NilError(t, os.WriteFile(path, []byte(`{"access_token":"kept"}`), 0o600))
		assert.NilError(t, os.Chmod(ro, 0o500))
		defer os.Chmod(ro, 0o700)
		assert.Assert(t, oauth.NewFileStore(path).Save(&oauth2.Token{AccessToken: "new"}) != nil)
		got, err := oauth.NewFileStore(path).Load()
		assert.NilError(t, err)
		assert.Equal(t, got.AccessToken, "kept")
	}
}

// Issue 10, case 18: a crash between a Save's write and its rename leaves
// a temporary file holding a token. Save and Load remove the store's own
// such files once they are old enough not to be another Save's under way,
// and nothing else.
func TestFileStoreRemovesLeftTemporaryFiles(t *testing.T) {
	long := time.Now().Add(-time.Hour)
	tok := &oauth2.Token{AccessToken: "new-access", RefreshToken: "new-refresh"}
	leftovers := []string{".token.json.123456.tmp", ".token.json.9.tmp", ".token.json.4294967295.tmp"}
	kept := []string{
		".token.json.77.tmp/",     // a folder
		".token.json.abc.tmp",     // not CreateTemp's random part
		".token.json..tmp",        // none
		".token.json.1.2.tmp",     // a store of "token.json.1"'s
		".other.json.1.tmp",       // another store's
		"token.json.1.tmp",        // no dot first
		".token.json.1.tmp.bak",   // another suffix
		".token.json.1.tmpx",      // another suffix
		"x.token.json.1.tmp",      // another prefix
		".TOKEN.JSON.1.tmp",       // another name on a case-sensitive file system
		".token.json.5.tmp.young", // renamed below to a young leftover
	}
	setUp := func(t *testing.T) (*oauth.FileStore, string) {
		dir := t.TempDir()
		for _, name := range append(append([]string{}, leftovers...), kept...) {
			path := filepath.Join(dir, name)
			if strings.HasSuffix(name, "/") {
				assert.NilError(t, os.Mkdir(path, 0o700))
			} else {
				assert.NilError(t, os.WriteFile(path, []byte(`{"access_token":"old-access","refresh_token":"old-refresh"}`), 0o600))
			}
			assert.NilError(t, os.Chtimes(path, long, long))
		}
		// A Save under way (another process's, or a store's of the same
		// path): too young to be a crash's.
		young := filepath.Join(dir, ".token.json.5.tmp")
		assert.NilError(t, os.Rename(filepath.Join(dir, ".token.json.5.tmp.young"), young))
		assert.NilError(t, os.Chtimes(young, time.Now(), time.Now()))
		return oauth.NewFileStore(filepath.Join(dir, "token.json")), dir
	}
	left := func(t *testing.T, dir string) []string {
		entries, err := os.ReadDir(dir)
		assert.NilError(t, err)
		var names []string
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() {
				name += "/"
			}
			names = append(names, name)
		}
		sort.Strings(names)
		return names
	}
	want := func(extra ...string) []string {
		names := append([]string{".token.json.5.tmp"}, kept[:len(kept)-1]...)
		names = append(names, extra...)
		sort.Strings(names)
		return names
	}

	t.Run("Save", func(t *testing.T) {
		store, dir := setUp(t)
		assert.NilError(t, store.Save(tok))
		assert.DeepEqual(t, left(t, dir), want("token.json"))
	})
	t.Run("Load", func(t *testing.T) {
		store, dir := setUp(t)
		assert.NilError(t, os.WriteFile(store.Path(), []byte(`{"access_token":"a"}`), 0o600))
		_, err := store.Load()
		assert.NilError(t, err)
		assert.DeepEqual(t, left(t, dir), want("token.json"))
	})
	t.Run("Load without a token file", func(t *testing.T) {
		// The crash was at the first Save.
		store, dir := setUp(t)
		_, err := store.Load()
		assert.ErrorIs(t, err, iofs.ErrNotExist)
		assert.DeepEqual(t, left(t, dir), want())
	})
}

// What a Save costs on this machine: the write, two syncs (file and
// folder), the rename and the cleanup's look at the folder.
func BenchmarkFileStoreSave(b *testing.B) {
	store := oauth.NewFileStore(filepath.Join(b.TempDir(), "token.json"))
	tok := &oauth2.Token{AccessToken: "access", RefreshToken: "refresh", Expiry: time.Now()}
	for b.Loop() {
		if err := store.Save(tok); err != nil {
			b.Fatal(err)
		}
	}
}
