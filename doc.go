// Package twitch is a Go library for Twitch's API: a bot client in this
// package, built on typed bindings generated from a schema of every
// EventSub subscription type and Helix endpoint, and thin hand-written
// runtimes that use them.
//
// # A bot
//
// Client does everything between "I have a client ID" and "events arrive":
// it gets the user's token (a token file, a token given, or the device code
// flow), validates it and keeps it fresh, knows its user, subscribes to the
// events of the handlers registered on it, and sends chat messages with
// the same token:
//
//	c := twitch.New(clientID, twitch.WithTokenFile("token.json"), twitch.WithScopes(oauth.ScopeUserWriteChat))
//	c.OnCode(func(code twitch.DeviceCode) { fmt.Println("Open", code.VerificationURI) })
//	c.OnReady(func() { fmt.Println("ready") })
//	c.OnChannelFollow(func(ctx context.Context, e *eventsub.ChannelFollowEvent) {
//		if err := c.SendChatMessage(ctx, e.UserName+" has followed the channel!"); err != nil {
//			log.Print(err)
//		}
//	})
//	return c.Run(ctx)
//
// The scopes the device flow asks for are computed from the handlers'
// subscription types; the condition of each subscription is filled as the
// schema says (the broadcaster, the moderator, the user). Run's
// documentation tells each step and what stops it. twitchtest's
// Server.Endpoints points a Client at a fake Twitch (WithEndpoints).
// Events come over a WebSocket, or by webhook with WithWebhook: the same
// handlers, with subscriptions that outlive the program.
//
// The packages below it:
//
//   - eventsub: EventSub notifications as typed Go values (ParseMessage,
//     ParseNotification, Dispatcher), a WebSocket client that keeps its
//     subscriptions through reconnects, a webhook handler (Webhook) that
//     verifies Twitch's signatures and reconciles its subscriptions, and
//     the facts of every subscription type (Lookup).
//   - helix: a client with one typed method per Helix endpoint, page
//     iterators, parameter checks, rate-limit pacing per token and safe
//     retries.
//   - twitchtest: a fake Twitch on 127.0.0.1 for tests: EventSub over
//     WebSocket and by webhook, every Helix endpoint, and OAuth.
//   - oauth: Twitch's OAuth scopes, what each call and subscription needs,
//     and the token flows: device code, authorization code, app tokens,
//     refreshing sources, validation and revocation.
//   - schema: the loader of the JSON schema in the schema folder, the
//     source of truth everything else is generated from.
//   - gen and cmd/codegen: the generator.
//
// Everything that differs from one event or endpoint to the next is
// generated; to follow a change at Twitch, edit the schema and run
// go generate ./... in the module root.
//
// # Conventions
//
// The packages follow one set of rules, so that a user who knows one can
// guess the others.
//
// Constructors. A package's main type is made by New(required arguments,
// opts ...Option), which returns a pointer and never an error: helix.New,
// oauth.New, eventsub.New, twitch.New. A problem that an option or
// argument can only show in use is returned by the first call that uses
// it (eventsub's Run, twitch's Run, a Helix call). What is derived from a value is made by a method of it:
// helix.Client.WithToken, oauth.Client.UserTokenSource and
// oauth.Client.NewValidator. twitchtest follows net/http/httptest:
// twitchtest.NewServer returns a started fake, which Close stops.
//
// Options. An Option is a function that configures the value New makes.
// An option that means the same in two packages has the same name there:
//
//   - WithBaseURL: where the service is (Twitch's by default; a fake in tests).
//   - WithHTTPClient: the *http.Client for requests. The default gives up
//     after 30 seconds; no package uses http.DefaultClient.
//   - WithLogger: a *slog.Logger. Nothing is logged without one (but by
//     the root Client, see Events), and no token or secret is ever logged.
//   - WithEndpoints (root package): where all of Twitch is, in one value.
//   - With<Setting> sets a setting. In the packages below this one, an
//     On<Event> option sets a callback, which runs on the goroutine that
//     saw the event and should return quickly.
//
// Events. The root package's Client takes its callbacks as methods, as
// its handlers: c.OnReady(f), c.OnChannelFollow(h), registered before Run
// (the way Twitchify, and most bot libraries, register events). Its
// options are settings only. A Client reports the errors it meets after
// Run has started to OnError, and without one to its logger (without
// WithLogger, slog.Default() for warnings and errors only): a bot never
// fails silently, where the packages below it log nothing without a
// logger.
//
// Options take standard-library types or small interfaces, not another
// module's types (oauth2.TokenSource is the exception: it is how Go
// programs pass tokens, and golang.org/x/oauth2 is a direct dependency).
// There is no clock option: tests that need minutes or hours to pass run
// in a testing/synctest bubble, where twitchtest's InMemoryClient reaches
// the fake without a network.
//
// Errors. Errors start with the package's name and say what failed and
// where ("helix: GetUsers: parameter id: ..."). A case a caller must
// branch on is a typed error (errors.As) or a sentinel (errors.Is), and a
// sentinel has one meaning in every package: an error that wraps another
// package's error matches that package's sentinels too (a subscription
// Twitch refused with a 403 matches helix.ErrForbidden). Typed errors name
// the same facts with the same fields: StatusCode for an HTTP status,
// Message for Twitch's message. No error holds a token or a secret.
//
// Metadata. What the schema says of an operation or a subscription type
// (helix.Operations, eventsub.Lookup, eventsub.Types, a condition's
// TypeInfo) is returned as a copy: changing it changes nothing else.
//
// Concurrency. Clients are safe for concurrent use. Every goroutine a
// value starts has ended by the time its Close (or Run, when its context
// ends) returns.
package twitch

//go:generate go run ./cmd/codegen
