package oauth_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log"

	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/oauth"
)

// A bot's start: the token saved by cmd/twitch-token (or, the first time,
// the device flow), kept fresh and saved again each time Twitch renews it,
// and validated hourly.
func Example() {
	ctx := context.Background()
	const clientID = "your-client-id"
	c := oauth.New(clientID)
	store := oauth.NewFileStore("token.json")

	tok, err := store.Load()
	if errors.Is(err, fs.ErrNotExist) {
		da, err := c.DeviceAuth(ctx, oauth.ScopeUserReadChat, oauth.ScopeUserWriteChat)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("Open %s and enter %s\n", da.VerificationURI, da.UserCode)
		if tok, err = c.DeviceAccessToken(ctx, da); err != nil {
			log.Fatal(err)
		}
		if err := store.Save(tok); err != nil {
			log.Fatal(err)
		}
	} else if err != nil {
		log.Fatal(err)
	}

	tokens := c.UserTokenSource(tok, oauth.OnToken(store.Save))
	validator := c.NewValidator(tokens, oauth.OnRevoked(func(err error) {
		// err says what to do: authorize again, then tokens.Set.
		log.Print(err)
	}))
	go validator.Run(ctx)

	h := helix.New(clientID, tokens)
	_ = h
}

// The authorization code flow for a program the user runs on their own
// machine: the redirect comes to a local server.
func ExampleListenCallback() {
	ctx := context.Background()
	c := oauth.New("your-client-id", oauth.WithClientSecret("your-secret"))
	state := oauth.NewState()
	cb, err := oauth.ListenCallback("http://localhost:3000", state) // registered with the application
	if err != nil {
		log.Fatal(err)
	}
	defer cb.Close()
	fmt.Println("Open", c.AuthCodeURL(cb.RedirectURL, state, []oauth.Scope{oauth.ScopeUserReadEmail}, oauth.ForceVerify()))
	// Wait ignores redirects with another state, and returns the real
	// one's code, or ErrAccessDenied when the user declines.
	code, err := cb.Wait(ctx)
	if err != nil {
		log.Fatal(err)
	}
	tok, err := c.Exchange(ctx, code, cb.RedirectURL)
	if err != nil {
		log.Fatal(err)
	}
	_ = tok
}

// An app access token for calls that need no user, renewed as needed.
func ExampleClient_AppTokenSource() {
	c := oauth.New("your-client-id", oauth.WithClientSecret("your-secret"))
	h := helix.New("your-client-id", c.AppTokenSource(nil))
	_ = h
}
