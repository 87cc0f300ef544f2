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
//     silence) and the subscriptions created through Helix. Notify takes a
//     generated event and finds the subscriptions it belongs to:
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
package twitchtest
