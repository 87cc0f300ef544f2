package twitchtest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/oauth2"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/twitchtest"
)

// appClient is a helix.Client of the application "client" with its app
// token, over loopback.
func appClient(srv *twitchtest.Server) *helix.Client {
	return helix.New("client", srv.Token(appToken), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.Client()), helix.WithMaxRetries(0))
}

// statusOf is the HTTP status of a helix error, or 0.
func statusOf(err error) int {
	var apiErr *helix.APIError
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode
	}
	return 0
}

// newConduit creates a conduit of n shards.
func newConduit(t *testing.T, h *helix.Client, n int) string {
	t.Helper()
	res, err := h.CreateConduits(t.Context(), &helix.CreateConduitsParams{ShardCount: n})
	assert.NilError(t, err)
	assert.Equal(t, len(res.Data), 1)
	assert.Equal(t, res.Data[0].ShardCount, n)
	return res.Data[0].ID
}

// shardSocket is a test's WebSocket client: its session, and the frames
// it reads, as they arrive.
type shardSocket struct {
	ws      *websocket.Conn
	session string
	frames  chan frame
	closed  chan error // the read error that ended the reader
}

// frame is an EventSub WebSocket message as a test reads it.
type frame struct {
	Metadata struct {
		MessageID   string `json:"message_id"`
		MessageType string `json:"message_type"`
	} `json:"metadata"`
	Payload struct {
		Subscription helix.EventSubSubscription `json:"subscription"`
		Event        json.RawMessage            `json:"event"`
		Session      struct {
			ID           string `json:"id"`
			ReconnectURL string `json:"reconnect_url"`
		} `json:"session"`
	} `json:"payload"`
}

// connect opens a WebSocket to url with dial, reads its welcome, and reads
// the rest in the background (keepalives left out).
func connect(t *testing.T, dialer *websocket.Dialer, url string) *shardSocket {
	t.Helper()
	ws, _, err := dialer.Dial(url, nil)
	assert.NilError(t, err)
	t.Cleanup(func() { ws.Close() })
	var welcome frame
	assert.NilError(t, ws.ReadJSON(&welcome))
	assert.Equal(t, welcome.Metadata.MessageType, "session_welcome")
	s := &shardSocket{ws: ws, session: welcome.Payload.Session.ID, frames: make(chan frame, 1000), closed: make(chan error, 1)}
	go func() {
		for {
			var f frame
			if err := ws.ReadJSON(&f); err != nil {
				s.closed <- err
				return
			}
			if f.Metadata.MessageType != "session_keepalive" {
				s.frames <- f
			}
		}
	}()
	return s
}

// next returns the next frame, failing the test when none comes in time.
func (s *shardSocket) next(t *testing.T) frame {
	t.Helper()
	select {
	case f := <-s.frames:
		return f
	case <-time.After(time.Minute):
		t.Fatalf("session %s: no frame came", s.session)
		return frame{}
	}
}

// assign assigns shards to sessions, in order from shard 0, and checks
// that every one was.
func assign(t *testing.T, h *helix.Client, conduitID string, sessions ...string) {
	t.Helper()
	params := &helix.UpdateConduitShardsParams{ConduitID: conduitID}
	for i, s := range sessions {
		params.Shards = append(params.Shards, helix.ConduitShardUpdate{
			ID:        strconv.Itoa(i),
			Transport: helix.ConduitShardTransportParams{Method: helix.ConduitShardTransportMethodWebSocket, SessionID: s},
		})
	}
	res, err := h.UpdateConduitShards(t.Context(), params)
	assert.NilError(t, err)
	assert.Check(t, is.Len(res.Errors, 0), "%+v", res.Errors)
	assert.Equal(t, len(res.Data), len(sessions))
}

// subscribeConduit creates a conduit subscription to channel.follow of a
// broadcaster and returns it.
func subscribeConduit(t *testing.T, h *helix.Client, conduitID, broadcaster string) helix.EventSubSubscription {
	t.Helper()
	cond, _ := json.Marshal(map[string]string{"broadcaster_user_id": broadcaster, "moderator_user_id": broadcaster})
	res, err := h.CreateEventSubSubscription(t.Context(), &helix.CreateEventSubSubscriptionParams{
		Type: "channel.follow", Version: "2", Condition: cond,
		Transport: helix.EventSubTransportParams{Method: helix.EventSubTransportMethodConduit, ConduitID: conduitID},
	})
	assert.NilError(t, err)
	assert.Equal(t, res.Data[0].Transport.ConduitID, conduitID)
	assert.Equal(t, res.Data[0].Status, helix.EventSubSubscriptionStatusEnabled)
	return res.Data[0]
}

// waitShard waits until a shard has the status, failing the test when it
// has not after a minute.
func waitShard(t *testing.T, srv *twitchtest.Server, conduitID, shardID string, status helix.ConduitShardStatus) twitchtest.Shard {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	sh, err := srv.EventSub.WaitShard(ctx, conduitID, shardID, string(status))
	assert.NilError(t, err)
	return sh
}

// follow is a channel.follow event of a broadcaster.
func follow(broadcaster, user string) *eventsub.ChannelFollowEvent {
	return &eventsub.ChannelFollowEvent{BroadcasterUserID: broadcaster, UserID: user, UserLogin: "u" + user, UserName: "U" + user}
}

// The conduit endpoints: an app token only, 1 to 20,000 shards, 5
// conduits per client, another client's conduit not found, shard counts
// updated and conduits deleted.
func TestConduitEndpoints(t *testing.T) {
	srv := webhookFake(t)
	ctx := t.Context()
	h := appClient(srv)

	user := helix.New("client", srv.Token(userToken), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.Client()), helix.WithMaxRetries(0))
	_, err := user.CreateConduits(ctx, &helix.CreateConduitsParams{ShardCount: 1})
	assert.Equal(t, statusOf(err), http.StatusUnauthorized, "%v", err)
	_, err = user.GetConduits(ctx)
	assert.Equal(t, statusOf(err), http.StatusUnauthorized)

	for _, n := range []int{0, -1, 20001} {
		_, err = h.CreateConduits(ctx, &helix.CreateConduitsParams{ShardCount: n})
		assert.Equal(t, statusOf(err), http.StatusBadRequest, "shard_count %d: %v", n, err)
	}
	var ids []string
	for _, n := range []int{20000, 1, 2, 3, 4} {
		ids = append(ids, newConduit(t, h, n))
	}
	_, err = h.CreateConduits(ctx, &helix.CreateConduitsParams{ShardCount: 1})
	assert.Equal(t, statusOf(err), http.StatusTooManyRequests, "a sixth conduit: %v", err)

	got, err := h.GetConduits(ctx)
	assert.NilError(t, err)
	assert.DeepEqual(t, got.Data, []helix.Conduit{{ID: ids[0], ShardCount: 20000}, {ID: ids[1], ShardCount: 1}, {ID: ids[2], ShardCount: 2}, {ID: ids[3], ShardCount: 3}, {ID: ids[4], ShardCount: 4}})

	// Another application sees none of them, and may create its own.
	srv.OAuth.AddToken("other-app-token", twitchtest.TokenInfo{Type: "app", ClientID: "other"})
	other := helix.New("other", srv.Token("other-app-token"), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.Client()), helix.WithMaxRetries(0))
	theirs, err := other.GetConduits(ctx)
	assert.NilError(t, err)
	assert.Equal(t, len(theirs.Data), 0)
	_, err = other.UpdateConduits(ctx, &helix.UpdateConduitsParams{ID: ids[1], ShardCount: 2})
	assert.Equal(t, statusOf(err), http.StatusNotFound)
	err = other.DeleteConduit(ctx, &helix.DeleteConduitParams{ID: ids[1]})
	assert.Equal(t, statusOf(err), http.StatusNotFound)
	_, err = other.GetConduitShards(ctx, &helix.GetConduitShardsParams{ConduitID: ids[1]})
	assert.Equal(t, statusOf(err), http.StatusNotFound)
	_, err = other.UpdateConduitShards(ctx, &helix.UpdateConduitShardsParams{ConduitID: ids[1], Shards: []helix.ConduitShardUpdate{{ID: "0"}}})
	assert.Equal(t, statusOf(err), http.StatusNotFound)
	newConduit(t, other, 1)

	up, err := h.UpdateConduits(ctx, &helix.UpdateConduitsParams{ID: ids[1], ShardCount: 7})
	assert.NilError(t, err)
	assert.DeepEqual(t, up.Data, []helix.Conduit{{ID: ids[1], ShardCount: 7}})
	for _, n := range []int{0, 20001} {
		_, err = h.UpdateConduits(ctx, &helix.UpdateConduitsParams{ID: ids[1], ShardCount: n})
		assert.Equal(t, statusOf(err), http.StatusBadRequest)
	}
	_, err = h.UpdateConduits(ctx, &helix.UpdateConduitsParams{ID: "no-such-conduit", ShardCount: 1})
	assert.Equal(t, statusOf(err), http.StatusNotFound)

	assert.NilError(t, h.DeleteConduit(ctx, &helix.DeleteConduitParams{ID: ids[0]}))
	assert.Equal(t, statusOf(h.DeleteConduit(ctx, &helix.DeleteConduitParams{ID: ids[0]})), http.StatusNotFound)
	newConduit(t, h, 1) // room for a fifth again
	assert.Equal(t, len(srv.EventSub.Conduits()), 6, "five of client's, one of other's")
}

// Update Conduit Shards assigns welcomed sessions, answers 202 with an
// error per shard it could not update, and Get Conduit Shards lists the
// shards that were assigned, by ID, with a status filter, a page at a
// time; lowering the shard count takes the shards above it away.
func TestConduitShardAssignmentAndPages(t *testing.T) {
	srv := webhookFake(t, twitchtest.WithUnusedTimeout(0))
	ctx := t.Context()
	h := appClient(srv)
	conduitID := newConduit(t, h, 250)

	shards, err := h.GetConduitShards(ctx, &helix.GetConduitShardsParams{ConduitID: conduitID})
	assert.NilError(t, err)
	assert.Equal(t, len(shards.Data), 0, "a new conduit lists no shard")

	var sessions []string
	for range 3 {
		sessions = append(sessions, connect(t, websocket.DefaultDialer, srv.EventSub.URL).session)
	}
	ws := func(s string) helix.ConduitShardTransportParams {
		return helix.ConduitShardTransportParams{Method: helix.ConduitShardTransportMethodWebSocket, SessionID: s}
	}
	res, err := h.UpdateConduitShards(ctx, &helix.UpdateConduitShardsParams{ConduitID: conduitID, Shards: []helix.ConduitShardUpdate{
		{ID: "0", Transport: ws(sessions[0])},
		{ID: "250", Transport: ws(sessions[1])},
		{ID: "-1", Transport: ws(sessions[1])},
		{ID: "01", Transport: ws(sessions[1])},
		{ID: "1", Transport: ws("no-such-session")},
		{ID: "1", Transport: ws("")},
		{ID: "1", Transport: helix.ConduitShardTransportParams{Method: "carrier-pigeon"}},
		{ID: "1", Transport: ws(sessions[0])}, // the session carries shard 0
		{ID: "2", Transport: helix.ConduitShardTransportParams{Method: "webhook", Secret: secret}},
		{ID: "2", Transport: helix.ConduitShardTransportParams{Method: "webhook", Callback: "http://example.com/cb", Secret: secret}},
		{ID: "2", Transport: helix.ConduitShardTransportParams{Method: "webhook", Callback: "https://example.com/cb", Secret: "short"}},
		{ID: "249", Transport: ws(sessions[1])},
		{ID: "100", Transport: ws(sessions[2])},
	}})
	assert.NilError(t, err)
	var failed []string
	for _, e := range res.Errors {
		assert.Check(t, is.Equal(e.Code, "invalid_parameter"))
		failed = append(failed, e.ID+": "+e.Message)
	}
	assert.DeepEqual(t, failed, []string{
		"250: The shard id is outside of the conduit's range.",
		"-1: The shard id is outside of the conduit's range.",
		"01: The shard id is outside of the conduit's range.",
		"1: The websocket session is not connected.",
		"1: The session_id field is required if you specify the WebSocket transport method.",
		"1: The value specified in the method field is not valid.",
		"1: The websocket session already carries shard 0 of conduit " + conduitID + " (the fake gives a session one shard).",
		"2: The callback field is required if you specify the webhook transport method.",
		"2: The URL in the transport's callback field is not valid. The URL must use the HTTPS protocol and the 443 port number.",
		"2: The length of the string in the secret field is not valid.",
	})
	assert.Equal(t, len(res.Data), 3)
	assert.Equal(t, res.Data[0].ID, "0")
	assert.Equal(t, res.Data[0].Status, helix.ConduitShardStatusEnabled)
	assert.Equal(t, res.Data[0].Transport.Method, helix.ConduitShardTransportMethodWebSocket)
	assert.Equal(t, res.Data[0].Transport.SessionID, sessions[0])
	assert.Check(t, !res.Data[0].Transport.ConnectedAt.IsZero())
	assert.Check(t, res.Data[0].Transport.DisconnectedAt.IsZero())

	// Pages of 100 (by ID); shard 0 disabled for the status filter.
	for i := 1; i < 200; i++ { // fill with webhook shards on a callback that never answers the challenge
		if i == 100 {
			continue
		}
		_, err := h.UpdateConduitShards(ctx, &helix.UpdateConduitShardsParams{ConduitID: conduitID, Shards: []helix.ConduitShardUpdate{
			{ID: strconv.Itoa(i), Transport: helix.ConduitShardTransportParams{Method: "webhook", Callback: "https://127.0.0.1:1/cb", Secret: secret}},
		}})
		assert.NilError(t, err)
	}
	var ids []string
	pages := 0
	for sh, err := range h.GetConduitShardsAll(ctx, &helix.GetConduitShardsParams{ConduitID: conduitID}) {
		assert.NilError(t, err)
		ids = append(ids, sh.ID)
	}
	first, err := h.GetConduitShards(ctx, &helix.GetConduitShardsParams{ConduitID: conduitID})
	assert.NilError(t, err)
	assert.Equal(t, len(first.Data), 100)
	assert.Assert(t, first.Pagination.Cursor != "")
	for cursor := ""; ; pages++ {
		p, err := h.GetConduitShards(ctx, &helix.GetConduitShardsParams{ConduitID: conduitID, After: cursor})
		assert.NilError(t, err)
		if cursor = p.Pagination.Cursor; cursor == "" {
			pages++
			break
		}
	}
	assert.Equal(t, pages, 3, "200 shards 0-199 and 249: 100, 100 and 1")
	assert.Equal(t, len(ids), 201)
	assert.Equal(t, ids[0], "0")
	assert.Equal(t, ids[199], "199")
	assert.Equal(t, ids[200], "249")

	enabled, err := h.GetConduitShards(ctx, &helix.GetConduitShardsParams{ConduitID: conduitID, Status: helix.ConduitShardStatusEnabled})
	assert.NilError(t, err)
	assert.DeepEqual(t, shardIDs(enabled.Data), []string{"0", "100", "249"})

	// Down to 101 shards: 249 goes, and its session may carry another.
	_, err = h.UpdateConduits(ctx, &helix.UpdateConduitsParams{ID: conduitID, ShardCount: 101})
	assert.NilError(t, err)
	enabled, err = h.GetConduitShards(ctx, &helix.GetConduitShardsParams{ConduitID: conduitID, Status: helix.ConduitShardStatusEnabled})
	assert.NilError(t, err)
	assert.DeepEqual(t, shardIDs(enabled.Data), []string{"0", "100"})
	all, err := srv.EventSub.Shards(conduitID)
	assert.NilError(t, err)
	assert.Equal(t, len(all), 101)
	res, err = h.UpdateConduitShards(ctx, &helix.UpdateConduitShardsParams{ConduitID: conduitID, Shards: []helix.ConduitShardUpdate{{ID: "1", Transport: ws(sessions[1])}}})
	assert.NilError(t, err)
	assert.Equal(t, len(res.Errors), 0, "%+v", res.Errors)
}

func shardIDs(shards []helix.ConduitShard) []string {
	var out []string
	for _, sh := range shards {
		out = append(out, sh.ID)
	}
	return out
}

// Conduit subscriptions: an app token, a conduit of the client, a type
// that allows the transport; listed with the app token and not with a
// user token; they outlive the sessions of the shards.
func TestConduitSubscriptions(t *testing.T) {
	srv := webhookFake(t, twitchtest.WithUnusedTimeout(0))
	ctx := t.Context()
	h := appClient(srv)
	conduitID := newConduit(t, h, 1)

	sub := subscribeConduit(t, h, conduitID, "1")
	cond := json.RawMessage(`{"broadcaster_user_id":"1","moderator_user_id":"1"}`)
	try := func(token, typ, version string, transport helix.EventSubTransportParams) int {
		c := helix.New("client", srv.Token(token), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.Client()), helix.WithMaxRetries(0))
		_, err := c.CreateEventSubSubscription(ctx, &helix.CreateEventSubSubscriptionParams{Type: typ, Version: version, Condition: cond, Transport: transport})
		return statusOf(err)
	}
	conduit := helix.EventSubTransportParams{Method: helix.EventSubTransportMethodConduit, ConduitID: conduitID}
	assert.Equal(t, try(appToken, "channel.follow", "2", conduit), http.StatusConflict)
	assert.Equal(t, try(userToken, "channel.follow", "2", conduit), http.StatusUnauthorized)
	assert.Equal(t, try(appToken, "channel.follow", "2", helix.EventSubTransportParams{Method: helix.EventSubTransportMethodConduit}), http.StatusBadRequest)
	assert.Equal(t, try(appToken, "channel.follow", "2", helix.EventSubTransportParams{Method: helix.EventSubTransportMethodConduit, ConduitID: "nope"}), http.StatusBadRequest)
	assert.Equal(t, try(appToken, "user.authorization.grant", "1", conduit), http.StatusBadRequest, "a webhook-only type")

	listed, err := h.GetEventSubSubscriptions(ctx, &helix.GetEventSubSubscriptionsParams{})
	assert.NilError(t, err)
	assert.Equal(t, len(listed.Data), 1)
	assert.Equal(t, listed.Data[0].ID, sub.ID)
	assert.Equal(t, listed.Data[0].Transport.Method, helix.EventSubTransportMethodConduit)
	userList, err := helix.New("client", srv.Token(userToken), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.Client())).
		GetEventSubSubscriptions(ctx, &helix.GetEventSubSubscriptionsParams{})
	assert.NilError(t, err)
	assert.Equal(t, len(userList.Data), 0)

	// A session comes and goes: the subscription stays.
	s := connect(t, websocket.DefaultDialer, srv.EventSub.URL)
	assign(t, h, conduitID, s.session)
	assert.NilError(t, s.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")))
	waitShard(t, srv, conduitID, "0", helix.ConduitShardStatusWebSocketDisconnected)
	assert.Equal(t, len(srv.EventSub.Subscriptions()), 1)

	// Deleted with the app token only; a deleted conduit takes its
	// subscriptions along.
	assert.Equal(t, statusOf(helix.New("client", srv.Token(userToken), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.Client()), helix.WithMaxRetries(0)).
		DeleteEventSubSubscription(ctx, &helix.DeleteEventSubSubscriptionParams{ID: sub.ID})), http.StatusUnauthorized)
	assert.NilError(t, h.DeleteEventSubSubscription(ctx, &helix.DeleteEventSubSubscriptionParams{ID: sub.ID}))
	subscribeConduit(t, h, conduitID, "2")
	assert.NilError(t, h.DeleteConduit(ctx, &helix.DeleteConduitParams{ID: conduitID}))
	assert.Equal(t, len(srv.EventSub.Subscriptions()), 0)
}

// Each notification goes to one enabled shard: in turn with
// WithShardRoundRobin, and spread at random (but every shard gets some)
// by default; Deliveries records the shard that took each.
func TestConduitRoutesToOneShard(t *testing.T) {
	for _, rr := range []bool{true, false} {
		t.Run(fmt.Sprintf("roundRobin=%v", rr), func(t *testing.T) {
			opts := []twitchtest.Option{twitchtest.WithUnusedTimeout(0), twitchtest.WithConduitSeed(7)}
			if rr {
				opts = append(opts, twitchtest.WithShardRoundRobin())
			}
			srv := webhookFake(t, opts...)
			h := appClient(srv)
			conduitID := newConduit(t, h, 4)
			var sockets []*shardSocket
			var sessions []string
			for range 3 { // shard 3 is never assigned
				s := connect(t, websocket.DefaultDialer, srv.EventSub.URL)
				sockets, sessions = append(sockets, s), append(sessions, s.session)
			}
			assign(t, h, conduitID, sessions...)
			sub := subscribeConduit(t, h, conduitID, "1")

			const n = 60
			var ids []string
			for i := range n {
				got, err := srv.EventSub.Notify(follow("1", strconv.Itoa(i)))
				assert.NilError(t, err)
				ids = append(ids, got...)
			}
			assert.NilError(t, srv.EventSub.WaitDeliveries(t.Context()))
			perShard := map[string]int{}
			for _, d := range srv.EventSub.Deliveries() {
				assert.Equal(t, d.State, twitchtest.DeliveryDelivered)
				assert.Equal(t, d.ConduitID, conduitID)
				assert.Equal(t, d.SubscriptionID, sub.ID)
				assert.Equal(t, len(d.Attempts), 1)
				assert.Equal(t, d.Attempts[0].ShardID, d.ShardID)
				perShard[d.ShardID]++
			}
			if rr {
				assert.DeepEqual(t, perShard, map[string]int{"0": n / 3, "1": n / 3, "2": n / 3})
			} else {
				assert.Equal(t, len(perShard), 3, "%v", perShard)
				assert.Equal(t, perShard["0"]+perShard["1"]+perShard["2"], n)
			}
			// Each socket got exactly the messages recorded for its shard.
			for i, s := range sockets {
				for range perShard[strconv.Itoa(i)] {
					f := s.next(t)
					assert.Equal(t, f.Metadata.MessageType, "notification")
					assert.Equal(t, f.Payload.Subscription.ID, sub.ID)
					assert.Equal(t, f.Payload.Subscription.Transport.ConduitID, conduitID)
					d := deliveryOf(t, srv, f.Metadata.MessageID)
					assert.Equal(t, d.ShardID, strconv.Itoa(i))
					assert.Check(t, slices.Contains(ids, f.Metadata.MessageID))
				}
				select {
				case f := <-s.frames:
					t.Fatalf("shard %d got one more message: %+v", i, f.Metadata)
				default:
				}
			}
		})
	}
}

// A shard is disabled with the status its session's end gives, and the
// conduit.shard.disabled subscriptions of the client hear of it: a webhook
// one and a conduit one (which a remaining shard takes).
func TestConduitShardDisabledStatuses(t *testing.T) {
	rc := newReceiver(nil)
	callback := httptest.NewServer(rc)
	defer callback.Close()
	srv := webhookFake(t, twitchtest.WithUnusedTimeout(0), twitchtest.WithShardRoundRobin())
	ctx := t.Context()
	h := appClient(srv)
	conduitID := newConduit(t, h, 6)
	otherConduit := newConduit(t, h, 1)

	var sockets []*shardSocket
	var sessions []string
	for range 5 {
		s := connect(t, websocket.DefaultDialer, srv.EventSub.URL)
		sockets, sessions = append(sockets, s), append(sessions, s.session)
	}
	assign(t, h, conduitID, sessions...)
	watcher := connect(t, websocket.DefaultDialer, srv.EventSub.URL)
	assign(t, h, otherConduit, watcher.session)
	// Shard disabled events by webhook, for this conduit only, and by the
	// conduit itself, for every conduit of the client.
	hookSub := mustSubscribe(t, srv.Client(), srv, "conduit.shard.disabled", fmt.Sprintf(`{"client_id":"client","conduit_id":%q}`, conduitID), callback.URL)
	wait(t, srv)
	assert.Equal(t, rc.next(t).kind(), "webhook_callback_verification")
	_, err := h.CreateEventSubSubscription(ctx, &helix.CreateEventSubSubscriptionParams{
		Type: "conduit.shard.disabled", Version: "1", Condition: json.RawMessage(`{"client_id":"client"}`),
		Transport: helix.EventSubTransportParams{Method: helix.EventSubTransportMethodConduit, ConduitID: otherConduit},
	})
	assert.NilError(t, err)
	// Not for the other conduit's shards, nor another client's.
	for _, cond := range []string{fmt.Sprintf(`{"client_id":"client","conduit_id":%q}`, otherConduit), `{"client_id":"other"}`} {
		_, err = h.CreateEventSubSubscription(ctx, &helix.CreateEventSubSubscriptionParams{
			Type: "conduit.shard.disabled", Version: "1", Condition: json.RawMessage(cond),
			Transport: helix.EventSubTransportParams{Method: helix.EventSubTransportMethodConduit, ConduitID: otherConduit},
		})
		assert.NilError(t, err)
	}

	cases := []struct {
		end    func(s *shardSocket) error
		status helix.ConduitShardStatus
	}{
		{func(s *shardSocket) error { // the client closes
			return s.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
		}, helix.ConduitShardStatusWebSocketDisconnected},
		{func(s *shardSocket) error { return s.ws.UnderlyingConn().Close() }, helix.ConduitShardStatusWebSocketDisconnected}, // the client's process dies
		{func(s *shardSocket) error { return srv.EventSub.Drop(s.session) }, helix.ConduitShardStatusWebSocketNetworkError},
		{func(s *shardSocket) error { return s.ws.WriteMessage(websocket.TextMessage, []byte("hi")) }, helix.ConduitShardStatusWebSocketReceivedInboundTraffic},
		{func(s *shardSocket) error { return srv.EventSub.CloseSession(s.session, 4002) }, helix.ConduitShardStatusWebSocketFailedPingPong},
	}
	for i, c := range cases {
		assert.NilError(t, c.end(sockets[i]))
		got := waitShard(t, srv, conduitID, strconv.Itoa(i), c.status)
		assert.Equal(t, got.Transport.SessionID, sessions[i])
		assert.Check(t, !got.Transport.DisconnectedAt.IsZero())

		// The webhook subscription hears of it.
		m := rc.next(t)
		assert.Equal(t, m.kind(), "notification")
		var body struct {
			Subscription helix.EventSubSubscription         `json:"subscription"`
			Event        eventsub.ConduitShardDisabledEvent `json:"event"`
		}
		assert.NilError(t, json.Unmarshal(m.Body, &body))
		assert.Equal(t, body.Subscription.ID, hookSub)
		assert.Equal(t, body.Event.ConduitID, conduitID)
		assert.Equal(t, body.Event.ShardID, strconv.Itoa(i))
		assert.Equal(t, body.Event.Status, string(c.status))
		assert.Equal(t, *body.Event.Transport.SessionID, sessions[i])
		assert.Check(t, body.Event.Transport.DisconnectedAt != nil)
	}
	// The conduit subscription heard of each, on the other conduit's
	// shard, once.
	for i := range cases {
		f := watcher.next(t)
		assert.Equal(t, f.Payload.Subscription.Type, "conduit.shard.disabled")
		var ev eventsub.ConduitShardDisabledEvent
		assert.NilError(t, json.Unmarshal(f.Payload.Event, &ev))
		assert.Equal(t, ev.ShardID, strconv.Itoa(i))
		assert.Equal(t, ev.Status, string(cases[i].status))
	}
	shards, err := h.GetConduitShards(ctx, &helix.GetConduitShardsParams{ConduitID: conduitID})
	assert.NilError(t, err)
	for i, sh := range shards.Data {
		assert.Equal(t, sh.Status, cases[i].status)
	}
	assert.NilError(t, srv.EventSub.WaitDeliveries(ctx))
	assert.Equal(t, len(rc.messages()), 1+len(cases), "the challenge and one event per shard")
	select {
	case f := <-watcher.frames:
		t.Fatalf("one more message: %+v", f)
	default:
	}
}

// bubbleDialer reaches the fake's WebSocket from a testing/synctest bubble.
func bubbleDialer(srv *twitchtest.Server) *websocket.Dialer {
	return &websocket.Dialer{NetDialContext: srv.EventSub.DialContext}
}

// stalled opens a WebSocket that reads its welcome and then nothing: the
// fake's writer blocks on the next frame it sends (a net.Pipe has no
// buffer), and what is routed to the session after it waits in its queue.
func stalled(t *testing.T, srv *twitchtest.Server) (*websocket.Conn, string) {
	t.Helper()
	ws, _, err := bubbleDialer(srv).Dial(srv.EventSub.URL, nil)
	assert.NilError(t, err)
	t.Cleanup(func() { ws.Close() })
	var welcome frame
	assert.NilError(t, ws.ReadJSON(&welcome))
	assert.NilError(t, srv.EventSub.SendFrame(welcome.Payload.Session.ID, []byte(`{}`)))
	return ws, welcome.Payload.Session.ID
}

// A notification whose shard does not take it (the shard's connection
// ends before it was written) goes to one other enabled shard; when that
// one does not take it either, it is dropped, though a third shard was
// fine. Deliveries records each shard tried.
func TestConduitRetriesOneOtherShardThenDrops(t *testing.T) {
	srv := webhookFake(t, twitchtest.WithUnusedTimeout(0), twitchtest.WithShardRoundRobin())
	synctest.Test(t, func(t *testing.T) {
		h := helix.New("client", srv.Token(appToken), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.InMemoryClient()), helix.WithMaxRetries(0))
		conduitID := newConduit(t, h, 3)
		ws0, s0 := stalled(t, srv)
		ws1, s1 := stalled(t, srv)
		healthy := connect(t, bubbleDialer(srv), srv.EventSub.URL)
		assign(t, h, conduitID, s0, s1, healthy.session)
		sub := subscribeConduit(t, h, conduitID, "1")
		synctest.Wait()

		// Retried on shard 1 (next in turn), which stalls too: dropped.
		ids, err := srv.EventSub.Notify(follow("1", "10"))
		assert.NilError(t, err)
		d := deliveryOf(t, srv, ids[0])
		assert.Equal(t, d.State, twitchtest.DeliveryPending)
		assert.Equal(t, d.ShardID, "0")
		assert.NilError(t, ws0.Close())
		synctest.Wait()
		d = deliveryOf(t, srv, ids[0])
		assert.Equal(t, d.State, twitchtest.DeliveryPending)
		assert.Equal(t, d.ShardID, "1")
		assert.NilError(t, ws1.Close())
		assert.NilError(t, srv.EventSub.WaitDeliveries(t.Context()))
		d = deliveryOf(t, srv, ids[0])
		assert.Equal(t, d.State, twitchtest.DeliveryFailed)
		assert.Equal(t, len(d.Attempts), 2, "%+v", d.Attempts)
		for i, a := range d.Attempts {
			assert.Equal(t, a.ShardID, strconv.Itoa(i))
			assert.Equal(t, a.SessionID, []string{s0, s1}[i])
			assert.Equal(t, a.Retry, i)
			assert.ErrorContains(t, a.Err, "connection has ended")
		}
		assert.Equal(t, healthy.session, waitShard(t, srv, conduitID, "2", helix.ConduitShardStatusEnabled).Transport.SessionID)
		waitShard(t, srv, conduitID, "0", helix.ConduitShardStatusWebSocketNetworkError)
		waitShard(t, srv, conduitID, "1", helix.ConduitShardStatusWebSocketNetworkError)

		// The next goes to the shard left.
		id, err := srv.EventSub.Send(twitchtest.Notification{SubscriptionID: sub.ID})
		assert.NilError(t, err)
		f := healthy.next(t)
		assert.Equal(t, f.Metadata.MessageID, id)
		assert.NilError(t, srv.EventSub.WaitDeliveries(t.Context()))
		assert.Equal(t, deliveryOf(t, srv, id).State, twitchtest.DeliveryDelivered)
		assert.NilError(t, healthy.ws.Close())
		synctest.Wait()

		// No shard enabled: recorded as dropped at once.
		id, err = srv.EventSub.Send(twitchtest.Notification{SubscriptionID: sub.ID})
		assert.NilError(t, err)
		d = deliveryOf(t, srv, id)
		assert.Equal(t, d.State, twitchtest.DeliveryFailed)
		assert.Equal(t, len(d.Attempts), 1)
		assert.ErrorContains(t, d.Attempts[0].Err, "no other enabled shard")
	})
}

// The retry on another shard delivers what the first shard did not take.
func TestConduitRetryDelivers(t *testing.T) {
	srv := webhookFake(t, twitchtest.WithUnusedTimeout(0), twitchtest.WithShardRoundRobin())
	synctest.Test(t, func(t *testing.T) {
		h := helix.New("client", srv.Token(appToken), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.InMemoryClient()), helix.WithMaxRetries(0))
		conduitID := newConduit(t, h, 2)
		ws0, s0 := stalled(t, srv)
		healthy := connect(t, bubbleDialer(srv), srv.EventSub.URL)
		assign(t, h, conduitID, s0, healthy.session)
		subscribeConduit(t, h, conduitID, "1")
		synctest.Wait()
		var ids []string
		for i := range 3 { // shard 0, 1, 0
			got, err := srv.EventSub.Notify(follow("1", strconv.Itoa(i)))
			assert.NilError(t, err)
			ids = append(ids, got...)
		}
		assert.NilError(t, ws0.Close())
		var got []string
		for range 3 {
			got = append(got, healthy.next(t).Metadata.MessageID)
		}
		assert.DeepEqual(t, got, []string{ids[1], ids[0], ids[2]})
		assert.NilError(t, srv.EventSub.WaitDeliveries(t.Context()))
		for i, id := range ids {
			d := deliveryOf(t, srv, id)
			assert.Equal(t, d.State, twitchtest.DeliveryDelivered)
			assert.Equal(t, d.ShardID, "1")
			assert.Equal(t, len(d.Attempts), []int{2, 1, 2}[i])
		}
		assert.NilError(t, healthy.ws.Close())
	})
}

// A session that carries a shard is not closed as unused; one that
// carries nothing is, after 10 seconds, as by Twitch.
func TestConduitShardSessionIsUsed(t *testing.T) {
	srv := webhookFake(t)
	synctest.Test(t, func(t *testing.T) {
		h := helix.New("client", srv.Token(appToken), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.InMemoryClient()), helix.WithMaxRetries(0))
		conduitID := newConduit(t, h, 1)
		shardSock := connect(t, bubbleDialer(srv), srv.EventSub.URL)
		idle := connect(t, bubbleDialer(srv), srv.EventSub.URL)
		assign(t, h, conduitID, shardSock.session)
		time.Sleep(time.Minute)
		synctest.Wait()
		var ce *websocket.CloseError
		select {
		case err := <-idle.closed:
			assert.Assert(t, errors.As(err, &ce), "%v", err)
			assert.Equal(t, ce.Code, 4003)
		default:
			t.Fatal("the idle session is still open")
		}
		select {
		case err := <-shardSock.closed:
			t.Fatalf("the shard's session ended: %v", err)
		default:
		}
		waitShard(t, srv, conduitID, "0", helix.ConduitShardStatusEnabled)
		assert.NilError(t, shardSock.ws.Close())
		assert.NilError(t, idle.ws.Close())
	})
}

// On session_reconnect, the shard moves with its session to the new
// connection (the session keeps its ID): it stays enabled, no
// conduit.shard.disabled is sent, and notifications before and after the
// handover arrive, in order.
func TestConduitReconnectKeepsShard(t *testing.T) {
	srv := webhookFake(t, twitchtest.WithUnusedTimeout(0))
	h := appClient(srv)
	conduitID := newConduit(t, h, 1)
	old := connect(t, websocket.DefaultDialer, srv.EventSub.URL)
	assign(t, h, conduitID, old.session)
	subscribeConduit(t, h, conduitID, "1")

	assert.NilError(t, srv.EventSub.Reconnect(old.session))
	f := old.next(t)
	assert.Equal(t, f.Metadata.MessageType, "session_reconnect")
	before, err := srv.EventSub.Notify(follow("1", "1")) // on the old connection
	assert.NilError(t, err)
	assert.Equal(t, old.next(t).Metadata.MessageID, before[0])
	moved := connect(t, websocket.DefaultDialer, f.Payload.Session.ReconnectURL)
	assert.Equal(t, moved.session, old.session)
	assert.NilError(t, old.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")))
	<-old.closed
	after, err := srv.EventSub.Notify(follow("1", "2"))
	assert.NilError(t, err)
	assert.Equal(t, moved.next(t).Metadata.MessageID, after[0])
	sh := waitShard(t, srv, conduitID, "0", helix.ConduitShardStatusEnabled)
	assert.Equal(t, sh.Transport.SessionID, old.session)
	assert.NilError(t, srv.EventSub.WaitDeliveries(t.Context()))
	for _, d := range srv.EventSub.Deliveries() {
		assert.Equal(t, d.State, twitchtest.DeliveryDelivered)
		assert.Equal(t, len(d.Attempts), 1)
	}
}

// Webhook shards: the challenge (signed, naming the conduit and the shard
// as Twitch's conduit guide shows) enables a shard whose callback answers
// it, and fails one that does not; a notification a shard's callback
// fails, after the webhook's retries, is dropped, not sent to another
// shard (the guide); a shard whose callback fails more notifications in a
// row than the retries is disabled with notification_failures_exceeded,
// and conduit.shard.disabled says so.
func TestConduitWebhookShards(t *testing.T) {
	good := newReceiver(nil)
	bad := newReceiver(failNotifications(500, 500, 500, 500))
	wrong := newReceiver(func(*http.Request, received) (int, string) { return http.StatusOK, "not the challenge" })
	watch := newReceiver(nil)
	var urls []string
	for _, rc := range []*receiver{good, bad, wrong, watch} {
		s := httptest.NewServer(rc)
		t.Cleanup(s.Close)
		urls = append(urls, s.URL)
	}
	srv := webhookFake(t, twitchtest.WithShardRoundRobin(), twitchtest.WithWebhookRetries(1, 0))
	ctx := t.Context()
	h := appClient(srv)
	conduitID := newConduit(t, h, 3)
	mustSubscribe(t, srv.Client(), srv, "conduit.shard.disabled", `{"client_id":"client"}`, urls[3])
	wait(t, srv)
	assert.Equal(t, watch.next(t).kind(), "webhook_callback_verification")

	var shards []helix.ConduitShardUpdate
	for i := range 3 {
		shards = append(shards, helix.ConduitShardUpdate{ID: strconv.Itoa(i), Transport: helix.ConduitShardTransportParams{Method: "webhook", Callback: urls[i], Secret: secret}})
	}
	res, err := h.UpdateConduitShards(ctx, &helix.UpdateConduitShardsParams{ConduitID: conduitID, Shards: shards})
	assert.NilError(t, err)
	assert.Equal(t, len(res.Errors), 0)
	for i, sh := range res.Data {
		assert.Equal(t, sh.Status, helix.ConduitShardStatusWebhookCallbackVerificationPending)
		assert.Equal(t, sh.Transport.Method, helix.ConduitShardTransportMethodWebhook)
		assert.Equal(t, sh.Transport.Callback, urls[i])
	}
	wait(t, srv)
	for i, rc := range []*receiver{good, bad, wrong} {
		m := rc.next(t)
		assert.Equal(t, m.kind(), "webhook_callback_verification")
		assert.Check(t, m.SignatureOK)
		var body map[string]any
		assert.NilError(t, json.Unmarshal(m.Body, &body))
		challenge, _ := body["challenge"].(string)
		assert.Check(t, challenge != "")
		assert.DeepEqual(t, body, map[string]any{
			"challenge":     challenge,
			"conduit_shard": map[string]any{"conduit_id": conduitID, "shard": strconv.Itoa(i)},
		})
	}
	waitShard(t, srv, conduitID, "0", helix.ConduitShardStatusEnabled)
	waitShard(t, srv, conduitID, "1", helix.ConduitShardStatusEnabled)
	waitShard(t, srv, conduitID, "2", helix.ConduitShardStatusWebhookCallbackVerificationFailed)
	disabled := func(shardID string, status helix.ConduitShardStatus) {
		t.Helper()
		m := watch.next(t)
		var body struct {
			Event eventsub.ConduitShardDisabledEvent `json:"event"`
		}
		assert.NilError(t, json.Unmarshal(m.Body, &body))
		assert.Equal(t, body.Event.ShardID, shardID)
		assert.Equal(t, body.Event.Status, string(status))
		assert.Equal(t, body.Event.Transport.Method, eventsub.ConduitShardTransportMethodWebhook)
		assert.Equal(t, *body.Event.Transport.Callback, urls[mustAtoi(t, shardID)])
	}
	disabled("2", helix.ConduitShardStatusWebhookCallbackVerificationFailed)

	subscribeConduit(t, h, conduitID, "1")
	var ids []string
	for i := range 4 { // shards 0, 1 (fails: dropped), 0, 1 (fails: dropped; disabled)
		got, err := srv.EventSub.Notify(follow("1", strconv.Itoa(i)))
		assert.NilError(t, err)
		ids = append(ids, got[0])
		wait(t, srv)
	}
	waitShard(t, srv, conduitID, "1", helix.ConduitShardStatusNotificationFailuresExceeded)
	disabled("1", helix.ConduitShardStatusNotificationFailuresExceeded)

	var goodGot, badGot []string
	for range 2 {
		m := good.next(t)
		assert.Check(t, m.SignatureOK)
		checkHeaders(t, m, "notification", "channel.follow", m.retry())
		goodGot = append(goodGot, m.id()+"/"+m.retry())
	}
	for range 4 {
		m := bad.next(t)
		badGot = append(badGot, m.id()+"/"+m.retry())
	}
	assert.DeepEqual(t, goodGot, []string{ids[0] + "/0", ids[2] + "/0"})
	assert.DeepEqual(t, badGot, []string{ids[1] + "/0", ids[1] + "/1", ids[3] + "/0", ids[3] + "/1"})
	for _, id := range []string{ids[1], ids[3]} {
		d := deliveryOf(t, srv, id)
		assert.Equal(t, d.State, twitchtest.DeliveryFailed)
		assert.Equal(t, d.ShardID, "1")
		for _, a := range d.Attempts {
			assert.Check(t, a.ShardID == "1" || a.ShardID == "", "tried at shard %s too", a.ShardID)
			assert.Check(t, a.Status != http.StatusNoContent)
		}
	}
	assert.Equal(t, len(good.messages()), 3, "shard 0 got other than its challenge and its two notifications")
}

// A webhook shard disabled for its failures hands what waits in its
// queue to other shards, as Twitch sends what a disabled shard cannot
// take to another: of three notifications queued at a failing shard, the
// first two fail there, each tried twice (and are dropped), and disable
// the shard; the third goes to the good one, where it gets the webhook's
// retries from the first.
func TestConduitDisabledWebhookShardHandsOnItsQueue(t *testing.T) {
	// The good shard fails the notification handed on once: it gets the
	// webhook's retries there too, from the first (Retry 0, then 1).
	var target atomic.Value // the ID of the notification handed on
	target.Store("")
	var failed atomic.Bool
	good := newReceiver(func(_ *http.Request, m received) (int, string) {
		switch {
		case m.kind() == "webhook_callback_verification":
			return http.StatusOK, m.challenge()
		case m.id() == target.Load() && !failed.Swap(true):
			return http.StatusInternalServerError, ""
		}
		return http.StatusNoContent, ""
	})
	stall := make(chan struct{})
	bad := newReceiver(func(_ *http.Request, m received) (int, string) {
		if m.kind() == "webhook_callback_verification" {
			return http.StatusOK, m.challenge()
		}
		<-stall // until the three are queued
		return http.StatusInternalServerError, ""
	})
	srv := webhookFake(t, twitchtest.WithShardRoundRobin(), twitchtest.WithWebhookRetries(1, 0))
	conduitID := goodAndBadShards(t, srv, good, bad)
	var atBad []string
	for i := range 6 { // shards 0, 1, 0, 1, 0, 1
		ids, err := srv.EventSub.Notify(follow("1", strconv.Itoa(i)))
		assert.NilError(t, err)
		if i%2 == 1 {
			atBad = append(atBad, ids[0])
		}
	}
	target.Store(atBad[2]) // queued third at the bad shard: handed on
	close(stall)
	wait(t, srv)
	waitShard(t, srv, conduitID, "1", helix.ConduitShardStatusNotificationFailuresExceeded)
	var retries []string
	for _, m := range good.messages() {
		if m.id() == atBad[2] {
			retries = append(retries, m.retry())
		}
	}
	assert.DeepEqual(t, retries, []string{"0", "1"})
	for i, id := range atBad {
		d := deliveryOf(t, srv, id)
		if i < 2 {
			assert.Equal(t, d.State, twitchtest.DeliveryFailed, "%s: %+v", id, d.Attempts)
			assert.Equal(t, d.ShardID, "1")
			continue
		}
		assert.Equal(t, d.State, twitchtest.DeliveryDelivered, "%+v", d.Attempts)
		assert.Equal(t, d.ShardID, "0")
		assert.Equal(t, d.Attempts[len(d.Attempts)-1].Status, http.StatusNoContent)
	}
}

// goodAndBadShards makes a conduit of two webhook shards on srv, shard 0
// at good's callback and shard 1 at bad's, waits until both are enabled,
// subscribes the conduit to channel.follow of broadcaster 1, and returns
// the conduit's ID.
func goodAndBadShards(t *testing.T, srv *twitchtest.Server, good, bad *receiver) string {
	t.Helper()
	var urls []string
	for _, rc := range []*receiver{good, bad} {
		s := httptest.NewServer(rc)
		t.Cleanup(s.Close)
		urls = append(urls, s.URL)
	}
	h := appClient(srv)
	conduitID := newConduit(t, h, 2)
	_, err := h.UpdateConduitShards(t.Context(), &helix.UpdateConduitShardsParams{ConduitID: conduitID, Shards: []helix.ConduitShardUpdate{
		{ID: "0", Transport: helix.ConduitShardTransportParams{Method: "webhook", Callback: urls[0], Secret: secret}},
		{ID: "1", Transport: helix.ConduitShardTransportParams{Method: "webhook", Callback: urls[1], Secret: secret}},
	}})
	assert.NilError(t, err)
	waitShard(t, srv, conduitID, "0", helix.ConduitShardStatusEnabled)
	waitShard(t, srv, conduitID, "1", helix.ConduitShardStatusEnabled)
	subscribeConduit(t, h, conduitID, "1")
	return conduitID
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	assert.NilError(t, err)
	return n
}

// A notification an enabled webhook shard's callback fails is not sent to
// another shard, whatever the choice of the first: with random choice, of
// 30 notifications through a failing and a good shard, those that went to
// the failing one are dropped there, and the good one gets each of the
// others once.
func TestConduitWebhookShardFailureNotResent(t *testing.T) {
	good := newReceiver(nil)
	bad := newReceiver(func(_ *http.Request, m received) (int, string) {
		if m.kind() == "webhook_callback_verification" {
			return http.StatusOK, m.challenge()
		}
		return http.StatusInternalServerError, ""
	})
	// 50 retries: the failing shard stays enabled, so only the rule keeps
	// a notification from going on to the good one.
	srv := webhookFake(t, twitchtest.WithConduitSeed(1), twitchtest.WithWebhookRetries(50, 0))
	conduitID := goodAndBadShards(t, srv, good, bad)
	for i := range 30 {
		_, err := srv.EventSub.Notify(follow("1", strconv.Itoa(i)))
		assert.NilError(t, err)
		wait(t, srv)
	}
	first := map[string]int{}
	for _, d := range srv.EventSub.Deliveries() {
		if d.MessageType != "notification" {
			continue
		}
		first[d.Attempts[0].ShardID]++
		want := twitchtest.DeliveryDelivered
		if d.Attempts[0].ShardID == "1" {
			want = twitchtest.DeliveryFailed
		}
		assert.Equal(t, d.State, want, "%+v", d.Attempts)
		assert.Equal(t, d.ShardID, d.Attempts[0].ShardID)
		for _, a := range d.Attempts {
			assert.Check(t, a.ShardID == d.ShardID || a.ShardID == "", "%+v", d.Attempts)
		}
	}
	assert.Equal(t, first["0"]+first["1"], 30)
	assert.Assert(t, first["1"] > 0 && first["0"] > 0, "the random choice picked one shard only: %v", first)
	waitShard(t, srv, conduitID, "1", helix.ConduitShardStatusEnabled)
}

// A client that does not follow a session_reconnect within 30 seconds has
// its connection closed with 4004, as by Twitch, and its shard disabled
// with websocket_failed_to_reconnect; one that follows keeps its shard
// past the 30 seconds.
func TestConduitReconnectGraceExpires(t *testing.T) {
	srv := webhookFake(t, twitchtest.WithUnusedTimeout(0))
	synctest.Test(t, func(t *testing.T) {
		h := helix.New("client", srv.Token(appToken), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.InMemoryClient()), helix.WithMaxRetries(0))
		conduitID := newConduit(t, h, 2)
		stays := connect(t, bubbleDialer(srv), srv.EventSub.URL)
		follows := connect(t, bubbleDialer(srv), srv.EventSub.URL)
		assign(t, h, conduitID, stays.session, follows.session)
		assert.NilError(t, srv.EventSub.Reconnect(stays.session))
		assert.NilError(t, srv.EventSub.Reconnect(follows.session))
		assert.Equal(t, stays.next(t).Metadata.MessageType, "session_reconnect")
		f := follows.next(t)
		moved := connect(t, bubbleDialer(srv), f.Payload.Session.ReconnectURL)
		assert.NilError(t, follows.ws.Close())

		time.Sleep(29 * time.Second)
		synctest.Wait()
		waitShard(t, srv, conduitID, "0", helix.ConduitShardStatusEnabled)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		var ce *websocket.CloseError
		select {
		case err := <-stays.closed:
			assert.Assert(t, errors.As(err, &ce), "%v", err)
			assert.Equal(t, ce.Code, 4004)
		default:
			t.Fatal("the old connection is still open")
		}
		sh := waitShard(t, srv, conduitID, "0", helix.ConduitShardStatusWebSocketFailedToReconnect)
		assert.Check(t, !sh.Transport.DisconnectedAt.IsZero())
		assert.Equal(t, waitShard(t, srv, conduitID, "1", helix.ConduitShardStatusEnabled).Transport.SessionID, moved.session)
		assert.NilError(t, stays.ws.Close())
		assert.NilError(t, moved.ws.Close())
	})
}

// DisableShard disables a shard with any status, which conduit.shard.disabled
// reports; the session stays open and may carry a shard again. Revoke
// ends a conduit subscription: its revocation goes to a shard, and it
// stays listed with the status.
func TestConduitDisableShardAndRevoke(t *testing.T) {
	srv := webhookFake(t, twitchtest.WithUnusedTimeout(0), twitchtest.WithShardRoundRobin())
	ctx := t.Context()
	h := appClient(srv)
	conduitID := newConduit(t, h, 2)
	a := connect(t, websocket.DefaultDialer, srv.EventSub.URL)
	b := connect(t, websocket.DefaultDialer, srv.EventSub.URL)
	assign(t, h, conduitID, a.session, b.session)
	_, err := h.CreateEventSubSubscription(ctx, &helix.CreateEventSubSubscriptionParams{
		Type: "conduit.shard.disabled", Version: "1", Condition: json.RawMessage(`{"client_id":"client"}`),
		Transport: helix.EventSubTransportParams{Method: helix.EventSubTransportMethodConduit, ConduitID: conduitID},
	})
	assert.NilError(t, err)
	sub := subscribeConduit(t, h, conduitID, "1")

	assert.NilError(t, srv.EventSub.DisableShard(conduitID, "0", "websocket_network_timeout"))
	assert.ErrorIs(t, srv.EventSub.DisableShard(conduitID, "0", "websocket_network_timeout"), twitchtest.ErrNotFound)
	assert.ErrorIs(t, srv.EventSub.DisableShard(conduitID, "7", "websocket_network_timeout"), twitchtest.ErrNotFound)
	sh := waitShard(t, srv, conduitID, "0", helix.ConduitShardStatusWebSocketNetworkTimeout)
	assert.Check(t, !sh.Transport.DisconnectedAt.IsZero())
	f := b.next(t) // the only enabled shard
	var ev eventsub.ConduitShardDisabledEvent
	assert.NilError(t, json.Unmarshal(f.Payload.Event, &ev))
	assert.DeepEqual(t, []string{ev.ShardID, ev.Status, *ev.Transport.SessionID}, []string{"0", "websocket_network_timeout", a.session})

	assert.NilError(t, srv.EventSub.Revoke(sub.ID, "authorization_revoked"))
	f = b.next(t)
	assert.Equal(t, f.Metadata.MessageType, "revocation")
	assert.Equal(t, f.Payload.Subscription.ID, sub.ID)
	assert.Equal(t, string(f.Payload.Subscription.Status), "authorization_revoked")
	listed, err := h.GetEventSubSubscriptions(ctx, &helix.GetEventSubSubscriptionsParams{Status: "authorization_revoked"})
	assert.NilError(t, err)
	assert.Equal(t, len(listed.Data), 1)
	_, err = srv.EventSub.Send(twitchtest.Notification{SubscriptionID: sub.ID})
	assert.ErrorContains(t, err, "not enabled")

	// Session a is still open and may carry shard 0 again.
	assign(t, h, conduitID, a.session)
	waitShard(t, srv, conduitID, "0", helix.ConduitShardStatusEnabled)
	select {
	case err := <-a.closed:
		t.Fatalf("session a ended: %v", err)
	default:
	}
}

// BenchmarkConduitNotify routes notifications of 1,000 conduit
// subscriptions (one per broadcaster) over 12 WebSocket shards on
// loopback, each read by a client, until every one is written.
func BenchmarkConduitNotify(b *testing.B) {
	srv := twitchtest.NewServer(twitchtest.WithUnusedTimeout(0), twitchtest.WithDeliveryLimit(1))
	defer srv.Close()
	h := helix.New("client", srv.Token(appToken), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.Client()))
	ctx := context.Background()
	res, err := h.CreateConduits(ctx, &helix.CreateConduitsParams{ShardCount: 12})
	if err != nil {
		b.Fatal(err)
	}
	conduitID := res.Data[0].ID
	var shards []helix.ConduitShardUpdate
	for i := range 12 {
		ws, _, err := websocket.DefaultDialer.Dial(srv.EventSub.URL, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer ws.Close()
		var welcome frame
		if err := ws.ReadJSON(&welcome); err != nil {
			b.Fatal(err)
		}
		go func() {
			for {
				if _, _, err := ws.ReadMessage(); err != nil {
					return
				}
			}
		}()
		shards = append(shards, helix.ConduitShardUpdate{ID: strconv.Itoa(i), Transport: helix.ConduitShardTransportParams{Method: "websocket", SessionID: welcome.Payload.Session.ID}})
	}
	if _, err := h.UpdateConduitShards(ctx, &helix.UpdateConduitShardsParams{ConduitID: conduitID, Shards: shards}); err != nil {
		b.Fatal(err)
	}
	for i := range 1000 {
		cond, _ := json.Marshal(map[string]string{"broadcaster_user_id": strconv.Itoa(i), "moderator_user_id": strconv.Itoa(i)})
		if _, err := h.CreateEventSubSubscription(ctx, &helix.CreateEventSubSubscriptionParams{
			Type: "channel.follow", Version: "2", Condition: cond,
			Transport: helix.EventSubTransportParams{Method: helix.EventSubTransportMethodConduit, ConduitID: conduitID},
		}); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; b.Loop(); i++ {
		if _, err := srv.EventSub.Notify(follow(strconv.Itoa(i%1000), "9")); err != nil {
			b.Fatal(err)
		}
	}
	if err := srv.EventSub.WaitDeliveries(ctx); err != nil {
		b.Fatal(err)
	}
}

// shardProcessEnv names the fake's URL for TestConduitShardProcess, run
// as a child process by TestConduitAcrossProcesses.
const shardProcessEnv = "TWITCHTEST_SHARD_PROCESS_URL"

// TestConduitShardProcess is a shard process: it connects to the fake at
// the URL in its environment, assigns its session to shard 0 of the
// conduit in TWITCHTEST_SHARD_CONDUIT, and prints the ID of every
// notification it gets, a line each. It runs only as a child of
// TestConduitAcrossProcesses.
func TestConduitShardProcess(t *testing.T) {
	base := os.Getenv(shardProcessEnv)
	if base == "" {
		t.Skip("a child process of TestConduitAcrossProcesses")
	}
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/eventsub", nil)
	assert.NilError(t, err)
	var welcome frame
	assert.NilError(t, ws.ReadJSON(&welcome))
	h := helix.New("client", oauth2.StaticTokenSource(&oauth2.Token{AccessToken: appToken}), helix.WithBaseURL(base+"/helix"))
	res, err := h.UpdateConduitShards(t.Context(), &helix.UpdateConduitShardsParams{
		ConduitID: os.Getenv("TWITCHTEST_SHARD_CONDUIT"),
		Shards:    []helix.ConduitShardUpdate{{ID: "0", Transport: helix.ConduitShardTransportParams{Method: "websocket", SessionID: welcome.Payload.Session.ID}}},
	})
	assert.NilError(t, err)
	assert.Equal(t, len(res.Errors), 0)
	for {
		var f frame
		assert.NilError(t, ws.ReadJSON(&f))
		if f.Metadata.MessageType == "notification" {
			fmt.Println(f.Metadata.MessageID)
		}
	}
}

// A shard served by another OS process, over loopback: it assigns itself,
// gets the conduit's notifications, and when it is killed (SIGKILL) its
// shard is disabled with websocket_disconnected.
func TestConduitAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	srv := webhookFake(t)
	h := appClient(srv)
	conduitID := newConduit(t, h, 1)
	cmd := exec.Command(os.Args[0], "-test.run=^TestConduitShardProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), shardProcessEnv+"="+srv.URL, "TWITCHTEST_SHARD_CONDUIT="+conduitID)
	out, err := cmd.StdoutPipe()
	assert.NilError(t, err)
	assert.NilError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	sh := waitShard(t, srv, conduitID, "0", helix.ConduitShardStatusEnabled)
	assert.Check(t, sh.Transport.SessionID != "")
	subscribeConduit(t, h, conduitID, "1")
	var ids []string
	for i := range 10 {
		got, err := srv.EventSub.Notify(follow("1", strconv.Itoa(i)))
		assert.NilError(t, err)
		ids = append(ids, got...)
	}
	var got []string
	for range ids {
		select {
		case l := <-lines:
			got = append(got, l)
		case <-time.After(time.Minute):
			t.Fatalf("the shard process printed %d of %d", len(got), len(ids))
		}
	}
	assert.DeepEqual(t, got, ids)
	assert.NilError(t, cmd.Process.Kill())
	waitShard(t, srv, conduitID, "0", helix.ConduitShardStatusWebSocketDisconnected)
}
