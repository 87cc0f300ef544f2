package oauth_test

import (
	iofs "io/fs"
	"os"
	"path/filepath"
	"runtime"
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
