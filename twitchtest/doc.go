// Package twitchtest runs a fake Twitch in the test's process, for this
// library's tests and for yours, the way net/http/httptest runs a fake
// HTTP server: NewServer starts it on 127.0.0.1, Close stops it.
//
//	srv := twitchtest.NewServer(twitchtest.WithUserToken("token", "moderator:read:followers"))
//	defer srv.Close()
//	h := helix.New("client-id", srv.Token("token"), helix.WithBaseURL(srv.Helix.URL))
//
// A Server has one part per service it fakes, each with its URL, its
// state and the methods that act on it:
//
//   - srv.EventSub: the EventSub WebSocket (welcome, keepalives, and on
//     command notifications, reconnects, revocations, close codes and
//     silence), webhook deliveries and conduits (below) and the
//     subscriptions created through Helix. Notify takes a generated event and finds the
//     subscriptions it belongs to, on either transport:
//     srv.EventSub.Notify(&eventsub.ChannelFollowEvent{BroadcasterUserID: "1", ...}).
//   - srv.Helix: every Helix operation of the schema, with Twitch's checks
//     of parameters, tokens and scopes, its rate limit, sample answers or
//     data a test sets, and faults a test injects.
//   - srv.OAuth: the device flow, every token grant, validate, revoke and
//     the authorize redirect; it issues and registers the tokens the other
//     two parts check.
//
// Endpoints gives the three URLs in the one value twitch.WithEndpoints
// takes; EventSub.WaitSubscription and Helix.WaitRequests wait until a
// client has subscribed, or has been answered (a bot's chat message).
//
// Sample payloads for every subscription type and every Helix answer come
// from the schema (SampleEvent, SampleCondition), with realistic values.
// Methods that act on the fake return an error wrapping ErrNotFound when
// what they name does not exist; the fake never fails a test by itself.
//
// The fake reads the time from time.Now: in a testing/synctest bubble,
// InMemoryClient reaches its Helix and OAuth without a network,
// EventSub.DialContext its WebSocket, and the bubble's clock drives its
// rate limits, token expiry and keepalives.
//
// # Webhooks
//
// A subscription created with the webhook transport (an app access token,
// a callback and a secret) is delivered as Twitch delivers: the fake posts
// a webhook_callback_verification challenge to the callback and enables
// the subscription when the answer is a 2xx whose body is the challenge,
// then posts what Notify and Send send, and revocations, one message at a
// time and in order per subscription, retrying a notification that fails
// and revoking the subscription with notification_failures_exceeded when
// one fails every attempt (WithWebhookRetries, WithWebhookTimeout). Every
// message carries Twitch's headers (Twitch-Eventsub-Message-Id, -Retry,
// -Type, -Signature, -Timestamp, Twitch-Eventsub-Subscription-Type and
// -Version) and is signed as Twitch and the Twitch CLI sign it: "sha256="
// and the hex HMAC-SHA256, keyed with the secret, of the message ID, the
// timestamp (UTC, RFC 3339 with nanoseconds as needed) and the body; the
// message ID has a UUID's hexadecimal 8-4-4-4-12 form and the retry header
// counts from 0, as the CLI's "event trigger --forward-address --secret"
// sends them (checked in its source, internal/events/trigger/forward_event.go).
// A callback that takes the fake's messages takes the CLI's.
//
// Twitch takes https callbacks on port 443 only; the fake also takes http
// and https URLs on a loopback address, on any port, as the Twitch CLI
// posts to any --forward-address (http://localhost:8080 included), so that
// a test's own server can be the callback:
//
//	cb := httptest.NewServer(handler)
//	defer cb.Close()
//	srv := twitchtest.NewServer()
//	defer srv.Close()
//	// ... the code under test subscribes with cb.URL, through srv.Helix ...
//	srv.EventSub.Notify(&eventsub.UserAuthorizationGrantEvent{ClientID: "id", UserID: "1"})
//	err := srv.EventSub.WaitDeliveries(ctx)
//
// The fake's own client reaches loopback addresses only. In a
// testing/synctest bubble, WithWebhookClient(HandlerClient(handler))
// delivers to an http.Handler in memory, and the bubble's clock drives the
// timeouts and the waits between retries. FailNext and SetFaults drop,
// delay or duplicate attempts, Replay sends a message again byte for byte,
// and Deliveries records every message with its attempts.
//
// # Conduits
//
// The fake's Helix serves the conduit endpoints (Get, Create, Update and
// Delete Conduits, Get and Update Conduit Shards) with an app access
// token, as Twitch: up to 5 conduits per client ID, 1 to 20,000 shards
// each. Update Conduit Shards assigns a shard a welcomed WebSocket session
// of the fake (one shard per session), or a webhook callback and secret,
// which gets a challenge as a webhook subscription does; what it cannot
// assign comes back in "errors", one entry per shard. Get Conduit Shards
// lists the shards that were ever assigned, with Twitch's statuses. A
// session that carries a shard is not closed as unused.
//
// A subscription created with transport {"method": "conduit",
// "conduit_id": ...} belongs to the conduit and outlives every session.
// Notify and Send send each of its notifications to one enabled shard,
// chosen at random (WithConduitSeed makes the choice repeatable,
// WithShardRoundRobin takes the shards in turn); when that shard's
// WebSocket connection cannot take it (it ended or is ending before the
// frame was written), to one other enabled shard; then it is dropped. A
// webhook shard retries it as a webhook does (WithWebhookRetries) and,
// when its callback fails every time, drops it: as Twitch's conduit guide
// says, it is not sent to another shard. What waits for a shard that is
// disabled goes to another shard (dropped if it was there already). A webhook shard's challenge is
// {"challenge", "conduit_shard": {"conduit_id", "shard"}}.
// Deliveries records each such message with the shards tried, so a test
// counts what each shard got, and what was lost.
//
// A shard is disabled when its transport fails, with the status that
// says how: websocket_disconnected when the client closed its connection
// or vanished, websocket_network_error after Drop or a failed write,
// websocket_received_inbound_traffic when the client sent a message, the
// status of a close code after CloseSession (4002:
// websocket_failed_ping_pong, ...), webhook_callback_verification_failed,
// or notification_failures_exceeded when its callback failed more
// notifications in a row than WithWebhookRetries's retries; DisableShard
// sets any status. Each time, conduit.shard.disabled subscriptions whose
// condition names the conduit's client (and the conduit, or none) get the
// event. A session_reconnect keeps the session's ID, and so its shard; a
// client that does not follow it within 30 seconds is closed with 4004
// (websocket_failed_to_reconnect), as by Twitch.
// Conduits, Shards and WaitShard let a test see and wait for that state.
//
// Everything goes through the fake's HTTP and WebSocket endpoints, so
// shard processes other than the test's (an os/exec child given srv.URL)
// use the fake as the test does.
package twitchtest
