package eventsub_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

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
