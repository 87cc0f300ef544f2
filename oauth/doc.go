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
//	h := helix.New(clientID, c.UserTokenSource(tok, oauth.OnToken(store.Save)))
//
// The other flows: the authorization code flow (AuthCodeURL with a state
// from NewState, a local Callback for programs the user runs, Exchange);
// app access tokens (AppTokenSource, the client credentials grant); and
// keeping tokens alive: a Source renews its token before it expires, and
// when package helix reports a 401 (Source is a Refresher), with one
// request for any number of concurrent callers; OnToken hands every new
// token to the application to keep (FileStore); a refresh token Twitch
// refuses is ErrReauthorize, the user must authorize again. Validate,
// Revoke, and a Validator that validates hourly, as Twitch requires.
//
// No token, refresh token, code, device code or secret is ever in an
// error's text or in a log line (WithLogger; silent by default).
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
//   - The device flow's polls. x/oauth2's Config.DeviceAccessToken stops at
//     Twitch's first answer, which is not in RFC 6749's shape, and waits on
//     the wall clock. DeviceAccessToken polls itself, on the client's Clock
//     (tests run minutes of polling at once); each poll is one x/oauth2
//     token request (clientcredentials.Config, whose parameters may
//     replace grant_type), without the secret, as Twitch's device grant
//     takes the client ID alone.
//   - Client authentication. Twitch wants the client ID and secret in the
//     body; the endpoint says so (AuthStyleInParams) rather than letting
//     x/oauth2 try a Basic Authorization header first. A public client
//     (no secret) refreshes with its client ID alone, which x/oauth2 does
//     when the secret is empty.
//   - Scopes. Twitch sends "scope" as a JSON array; TokenScopes reads it
//     (and RFC 6749's space-separated string).
//   - Expiry. x/oauth2 sets Token.Expiry from the wall clock and treats a
//     token as expired 10 seconds early; this package sets it from
//     expires_in on the client's Clock, and a Source renews RenewBefore
//     (a minute) early.
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
package oauth
