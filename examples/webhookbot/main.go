// Command webhookbot is the follow bot on webhooks: Twitch posts each event
// to the bot's own HTTP server instead of a WebSocket, the way a bot that
// runs behind a web server (or must not miss events while it restarts)
// receives them.
//
//	go run ./examples/webhookbot -offline   # against a fake Twitch in this process
//	go run ./examples/webhookbot -client-id ID -client-secret SECRET \
//		-callback https://bot.example.com/eventsub -listen :8080
//
// Against Twitch, the callback URL must be https on port 443 and reach
// -listen (a reverse proxy in front of it answers TLS); the webhook secret
// comes from $TWITCH_WEBHOOK_SECRET. With -offline, the fake Twitch
// authorizes the device code at once, verifies the callback, posts one
// follow to it once the bot is ready, and the program shows the chat
// message the fake received, then exits.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/twitchify-go/twitch"
	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/oauth"
	"github.com/twitchify-go/twitch/twitchtest"
)

func main() {
	offline := flag.Bool("offline", false, "run against a fake Twitch in this process, send it one follow, show the thank-you message it received, and exit")
	clientID := flag.String("client-id", os.Getenv("TWITCH_CLIENT_ID"), "your application's client ID (default $TWITCH_CLIENT_ID)")
	clientSecret := flag.String("client-secret", os.Getenv("TWITCH_CLIENT_SECRET"), "your application's secret, for the app token webhook subscriptions take (default $TWITCH_CLIENT_SECRET)")
	callback := flag.String("callback", "", "the https URL Twitch posts events to")
	listen := flag.String("listen", ":8080", "the address the bot serves the callback on")
	tokenFile := flag.String("token-file", "token.json", "the file that keeps the user's token")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	var err error
	switch {
	case *offline:
		err = runOffline(ctx, os.Stdout)
	case *clientID == "" || *clientSecret == "" || *callback == "" || os.Getenv("TWITCH_WEBHOOK_SECRET") == "":
		err = errors.New("webhookbot: give -client-id, -client-secret, -callback and $TWITCH_WEBHOOK_SECRET (10 to 100 characters), or run with -offline")
	default:
		hook := twitch.Webhook{CallbackURL: *callback, Secret: os.Getenv("TWITCH_WEBHOOK_SECRET"), Listen: *listen}
		err = bot(ctx, os.Stdout, twitch.New(*clientID, twitch.WithClientSecret(*clientSecret), twitch.WithWebhook(hook),
			twitch.WithTokenFile(*tokenFile), twitch.WithScopes(oauth.ScopeUserWriteChat)), nil, nil)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		log.Fatal(err)
	}
}

// bot registers the follow bot's handlers on client and runs it until ctx
// ends: the same handlers as over a WebSocket. ready and thanked, when not
// nil, are told when the bot is subscribed and when it has thanked a
// follower (for the offline run).
func bot(ctx context.Context, out io.Writer, client *twitch.Client, ready chan<- struct{}, thanked chan<- error) error {
	client.OnCode(func(code twitch.DeviceCode) { fmt.Fprintln(out, "Verification URI:", code.VerificationURI) })
	client.OnReady(func() {
		fmt.Fprintln(out, "Subscribed; Twitch has verified the callback")
		if ready != nil {
			ready <- struct{}{}
		}
	})
	client.OnChannelFollow(func(ctx context.Context, data *eventsub.ChannelFollowEvent) {
		err := client.SendChatMessage(ctx, data.UserName+" has followed the channel!")
		if err != nil {
			log.Print(err)
		}
		if thanked != nil {
			thanked <- err
		}
	})
	return client.Run(ctx)
}

// runOffline runs the bot against a fake Twitch in this process. The bot's
// callback is mounted on a server of its own (an httptest server on
// loopback, standing in for the bot's web server); the fake posts to it as
// Twitch would, signed, after verifying it with a challenge.
func runOffline(ctx context.Context, out io.Writer) error {
	srv := twitchtest.NewServer()
	defer srv.Close()
	srv.OAuth.AutoApproveDevices(true)
	dir, err := os.MkdirTemp("", "webhookbot")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	mux := http.NewServeMux()
	web := httptest.NewServer(mux) // the bot's own web server
	defer web.Close()
	client := twitch.New("webhookbot-offline",
		twitch.WithEndpoints(srv.Endpoints()),
		twitch.WithClientSecret("webhookbot-offline-secret"),
		twitch.WithWebhook(twitch.Webhook{CallbackURL: web.URL + "/eventsub", Secret: "a webhook secret, 10 to 100 characters"}),
		twitch.WithTokenFile(filepath.Join(dir, "token.json")),
		twitch.WithScopes(oauth.ScopeUserWriteChat))
	mux.Handle("/eventsub", client.WebhookHandler())

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	ready, thanked := make(chan struct{}, 1), make(chan error, 1)
	go func() {
		done <- bot(ctx, out, client, ready, thanked)
		cancel() // the waits below end if the bot stops first
	}()
	stopped := func(err error) error {
		cancel()
		if runErr := <-done; runErr != nil && !errors.Is(runErr, context.Canceled) {
			return runErr
		}
		return err
	}

	select {
	case <-ready:
	case <-ctx.Done():
		return stopped(ctx.Err())
	}
	sub, err := srv.EventSub.WaitSubscription(ctx, "channel.follow")
	if err != nil {
		return stopped(err)
	}
	fmt.Fprintf(out, "Twitch posts %s events to %s\n", sub.Type, sub.Transport.Callback)
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
	select {
	case err := <-thanked:
		if err != nil {
			return stopped(err)
		}
	case <-ctx.Done():
		return stopped(ctx.Err())
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
