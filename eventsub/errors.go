package eventsub

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/oauth"
)

// Errors a Client or a Webhook reports, to match with errors.Is.
var (
	// ErrKeepaliveTimeout: no message arrived within the keepalive timeout
	// and its margin; the connection was taken for dead.
	ErrKeepaliveTimeout = errors.New("eventsub: no message within the keepalive timeout")
	// ErrClosed: the Client (or Webhook) was closed, or its Run has
	// returned (Run runs once).
	ErrClosed = errors.New("eventsub: client closed")
	// ErrSubscriptionLimit matches a *SubscriptionError for an HTTP 429
	// that is not Helix's rate limit: the answer left points in the
	// token's bucket, or had no rate-limit headers. It means one of
	// EventSub's own limits is reached: subscriptions per WebSocket
	// session, their total cost, or subscriptions with the same type and
	// condition. It is not retried; waiting does not mend it. (A 429 with
	// no points left is Helix's rate limit, after helix's own retries:
	// helix.ErrRateLimited, retried by the Client like a failure on the
	// way.)
	ErrSubscriptionLimit = errors.New("eventsub: a subscription limit is reached")
	// ErrMessageTooLarge: a frame was larger than the client reads (512
	// KiB, twice the largest EventSub message Twitch documents). It was
	// refused before its payload was read, the connection was closed with
	// 1009 (message too big), and the client reconnects.
	ErrMessageTooLarge = errors.New("eventsub: a message larger than the client reads")
	// ErrUntrustedReconnectURL: a session_reconnect named a URL that is
	// neither wss:// nor on the scheme and host of the client's own URL.
	// It was not followed: the connection was closed, and the client
	// reconnects to its own URL with a new session.
	ErrUntrustedReconnectURL = errors.New("eventsub: refused to follow a session_reconnect")
)

// CloseError is a WebSocket connection that Twitch closed, with its close
// code: 4000 internal server error, 4001 client sent inbound traffic, 4002
// client failed ping-pong, 4003 connection unused, 4004 reconnect grace
// time expired, 4005 network timeout, 4006 network error, 4007 invalid
// reconnect.
type CloseError struct {
	Code int
	Text string
}

func (e *CloseError) Error() string {
	return fmt.Sprintf("eventsub: connection closed by Twitch: %d %s", e.Code, e.Text)
}

// InvalidSubscriptionError is a subscription Twitch would refuse, found
// before any request was sent: a required condition field left empty, or
// a type that Twitch does not deliver over a WebSocket (for a Client) or
// to a webhook (for a Webhook).
type InvalidSubscriptionError struct {
	Type, Version string
	Field         string // the condition field as Twitch names it, "moderator_user_id"; "" when the type is the problem
	Reason        string
}

func (e *InvalidSubscriptionError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("eventsub: subscribe to %s version %s: condition field %s: %s", e.Type, e.Version, e.Field, e.Reason)
	}
	return fmt.Sprintf("eventsub: subscribe to %s version %s: %s", e.Type, e.Version, e.Reason)
}

// SubscriptionError is a subscription Twitch refused, or whose request
// failed on the way. Err is the *helix.APIError with Twitch's answer, or
// the failure: errors.Is and errors.As see through it, so a refusal
// matches helix.ErrForbidden, helix.ErrMissingScope, helix.ErrUnauthorized
// ... as package helix defines them, and ErrSubscriptionLimit.
type SubscriptionError struct {
	Type, Version string
	// StatusCode is the HTTP status of Twitch's answer; 0 when none came.
	StatusCode int
	// Scopes are, when Twitch refused for want of authorization (a 403,
	// or an answer that says a scope is missing), the scopes a user token
	// needs for the type (for a Webhook's subscription, made with an app
	// token: the scopes the user the condition names must have granted
	// the application): one of each group. Nil otherwise, or when the
	// type needs none (the refusal is then about the token's user).
	Scopes [][]oauth.Scope
	Err    error

	token      oauth.TokenType // what the subscription was made with
	unverified bool            // a webhook's callback was not verified: ErrCallbackVerification
}

// newSubscriptionError wraps the failure to create s on a WebSocket,
// which is done with a user token.
func newSubscriptionError(s *subscription, err error) *SubscriptionError {
	return newSubscriptionErrorWith(s, err, oauth.TokenUser)
}

// newSubscriptionErrorWith wraps the failure to create s with a token of
// the type token: a user token for a WebSocket, an app token for a
// webhook.
func newSubscriptionErrorWith(s *subscription, err error, token oauth.TokenType) *SubscriptionError {
	typ, version := s.typeAndVersion()
	e := &SubscriptionError{Type: typ, Version: version, Err: err, token: token}
	var api *helix.APIError
	if !errors.As(err, &api) {
		return e
	}
	e.StatusCode = api.StatusCode
	if s.entry != nil && (api.StatusCode == http.StatusForbidden || errors.Is(api, helix.ErrMissingScope)) {
		for _, r := range s.entry.info.Auth {
			if r.Token == token && len(r.Scopes) > 0 {
				e.Scopes = r.Clone().Scopes
			}
		}
	}
	return e
}

func (e *SubscriptionError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "eventsub: subscribe to %s version %s: ", e.Type, e.Version)
	var api *helix.APIError
	if !errors.As(e.Err, &api) {
		b.WriteString(e.Err.Error())
		return b.String()
	}
	if api.StatusCode >= 400 && api.StatusCode < 500 {
		b.WriteString("Twitch refused it (")
	} else {
		b.WriteString("Twitch answered (")
	}
	fmt.Fprintf(&b, "%d %s", api.StatusCode, api.StatusText)
	if api.Message != "" {
		b.WriteString(": " + api.Message)
	}
	b.WriteString(")")
	switch {
	case len(e.Scopes) == 0:
	case e.token == oauth.TokenApp:
		// An app token carries no scopes: the users the condition names
		// must have granted them to the application.
		b.WriteString(": the user the condition names must have authorized the application with " + scopesPhrase(e.Scopes))
	default:
		b.WriteString(": the user token needs " + scopesPhrase(e.Scopes))
	}
	return b.String()
}

func (e *SubscriptionError) Unwrap() error { return e.Err }

// Is reports whether e is the case target names, for errors.Is.
func (e *SubscriptionError) Is(target error) bool {
	switch target {
	case ErrSubscriptionLimit:
		return e.subscriptionLimit()
	case ErrCallbackVerification:
		return e.unverified
	}
	return false
}

// subscriptionLimit reports whether Twitch refused for one of EventSub's
// limits: a 429 that is not the rate limit.
func (e *SubscriptionError) subscriptionLimit() bool {
	var api *helix.APIError
	return errors.As(e.Err, &api) && api.StatusCode == http.StatusTooManyRequests &&
		(api.RateLimit.Limit == 0 || api.RateLimit.Remaining > 0)
}

// permanent reports whether subscribing again cannot help: a refusal, not
// a failure on the way (a timeout, a conflict with a subscription on its
// way out, the rate limit).
func (e *SubscriptionError) permanent() bool {
	s := e.StatusCode
	switch {
	case s == http.StatusTooManyRequests:
		return e.subscriptionLimit()
	case s == http.StatusConflict, s == http.StatusRequestTimeout:
		return false
	}
	return s >= 400 && s < 500
}

// scopesPhrase says which scopes a token needs: every group, one scope of
// each: "a", "a and b", "a, and one of b or c".
func scopesPhrase(groups [][]oauth.Scope) string {
	parts := make([]string, len(groups))
	for i, group := range groups {
		names := make([]string, len(group))
		for j, s := range group {
			names[j] = string(s)
		}
		if len(names) == 1 {
			parts[i] = names[0]
		} else {
			parts[i] = "one of " + strings.Join(names, " or ")
		}
	}
	if len(parts) < 2 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// HandlerPanicError is a handler that panicked; the Client recovers it and
// goes on with the next notification.
type HandlerPanicError struct {
	Type, Version string
	Value         any    // what the handler panicked with
	Stack         []byte // where
}

func (e *HandlerPanicError) Error() string {
	return fmt.Sprintf("eventsub: handler of %s version %s panicked: %v", e.Type, e.Version, e.Value)
}

// DroppedNotificationError is a notification the Client did not deliver
// because it breaks Twitch's rules for a message it may be sure of: it has
// no message_id (so a copy Twitch sends again could not be recognized),
// no message_timestamp, or one older than 10 minutes (Twitch's limit: a
// copy that old may have been delivered already, and forgotten since).
// A message Twitch sent again, with an ID seen before, is dropped without
// a report: that is how EventSub works.
type DroppedNotificationError struct {
	Type, Version string // the subscription's
	MessageID     string
	Timestamp     time.Time // zero when there was none
	// Reason is "no message_id", "no message_timestamp" or "older than 10
	// minutes".
	Reason string
}

func (e *DroppedNotificationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "eventsub: dropped a %s version %s notification", e.Type, e.Version)
	if e.MessageID != "" {
		fmt.Fprintf(&b, " (message %s", e.MessageID)
		if !e.Timestamp.IsZero() {
			fmt.Fprintf(&b, ", sent %s", e.Timestamp.Format(time.RFC3339))
		}
		b.WriteString(")")
	}
	b.WriteString(": " + e.Reason)
	return b.String()
}

// ErrCallbackVerification matches a *SubscriptionError for a webhook
// subscription that Twitch could not verify: its challenge went
// unanswered, or was answered wrongly, so the subscription stayed
// webhook_callback_verification_pending or turned
// webhook_callback_verification_failed. The callback URL does not reach
// the Webhook's ServeHTTP while its Run runs.
var ErrCallbackVerification = errors.New("eventsub: Twitch could not verify the webhook callback")

// unverifiedError is the *SubscriptionError of a webhook subscription
// whose callback Twitch did not verify: it stayed pending for waited, or
// took status (status is "" when it was gone from Twitch's list).
func unverifiedError(s *subscription, callback string, status helix.EventSubSubscriptionStatus, waited time.Duration) *SubscriptionError {
	var b strings.Builder
	b.WriteString("Twitch did not verify the callback " + callback)
	switch {
	case status == "":
		b.WriteString(" (the subscription was gone from Twitch's list while it waited)")
	case waited > 0:
		fmt.Fprintf(&b, " (still %s after %v)", status, waited)
	default:
		fmt.Fprintf(&b, " (%s)", status)
	}
	b.WriteString(": check that the URL reaches the Webhook's ServeHTTP from the internet, over HTTPS on port 443, while Run runs")
	typ, version := s.typeAndVersion()
	return &SubscriptionError{Type: typ, Version: version, Err: errors.New(b.String()), token: oauth.TokenApp, unverified: true}
}

// RevokedError is a subscription of a Webhook's that Twitch revoked
// (OnRevoked hears of it too). It is not created again; Subscription's
// Status says why, and Error what to do.
type RevokedError struct {
	Subscription helix.EventSubSubscription
}

func (e *RevokedError) Error() string {
	s := e.Subscription
	msg := fmt.Sprintf("eventsub: Twitch revoked the subscription to %s version %s (%s): %s", s.Type, s.Version, s.ID, s.Status)
	switch s.Status {
	case helix.EventSubSubscriptionStatusNotificationFailuresExceeded:
		msg += ": too many of its notifications went unanswered or failed; check that the callback URL reaches ServeHTTP" +
			" and that handlers keep up (a full queue answers 503), then subscribe again"
	case helix.EventSubSubscriptionStatusWebhookCallbackVerificationFailed:
		msg += ": check that the callback URL reaches ServeHTTP while Run runs, then subscribe again"
	case helix.EventSubSubscriptionStatusAuthorizationRevoked:
		msg += ": a user of its condition took back the application's authorization"
	case helix.EventSubSubscriptionStatusModeratorRemoved:
		msg += ": the moderator of its condition is no longer one"
	case helix.EventSubSubscriptionStatusUserRemoved:
		msg += ": a user of its condition no longer exists"
	case helix.EventSubSubscriptionStatusVersionRemoved:
		msg += ": Twitch no longer offers this type and version; use a newer version"
	}
	return msg
}

// WebhookRequestError is a request a Webhook refused, and why. StatusCode
// is what it answered. The message ID and type are those the request
// named; before its signature was checked, anyone may have sent them.
type WebhookRequestError struct {
	StatusCode  int
	MessageID   string
	MessageType string
	// Signed is true when the request was signed with the Webhook's
	// secret (or the previous one): it came from Twitch.
	Signed bool
	Reason string
}

func (e *WebhookRequestError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "eventsub: webhook: answered %d %s to ", e.StatusCode, http.StatusText(e.StatusCode))
	switch {
	case e.MessageType != "" && e.MessageID != "":
		fmt.Fprintf(&b, "a %s message (%s)", e.MessageType, e.MessageID)
	case e.MessageType != "":
		fmt.Fprintf(&b, "a %s message", e.MessageType)
	default:
		b.WriteString("a request")
	}
	b.WriteString(": " + e.Reason)
	return b.String()
}

// ShardError is what went wrong on one of a Conduit's shards: a failed
// dial, a session the shard could not be assigned to, a lost connection
// (OnDisconnected), ...
type ShardError struct {
	Shard string // Twitch's shard ID: "0", "1", ...
	Err   error
}

func (e *ShardError) Error() string {
	return "eventsub: conduit shard " + e.Shard + ": " + strings.TrimPrefix(e.Err.Error(), "eventsub: ")
}

func (e *ShardError) Unwrap() error { return e.Err }
