package eventsub_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/oauth"
	"github.com/twitchify-go/twitch/twitchtest"
)

// FuzzConduitWebhook sends the callback of a running Conduit of webhook
// shards arbitrary requests, as FuzzWebhook does a Webhook's: signed with
// the secret when sign is set, so that the fuzzer reaches past the
// signature into the shard challenges, revocations and notifications.
// The Conduit must never panic, always answer, answer 2xx only to a
// signed POST, and 200 only to the challenge of one of its shards, with
// the challenge.
//
//	go test ./eventsub -run '^$' -fuzz FuzzConduitWebhook -fuzztime 2m
func FuzzConduitWebhook(f *testing.F) {
	cbs := &callbacks{hooks: map[string]http.Handler{}}
	srv := twitchtest.NewServer(twitchtest.WithWebhookClient(twitchtest.HandlerClient(cbs)))
	f.Cleanup(srv.Close)
	srv.OAuth.AddToken(fakeAppToken, twitchtest.TokenInfo{Type: oauth.TokenApp, ClientID: "client-id"})
	h := helix.New("client-id", srv.Token(fakeAppToken), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.Client()))
	ready := make(chan struct{}, 1)
	c := eventsub.NewConduit(h, eventsub.WithShardCount(2), eventsub.WithWebhookShards(callbackA, testSecret),
		eventsub.WithWorkers(2), eventsub.OnReady(func() { ready <- struct{}{} }))
	c.OnNotification(func(context.Context, *eventsub.Notification) {})
	c.OnChannelFollow(func(context.Context, *eventsub.ChannelFollowEvent) {})
	cbs.set(hostOf(callbackA), c)
	if err := c.Subscribe(context.Background(), followCondition("1")); err != nil {
		f.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Run(context.Background()) }()
	select {
	case <-ready:
	case err := <-done:
		f.Fatal(err)
	}
	f.Cleanup(func() {
		_ = c.Close()
		<-done
	})
	id := c.ID()
	shardChallenge := func(conduit, shard string) []byte {
		b, _ := json.Marshal(map[string]any{"challenge": "pogchamp", "conduit_shard": map[string]string{"conduit_id": conduit, "shard": shard}})
		return b
	}
	f.Add("POST", "c-1", "webhook_callback_verification", "", "", shardChallenge(id, "1"), true)
	f.Add("POST", "c-2", "webhook_callback_verification", "", "", shardChallenge(id, "7"), true)
	f.Add("POST", "c-3", "webhook_callback_verification", "", "", shardChallenge("other", "0"), true)
	f.Add("POST", "c-4", "webhook_callback_verification", "", "", []byte(`{"challenge":"x","conduit_shard":null}`), true)
	f.Add("POST", "r-1", "revocation", "", "", []byte(`{"subscription":{"id":"x","status":"user_removed","type":"user.update","version":"1"}}`), true)
	f.Add("POST", "m-1", "notification", "", "", followBody("s1", 1), true)
	f.Add("POST", "m-1", "notification", "", "", followBody("s1", 1), false)
	f.Add("GET", "", "", "", "", []byte(nil), false)

	f.Fuzz(func(t *testing.T, method, msgID, typ, timestamp, signature string, body []byte, signIt bool) {
		rec := serve(c, fuzzRequest(method, msgID, typ, timestamp, signature, body, signIt))
		switch rec.Code {
		case http.StatusOK:
			var v struct {
				Challenge string
				Shard     struct {
					ConduitID string `json:"conduit_id"`
					Shard     string
				} `json:"conduit_shard"`
			}
			if !signIt || typ != "webhook_callback_verification" || method != http.MethodPost || json.Unmarshal(body, &v) != nil {
				t.Fatalf("200 to a %s %q request, signed %v: %s", method, typ, signIt, body)
			}
			if n, err := strconv.Atoi(v.Shard.Shard); err != nil || n < 0 || n > 1 || v.Shard.ConduitID != id || rec.Body.String() != v.Challenge {
				t.Fatalf("answered %q to the challenge %s", rec.Body.String(), body)
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
