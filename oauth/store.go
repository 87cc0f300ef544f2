package oauth

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/oauth2"

	"github.com/twitchify-go/twitch/internal/json"
)

// FileStore keeps a token in a JSON file that only its owner may read
// (mode 0600). Save replaces the file atomically (a temporary file in the
// same folder, synced, renamed over it, and the folder synced), so that a
// crash or a power cut leaves the old token or the new one, never half of
// one, and a saved token stays saved: a power cut cannot bring back a
// token that Twitch has since rotated. Its Save fits OnToken:
//
//	store := oauth.NewFileStore("token.json")
//	tok, err := store.Load()
//	ts := c.UserTokenSource(tok, oauth.OnToken(store.Save))
//
// A crash between a Save's write and its rename leaves the temporary
// file (".token.json.<digits>.tmp", mode 0600), which holds a token: Save
// and Load remove the store's own such files once they are a minute old,
// and no other file.
//
// A FileStore is safe for concurrent use within one process.
type FileStore struct {
	path string
	mu   sync.Mutex
	// syncDir makes a rename in a folder durable; tests replace it.
	syncDir func(dir string) error
}

// NewFileStore returns a store that keeps its token at path.
func NewFileStore(path string) *FileStore { return &FileStore{path: path, syncDir: syncDir} }

// Path returns the file's path.
func (f *FileStore) Path() string { return f.path }

// storedToken is the file's content.
type storedToken struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	TokenType    string    `json:"token_type,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
	Scopes       []string  `json:"scopes,omitempty"`
}

// Load reads the token. A missing file gives an error that wraps
// fs.ErrNotExist.
func (f *FileStore) Load() (*oauth2.Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removeStaleTemps()
	data, err := os.ReadFile(f.path)
	if err != nil {
		return nil, fmt.Errorf("oauth: token file: %w", err)
	}
	var st storedToken
	if err := json.Unmarshal(data, &st); err != nil {
		// The decoding error quotes no content, only positions, paths
		// and types.
		return nil, fmt.Errorf("oauth: token file %s: %w", f.path, err)
	}
	if st.AccessToken == "" && st.RefreshToken == "" {
		return nil, fmt.Errorf("oauth: token file %s holds no token", f.path)
	}
	tok := &oauth2.Token{
		AccessToken:  st.AccessToken,
		RefreshToken: st.RefreshToken,
		TokenType:    st.TokenType,
		Expiry:       st.Expiry,
	}
	if st.Scopes != nil {
		scopes := make([]any, len(st.Scopes))
		for i, s := range st.Scopes {
			scopes[i] = s
		}
		tok = tok.WithExtra(map[string]any{"scope": scopes})
	}
	return tok, nil
}

// Save writes tok, with its scopes (TokenScopes), replacing the file.
func (f *FileStore) Save(tok *oauth2.Token) error {
	if tok == nil {
		return errors.New("oauth: token file: no token to save")
	}
	st := storedToken{
		AccessToken:  tok.AccessToken,
		RefreshToken: tok.RefreshToken,
		TokenType:    tok.TokenType,
		Expiry:       tok.Expiry,
		Scopes:       scopeStrings(TokenScopes(tok)),
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("oauth: token file: %w", err)
	}
	data = append(data, '\n')
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.writeAtomic(data); err != nil {
		return err
	}
	f.removeStaleTemps()
	return nil
}

// writeAtomic writes data to the store's path through a temporary file in
// the same folder (os.CreateTemp makes it with mode 0600), synced and
// renamed over the path, and then syncs the folder: the rename is in the
// folder's entries, which a power cut may otherwise lose, bringing back
// the old file (and a refresh token that Twitch has since rotated).
func (f *FileStore) writeAtomic(data []byte) (err error) {
	dir := filepath.Dir(f.path)
	tmp, err := createTemp(f.path)
	if err != nil {
		return fmt.Errorf("oauth: token file: %w", err)
	}
	renamed := false
	defer func() {
		if err != nil && !renamed {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
		if err != nil {
			err = fmt.Errorf("oauth: token file %s: %w", f.path, err)
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), f.path); err != nil {
		return err
	}
	renamed = true
	sync := f.syncDir
	if sync == nil { // a FileStore not made by NewFileStore
		sync = syncDir
	}
	if err := sync(dir); err != nil {
		return fmt.Errorf("the token is written, but syncing the folder failed: %w", err)
	}
	return nil
}

// createTemp creates the temporary file of a Save of path, named as
// isTempOf recognizes.
func createTemp(path string) (*os.File, error) {
	return os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
}

// isTempOf says whether name is the name of a temporary file of a Save of
// a file named base: "." + base + "." + the decimal digits os.CreateTemp
// puts in place of its "*" + ".tmp".
func isTempOf(name, base string) bool {
	rest, ok := strings.CutPrefix(name, "."+base+".")
	if !ok {
		return false
	}
	digits, ok := strings.CutSuffix(rest, ".tmp")
	if !ok || digits == "" {
		return false
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// staleTemp is how old a temporary file of the store must be for Save and
// Load to remove it. A Save writes a few hundred bytes and renames them
// within milliseconds (seconds on a slow disk), so an older one was left
// by a crash; a younger one may be another process's Save under way (a bot
// and cmd/twitch-token sharing a file), which removing it would fail.
const staleTemp = time.Minute

// readDirBatch is how many names of the folder are read at a time: the
// folder may be a large one (a home folder), and is never read whole.
const readDirBatch = 256

// removeStaleTemps removes the temporary files that a crashed Save of this
// store left in its folder: only regular files whose names isTempOf
// recognizes and that are older than staleTemp. It is a cleanup at the
// side of Save and Load, which do not fail for it: a file it cannot
// remove now it tries again next time. f.mu is held.
func (f *FileStore) removeStaleTemps() {
	dir, base := filepath.Dir(f.path), filepath.Base(f.path)
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	defer d.Close()
	for {
		names, err := d.Readdirnames(readDirBatch)
		for _, name := range names {
			if !isTempOf(name, base) {
				continue
			}
			path := filepath.Join(dir, name)
			fi, err := os.Lstat(path)
			if err != nil || !fi.Mode().IsRegular() || time.Since(fi.ModTime()) < staleTemp {
				continue
			}
			_ = os.Remove(path)
		}
		if err != nil { // io.EOF at the end
			return
		}
	}
}

// syncDir makes the entries of the folder dir durable (fsync), so that a
// rename in it survives a power cut. Windows cannot open a folder to sync
// it, and NTFS journals renames; file systems that cannot sync a folder
// (errors.ErrUnsupported, EINVAL) have nothing to sync.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if errors.Is(err, errors.ErrUnsupported) || errors.Is(err, syscall.EINVAL) {
		err = nil
	}
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// TokenScopes returns the scopes Twitch granted with tok, as its token
// endpoint reported them (Twitch sends "scope" as a JSON array, RFC 6749 as
// a space-separated string; both are read), or as a FileStore kept them.
// It returns nil when tok carries none.
func TokenScopes(tok *oauth2.Token) []Scope {
	if tok == nil {
		return nil
	}
	var out []Scope
	switch v := tok.Extra("scope").(type) {
	case []any:
		for _, s := range v {
			if str, ok := s.(string); ok {
				out = append(out, Scope(str))
			}
		}
	case []string:
		for _, s := range v {
			out = append(out, Scope(s))
		}
	case string:
		for _, s := range strings.Fields(v) {
			out = append(out, Scope(s))
		}
	}
	return out
}
