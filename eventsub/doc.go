// Package eventsub receives Twitch EventSub notifications as typed Go values.
//
// Every subscription type and version in the schema has generated types: a
// condition (ChannelFollowCondition) that says what to subscribe to, an
// event (ChannelFollowEvent) that a notification carries, and a handler
// registration method on Dispatcher (OnChannelFollow). TypeInfo and
// Lookup give the facts of each type: its version, status, scopes,
// transports and condition fields.
//
// ParseMessage decodes a WebSocket frame and ParseNotification a webhook
// body (or a frame's payload); each decodes the event once, into the
// generated type. Dispatcher hands a Notification to the handlers
// registered for its type:
//
//	var d eventsub.Dispatcher
//	d.OnChannelFollow(func(ctx context.Context, e *eventsub.ChannelFollowEvent) {
//		fmt.Println(e.UserName, "followed", e.BroadcasterUserName)
//	})
//	msg, err := eventsub.ParseMessage(frame)
//	if err == nil && msg.Notification != nil {
//		d.Dispatch(ctx, msg.Notification)
//	}
//
// A notification of a type or version the schema does not know is not an
// error: its Event is a *RawEvent holding the JSON.
//
// Client is a WebSocket client built on the same pieces: it connects,
// subscribes through package helix once the session is welcomed, survives
// session_reconnect handovers, drops, close codes and silent connections
// without losing or repeating an event, and hands each notification to the
// handlers registered on it (it embeds a Dispatcher):
//
//	c := eventsub.New(helixClient, eventsub.OnError(func(err error) { log.Print(err) }))
//	c.OnChannelFollow(func(ctx context.Context, e *eventsub.ChannelFollowEvent) { ... })
//	err := c.Subscribe(ctx, &eventsub.ChannelFollowCondition{BroadcasterUserID: id, ModeratorUserID: id})
//	err = c.Run(ctx) // until ctx ends or Close
//
// Mistakes are not silent. Subscribe refuses a condition that leaves a
// required field empty, or a type Twitch does not deliver over a
// WebSocket, before anything is sent (*InvalidSubscriptionError). Run
// returns every subscription Twitch refused on the first session
// (*SubscriptionError, joined), and a refusal for want of a scope names the
// scopes the type needs. OnReady is called once every subscription is
// active. After a reconnect, a refusal goes to OnError.
//
// The client does not trust its peer, Twitch's edge or whatever answers in
// its place, to be well-behaved; each limit comes from Twitch's own:
//
//   - A frame over 512 KiB (twice the largest EventSub message Twitch
//     documents) is refused from its header: the connection is closed with
//     1009 and the client reconnects (ErrMessageTooLarge).
//   - A welcome's keepalive_timeout_seconds is clamped to Twitch's 10 to
//     600 seconds; a connection silent for the timeout and half again is
//     dead (ErrKeepaliveTimeout).
//   - A session_reconnect is followed only to wss://, or to the scheme and
//     host of the client's own URL (ErrUntrustedReconnectURL otherwise),
//     and dialed while the old connection goes on delivering. After the
//     new one's welcome, the old one is read for Twitch's answer to the
//     client's close for at most 5 seconds; meanwhile up to 1 MiB of the
//     new one's frames are held, and beyond that it is not read (TCP holds
//     the rest back, so nothing is lost).
//   - Each dial must open within 10 seconds, and ends when Run's context
//     ends or Close is called.
//   - The reconnect backoff (500 ms doubling to 2 minutes, jittered) starts
//     over only once a session has lasted its keepalive timeout, Twitch's
//     time to subscribe: a server that welcomes and closes is dialed less
//     and less often.
//   - Message IDs are remembered for 10 minutes, at most 100,000 of them; a
//     notification without an ID or a timestamp, or older than 10 minutes,
//     is dropped and reported (*DroppedNotificationError).
//   - A frame with a key twice in an object is an error, in ParseMessage as
//     in ParseNotification.
//
// Close returns from anywhere, a handler or callback included.
//
// Webhook receives the same notifications over HTTP: it is the
// http.Handler of a callback URL, with the same On<Type> methods (it
// embeds a Dispatcher too), and it keeps the subscriptions to that URL,
// made with an app access token. Types that Twitch delivers to webhooks
// only (drop entitlements, extension Bits transactions, user
// authorization grants and revocations) work there:
//
//	w := eventsub.NewWebhook(appHelix, "https://example.com/eventsub", secret)
//	w.OnChannelFollow(func(ctx context.Context, e *eventsub.ChannelFollowEvent) { ... })
//	err := w.Subscribe(ctx, &eventsub.ChannelFollowCondition{BroadcasterUserID: id, ModeratorUserID: id})
//	http.Handle("/eventsub", w)
//	err = w.Run(ctx) // reconciles the subscriptions at Twitch, then serves until ctx ends or Close
//
// A Webhook trusts a request only once its signature is checked, in
// constant time, with the secret (or the previous one while a secret is
// rotated, WithPreviousSecret), before its body is otherwise read:
//
//   - A request that is not a POST, lacks one of Twitch's headers, has a
//     body over 512 KiB (refused from its length when told), a signature
//     that does not match, or a timestamp more than 10 minutes off, is
//     answered 4xx and reported (*WebhookRequestError), never with the
//     secret.
//   - A message ID seen in the last 10 minutes (at most 100,000 of them)
//     is acknowledged and not handled again.
//   - A challenge is answered only for a subscription the Webhook wants,
//     matched by type, version and condition, so that it may come before
//     Twitch's answer to the creation.
//   - A notification is decoded, queued, and answered 204 at once; when
//     the queue (1024 by default, WithQueueSize) is full, it is answered
//     503 and not remembered, so that Twitch's retry of it is handled.
//     Handlers take the events one at a time for each subscription, in the
//     order they arrived (WithWorkers runs subscriptions side by side).
//   - Run waits for each subscription it creates to be verified, reading
//     Twitch's list after 500 ms and then twice as long each time up to 8
//     s, or at once (and 250 ms later) when every challenge has been
//     answered, for at most a minute; one not verified is an error that
//     says to check that the callback URL reaches ServeHTTP
//     (ErrCallbackVerification).
//
// Conduit spreads one application's notifications over several
// processes, on Twitch's conduits: the subscriptions belong to a conduit
// (made with an app access token, reconciled at start as a Webhook's
// are, never made again after a reconnect), and Twitch sends each event
// to one of the conduit's enabled shards. Each process runs some shards,
// one WebSocket session each, with the same On<Type> methods:
//
//	c := eventsub.NewConduit(appHelix, eventsub.WithConduitID(id), eventsub.WithShards("0-3"))
//	c.OnChannelChatMessage(func(ctx context.Context, e *eventsub.ChannelChatMessageEvent) { ... })
//	err := c.Subscribe(ctx, &eventsub.ChannelChatMessageCondition{BroadcasterUserID: b, UserID: bot})
//	err = c.Run(ctx) // finds or creates the conduit, runs the shards, takes over disabled ones
//
// Each shard is assigned to its session with Update Conduit Shards as
// soon as the session is welcomed (Twitch allows 10 seconds), again
// after every reconnect, and not after a session_reconnect handover,
// which moves the shard with the session. Messages are deduplicated
// across the process's shards.
//
// With WithWebhookShards(callbackURL, secret), the process's shards are
// webhook shards instead: Run assigns them to the callback (a request per
// 100 shards), the Conduit is the callback's http.Handler (mount it there,
// as a Webhook), answers the challenge of each of its shards, and Run
// waits until Twitch has verified them (ErrCallbackVerification
// otherwise). Twitch does not send a notification a webhook shard's
// callback failed to another shard.
//
// Takeover: when a process dies, Twitch disables its shards. Every
// Conduit reads the conduit's shards every 10 seconds (jittered by a
// quarter), and at once when it handles a conduit.shard.disabled event
// of its conduit. A shard still disabled 5 seconds after it was first
// seen so is taken over by a process with room (WithTakeover), in a
// random order: a new session assigned to it, or the process's callback.
// The last assignment wins at Twitch, so a process checks each shard it
// took over 1 to 3 seconds after assigning it, and at every read after,
// and gives it up when another session or callback holds it. A process
// never gives up a shard of its own (WithShards): finding one held by
// another, it assigns it to its own transport again, and the process that
// had taken it over gives it up. A shard taken over whose session is lost
// is given up, not reconnected. So a dead process's WebSocket shards are
// served again within about 20 seconds (5 after a conduit.shard.disabled
// event), and two processes that take over one shard settle within
// seconds, at most by the next read.
//
// Errors match the sentinels of the package they wrap: a refused
// subscription wraps Twitch's answer, a *helix.APIError, so errors.Is
// matches helix.ErrForbidden, helix.ErrMissingScope and the others as
// package helix defines them; ErrSubscriptionLimit matches one of
// EventSub's own limits.
//
// Lookup, Types and a condition's TypeInfo give the facts of a type as a
// copy: the client's own are not changed through them.
//
// Package twitchtest runs a fake Twitch to test such code against.
package eventsub
