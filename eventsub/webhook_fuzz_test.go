package eventsub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
)

// FuzzWebhook sends a running Webhook arbitrary requests: any method,
// message ID, type, timestamp, signature header and body; signed with the
// secret when sign is set (and stamped now when the timestamp is empty),
// so that the fuzzer reaches past the signature into the body's decoding.
// The Webhook must never panic, always answer, and answer 2xx only to a
// signed POST; a 200 only to a challenge, with the challenge.
//
//	go test ./eventsub -run '^$' -fuzz FuzzWebhook -fuzztime 2m
func FuzzWebhook(f *testing.F) {
	fake := newHookHelix(f)
	ready := make(chan struct{}, 1)
	w := eventsub.NewWebhook(fake.client(), testCallback, testSecret,
		eventsub.WithPreviousSecret(otherSecret), eventsub.WithWorkers(2),
		eventsub.OnReady(func() { ready <- struct{}{} }))
	w.OnNotification(func(context.Context, *eventsub.Notification) {})
	w.OnChannelFollow(func(context.Context, *eventsub.ChannelFollowEvent) {})
	fake.target = w
	if err := w.Subscribe(context.Background(), followCondition("1")); err != nil {
		f.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(context.Background()) }()
	select {
	case <-ready:
	case err := <-done:
		f.Fatal(err)
	}
	f.Cleanup(func() {
		_ = w.Close()
		<-done
	})

	// Seeds: the notifications of testdata as webhook bodies, a challenge,
	// a revocation, and broken ones.
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		var frame struct {
			Payload json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &frame) == nil && len(frame.Payload) > 0 {
			data = frame.Payload
		}
		f.Add("POST", "m-"+filepath.Base(name), "notification", "", "", data, true)
	}
	sub := followSub("new-1", "1", helix.EventSubSubscriptionStatusWebhookCallbackVerificationPending)
	f.Add("POST", "c-1", "webhook_callback_verification", "", "", challengeBody("challenge", sub), true)
	f.Add("POST", "r-1", "revocation", "", "", []byte(`{"subscription":{"id":"x","status":"user_removed","type":"user.update","version":"1"}}`), true)
	f.Add("POST", "m-1", "notification", "", "", followBody("s1", 1), false)
	f.Add("POST", "m-1", "notification", "2020-01-01T00:00:00Z", "sha256=00", followBody("s1", 1), false)
	f.Add("GET", "", "", "", "", []byte(nil), false)
	f.Add("POST", "m-2", "notification", "", "", []byte(`{"subscription":{"type":"channel.follow","version":"2"},"event":{"user_id":1}}`), true)
	f.Add("POST", "m-3", "notification", "", "", []byte(`{"subscription":{},"subscription":{}}`), true)

	f.Fuzz(func(t *testing.T, method, id, typ, timestamp, signature string, body []byte, signIt bool) {
		r := fuzzRequest(method, id, typ, timestamp, signature, body, signIt)
		r.Header["Twitch-Eventsub-Subscription-Type"] = []string{"channel.follow"}
		r.Header["Twitch-Eventsub-Subscription-Version"] = []string{"2"}
		rec := serve(w, r)
		switch rec.Code {
		case http.StatusOK:
			if !signIt || typ != "webhook_callback_verification" || method != http.MethodPost {
				t.Fatalf("200 to a %s %q request, signed %v", method, typ, signIt)
			}
			var v struct{ Challenge string }
			if json.Unmarshal(body, &v) != nil || rec.Body.String() != v.Challenge {
				t.Fatalf("answered %q to the challenge of %s", rec.Body.String(), body)
			}
		case http.StatusNoContent:
			if !signIt || method != http.MethodPost {
				t.Fatalf("204 to a %s request, signed %v", method, signIt)
			}
		case http.StatusBadRequest, http.StatusForbidden, http.StatusMethodNotAllowed,
			http.StatusRequestEntityTooLarge, http.StatusServiceUnavailable:
		default:
			t.Fatalf("answered %d", rec.Code)
		}
	})
}

// fuzzRequest builds a request of the fuzz targets: signed with the
// secret when signIt is set (and stamped now when the timestamp is empty).
func fuzzRequest(method, id, typ, timestamp, signature string, body []byte, signIt bool) *http.Request {
	if signIt && timestamp == "" {
		timestamp = time.Now().UTC().Format(time.RFC3339Nano)
	}
	if signIt {
		signature = sign(testSecret, id, timestamp, body)
	}
	r := httptest.NewRequest(http.MethodPost, "/eventsub", bytes.NewReader(body))
	r.Method = method
	r.Header["Twitch-Eventsub-Message-Id"] = []string{id}
	r.Header["Twitch-Eventsub-Message-Type"] = []string{typ}
	r.Header["Twitch-Eventsub-Message-Timestamp"] = []string{timestamp}
	r.Header["Twitch-Eventsub-Message-Signature"] = []string{signature}
	return r
}
