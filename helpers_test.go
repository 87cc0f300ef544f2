package twitch_test

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch"
	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/twitchtest"
)

const clientID = "bot-client"

// The fake's user, who approves device codes unless told otherwise.
const (
	userID = "141981764"
	login  = "twitchdev"
)

// newFake starts a fake Twitch for a test; it is closed when the test ends.
func newFake(t *testing.T, opts ...twitchtest.Option) *twitchtest.Server {
	t.Helper()
	srv := twitchtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// logs is a log the client writes to, for tests to read.
type logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// bot is a Client under test, and what its callbacks reported.
type bot struct {
	*twitch.Client
	log     *logs
	codes   chan twitch.DeviceCode
	auths   chan *oauth2.Token
	ready   chan struct{}
	errs    chan error
	revoked chan string
	done    chan error
	cancel  context.CancelFunc
	ended   bool  // Run's error was taken from done
	err     error // ... and this was it
}

// offline are the options that point a client at srv without a network,
// for a testing/synctest bubble.
func offline(srv *twitchtest.Server) []twitch.Option {
	return []twitch.Option{
		twitch.WithEndpoints(srv.Endpoints()),
		twitch.WithHTTPClient(srv.InMemoryClient()),
		twitch.WithDialContext(srv.EventSub.DialContext),
	}
}

// newBot makes a client against srv (offline), with callbacks that report
// on channels. It does not run it.
func newBot(t *testing.T, srv *twitchtest.Server, opts ...twitch.Option) *bot {
	t.Helper()
	b := &bot{
		log:     &logs{},
		codes:   make(chan twitch.DeviceCode, 10),
		auths:   make(chan *oauth2.Token, 10),
		ready:   make(chan struct{}, 10),
		errs:    make(chan error, 100),
		revoked: make(chan string, 10),
		done:    make(chan error, 1),
	}
	opts = append(append(offline(srv), twitch.WithLogger(slog.New(slog.NewTextHandler(b.log, nil)))), opts...)
	b.Client = twitch.New(clientID, opts...)
	b.OnCode(func(code twitch.DeviceCode) { b.codes <- code })
	b.OnAuth(func(tok *oauth2.Token) { b.auths <- tok })
	b.OnReady(func() { b.ready <- struct{}{} })
	b.OnError(func(err error) { b.errs <- err })
	return b
}

// start runs the bot until the test ends (or stop).
func (b *bot) start(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	go func() { b.done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if !b.ended {
			<-b.done
		}
	})
}

// runErr waits for Run to return, and returns what it returned.
func (b *bot) runErr(t *testing.T) error {
	t.Helper()
	if !b.ended {
		b.err = wait(t, b.done, "Run's end")
		b.ended = true
	}
	return b.err
}

// waitReady waits for OnReady, or fails with what Run returned.
func (b *bot) waitReady(t *testing.T) {
	t.Helper()
	select {
	case <-b.ready:
	case err := <-b.done:
		b.ended, b.err = true, err
		t.Fatalf("Run returned before OnReady: %v", err)
	}
}

// wait receives from ch in a testing/synctest bubble, failing the test
// when nothing comes within a day of the bubble's clock, which passes at
// once when every goroutine of the bubble waits.
func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(24 * time.Hour):
		t.Fatalf("no %s within a day", what)
		panic("unreachable")
	}
}

// follow is a follow of the fake's user's channel.
func follow(broadcasterID string) *eventsub.ChannelFollowEvent {
	return &eventsub.ChannelFollowEvent{
		UserID: "2002", UserLogin: "viewer", UserName: "Viewer",
		BroadcasterUserID: broadcasterID, BroadcasterUserLogin: login, BroadcasterUserName: "TwitchDev",
		FollowedAt: eventsub.Time{Time: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)},
	}
}

var _ = assert.Equal
