// Package helix is a typed client for Twitch's Helix API.
//
// Every operation of the schema is a generated method of Client with a
// parameters struct and a response struct:
//
//	c := helix.New(clientID, tokenSource)
//	res, err := c.GetUsers(ctx, &helix.GetUsersParams{Login: []string{"twitchdev"}})
//
// # Parameters
//
// Before any request is sent, required parameters that Go can tell are
// unset (an empty string, slice or JSON value, a zero time), repeated
// parameters with too many values, and groups of parameters that Twitch
// wants one of ("exactly one of broadcaster_id, game_id and id") are
// checked; a problem is an *InvalidParamsError. A required number or bool
// is always sent, since its zero value is a real value.
//
// # Pages
//
// A paginated operation has two methods: the one named after it returns a
// page and its cursor, and <Name>All returns an iter.Seq2 over the items of
// every page, fetching each page as the loop reaches it:
//
//	for f, err := range c.GetChannelFollowersAll(ctx, &helix.GetChannelFollowersParams{BroadcasterID: id}) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(f.UserName)
//	}
//
// # Tokens
//
// A Client sends every request with a token from the oauth2.TokenSource
// given to New, and the Client-Id header. To make calls with another token
// (an app token for most calls, a broadcaster's user token for some), derive
// a client with WithToken and keep it for as long as the token is used:
// it shares the HTTP client and options but keeps its own rate limit.
//
// When Twitch answers 401 because a token is invalid (expired early,
// revoked), the client asks the token source for a new token once, through
// oauth.Refresher when the source implements it (package oauth's refreshing
// sources do), and sends the request again once; a second 401 is returned.
// When the source cannot get a new token (oauth.ErrReauthorize: the user
// must authorize again), the error wraps both the 401 and the source's
// error, which says what to do. Tokens never appear in errors or log lines.
//
// # Rate limits and retries
//
// Twitch gives each token a bucket of points (800 a minute by default) and
// reports it in the Ratelimit-* headers of every answer. The client takes a
// point per request from its own count of the bucket, shared by concurrent
// callers; when none are left, callers wait for the reset instead of
// sending, or until their context ends. A 429 is retried after the reset,
// up to 3 times (WithMaxRetries); one whose headers show points left (too
// many EventSub subscriptions) is about something else and is returned at
// once.
//
// Since Twitch's bucket refills within a minute, no call waits much longer
// than that: when the reset is further away (a broken or hostile server, a
// Date header far from this machine's clock), the call returns at once
// with an error that matches ErrRateLimited and carries the reset it was
// told (a *RateLimitError, or the *APIError of the 429), and the client
// sends again a minute later to learn the bucket afresh. Answers without
// rate-limit headers (a proxy, Twitch's edge, a test tool) tell nothing of
// the bucket and do not use it up: when every answer lacks them, the
// client does not pace at all, and a 429 without them is retried after a
// second. A bucket that is empty and was told no reset is full again a
// minute later. A server error (5xx) or a broken connection is retried the same
// number of times, with growing waits, only for operations that may be
// sent twice without harm: those whose HTTP method is GET, PUT or DELETE
// (Operation.Idempotent). A POST such as SendChatMessage or a PATCH is
// never sent twice.
//
// # Errors
//
// An answer other than success is an *APIError with the status, Twitch's
// error and message, whatever else the answer held (Detail, such as
// {"data":{"code":"USER_NOT_READY"}}), the operation and the rate-limit
// state. errors.Is matches it against sentinels of one meaning each:
// ErrUnauthorized (a 401), ErrForbidden (a 403), ErrMissingScope (Twitch
// says the token lacks a scope, with a 401 or a 403), ErrNotFound (a 404)
// and ErrRateLimited (a 429 after the retries, or a call not sent because
// the bucket is empty for longer than the client waits). A 401 for a
// missing scope is ErrUnauthorized and ErrMissingScope, not ErrForbidden.
//
// # HTTP
//
// The client sends its requests through its own *http.Client, which gives
// up on an attempt after 30 seconds; WithHTTPClient gives another. Each
// call also ends with its context.
//
// A successful answer's body is read up to 4 MiB, several times the
// largest Helix answer (a page of 1000 items, or 25 emote sets, is well
// under 1 MiB); a longer one fails the call with an error that says so,
// without reading the rest. A declared Content-Length is not trusted: it
// never makes the client allocate more before the bytes arrive than the
// 4 KiB an answer starts with. An error answer is read up to 64 KiB.
//
// # Metadata
//
// Operations lists every operation with its method, path, the tokens and
// scopes it needs, and its parameter groups; LookupOperation finds one by
// name. Both return copies: the client sends its requests from tables of
// its own, which nothing a caller holds can change.
package helix
