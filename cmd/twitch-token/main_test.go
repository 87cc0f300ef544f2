package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/twitchify-go/twitch/oauth"
	"github.com/twitchify-go/twitch/twitchtest"
)

// syncBuffer is the command's output, read while it runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type command struct {
	stdout, stderr syncBuffer
	done           chan error
}

// start runs the command against srv in the background; in a synctest
// bubble, its waits pass when the test sleeps.
func start(t *testing.T, srv *twitchtest.Server, env map[string]string, args ...string) *command {
	t.Helper()
	cmd := &command{done: make(chan error, 1)}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	t.Cleanup(cancel)
	args = append([]string{"-base-url", srv.OAuth.URL}, args...)
	go func() {
		cmd.done <- run(ctx, args, &cmd.stdout, &cmd.stderr, func(k string) string { return env[k] },
			oauth.WithHTTPClient(srv.InMemoryClient()))
	}()
	return cmd
}

var userCodeLine = regexp.MustCompile(`shows the code ([A-Z0-9]+);`)

func TestGetsAndSavesAToken(t *testing.T) {
	srv := twitchtest.NewServer()
	t.Cleanup(srv.Close)
	srv.OAuth.AddClient("my-bot", "") // a public client
	srv.OAuth.SetUser("1001", "mybot")
	path := filepath.Join(t.TempDir(), "bot-token.json")
	synctest.Test(t, func(t *testing.T) {
		cmd := start(t, srv, map[string]string{"TWITCH_CLIENT_ID": "my-bot"},
			"-scopes", "user:read:chat, user:write:chat user:bot", "-o", path)
		synctest.Wait() // the command printed the code, polled once at once, and waits
		m := userCodeLine.FindStringSubmatch(cmd.stdout.String())
		assert.Assert(t, m != nil, cmd.stdout.String())
		assert.Equal(t, srv.OAuth.Stats().DevicePolls, 1)
		assert.NilError(t, srv.OAuth.ApproveDevice(m[1])) // the user types the code
		time.Sleep(5 * time.Second)
		assert.NilError(t, <-cmd.done, cmd.stderr.String())

		out := cmd.stdout.String()
		assert.Assert(t, is.Contains(out, srv.URL+"/activate?public=true&device-code="+m[1]))
		assert.Assert(t, is.Contains(out, "Saved a token for mybot (user ID 1001) with the scopes user:read:chat user:write:chat user:bot to "+path+"."))
		assert.Equal(t, srv.OAuth.Stats().DevicePolls, 2)

		fi, err := os.Stat(path)
		assert.NilError(t, err)
		assert.Equal(t, fi.Mode().Perm(), os.FileMode(0o600))
		tok, err := oauth.NewFileStore(path).Load()
		assert.NilError(t, err)
		assert.DeepEqual(t, oauth.TokenScopes(tok), []oauth.Scope{oauth.ScopeUserReadChat, oauth.ScopeUserWriteChat, oauth.ScopeUserBot})
		assert.Assert(t, !strings.Contains(out+cmd.stderr.String(), tok.AccessToken), "the token is never printed")
		assert.Assert(t, !strings.Contains(out+cmd.stderr.String(), tok.RefreshToken))

		// What the bot does with the file: the token works, and refreshes
		// without a secret.
		c := oauth.New("my-bot", oauth.WithBaseURL(srv.OAuth.URL), oauth.WithHTTPClient(srv.InMemoryClient()))
		v, err := c.Validate(context.Background(), tok.AccessToken)
		assert.NilError(t, err)
		assert.Equal(t, v.Login, "mybot")
		_, err = c.UserTokenSource(tok).Refresh(context.Background(), nil)
		assert.NilError(t, err)
	})
}

func TestDeclinedOrExpired(t *testing.T) {
	for _, tt := range []struct {
		answer twitchtest.DeviceAnswer
		want   string
	}{
		{twitchtest.DeviceDenied, "the authorization was declined; nothing was saved"},
		{twitchtest.DeviceExpired, "the code expired before it was used; run the command again"},
	} {
		srv := twitchtest.NewServer()
		t.Cleanup(srv.Close)
		path := filepath.Join(t.TempDir(), "token.json")
		synctest.Test(t, func(t *testing.T) {
			cmd := start(t, srv, nil, "-client-id", "my-bot", "-o", path)
			synctest.Wait()
			m := userCodeLine.FindStringSubmatch(cmd.stdout.String())
			assert.Assert(t, m != nil, cmd.stdout.String())
			assert.NilError(t, srv.OAuth.ScriptDevice(m[1], tt.answer))
			time.Sleep(5 * time.Second)
			err := <-cmd.done
			assert.Error(t, err, tt.want)
			_, err = os.Stat(path)
			assert.Assert(t, errors.Is(err, os.ErrNotExist))
		})
	}
}

func TestFlags(t *testing.T) {
	srv := twitchtest.NewServer()
	t.Cleanup(srv.Close)
	tests := []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"-scopes", "chat:read"}, "no client ID: give -client-id or set TWITCH_CLIENT_ID"},
		{nil, []string{"-client-id", "x", "-scopes", "chat:read chat:sing"}, `unknown scope "chat:sing" (see https://dev.twitch.tv/docs/authentication/scopes/)`},
		{nil, []string{"-client-id", "x", "extra"}, "unexpected arguments: extra"},
		{nil, []string{"-nope"}, "flag provided but not defined: -nope"},
	}
	for _, tt := range tests {
		cmd := start(t, srv, tt.env, tt.args...)
		assert.Error(t, <-cmd.done, tt.want)
	}
	assert.Equal(t, srv.OAuth.Stats().DeviceCodes, 0, "nothing asked of Twitch")

	cmd := start(t, srv, nil, "-h")
	assert.ErrorIs(t, <-cmd.done, flag.ErrHelp)
	assert.Assert(t, is.Contains(cmd.stderr.String(), "usage: twitch-token"))

	srv.OAuth.AddClient("registered", "")
	cmd = start(t, srv, nil, "-client-id", "unregistered")
	err := <-cmd.done
	assert.ErrorContains(t, err, "starting the device flow: oauth: device: 400 invalid client")
}

func TestParseScopes(t *testing.T) {
	got, err := parseScopes(" chat:read,chat:edit  chat:read\n")
	assert.NilError(t, err)
	assert.DeepEqual(t, got, []oauth.Scope{oauth.ScopeChatRead, oauth.ScopeChatEdit})
	got, err = parseScopes("")
	assert.NilError(t, err)
	assert.Equal(t, len(got), 0)
}
