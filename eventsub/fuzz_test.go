package eventsub_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/twitchify-go/twitch/eventsub"
)

// FuzzParseMessage feeds ParseMessage arbitrary frames, seeded with the
// real-shaped frames of testdata: it must never panic, and what it accepts
// must hang together.
//
//	go test ./eventsub -run '^$' -fuzz FuzzParseMessage -fuzztime 5m
func FuzzParseMessage(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"metadata":{"message_type":"notification","subscription_type":"channel.follow","subscription_version":"2"},"payload":{}}`))
	f.Add([]byte(`{"metadata":{"message_type":"session_welcome"},"payload":{"session":null}}`))
	f.Fuzz(func(t *testing.T, frame []byte) {
		m, err := eventsub.ParseMessage(frame)
		if err != nil {
			if m != nil {
				t.Fatalf("a message and an error: %+v, %v", m, err)
			}
			return
		}
		switch m.Metadata.MessageType {
		case eventsub.MessageNotification:
			if m.Notification == nil || m.Notification.Event == nil {
				t.Fatalf("a notification without its event: %+v", m)
			}
			if info, ok := m.Notification.TypeInfo(); ok &&
				(info.Type != m.Notification.Subscription.Type || info.Version != m.Notification.Subscription.Version) {
				t.Fatalf("type info %s %s for a subscription of %s %s", info.Type, info.Version,
					m.Notification.Subscription.Type, m.Notification.Subscription.Version)
			}
		case eventsub.MessageSessionWelcome, eventsub.MessageSessionReconnect:
			if m.Session == nil {
				t.Fatalf("a %s without its session", m.Metadata.MessageType)
			}
		case eventsub.MessageRevocation:
			if m.Revocation == nil {
				t.Fatal("a revocation without its subscription")
			}
		}
	})
}
