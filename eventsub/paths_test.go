package eventsub_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/twitchtest"
)

// sampleNotification is a notification of the type with every field of
// its event and condition present, as a webhook body and as a frame.
func sampleNotification(t testing.TB, info eventsub.TypeInfo) (body, frame []byte) {
	t.Helper()
	event, ok := twitchtest.SampleEvent(info.Type, info.Version)
	assert.Assert(t, ok, "no sample event of %s %s", info.Type, info.Version)
	cond, ok := twitchtest.SampleCondition(info.Type, info.Version)
	assert.Assert(t, ok, "no sample condition of %s %s", info.Type, info.Version)
	key := "event"
	if info.Batched {
		key = "events"
	}
	body = fmt.Appendf(nil, `{"subscription": {"id": "s1", "status": "enabled", "type": %q, "version": %q, "cost": 1,`+
		` "condition": %s, "transport": {"method": "webhook", "callback": "https://example.net/es"},`+
		` "created_at": "2025-03-14T09:00:00.5Z"}, %q: %s}`, info.Type, info.Version, cond, key, event)
	frame = fmt.Appendf(nil, `{"metadata": {"message_id": "m1", "message_type": "notification",`+
		` "message_timestamp": "2025-03-14T09:00:01.123456789Z", "subscription_type": %q, "subscription_version": %q},`+
		` "payload": %s}`, info.Type, info.Version, body)
	return body, frame
}

// The one-pass decoders of ParseMessage and ParseNotification are taken
// for a notification of every type of the schema, and decode what the
// general paths decode.
func TestFastPathsEveryType(t *testing.T) {
	for _, info := range eventsub.Types() {
		body, frame := sampleNotification(t, info)
		_, ok := eventsub.ParseBodyFast(body)
		assert.Assert(t, ok, "%s %s: the body did not take the fast path", info.Type, info.Version)
		_, ok = eventsub.ParseFrameFast(frame)
		assert.Assert(t, ok, "%s %s: the frame did not take the fast path", info.Type, info.Version)
		fastAgrees(t, body)
		fastAgrees(t, frame)
	}
}

// The same for the frames and bodies of testdata, whichever path they
// take.
func TestFastPathsTestdata(t *testing.T) {
	for _, data := range testdataFiles(t) {
		fastAgrees(t, data)
	}
}

// FuzzFastPaths: whatever a fast path accepts, the general path accepts
// and decodes the same.
//
//	go test ./eventsub -run '^$' -fuzz FuzzFastPaths -fuzztime 5m
func FuzzFastPaths(f *testing.F) {
	for _, data := range testdataFiles(f) {
		f.Add(data)
	}
	for _, info := range eventsub.Types() {
		body, frame := sampleNotification(f, info)
		f.Add(body)
		f.Add(frame)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fastAgrees(t, data)
	})
}

func testdataFiles(t testing.TB) [][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	assert.NilError(t, err)
	var out [][]byte
	for _, name := range files {
		data, err := os.ReadFile(name)
		assert.NilError(t, err)
		out = append(out, data)
	}
	return out
}

// fastAgrees checks that what a fast path makes of data, as a frame and
// as a body, the general path makes too.
func fastAgrees(t *testing.T, data []byte) {
	t.Helper()
	if m, ok := eventsub.ParseFrameFast(data); ok {
		want, err := eventsub.ParseFrame(data)
		assert.NilError(t, err, "the fast path took a frame the general path refuses: %s", data)
		assert.DeepEqual(t, m.Metadata, want.Metadata)
		assert.Assert(t, m.Session == nil && want.Session == nil && m.Revocation == nil && want.Revocation == nil)
		sameNotification(t, m.Notification, want.Notification)
	}
	if n, ok := eventsub.ParseBodyFast(data); ok {
		want, err := eventsub.ParseBody(data)
		assert.NilError(t, err, "the fast path took a body the general path refuses: %s", data)
		sameNotification(t, n, want)
	}
}

func sameNotification(t *testing.T, got, want *eventsub.Notification) {
	t.Helper()
	assert.Assert(t, got != nil && want != nil)
	assert.DeepEqual(t, got.Subscription, want.Subscription)
	assert.DeepEqual(t, got.Event, want.Event)
	gotInfo, gotOK := got.TypeInfo()
	wantInfo, wantOK := want.TypeInfo()
	assert.Equal(t, gotOK, wantOK)
	assert.DeepEqual(t, gotInfo, wantInfo)
}
