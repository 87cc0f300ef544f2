// Command offline is a small EventSub bot run against twitchtest, the fake
// Twitch in this module, so it needs no network and no Twitch account: it
// subscribes to channel.follow and prints each follow it is told of.
//
//	go run ./examples/offline
//
// Against Twitch, drop the fake and its two URLs, and give helix.New your
// client ID and a user access token with moderator:read:followers.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/twitchtest"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, out io.Writer) error {
	fake := twitchtest.NewServer()
	defer fake.Close()

	h := helix.New("my-client-id", fake.Token("my-user-token"), helix.WithBaseURL(fake.Helix.URL))
	ready := make(chan struct{}, 1)
	bot := eventsub.New(h,
		eventsub.WithBaseURL(fake.EventSub.URL),
		eventsub.OnReady(func() { ready <- struct{}{} }))
	followed := make(chan struct{})
	bot.OnChannelFollow(func(ctx context.Context, e *eventsub.ChannelFollowEvent) {
		fmt.Fprintf(out, "%s followed %s at %s\n", e.UserName, e.BroadcasterUserName, e.FollowedAt.Format("15:04:05"))
		close(followed)
	})
	if err := bot.Subscribe(ctx, &eventsub.ChannelFollowCondition{BroadcasterUserID: "1001", ModeratorUserID: "1001"}); err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- bot.Run(ctx) }()

	// The demo's part: once the bot's subscription exists, the fake
	// Twitch sends it a follow.
	select {
	case <-ready:
	case err := <-done:
		return err
	}
	sub := fake.EventSub.Subscriptions()[0]
	fmt.Fprintf(out, "subscribed to %s version %s on session %s\n", sub.Type, sub.Version, sub.Transport.SessionID)
	// The fake finds the subscription the event belongs to, as Twitch does.
	if _, err := fake.EventSub.Notify(&eventsub.ChannelFollowEvent{
		UserID: "2002", UserLogin: "viewer", UserName: "Viewer",
		BroadcasterUserID: "1001", BroadcasterUserLogin: "gopher", BroadcasterUserName: "Gopher",
		FollowedAt: eventsub.Time{Time: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)},
	}); err != nil {
		return err
	}
	<-followed
	cancel()
	if err := <-done; err != context.Canceled {
		return err
	}
	return bot.Close()
}
