// Command offline shows the library end to end without a network: it calls
// Helix through a fake Twitch that runs in this process, and dispatches an
// EventSub notification frame to a typed handler.
//
//	go run ./examples/offline
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"

	"golang.org/x/oauth2"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, out io.Writer) error {
	// A fake Helix that knows one user. It listens on 127.0.0.1 only.
	mux := http.NewServeMux()
	mux.HandleFunc("GET /helix/users", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Client-Id") != "example-client" || r.Header.Get("Authorization") != "Bearer example-token" {
			http.Error(w, `{"error":"Unauthorized","status":401,"message":"bad credentials"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"data":[{"id":"1001","login":%q,"display_name":"Gopher","type":"","broadcaster_type":"affiliate",
			"description":"","profile_image_url":"","offline_image_url":"","view_count":0,"created_at":"2021-03-04T05:06:07Z"}]}`,
			r.URL.Query().Get("login"))
	})
	fake := httptest.NewServer(mux)
	defer fake.Close()

	client := helix.New("example-client",
		oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "example-token"}),
		helix.WithBaseURL(fake.URL+"/helix"))
	users, err := client.GetUsers(ctx, &helix.GetUsersParams{Login: []string{"gopher"}})
	if err != nil {
		return err
	}
	u := users.Data[0]
	fmt.Fprintf(out, "helix: %s (id %s) is an %s since %s\n", u.DisplayName, u.ID, u.BroadcasterType, u.CreatedAt.Format("2006-01-02"))

	// A channel.follow notification as it arrives on an EventSub WebSocket.
	var d eventsub.Dispatcher
	d.OnChannelFollow(func(ctx context.Context, e *eventsub.ChannelFollowEvent) {
		fmt.Fprintf(out, "eventsub: %s followed %s at %s\n", e.UserName, e.BroadcasterUserName, e.FollowedAt.Format("15:04:05"))
	})
	msg, err := eventsub.ParseMessage(followFrame(u))
	if err != nil {
		return err
	}
	d.Dispatch(ctx, msg.Notification)
	return nil
}

// followFrame builds a WebSocket notification frame in which someone
// follows the user u.
func followFrame(u helix.User) []byte {
	frame := map[string]any{
		"metadata": map[string]any{
			"message_id":           "7d5d1c1a-0b1e-4c5b-9b6e-0f3c1a2b3c4d",
			"message_type":         "notification",
			"message_timestamp":    "2026-11-28T12:00:00.5Z",
			"subscription_type":    "channel.follow",
			"subscription_version": "2",
		},
		"payload": map[string]any{
			"subscription": map[string]any{
				"id": "c0ffee00-0000-4000-8000-000000000001", "status": "enabled",
				"type": "channel.follow", "version": "2", "cost": 0,
				"condition":  map[string]any{"broadcaster_user_id": u.ID, "moderator_user_id": u.ID},
				"transport":  map[string]any{"method": "websocket", "session_id": "example-session"},
				"created_at": "2026-11-28T11:59:00Z",
			},
			"event": map[string]any{
				"user_id": "2002", "user_login": "viewer", "user_name": "Viewer",
				"broadcaster_user_id": u.ID, "broadcaster_user_login": u.Login, "broadcaster_user_name": u.DisplayName,
				"followed_at": "2026-11-28T12:00:00Z",
			},
		},
	}
	data, err := json.Marshal(frame)
	if err != nil {
		log.Fatal(err)
	}
	return data
}
