package eventsub_test

import (
	"context"
	"fmt"

	"github.com/twitchify-go/twitch/eventsub"
)

func ExampleDispatcher() {
	var d eventsub.Dispatcher
	d.OnStreamOnline(func(ctx context.Context, e *eventsub.StreamOnlineEvent) {
		fmt.Println(e.BroadcasterUserName, "went live at", e.StartedAt.Format("15:04"))
	})

	frame := []byte(`{
	  "metadata": {"message_id": "m-1", "message_type": "notification", "message_timestamp": "2026-01-02T15:04:05Z",
	               "subscription_type": "stream.online", "subscription_version": "1"},
	  "payload": {
	    "subscription": {"id": "s-1", "status": "enabled", "type": "stream.online", "version": "1", "cost": 0,
	                     "condition": {"broadcaster_user_id": "42"},
	                     "transport": {"method": "websocket", "session_id": "abc"}, "created_at": "2026-01-02T15:00:00Z"},
	    "event": {"id": "9", "broadcaster_user_id": "42", "broadcaster_user_login": "gopher",
	              "broadcaster_user_name": "Gopher", "type": "live", "started_at": "2026-01-02T15:04:00Z"}
	  }
	}`)
	msg, err := eventsub.ParseMessage(frame)
	if err != nil {
		fmt.Println(err)
		return
	}
	d.Dispatch(context.Background(), msg.Notification)
	// Output: Gopher went live at 15:04
}

func ExampleLookup() {
	info, ok := eventsub.Lookup("channel.follow", "2")
	if !ok {
		return
	}
	fmt.Println(info.Type, info.Version, info.Status, info.Transports)
	for _, req := range info.Auth {
		fmt.Println(req.Token, req.Scopes)
	}
	// Output:
	// channel.follow 2 stable [webhook websocket conduit]
	// app [[moderator:read:followers]]
	// user [[moderator:read:followers]]
}
