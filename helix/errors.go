package helix

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	ijson "github.com/twitchify-go/twitch/internal/json"
)

// APIError is an answer from Twitch other than success. Use errors.As to
// get it from an error a method returns, or errors.Is with one of the
// sentinel errors below to test for a common case.
type APIError struct {
	Operation  string // the Client method, "GetUsers"
	StatusCode int
	StatusText string // Twitch's "error", such as "Bad Request"
	Message    string // Twitch's "message", saying what was wrong
	// Detail is the rest of Twitch's answer: a JSON object of the members
	// other than "error", "status" and "message", such as
	// {"data":{"code":"USER_NOT_READY"}}. It is nil when the answer had
	// nothing more, or was not a JSON object.
	Detail json.RawMessage
	// RateLimit is the token's rate-limit bucket as the answer reported
	// it; zero when the answer had no rate-limit headers.
	RateLimit RateLimit
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "helix: %s: %d %s", e.Operation, e.StatusCode, e.StatusText)
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if len(e.Detail) > 0 {
		b.WriteString(" (" + shorten(string(e.Detail), maxDetailText) + ")")
	}
	return b.String()
}

// maxDetailText bounds how much of Detail an error's text shows.
const maxDetailText = 200

// shorten cuts s to at most n bytes, on a rune boundary, marking the cut.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}

// Errors to test an *APIError against with errors.Is. Each has one
// meaning; an answer may match more than one (a 401 that says a scope is
// missing matches ErrUnauthorized and ErrMissingScope).
var (
	// ErrUnauthorized matches a 401: no token, an invalid or expired one
	// (after the one refresh the client tries), a missing scope, or a
	// token of the wrong user.
	ErrUnauthorized = errors.New("helix: unauthorized")
	// ErrForbidden matches a 403: the token is valid but its user may not
	// do this (not the broadcaster or a moderator, banned, ...), or Twitch
	// says a scope is missing with a 403.
	ErrForbidden = errors.New("helix: forbidden")
	// ErrMissingScope matches an answer that says the token lacks a
	// scope, whatever its status (Twitch answers 401 or 403): the user
	// must authorize the application again with that scope.
	ErrMissingScope = errors.New("helix: missing scope")
	// ErrNotFound matches a 404.
	ErrNotFound = errors.New("helix: not found")
	// ErrRateLimited matches a 429 that was still there after the
	// client's retries, or whose reset is further away than the client
	// waits (about a minute), and a *RateLimitError: a call not sent
	// because the bucket is empty until such a reset.
	ErrRateLimited = errors.New("helix: rate limited")
)

// Is reports whether e is the case target names, for errors.Is.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrMissingScope:
		return e.missingScope()
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	}
	return false
}

// missingScope reports whether Twitch said a scope is missing: "Missing
// scope: channel:manage:polls", or "The access token is missing the
// required scopes".
func (e *APIError) missingScope() bool {
	if e.StatusCode != http.StatusUnauthorized && e.StatusCode != http.StatusForbidden {
		return false
	}
	msg := strings.ToLower(e.Message)
	return strings.Contains(msg, "missing") && strings.Contains(msg, "scope")
}

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 64 << 10

// newAPIError reads an answer other than success, and closes its body.
func newAPIError(op *Operation, resp *http.Response) *APIError {
	defer resp.Body.Close()
	e := &APIError{Operation: op.Name, StatusCode: resp.StatusCode, StatusText: http.StatusText(resp.StatusCode)}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var members map[string]json.RawMessage
	if ijson.Unmarshal(data, &members) != nil || members == nil {
		return e // not a JSON object: a proxy's page, an empty body
	}
	var text string
	if ijson.Unmarshal(members["error"], &text) == nil {
		if text != "" {
			e.StatusText = text
		}
		delete(members, "error")
	}
	text = ""
	if ijson.Unmarshal(members["message"], &text) == nil {
		e.Message = text
		delete(members, "message")
	}
	var status int
	if ijson.Unmarshal(members["status"], &status) == nil {
		delete(members, "status") // the status code again
	}
	if len(members) > 0 {
		// Marshal sorts the members and compacts their values.
		e.Detail, _ = ijson.Marshal(members)
	}
	return e
}

// InvalidParamsError reports parameters that Twitch would refuse, found
// before any request was sent: a required parameter not set, too many
// values for a repeated one, or a group of parameters of which too many or
// too few are set.
type InvalidParamsError struct {
	Operation string // the Client method, "GetUsers"
	Param     string // the parameter as Twitch names it, "broadcaster_id"; a group lists its parameters, "id, login"
	Reason    string
}

func (e *InvalidParamsError) Error() string {
	if strings.Contains(e.Param, ", ") {
		return fmt.Sprintf("helix: %s: parameters %s: %s", e.Operation, e.Param, e.Reason)
	}
	return fmt.Sprintf("helix: %s: parameter %s: %s", e.Operation, e.Param, e.Reason)
}

// RateLimitError reports a call that was not sent because the token's
// rate-limit bucket is empty until a reset further away than the client
// waits (about a minute, Twitch's window). It matches ErrRateLimited.
type RateLimitError struct {
	Operation string    // the Client method, "GetUsers"
	RateLimit RateLimit // the bucket; Reset is when the answer said it is full again
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("helix: %s: rate limited until %s, further away than the client waits; not sent",
		e.Operation, e.RateLimit.Reset.UTC().Format(time.RFC3339))
}

// Is reports whether target is ErrRateLimited, for errors.Is.
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }
