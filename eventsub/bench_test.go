package eventsub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
)

// The dispatch target of the WebSocket client: a whole frame's bytes in,
// the typed event in the handler out, at most 0.5x the time of decoding
// the same frame with encoding/json into a plain struct of the same shape
// (BenchmarkRawUnmarshal, the floor of a library that decodes with
// encoding/json), and no more allocations.

type benchFrame struct {
	typ  string
	file string
	on   func(*eventsub.Dispatcher, *int)
	raw  func([]byte) error
}

// rawFrame is the plain struct: the frame's shape, the generated event.
type rawFrame[E any] struct {
	Metadata eventsub.Metadata `json:"metadata"`
	Payload  struct {
		Subscription helix.EventSubSubscription `json:"subscription"`
		Event        E                          `json:"event"`
	} `json:"payload"`
}

func rawDecode[E any](frame []byte) error {
	var f rawFrame[E]
	return json.Unmarshal(frame, &f)
}

var benchFrames = []benchFrame{
	{
		typ:  "channel.chat.message",
		file: "notification_channel_chat_message.json",
		on: func(d *eventsub.Dispatcher, n *int) {
			d.OnChannelChatMessage(func(_ context.Context, e *eventsub.ChannelChatMessageEvent) { *n += len(e.MessageID) })
		},
		raw: rawDecode[eventsub.ChannelChatMessageEvent],
	},
	{
		typ:  "channel.follow",
		file: "notification_channel_follow.json",
		on: func(d *eventsub.Dispatcher, n *int) {
			d.OnChannelFollow(func(_ context.Context, e *eventsub.ChannelFollowEvent) { *n += len(e.UserID) })
		},
		raw: rawDecode[eventsub.ChannelFollowEvent],
	},
}

func readFrame(b *testing.B, name string) []byte {
	b.Helper()
	frame, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		b.Fatal(err)
	}
	return frame
}

func BenchmarkDispatch(b *testing.B) {
	for _, bf := range benchFrames {
		b.Run(bf.typ, func(b *testing.B) {
			frame := readFrame(b, bf.file)
			var d eventsub.Dispatcher
			var seen int
			bf.on(&d, &seen)
			ctx := context.Background()
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			for b.Loop() {
				m, err := eventsub.ParseMessage(frame)
				if err != nil {
					b.Fatal(err)
				}
				d.Dispatch(ctx, m.Notification)
			}
			if seen == 0 {
				b.Fatal("the handler never ran")
			}
		})
	}
}

func BenchmarkRawUnmarshal(b *testing.B) {
	for _, bf := range benchFrames {
		b.Run(bf.typ, func(b *testing.B) {
			frame := readFrame(b, bf.file)
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			for b.Loop() {
				if err := bf.raw(frame); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseNotification is the decoding of a webhook body: the
// notification object of the same frames, as Twitch posts it.
func BenchmarkParseNotification(b *testing.B) {
	for _, bf := range benchFrames {
		b.Run(bf.typ, func(b *testing.B) {
			var f struct {
				Payload json.RawMessage `json:"payload"`
			}
			if err := json.Unmarshal(readFrame(b, bf.file), &f); err != nil {
				b.Fatal(err)
			}
			body := []byte(f.Payload)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := eventsub.ParseNotification(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The same notifications through a Webhook: a signed POST in, the typed
// event in the handler out. ServeHTTP reads the body, checks its
// signature and timestamp, remembers its message ID, decodes it and
// queues it; a worker goroutine of Run's dispatches it, and the loop
// waits for the handler each time, so that a figure is the whole way of
// one notification, the hand-over between goroutines included. The
// requests are signed outside the timed loop, in batches.
func BenchmarkWebhook(b *testing.B) {
	for _, bf := range benchFrames {
		b.Run(bf.typ, func(b *testing.B) {
			var frame struct {
				Payload json.RawMessage `json:"payload"`
			}
			if err := json.Unmarshal(readFrame(b, bf.file), &frame); err != nil {
				b.Fatal(err)
			}
			body := []byte(frame.Payload)
			version := "1"
			if bf.typ == "channel.follow" {
				version = "2"
			}
			fake := newHookHelix(b)
			handled := make(chan struct{}, 1)
			var seen int
			ready := make(chan struct{}, 1)
			w := eventsub.NewWebhook(fake.client(), testCallback, testSecret, eventsub.OnReady(func() { ready <- struct{}{} }))
			bf.on(&w.Dispatcher, &seen)
			w.OnNotification(func(context.Context, *eventsub.Notification) { handled <- struct{}{} })
			fake.target = w
			done := make(chan error, 1)
			go func() { done <- w.Run(context.Background()) }()
			<-ready
			b.Cleanup(func() {
				_ = w.Close()
				<-done
			})

			const batch = 4096
			reqs := make([]*http.Request, 0, batch)
			next := 0
			fill := func() {
				reqs = reqs[:0]
				ts := time.Now().UTC().Format(time.RFC3339Nano)
				for range batch {
					next++
					id := "bench-" + strconv.Itoa(next)
					h := http.Header{}
					h.Set("Twitch-Eventsub-Message-Id", id)
					h.Set("Twitch-Eventsub-Message-Type", "notification")
					h.Set("Twitch-Eventsub-Message-Timestamp", ts)
					h.Set("Twitch-Eventsub-Message-Signature", sign(testSecret, id, ts, body))
					h.Set("Twitch-Eventsub-Message-Retry", "0")
					h.Set("Twitch-Eventsub-Subscription-Type", bf.typ)
					h.Set("Twitch-Eventsub-Subscription-Version", version)
					reqs = append(reqs, &http.Request{Method: http.MethodPost, Header: h, ContentLength: int64(len(body)),
						Body: io.NopCloser(bytes.NewReader(body))})
				}
			}
			fill()
			rw := &benchWriter{header: http.Header{}}
			i := 0
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if i == len(reqs) {
					b.StopTimer()
					fill()
					i = 0
					b.StartTimer()
				}
				rw.code = 0
				w.ServeHTTP(rw, reqs[i])
				reqs[i] = nil
				i++
				if rw.code != http.StatusNoContent {
					b.Fatalf("answered %d", rw.code)
				}
				<-handled
			}
			_ = w.Close()
			if seen == 0 {
				b.Fatal("the handler never ran")
			}
		})
	}
}

// benchWriter is an http.ResponseWriter that keeps the status only.
type benchWriter struct {
	header http.Header
	code   int
}

func (w *benchWriter) Header() http.Header         { return w.header }
func (w *benchWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *benchWriter) WriteHeader(code int)        { w.code = code }
