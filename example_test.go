package twitch_test

import (
	"context"
	"fmt"

	"github.com/twitchify-go/twitch"
	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/oauth"
	"github.com/twitchify-go/twitch/twitchtest"
)

// A client that authorizes with the device flow, against a fake Twitch
// whose user authorizes at once. Against Twitch, leave out WithEndpoints
// and WithHTTPClient, and give your application's client ID.
func ExampleNew() {
	srv := twitchtest.NewServer()
	defer srv.Close()
	srv.OAuth.AutoApproveDevices(true)

	c := twitch.New("my-client-id",
		twitch.WithEndpoints(srv.Endpoints()),
		twitch.WithHTTPClient(srv.Client()),
		twitch.WithScopes(oauth.ScopeUserWriteChat))
	c.OnCode(func(code twitch.DeviceCode) {
		fmt.Println("open the verification URI to authorize", code.Scopes)
	})
	c.OnReady(func() {
		fmt.Println("ready as", c.User().Login)
		c.Close()
	})
	c.OnChannelFollow(func(ctx context.Context, e *eventsub.ChannelFollowEvent) {})
	fmt.Println(c.Run(context.Background()))
	// Output:
	// open the verification URI to authorize [user:write:chat moderator:read:followers]
	// ready as twitchdev
	// twitch: client closed
}

// The seed bot: each follower is thanked in chat. The fake Twitch plays a
// viewer who follows once the bot is ready, and shows the chat message it
// received.
func ExampleClient_Run() {
	srv := twitchtest.NewServer()
	defer srv.Close()
	srv.OAuth.AutoApproveDevices(true)
	ctx := context.Background()

	c := twitch.New("my-client-id",
		twitch.WithEndpoints(srv.Endpoints()),
		twitch.WithHTTPClient(srv.Client()),
		twitch.WithScopes(oauth.ScopeUserWriteChat))
	c.OnCode(func(code twitch.DeviceCode) {
		// Show code.VerificationURI to the user; the fake approves at once.
	})
	c.OnReady(func() {
		_, err := srv.EventSub.Notify(&eventsub.ChannelFollowEvent{
			UserID: "2002", UserLogin: "gopher", UserName: "Gopher",
			BroadcasterUserID: c.User().ID, BroadcasterUserLogin: c.User().Login,
		})
		if err != nil {
			fmt.Println(err)
		}
	})
	c.OnChannelFollow(func(ctx context.Context, e *eventsub.ChannelFollowEvent) {
		if err := c.SendChatMessage(ctx, e.UserName+" has followed the channel!"); err != nil {
			fmt.Println(err)
		}
		c.Close()
	})
	fmt.Println("Run:", c.Run(ctx))

	reqs, err := srv.Helix.WaitRequests(ctx, "SendChatMessage", 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("chat:", string(reqs[0].Body))
	// Output:
	// Run: twitch: client closed
	// chat: {"broadcaster_id":"141981764","sender_id":"141981764","message":"Gopher has followed the channel!"}
}
