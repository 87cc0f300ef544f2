// Package twitch is the root of a Go library for Twitch's API: typed
// bindings generated from a schema of every EventSub subscription type and
// Helix endpoint, and thin hand-written runtimes that use them.
//
// The packages:
//
//   - eventsub: EventSub notifications as typed Go values (ParseMessage,
//     ParseNotification, Dispatcher), a WebSocket client that keeps its
//     subscriptions through reconnects, and the facts of every subscription
//     type (Lookup).
//   - helix: a client with one typed method per Helix endpoint, page
//     iterators, parameter checks, rate-limit pacing per token and safe
//     retries.
//   - twitchtest: a fake Twitch on 127.0.0.1 for tests: EventSub over
//     WebSocket, every Helix endpoint, and OAuth.
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
package twitch

//go:generate go run ./cmd/codegen
