package helix

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// APIError is an answer from Twitch other than success. Use errors.As to
// get it from an error a method returns, or errors.Is with one of the
// sentinel errors below to test for a common case.
type APIError struct {
	Operation  string // the Client method, "GetUsers"
	StatusCode int
	StatusText string // Twitch's "error", such as "Bad Request"
	Message    string // Twitch's "message", saying what was wrong
	// RateLimit is the token's rate-limit bucket as the answer reported
	// it; zero when the answer had no rate-limit headers.
	RateLimit RateLimit
}

func (e *APIError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("helix: %s: %d %s", e.Operation, e.StatusCode, e.StatusText)
	}
	return fmt.Sprintf("helix: %s: %d %s: %s", e.Operation, e.StatusCode, e.StatusText, e.Message)
}

// Errors to test an *APIError against with errors.Is.
var (
	// ErrUnauthorized matches a 401: no token, an invalid or expired one
	// (after the one refresh the client tries), a missing scope, or a
	// token of the wrong user.
	ErrUnauthorized = errors.New("helix: unauthorized")
	// ErrForbidden matches a 403, and any answer that says the token
	// lacks a scope.
	ErrForbidden = errors.New("helix: forbidden")
	// ErrMissingScope matches an answer that says the token lacks a scope
	// (Twitch answers 401 or 403).
	ErrMissingScope = errors.New("helix: missing scope")
	// ErrNotFound matches a 404.
	ErrNotFound = errors.New("helix: not found")
	// ErrRateLimited matches a 429 that was still there after the
	// client's retries.
	ErrRateLimited = errors.New("helix: rate limited")
)

// Is reports whether e is the case target names, for errors.Is.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden || e.missingScope()
	case ErrMissingScope:
		return e.missingScope()
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	}
	return false
}

func (e *APIError) missingScope() bool {
	return (e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden) &&
		strings.Contains(strings.ToLower(e.Message), "missing scope")
}

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 64 << 10

// newAPIError reads an answer other than success, and closes its body.
func newAPIError(op *Operation, resp *http.Response) *APIError {
	defer resp.Body.Close()
	e := &APIError{Operation: op.Name, StatusCode: resp.StatusCode, StatusText: http.StatusText(resp.StatusCode)}
	var body struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if json.Unmarshal(data, &body) == nil {
		if body.Error != "" {
			e.StatusText = body.Error
		}
		e.Message = body.Message
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
