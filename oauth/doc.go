// Package oauth is Twitch's OAuth: the scopes (constants generated from
// schema/scopes.json, such as ScopeUserReadChat), the Requirement with
// which every generated EventSub subscription type and Helix operation says
// which token and scopes it needs, and the token flows, built on
// golang.org/x/oauth2.
//
// The device code flow gets a user access token for a program without a
// browser or a server (a bot, a command): the user types a code at
// twitch.tv/activate. cmd/twitch-token runs it and saves the token.
//
//	c := oauth.New(clientID)
//	da, err := c.DeviceAuth(ctx, oauth.ScopeUserReadChat, oauth.ScopeUserWriteChat)
//	if err != nil {
//		return err
//	}
//	fmt.Printf("Open %s and enter %s\n", da.VerificationURI, da.UserCode)
//	tok, err := c.DeviceAccessToken(ctx, da) // polls until the user acts
//	if err != nil {
//		return err // errors.Is(err, oauth.ErrAccessDenied), oauth.ErrDeviceCodeExpired, ...
//	}
//
// Then keep the token fresh, and saved each time Twitch renews it:
//
//	store := oauth.NewFileStore("token.json")
//	tokens := c.UserTokenSource(tok, oauth.OnToken(store.Save))
//	h := helix.New(clientID, tokens)
//
// And validate it hourly, as Twitch requires:
//
//	v := c.NewValidator(tokens, oauth.OnRevoked(func(err error) { log.Print(err) }))
//	go v.Run(ctx)
//
// The other flows: the authorization code flow (AuthCodeURL with a state
// from NewState, a local Callback for programs the user runs, which
// ignores redirects with another state, Exchange);
// app access tokens (AppTokenSource, the client credentials grant); and
// keeping tokens alive: a Source renews its token before it expires
// (WithRenewBefore), and when package helix reports a 401 (Source is a
// Refresher), with one request for any number of concurrent callers;
// OnToken hands every new token to the application to keep (a FileStore
// writes it atomically, syncs it to disk, folder included, so that a power
// cut cannot bring back a rotated refresh token, and removes the temporary
// files a crash left).
// Validate and Revoke are single requests; a Validator (NewValidator)
// validates at its start and hourly, and reports a revoked token.
//
// # Printing and logging
//
// No token, refresh token, code, device code, state or secret is ever in
// an error's text or in a log line (WithLogger; silent by default). The
// values of this package that hold one (Client, Source, Validator,
// Callback, DeviceAuthResponse) print without it, with fmt (every verb,
// %+v and %#v included) and with log/slog (they are slog.LogValuers):
// slog.Any("oauth", c) logs the client ID and "REDACTED", never the secret.
//
// *oauth2.Token is x/oauth2's type, not this package's: printing it (%v,
// %+v, slog.Any, log.Print) prints its access token and refresh token.
// Never print or log one whole; log what is needed of it:
//
//	logger.Info("new token", slog.Time("expiry", tok.Expiry), slog.Any("scopes", oauth.TokenScopes(tok)))
//
// # When the user must authorize again
//
// A refresh token Twitch refuses (the user disconnected the application,
// changed their password, or it was rotated and not saved) cannot be
// mended by the program: the Source's Token and Refresh, and a Validator's
// OnRevoked, then give an error that wraps ErrReauthorize, and whose text
// says what to do: get a new token from the user (the device flow;
// go run github.com/twitchify-go/twitch/cmd/twitch-token runs it) and give
// it to Source.Set, which the source then uses and renews.
//
// # How Twitch differs from x/oauth2's defaults
//
// Token requests (every grant) go through x/oauth2; where Twitch's answers
// break it, this package wraps it:
//
//   - Errors. Twitch answers {"status": 400, "message": "..."}, sometimes
//     with "error" set to the status's text ("Bad Request"), and puts the
//     device flow's RFC 8628 codes in "message"
//     ("authorization_pending"); x/oauth2 reads only RFC 6749's "error"
//     field, so its RetrieveError has no ErrorCode and prints the whole
//     body. Every error of x/oauth2 is wrapped: the body it keeps is
//     parsed, in either shape, into an *Error whose sentinel (errors.Is)
//     says what happened; the same invalid_grant means a different thing
//     for each grant.
//   - The device flow's start. Twitch's reference names the parameter
//     "scopes"; x/oauth2's Config.DeviceAuth sends "scope" (golang/go#65943),
//     on a request that does not end with its context. DeviceAuth is this
//     package's own request.
//   - The device flow's polls. x/oauth2's Config.DeviceAccessToken stops
//     at Twitch's first answer, which is not in RFC 6749's shape.
//     DeviceAccessToken polls itself; each poll is one x/oauth2 token
//     request (clientcredentials.Config, whose parameters may replace
//     grant_type), without the secret, as Twitch's device grant takes the
//     client ID alone.
//   - Client authentication. Twitch wants the client ID and secret in the
//     body; the endpoint says so (AuthStyleInParams) rather than letting
//     x/oauth2 try a Basic Authorization header first. A public client
//     (no secret) refreshes with its client ID alone, which x/oauth2 does
//     when the secret is empty.
//   - Scopes. Twitch sends "scope" as a JSON array; TokenScopes reads it
//     (and RFC 6749's space-separated string).
//   - Expiry. x/oauth2 treats a token as expired 10 seconds early; a
//     Source renews it a minute early (WithRenewBefore), and sets Expiry
//     from expires_in for every grant, the client credentials grant too.
//   - Refresh token rotation. x/oauth2 keeps the old refresh token when the
//     answer has none, and uses the new one otherwise; a Source hands every
//     new token to OnToken so that a rotated refresh token is kept.
//   - Validate and revoke are not in x/oauth2: they are this package's own
//     requests (validate with "Authorization: OAuth <token>", as Twitch's
//     reference says).
//   - The *http.Client. x/oauth2 takes it from a context value; this
//     package takes it as an option (WithHTTPClient) and puts it in the
//     context only for its calls into x/oauth2.
//
// EndpointAt(DefaultBaseURL).OAuth2() is Twitch's endpoint for x/oauth2,
// with the device URL that x/oauth2's own twitch.Endpoint lacks.
//
// # Testing
//
// There is no clock to inject: a test that needs minutes or hours to pass
// (device-flow polls, expiry, hourly validation) runs in a
// testing/synctest bubble, with a client whose WithHTTPClient is
// twitchtest's InMemoryClient, so that the fake Twitch answers on the
// bubble's clock.
package oauth
