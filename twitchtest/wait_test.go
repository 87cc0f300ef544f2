package twitchtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch"
	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/twitchtest"
)

func TestEndpoints(t *testing.T) {
	srv := newFake(t)
	assert.DeepEqual(t, srv.Endpoints(), twitch.Endpoints{
		EventSub: "ws" + strings.TrimPrefix(srv.URL, "http") + "/eventsub",
		Helix:    srv.URL + "/helix",
		OAuth:    srv.URL + "/oauth2",
	})
}

// WaitRequests returns once the fake has answered as many requests of an
// operation as asked for, the first ones, and not before.
func TestWaitRequests(t *testing.T) {
	srv := newFake(t)
	ctx := context.Background()
	h := helix.New("client", srv.Token("token"), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.Client()))

	waited := make(chan []twitchtest.HelixRequest, 1)
	go func() {
		reqs, err := srv.Helix.WaitRequests(ctx, "GetUsers", 2)
		assert.Check(t, err)
		waited <- reqs
	}()
	_, err := h.GetUsers(ctx, &helix.GetUsersParams{Login: []string{"first"}})
	assert.NilError(t, err)
	_, err = h.GetGames(ctx, &helix.GetGamesParams{Name: []string{"Chess"}})
	assert.NilError(t, err)
	select {
	case <-waited:
		t.Fatal("WaitRequests returned after one GetUsers")
	default:
	}
	_, err = h.GetUsers(ctx, &helix.GetUsersParams{Login: []string{"second"}})
	assert.NilError(t, err)
	reqs := <-waited
	assert.Equal(t, len(reqs), 2)
	assert.Equal(t, reqs[0].Query.Get("login"), "first")
	assert.Equal(t, reqs[1].Query.Get("login"), "second")

	// Already there: at once.
	reqs, err = srv.Helix.WaitRequests(ctx, "GetGames", 1)
	assert.NilError(t, err)
	assert.Equal(t, reqs[0].Operation, "GetGames")

	short, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	_, err = srv.Helix.WaitRequests(short, "GetGames", 2)
	assert.Assert(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
	assert.ErrorContains(t, err, "waiting for 2 GetGames request(s), 1 came")
	_, err = srv.Helix.WaitRequests(ctx, "NoSuchOperation", 1)
	assert.Assert(t, errors.Is(err, twitchtest.ErrNotFound), "%v", err)
}

// WaitSubscription returns the subscription of a type once one is made.
func TestWaitSubscription(t *testing.T) {
	srv := newFake(t)
	ctx := context.Background()
	h := helix.New("client", srv.Token("token"), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.Client()))
	session := dialSession(t, srv)

	waited := make(chan helix.EventSubSubscription, 1)
	go func() {
		sub, err := srv.EventSub.WaitSubscription(ctx, "channel.follow")
		assert.Check(t, err)
		waited <- sub
	}()
	res, err := h.CreateEventSubSubscription(ctx, &helix.CreateEventSubSubscriptionParams{
		Type: "channel.follow", Version: "2", Condition: json.RawMessage(`{"broadcaster_user_id": "1", "moderator_user_id": "1"}`),
		Transport: helix.EventSubTransportParams{Method: helix.EventSubTransportMethodWebSocket, SessionID: session},
	})
	assert.NilError(t, err)
	sub := <-waited
	assert.Equal(t, sub.ID, res.Data[0].ID)

	short, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	_, err = srv.EventSub.WaitSubscription(short, "stream.online")
	assert.Assert(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
}
