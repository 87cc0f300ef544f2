package oauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// FileStore keeps a token in a JSON file that only its owner may read
// (mode 0600). Save replaces the file atomically (a temporary file in the
// same folder, synced, then renamed over it), so that a crash leaves the
// old token or the new one, never half of one. Its Save fits OnToken:
//
//	store := oauth.NewFileStore("token.json")
//	tok, err := store.Load()
//	ts := c.UserTokenSource(tok, oauth.OnToken(store.Save))
//
// A FileStore is safe for concurrent use within one process.
type FileStore struct {
	path string
	mu   sync.Mutex
}

// NewFileStore returns a store that keeps its token at path.
func NewFileStore(path string) *FileStore { return &FileStore{path: path} }

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
	data, err := os.ReadFile(f.path)
	if err != nil {
		return nil, fmt.Errorf("oauth: token file: %w", err)
	}
	var st storedToken
	if err := json.Unmarshal(data, &st); err != nil {
		// The error of encoding/json quotes no content, only positions
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
	return writeAtomic(f.path, data)
}

// writeAtomic writes data to path through a temporary file in the same
// folder (os.CreateTemp makes it with mode 0600), synced and renamed over
// path.
func writeAtomic(path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("oauth: token file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
			err = fmt.Errorf("oauth: token file %s: %w", path, err)
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
	return os.Rename(tmp.Name(), path)
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
