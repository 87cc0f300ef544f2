package eventsub_test

import (
	"context"
	"encoding/json"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/twitchtest"
)

// The memory of an idle connection with 100 subscriptions. The fake runs in
// the same process, so BenchmarkIdleConnection measures the client and the
// fake's side of the connection together, and BenchmarkIdleFakeOnly the
// fake's side alone (a bare WebSocket with the same 100 subscriptions); the
// client's own heap is the difference.
//
//	go test ./eventsub -run '^$' -bench Idle -benchtime 20x

const idleSubscriptions = 100

func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func BenchmarkIdleConnection(b *testing.B) {
	srv := twitchtest.NewServer(twitchtest.WithSubscriptionLimit(idleSubscriptions), twitchtest.WithRateLimit(0, 0))
	b.Cleanup(srv.Close)
	h := helix.New("id", srv.Token("token"), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.Client()))
	var clients []*eventsub.Client
	before := heapAlloc()
	for i := range b.N {
		ready := make(chan struct{}, 1)
		c := eventsub.New(h, eventsub.WithBaseURL(srv.EventSub.URL), eventsub.OnReady(func() { ready <- struct{}{} }))
		for j := range idleSubscriptions {
			id := strconv.Itoa(i*idleSubscriptions + j)
			if err := c.Subscribe(context.Background(), &eventsub.ChannelFollowCondition{BroadcasterUserID: id, ModeratorUserID: id}); err != nil {
				b.Fatal(err)
			}
		}
		go func() { _ = c.Run(context.Background()) }()
		select {
		case <-ready:
		case <-time.After(30 * time.Second):
			b.Fatal("not ready")
		}
		clients = append(clients, c)
	}
	b.ReportMetric(float64(heapAlloc()-before)/float64(b.N), "heap-B/conn")
	b.ReportMetric(0, "ns/op")
	for _, c := range clients {
		_ = c.Close()
	}
}

func BenchmarkIdleFakeOnly(b *testing.B) {
	srv := twitchtest.NewServer(twitchtest.WithSubscriptionLimit(idleSubscriptions), twitchtest.WithRateLimit(0, 0))
	b.Cleanup(srv.Close)
	h := helix.New("id", srv.Token("token"), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.Client()))
	var conns []*websocket.Conn
	before := heapAlloc()
	for i := range b.N {
		ws, _, err := websocket.DefaultDialer.Dial(srv.EventSub.URL, nil)
		if err != nil {
			b.Fatal(err)
		}
		var welcome struct {
			Payload struct {
				Session eventsub.Session `json:"session"`
			} `json:"payload"`
		}
		if err := ws.ReadJSON(&welcome); err != nil {
			b.Fatal(err)
		}
		for j := range idleSubscriptions {
			id := strconv.Itoa(i*idleSubscriptions + j)
			cond, _ := json.Marshal(eventsub.ChannelFollowCondition{BroadcasterUserID: id, ModeratorUserID: id})
			_, err := h.CreateEventSubSubscription(context.Background(), &helix.CreateEventSubSubscriptionParams{
				Type: "channel.follow", Version: "2", Condition: cond,
				Transport: helix.EventSubTransportParams{Method: helix.EventSubTransportMethodWebSocket, SessionID: welcome.Payload.Session.ID},
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		conns = append(conns, ws)
	}
	b.ReportMetric(float64(heapAlloc()-before)/float64(b.N), "heap-B/conn")
	b.ReportMetric(0, "ns/op")
	for _, ws := range conns {
		ws.Close()
	}
}
