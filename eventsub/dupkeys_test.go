package eventsub

import (
	"os"
	"testing"
)

// BenchmarkCheckKeys is the cost of the duplicate-key check alone, on a
// chat message frame.
func BenchmarkCheckKeys(b *testing.B) {
	frame, err := os.ReadFile("testdata/notification_channel_chat_message.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if err := checkKeys(frame); err != nil {
			b.Fatal(err)
		}
	}
}
