// Command twitch-token gets a user access token for a Twitch application
// with the device code flow, and saves it to a file for a bot to use:
//
//	go run github.com/twitchify-go/twitch/cmd/twitch-token -client-id <id> -scopes "user:read:chat user:write:chat"
//
// It prints a URL and a code. Open the URL (on any device), sign in to
// Twitch as the account the bot acts for, check the code and authorize the
// application; the command then saves the token (mode 0600) and says whose
// it is. The device flow takes no secret: register the application at
// dev.twitch.tv/console as a public client, and the bot needs only the
// client ID and the file, since a public client refreshes without a secret
// too (a confidential client's bot adds oauth.WithClientSecret):
//
//	store := oauth.NewFileStore("token.json")
//	tok, err := store.Load()
//	c := oauth.New(clientID)
//	tokens := c.UserTokenSource(tok, oauth.OnToken(store.Save))
//	h := helix.New(clientID, tokens)
//	go c.NewValidator(tokens, oauth.OnRevoked(func(err error) { log.Print(err) })).Run(ctx)
//
// When the user disconnects the application, or the refresh token stops
// working otherwise, the bot's token source returns an error that wraps
// oauth.ErrReauthorize and says to authorize again: run the command again,
// and give the new token to the source (Source.Set) or restart the bot.
//
// The token itself is never printed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"

	"github.com/twitchify-go/twitch/oauth"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "twitch-token:", err)
		stop()
		os.Exit(1)
	}
}

// run is the command: args are its arguments, getenv reads the
// environment, and opts configure the OAuth client (tests give an HTTP
// client that reaches a fake Twitch in memory).
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, opts ...oauth.Option) error {
	fs := flag.NewFlagSet("twitch-token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	clientID := fs.String("client-id", getenv("TWITCH_CLIENT_ID"), "the application's client ID (default $TWITCH_CLIENT_ID)")
	scopeList := fs.String("scopes", "", `the scopes to ask for, separated by spaces or commas: "user:read:chat user:write:chat"`)
	out := fs.String("o", "token.json", "the file to save the token to")
	baseURL := fs.String("base-url", oauth.DefaultBaseURL, "the root of Twitch's OAuth endpoints (a fake's, in tests)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: twitch-token -client-id <id> -scopes <scopes> [-o token.json]")
		fmt.Fprintln(stderr, "Gets a user access token with Twitch's device code flow and saves it to a file.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if *clientID == "" {
		return errors.New("no client ID: give -client-id or set TWITCH_CLIENT_ID")
	}
	scopes, err := parseScopes(*scopeList)
	if err != nil {
		return err
	}

	c := oauth.New(*clientID, append([]oauth.Option{oauth.WithBaseURL(*baseURL)}, opts...)...)
	da, err := c.DeviceAuth(ctx, scopes...)
	if err != nil {
		return fmt.Errorf("starting the device flow: %w", err)
	}
	fmt.Fprintf(stdout, "Open this URL, sign in as the account the bot acts for, and authorize the application:\n\n    %s\n\n", da.VerificationURI)
	fmt.Fprintf(stdout, "Twitch shows the code %s; check that it is the same.\n", da.UserCode)
	fmt.Fprintf(stdout, "Waiting (the code expires at %s; Ctrl+C to stop)...\n", da.Expiry.Local().Format("15:04"))

	tok, err := c.DeviceAccessToken(ctx, da)
	switch {
	case errors.Is(err, oauth.ErrAccessDenied):
		return errors.New("the authorization was declined; nothing was saved")
	case errors.Is(err, oauth.ErrDeviceCodeExpired):
		return errors.New("the code expired before it was used; run the command again")
	case err != nil:
		return fmt.Errorf("waiting for the authorization: %w", err)
	}
	v, err := c.Validate(ctx, tok.AccessToken)
	if err != nil {
		return fmt.Errorf("checking the new token: %w", err)
	}
	store := oauth.NewFileStore(*out)
	if err := store.Save(tok); err != nil {
		return err
	}
	granted := "no scopes"
	if len(v.Scopes) > 0 {
		granted = "the scopes " + strings.Join(scopeNames(v.Scopes), " ")
	}
	fmt.Fprintf(stdout, "Saved a token for %s (user ID %s) with %s to %s.\n", v.Login, v.UserID, granted, store.Path())
	return nil
}

// parseScopes reads a list of scopes and checks each is one Twitch
// defines.
func parseScopes(list string) ([]oauth.Scope, error) {
	known := oauth.AllScopes()
	var scopes []oauth.Scope
	for _, s := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		scope := oauth.Scope(s)
		if !slices.Contains(known, scope) {
			return nil, fmt.Errorf("unknown scope %q (see https://dev.twitch.tv/docs/authentication/scopes/)", s)
		}
		if !slices.Contains(scopes, scope) {
			scopes = append(scopes, scope)
		}
	}
	return scopes, nil
}

func scopeNames(scopes []oauth.Scope) []string {
	names := make([]string, len(scopes))
	for i, s := range scopes {
		names[i] = string(s)
	}
	return names
}
