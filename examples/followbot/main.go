// Command followbot thanks each new follower in chat: the seed program of
// Twitchify (Python), line for line, in Go.
//
//	go run ./examples/followbot -offline             # against a fake Twitch in this process
//	go run ./examples/followbot -client-id <your id> # against Twitch (or set TWITCH_CLIENT_ID)
//
// Against Twitch, it prints a verification URI: open it, sign in as the
// account the bot acts for and authorize it; the token is kept in
// token.json (-token-file) for the next runs. With -offline, a fake Twitch
// (package twitchtest) authorizes at once, sends one follow once the bot
// is ready, and the program shows the chat message the fake received and
// exits.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"

	"golang.org/x/oauth2"

	"github.com/twitchify-go/twitch"
	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/oauth"
	"github.com/twitchify-go/twitch/twitchtest"
)

func main() {
	offline := flag.Bool("offline", false, "run against a fake Twitch in this process, send it one follow, show the thank-you message it received, and exit")
	clientID := flag.String("client-id", os.Getenv("TWITCH_CLIENT_ID"), "your application's client ID (default $TWITCH_CLIENT_ID)")
	tokenFile := flag.String("token-file", "token.json", "the file that keeps the user's token")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	var err error
	switch {
	case *offline:
		err = runOffline(ctx, os.Stdout)
	case *clientID == "":
		err = errors.New("followbot: give -client-id or set TWITCH_CLIENT_ID (register an application at https://dev.twitch.tv/console), or run with -offline")
	default:
		err = bot(ctx, os.Stdout, *clientID, *tokenFile)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		log.Fatal(err)
	}
}

// bot is the seed program: it runs until ctx ends.
func bot(ctx context.Context, out io.Writer, clientID, tokenFile string, opts ...twitch.Option) error {
	client := twitch.New(clientID, append(opts, twitch.WithTokenFile(tokenFile), twitch.WithScopes(oauth.ScopeUserWriteChat))...)
	client.OnCode(func(code twitch.DeviceCode) { fmt.Fprintln(out, "Verification URI:", code.VerificationURI) })
	client.OnAuth(func(*oauth2.Token) { fmt.Fprintln(out, "Authorized; the token is kept in", tokenFile) })
	client.OnReady(func() { fmt.Fprintln(out, "PogU") })
	client.OnChannelFollow(func(ctx context.Context, data *eventsub.ChannelFollowEvent) {
		if err := client.SendChatMessage(ctx, data.UserName+" has followed the channel!"); err != nil {
			log.Print(err)
		}
	})
	return client.Run(ctx)
}

// runOffline runs the bot against a fake Twitch in this process: the fake's
// user (TwitchDev) authorizes the device code at once, a viewer follows the
// channel once the bot has subscribed, and the chat message the fake then
// receives is shown.
func runOffline(ctx context.Context, out io.Writer) error {
	srv := twitchtest.NewServer()
	defer srv.Close()
	srv.OAuth.AutoApproveDevices(true)
	dir, err := os.MkdirTemp("", "followbot")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- bot(ctx, out, "followbot-offline", filepath.Join(dir, "token.json"),
			twitch.WithEndpoints(srv.Endpoints()), twitch.WithHTTPClient(srv.InMemoryClient()))
		cancel() // the waits below end if the bot stops first
	}()
	stopped := func(err error) error {
		cancel()
		if runErr := <-done; runErr != nil && !errors.Is(runErr, context.Canceled) {
			return runErr
		}
		return err
	}

	sub, err := srv.EventSub.WaitSubscription(ctx, "channel.follow")
	if err != nil {
		return stopped(err)
	}
	var cond eventsub.ChannelFollowCondition
	if err := json.Unmarshal(sub.Condition, &cond); err != nil {
		return stopped(err)
	}
	_, err = srv.EventSub.Notify(&eventsub.ChannelFollowEvent{
		UserID: "2002", UserLogin: "gopher", UserName: "Gopher",
		BroadcasterUserID: cond.BroadcasterUserID, BroadcasterUserLogin: "twitchdev", BroadcasterUserName: "TwitchDev",
	})
	if err != nil {
		return stopped(err)
	}
	reqs, err := srv.Helix.WaitRequests(ctx, "SendChatMessage", 1)
	if err != nil {
		return stopped(err)
	}
	var msg struct {
		BroadcasterID string `json:"broadcaster_id"`
		SenderID      string `json:"sender_id"`
		Message       string `json:"message"`
	}
	if err := json.Unmarshal(reqs[0].Body, &msg); err != nil {
		return stopped(err)
	}
	fmt.Fprintf(out, "The fake Twitch received, in the chat of channel %s from user %s: %q\n", msg.BroadcasterID, msg.SenderID, msg.Message)
	return stopped(nil)
}
