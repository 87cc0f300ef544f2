package twitch_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/oauth2"
	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch"
	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/twitchtest"
)

func TestNewReportsBadArguments(t *testing.T) {
	c := twitch.New("", twitch.WithEndpoints(twitch.Endpoints{EventSub: "http://127.0.0.1/ws", OAuth: "id.twitch.tv"}))
	err := c.Run(context.Background())
	assert.Error(t, err, "twitch: New: the client ID is empty: register an application at https://dev.twitch.tv/console\n"+
		`twitch: WithEndpoints: EventSub "http://127.0.0.1/ws" is not a URL of scheme ws or wss`)
	assert.Equal(t, c.Subscribe(context.Background(), &eventsub.StreamOnlineCondition{BroadcasterUserID: "1"}), err)
}

func TestCloseBeforeRun(t *testing.T) {
	c := twitch.New(clientID)
	assert.NilError(t, c.Close())
	assert.Equal(t, c.Run(context.Background()), twitch.ErrClosed)
	assert.Equal(t, c.Subscribe(context.Background(), &eventsub.StreamOnlineCondition{BroadcasterUserID: "1"}), twitch.ErrClosed)
}

// Close from a handler stops Run, which returns ErrClosed; a second Run
// is refused.
func TestCloseFromAHandler(t *testing.T) {
	srv := newFake(t)
	synctest.Test(t, func(t *testing.T) {
		srv.OAuth.AddToken("chat", twitchtest.TokenInfo{ClientID: clientID, UserID: userID, Login: login, Scopes: followScopes})
		b := newBot(t, srv, twitch.WithToken("chat", ""))
		b.OnChannelFollow(func(context.Context, *eventsub.ChannelFollowEvent) { b.Close() })
		b.start(t)
		b.waitReady(t)
		assert.Error(t, b.Run(context.Background()), "twitch: Run called twice: a Client runs once")
		_, err := srv.EventSub.Notify(follow(userID))
		assert.NilError(t, err)
		err = b.runErr(t)
		assert.Equal(t, err, twitch.ErrClosed)
		assert.Equal(t, b.Subscribe(context.Background(), &eventsub.StreamOnlineCondition{BroadcasterUserID: "1"}), twitch.ErrClosed)
		synctest.Wait()
		assert.Equal(t, len(b.errs), 0)
	})
}

// Close while Run waits for the user to authorize ends the wait.
func TestCloseDuringTheDeviceFlow(t *testing.T) {
	srv := newFake(t)
	synctest.Test(t, func(t *testing.T) {
		b := newBot(t, srv)
		b.OnCode(func(twitch.DeviceCode) { b.Close() }) // the user never comes
		err := b.Run(context.Background())
		assert.Equal(t, err, twitch.ErrClosed)
		assert.Equal(t, srv.OAuth.Stats().DeviceCodes, 1)
	})
}

// Without OnCode, the device code is logged rather than waited on in
// silence; without OnError, errors go to the logger.
func TestLoggedWithoutCallbacks(t *testing.T) {
	srv := newFake(t)
	synctest.Test(t, func(t *testing.T) {
		log := &logs{}
		c := twitch.New(clientID, append(offline(srv), twitch.WithLogger(slog.New(slog.NewTextHandler(log, nil))))...)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		assert.Equal(t, c.Run(ctx), context.DeadlineExceeded)
		assert.Assert(t, strings.Contains(log.String(), `level=WARN msg="twitch: to authorize the application, open the verification URI, sign in as the bot's account and check the code" uri="`+srv.URL+"/activate?public=true&device-code="), log.String())
		assert.Assert(t, strings.Contains(log.String(), "code="))

		c = twitch.New(clientID, append(offline(srv), twitch.WithLogger(slog.New(slog.NewTextHandler(log, nil))))...)
		c.Close()
		c.OnStreamOnline(func(context.Context, *eventsub.StreamOnlineEvent) {})
		assert.Equal(t, c.Run(context.Background()), twitch.ErrClosed)
	})
}

// A handler registered after Run has started is an error reported to
// OnError: Run has subscribed already.
func TestHandlerAfterRun(t *testing.T) {
	srv := newFake(t)
	synctest.Test(t, func(t *testing.T) {
		b := readyBot(t, srv)
		b.OnStreamOnline(func(context.Context, *eventsub.StreamOnlineEvent) {})
		err := wait(t, b.errs, "error")
		assert.Error(t, err, "twitch: OnStreamOnline was called after Run: Run has subscribed already, so its handler gets only the events of what Subscribe subscribes to; register handlers before Run")
	})
}

// An error after the start goes to the logger when there is no OnError.
func TestErrorsGoToTheLogger(t *testing.T) {
	srv := newFake(t)
	synctest.Test(t, func(t *testing.T) {
		srv.OAuth.AddToken("chat", twitchtest.TokenInfo{ClientID: clientID, UserID: userID, Login: login, Scopes: followScopes})
		log := &logs{}
		c := twitch.New(clientID, append(offline(srv), twitch.WithToken("chat", ""), twitch.WithLogger(slog.New(slog.NewTextHandler(log, nil))))...)
		ready := make(chan struct{})
		c.OnReady(func() { close(ready) })
		c.OnChannelFollow(func(context.Context, *eventsub.ChannelFollowEvent) {})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		<-ready
		assert.NilError(t, srv.OAuth.FailNext("validate", twitchtest.Fault{Status: http.StatusInternalServerError}))
		time.Sleep(time.Hour) // the hourly validation fails
		synctest.Wait()
		assert.Assert(t, strings.Contains(log.String(), `level=ERROR msg="twitch: error" err="twitch: validating the token failed; it is validated again in an hour: oauth: validate: 500`), log.String())
		cancel()
		assert.Assert(t, errors.Is(<-done, context.Canceled))
	})
}

// Close from elsewhere than a callback returns once Run has returned.
func TestCloseWaitsForRun(t *testing.T) {
	srv := newFake(t)
	synctest.Test(t, func(t *testing.T) {
		b := readyBot(t, srv)
		assert.NilError(t, b.Close())
		// Run has returned (its result may not have reached b.done yet:
		// the goroutine that called Run sends it after).
		assert.Assert(t, b.RunReturned(), "Close returned before Run")
		err := <-b.done
		b.ended, b.err = true, err
		assert.Equal(t, err, twitch.ErrClosed)
		assert.NilError(t, b.Close(), "twice")
	})
}

// Close from OnAuth, which runs on the goroutine that renewed the token
// (here, the hourly validation's), returns at once, and Run then returns.
func TestCloseFromOnAuth(t *testing.T) {
	srv := newFake(t)
	synctest.Test(t, func(t *testing.T) {
		srv.OAuth.SetTokenLifetime(90*time.Minute, time.Hour)
		tok := srv.OAuth.GrantUserToken(clientID, followScopes...)
		b := newBot(t, srv, twitch.WithToken(tok.AccessToken, tok.RefreshToken))
		b.OnChannelFollow(func(context.Context, *eventsub.ChannelFollowEvent) {})
		b.OnAuth(func(*oauth2.Token) { b.Close() })
		b.start(t)
		b.waitReady(t)
		assert.Equal(t, b.runErr(t), twitch.ErrClosed)
		assert.Equal(t, srv.OAuth.Stats().Refreshes, 1)
	})
}

// With nothing to subscribe to, Run does without EventSub (which would
// close an unused connection) and keeps the token: a bot that only calls
// Helix.
func TestRunWithoutEvents(t *testing.T) {
	srv := newFake(t)
	synctest.Test(t, func(t *testing.T) {
		srv.OAuth.AddToken("chat", twitchtest.TokenInfo{ClientID: clientID, UserID: userID, Login: login, Scopes: followScopes})
		b := newBot(t, srv, twitch.WithToken("chat", ""))
		b.start(t)
		b.waitReady(t)
		assert.NilError(t, b.SendChatMessage(context.Background(), "hello"))
		assert.ErrorContains(t, b.Subscribe(context.Background(), &eventsub.StreamOnlineCondition{BroadcasterUserID: "1"}),
			"twitch: Subscribe: Run started with nothing to subscribe to, so without EventSub")
		time.Sleep(2 * time.Hour)
		synctest.Wait()
		assert.Equal(t, srv.OAuth.Stats().Validations, 3, "validated at the start and hourly")
		assert.Equal(t, srv.EventSub.WaitSession(expired()), "", "no EventSub session")
	})
}

// expired is a context that has ended.
func expired() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// OnReady is called once: not again when a lost connection makes the
// client subscribe again on a new session.
func TestOnReadyOnce(t *testing.T) {
	srv := newFake(t)
	synctest.Test(t, func(t *testing.T) {
		connected := make(chan string, 10)
		b := readyBot(t, srv)
		b.OnConnected(func(s eventsub.Session) { connected <- s.ID })
		first := srv.EventSub.WaitSession(context.Background())
		assert.NilError(t, srv.EventSub.Drop(first))
		second := wait(t, connected, "a new session")
		assert.Assert(t, second != first)
		_, err := srv.EventSub.WaitSubscription(context.Background(), "channel.follow")
		assert.NilError(t, err)
		synctest.Wait()
		assert.Equal(t, len(srv.EventSub.Subscriptions()), 1)
		assert.Equal(t, srv.EventSub.Subscriptions()[0].Transport.SessionID, second)
		assert.Equal(t, len(b.ready), 0, "OnReady was called again")
	})
}
