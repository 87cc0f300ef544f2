package eventsub_test

import (
	"context"
	"fmt"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/twitchtest"
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
	for _, f := range info.ConditionFields {
		fmt.Println(f.Name, f.Required, f.Fill)
	}
	// Output:
	// channel.follow 2 stable [webhook websocket conduit]
	// app [[moderator:read:followers]]
	// user [[moderator:read:followers]]
	// broadcaster_user_id true broadcaster
	// moderator_user_id true user
}

// Mistakes reach the caller: Subscribe checks a condition before anything
// is sent, and Run returns what Twitch refused on the first session.
func ExampleClient_Run() {
	ctx := context.Background()
	fake := twitchtest.NewServer(twitchtest.WithUserToken("user-token", "user:read:chat"))
	defer fake.Close()
	h := helix.New("client-id", fake.Token("user-token"), helix.WithBaseURL(fake.Helix.URL))
	c := eventsub.New(h, eventsub.WithBaseURL(fake.EventSub.URL))

	err := c.Subscribe(ctx, &eventsub.ChannelFollowCondition{BroadcasterUserID: "1001"})
	fmt.Println(err)

	err = c.Subscribe(ctx, &eventsub.ChannelFollowCondition{BroadcasterUserID: "1001", ModeratorUserID: "1001"})
	fmt.Println(err)
	fmt.Println(c.Run(ctx))
	// Output:
	// eventsub: subscribe to channel.follow version 2: condition field moderator_user_id: required but not set
	// <nil>
	// eventsub: subscribe to channel.follow version 2: Twitch refused it (403 Forbidden: subscription missing proper authorization): the user token needs moderator:read:followers
}
