package eventsub_test

import (
	"context"
	"log"
	"net/http"
	"os"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/oauth"
)

// A server that receives follows over webhooks. The callback URL must
// reach the Webhook over HTTPS on port 443 (a reverse proxy in front of
// this server, say); the secret is the program's own, 10 to 100 ASCII
// characters, kept out of the source.
func ExampleWebhook() {
	clientID, secret := os.Getenv("TWITCH_CLIENT_ID"), os.Getenv("EVENTSUB_SECRET")
	auth := oauth.New(clientID, oauth.WithClientSecret(os.Getenv("TWITCH_CLIENT_SECRET")))
	h := helix.New(clientID, auth.AppTokenSource(nil))

	w := eventsub.NewWebhook(h, "https://bot.example.com/eventsub", secret,
		eventsub.WithDeleteStale(), // the subscriptions to this URL are the program's only
		eventsub.OnError(func(err error) { log.Print(err) }))
	w.OnChannelFollow(func(ctx context.Context, e *eventsub.ChannelFollowEvent) {
		log.Printf("%s followed %s", e.UserName, e.BroadcasterUserName)
	})
	ctx := context.Background()
	if err := w.Subscribe(ctx, &eventsub.ChannelFollowCondition{BroadcasterUserID: "42", ModeratorUserID: "42"}); err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.Handle("POST /eventsub", w)
	go func() { log.Fatal(http.ListenAndServe("127.0.0.1:8080", mux)) }()
	log.Fatal(w.Run(ctx)) // Run creates what is missing, and waits for Twitch to verify the callback
}
