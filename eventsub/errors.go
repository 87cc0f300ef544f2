package eventsub

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/twitchify-go/twitch/helix"
)

// Errors a Client reports, to match with errors.Is.
var (
	// ErrKeepaliveTimeout: no message arrived within the keepalive timeout
	// and its margin; the connection was taken for dead.
	ErrKeepaliveTimeout = errors.New("eventsub: no message within the keepalive timeout")
	// ErrClosed: the Client was closed.
	ErrClosed = errors.New("eventsub: client closed")
	// ErrMissingScope: Twitch refused a subscription because the token
	// lacks a scope or an authorization the type needs (HTTP 403). It is
	// not retried.
	ErrMissingScope = errors.New("eventsub: the token lacks a scope or authorization the subscription needs")
	// ErrSubscriptionLimit: Twitch refused a subscription because a limit
	// is reached: subscriptions per WebSocket, total cost, or connections
	// per token (HTTP 429). It is not retried.
	ErrSubscriptionLimit = errors.New("eventsub: a subscription limit is reached")
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

// SubscriptionError is a subscription Twitch refused; Err is usually a
// *helix.APIError with Twitch's reason. errors.Is matches ErrMissingScope
// and ErrSubscriptionLimit by the status.
type SubscriptionError struct {
	Type, Version string
	Err           error
}

func (e *SubscriptionError) Error() string {
	return fmt.Sprintf("eventsub: subscribe to %s version %s: %v", e.Type, e.Version, e.Err)
}

func (e *SubscriptionError) Unwrap() error { return e.Err }

// Is reports whether Twitch's answer means target.
func (e *SubscriptionError) Is(target error) bool {
	switch target {
	case ErrMissingScope:
		return e.status() == http.StatusForbidden
	case ErrSubscriptionLimit:
		return e.status() == http.StatusTooManyRequests
	}
	return false
}

func (e *SubscriptionError) status() int {
	var api *helix.APIError
	if errors.As(e.Err, &api) {
		return api.StatusCode
	}
	return 0
}

// permanent reports whether subscribing again cannot help: a refusal, not a
// failure on the way.
func (e *SubscriptionError) permanent() bool {
	s := e.status()
	return s >= 400 && s < 500 && s != http.StatusConflict && s != http.StatusRequestTimeout
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
