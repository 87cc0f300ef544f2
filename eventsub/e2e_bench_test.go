package eventsub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
)

// e2eBatch is how many notifications one operation of BenchmarkEndToEnd
// sends.
const e2eBatch = 100_000

// BenchmarkEndToEnd is the client's whole path: a WebSocket server on
// 127.0.0.1 sends 100,000 chat message notifications (each with its own
// message ID, so none is dropped as a repeat), and the client reads,
// decodes, checks and dispatches them to a handler. One operation is the
// batch; ns/msg, B/msg and allocs/msg are per notification, the server's
// writes included (it writes one reused buffer and allocates nothing per
// message).
//
//	go test ./eventsub -run '^$' -bench EndToEnd -count 10
func BenchmarkEndToEnd(b *testing.B) {
	template, id := e2eTemplate(b)
	batches := make(chan int)
	sent := make(chan error, 1)
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		if err := ws.WriteMessage(websocket.TextMessage, []byte(welcomeFrame("bench", 600))); err != nil {
			return
		}
		go func() { // answer the client's close
			for {
				if _, _, err := ws.ReadMessage(); err != nil {
					return
				}
			}
		}()
		for first := range batches {
			sent <- e2eSend(ws, template, id, first)
		}
	}))
	b.Cleanup(srv.Close)

	var got atomic.Int64
	done := make(chan struct{}, 1)
	ready := make(chan struct{}, 1)
	c := eventsub.New(helix.New("id", nil), eventsub.WithBaseURL("ws"+strings.TrimPrefix(srv.URL, "http")),
		eventsub.OnReady(func() { ready <- struct{}{} }),
		eventsub.OnError(func(err error) { b.Error(err) }))
	var target atomic.Int64
	c.OnChannelChatMessage(func(_ context.Context, e *eventsub.ChannelChatMessageEvent) {
		if e.MessageID == "" {
			b.Error("no message ID")
		}
		if got.Add(1) == target.Load() {
			done <- struct{}{}
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	run := make(chan error, 1)
	go func() { run <- c.Run(ctx) }()
	b.Cleanup(func() {
		close(batches)
		cancel()
		<-run
	})
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		b.Fatal("the client was not ready within 30s")
	}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	n := 0
	for b.Loop() {
		target.Store(int64((n + 1) * e2eBatch))
		batches <- n * e2eBatch
		if err := <-sent; err != nil {
			b.Fatal(err)
		}
		select {
		case <-done:
		case <-time.After(time.Minute):
			b.Fatalf("%d of %d notifications arrived", got.Load()-int64(n*e2eBatch), e2eBatch)
		}
		n++
	}
	runtime.ReadMemStats(&after)
	msgs := float64(n * e2eBatch)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/msgs, "ns/msg")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/msgs, "B/msg")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/msgs, "allocs/msg")
}

// e2eTemplate is the chat message frame, compacted, with a message ID of
// 20 digits to overwrite, at id, and a timestamp of now.
func e2eTemplate(b *testing.B) (frame []byte, id int) {
	var f map[string]any
	if err := json.Unmarshal(readFrame(b, "notification_channel_chat_message.json"), &f); err != nil {
		b.Fatal(err)
	}
	md := f["metadata"].(map[string]any)
	md["message_id"] = strings.Repeat("0", 20)
	md["message_timestamp"] = time.Now().UTC().Format(time.RFC3339Nano)
	frame, err := json.Marshal(f)
	if err != nil {
		b.Fatal(err)
	}
	return frame, bytes.Index(frame, []byte(`"`+strings.Repeat("0", 20)+`"`)) + 1
}

// e2eSend writes a batch of the template, numbered from first.
func e2eSend(ws *websocket.Conn, template []byte, id, first int) error {
	var digits [20]byte
	for i := range e2eBatch {
		s := strconv.AppendInt(digits[:0], int64(first+i), 10)
		copy(template[id:id+20], "00000000000000000000")
		copy(template[id+20-len(s):id+20], s)
		if err := ws.WriteMessage(websocket.TextMessage, template); err != nil {
			return err
		}
	}
	return nil
}
