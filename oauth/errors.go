package oauth

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"

	"golang.org/x/oauth2"

	"github.com/twitchify-go/twitch/internal/json"
)

// What Twitch's refusals mean, for errors.Is. Every *Error of this package
// wraps the one that fits it, if any.
var (
	// ErrAuthorizationPending: the user has not yet acted on the device
	// code. DeviceAccessToken keeps polling; only PollDevice returns it.
	ErrAuthorizationPending = errors.New("oauth: authorization pending")
	// ErrSlowDown: the device flow polled too often. DeviceAccessToken
	// waits 5 seconds longer from then on; only PollDevice returns it.
	ErrSlowDown = errors.New("oauth: polling too often")
	// ErrAccessDenied: the user declined to authorize the application.
	ErrAccessDenied = errors.New("oauth: the user denied access")
	// ErrDeviceCodeExpired: the user did not act on the device code in
	// time; start the device flow again.
	ErrDeviceCodeExpired = errors.New("oauth: the device code expired")
	// ErrInvalidDeviceCode: Twitch does not know the device code (used
	// already, or never issued to this client).
	ErrInvalidDeviceCode = errors.New("oauth: invalid device code")
	// ErrReauthorize: the refresh token is invalid (revoked, expired, used
	// already) or missing, or a Validator found the token revoked, so no
	// new token can be had without the user: they must authorize the
	// application again. The text of an error that wraps it says so, and
	// how: with the device flow (cmd/twitch-token runs it), then
	// Source.Set with the new token.
	ErrReauthorize = errors.New("oauth: the user must authorize again")
	// ErrInvalidToken: Twitch says the access token is invalid (expired or
	// revoked).
	ErrInvalidToken = errors.New("oauth: invalid access token")
	// ErrInvalidClient: Twitch does not know the client ID, or the secret
	// is wrong or missing.
	ErrInvalidClient = errors.New("oauth: invalid client ID or secret")
	// ErrInvalidGrant: Twitch refused an authorization code (used already,
	// expired, or given with another redirect URL).
	ErrInvalidGrant = errors.New("oauth: invalid authorization code")
	// ErrStateMismatch: redirects came to the callback with another state
	// than the one the authorization began with (forged or stale
	// requests, or an application that gave AuthCodeURL another state
	// than ListenCallback). The callback ignores them; a Wait that ends
	// with its context then says so with an error that wraps both.
	ErrStateMismatch = errors.New("oauth: state does not match")
	// ErrClosed: the Callback was closed before a redirect came.
	ErrClosed = errors.New("oauth: callback: closed before a redirect came")
)

// reauthorizeHint ends the text of every error that wraps ErrReauthorize:
// what to do when a token is gone for good.
const reauthorizeHint = "the user must authorize the application again: get a new token " +
	"(the device flow does it: go run github.com/twitchify-go/twitch/cmd/twitch-token) " +
	"and give it to the token source (Source.Set)"

// reauthorizeError is a token that cannot be renewed without the user: its
// text is what failed and what to do about it. It matches ErrReauthorize
// and the error it wraps.
type reauthorizeError struct {
	msg string // what failed: "oauth: token (refresh_token): 400 Invalid refresh token"
	err error  // the cause (an *Error), or nil
}

func (e *reauthorizeError) Error() string { return e.msg + ": " + reauthorizeHint }

func (e *reauthorizeError) Unwrap() []error {
	if e.err == nil {
		return []error{ErrReauthorize}
	}
	return []error{e.err, ErrReauthorize}
}

// reauthorize returns err as an error that says the user must authorize
// again, and how.
func reauthorize(err error) error {
	var re *reauthorizeError
	if errors.As(err, &re) {
		return err
	}
	return &reauthorizeError{msg: err.Error(), err: err}
}

// Error is a refusal from one of Twitch's OAuth endpoints, or an error the
// authorize redirect carried. It never holds a token, a code or a secret.
type Error struct {
	// Endpoint is "device", "token", "validate", "revoke" or "authorize".
	Endpoint string
	// Grant is the grant_type of a token request, without the
	// "urn:ietf:params:oauth:grant-type:" prefix: "refresh_token".
	Grant string
	// StatusCode is the HTTP status; 0 for an error on the authorize
	// redirect.
	StatusCode int
	// Code is the RFC 6749 error code ("invalid_grant") when the answer
	// had one. Twitch often gives none and says what went wrong in
	// Message only ("authorization_pending", "Invalid refresh token").
	Code string
	// Message is Twitch's message, or the RFC error_description.
	Message string

	kind error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("oauth: ")
	b.WriteString(e.Endpoint)
	if e.Grant != "" {
		b.WriteString(" (" + e.Grant + ")")
	}
	b.WriteString(":")
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, " %d", e.StatusCode)
	}
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" && e.Message != e.Code {
		b.WriteString(" " + e.Message)
	}
	return b.String()
}

// Unwrap returns the sentinel the error means (ErrReauthorize, ...), or nil.
func (e *Error) Unwrap() error { return e.kind }

// maxMessage bounds how much of an answer's message an Error keeps.
const maxMessage = 200

// errorBody is an error answer of Twitch's OAuth endpoints: Twitch's own
// shape, {"status": 400, "message": "..."} (sometimes with "error" set to
// the status's text), or RFC 6749's {"error": "...", "error_description":
// "..."}.
type errorBody struct {
	Status      int    `json:"status"`
	Message     string `json:"message"`
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// newError makes an Error of an answer with status and body from endpoint
// (and grant, for the token endpoint).
func newError(endpoint, grant string, status int, body []byte) *Error {
	e := &Error{Endpoint: endpoint, Grant: shortGrant(grant), StatusCode: status}
	var b errorBody
	if json.Unmarshal(body, &b) == nil {
		if isCode(b.Error) {
			e.Code = b.Error
		}
		e.Message = b.Message
		if e.Message == "" {
			e.Message = b.Description
		}
	}
	if e.Message == "" && e.Code == "" {
		e.Message = http.StatusText(status)
	}
	e.Message = clean(e.Message)
	e.kind = classify(endpoint, grant, status, e.Code, e.Message)
	return e
}

// isCode says whether s is an RFC 6749 error code ("invalid_grant") rather
// than the status text Twitch puts in "error" ("Bad Request").
func isCode(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r == '_') {
			return false
		}
	}
	return true
}

// clean makes a message safe to print on one line, and short.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if len(s) > maxMessage {
		s = strings.ToValidUTF8(s[:maxMessage], "") + "..."
	}
	return strings.TrimSpace(s)
}

const deviceGrant = "urn:ietf:params:oauth:grant-type:device_code"

func shortGrant(grant string) string {
	return strings.TrimPrefix(grant, "urn:ietf:params:oauth:grant-type:")
}

// classify finds the sentinel an answer means. Twitch puts the RFC 8628
// codes of the device flow in "message", and says other things in words;
// the same "invalid_grant" means a different thing for each grant.
func classify(endpoint, grant string, status int, code, message string) error {
	key := code
	if key == "" {
		key = strings.ToLower(message)
	}
	switch key {
	case "authorization_pending":
		return ErrAuthorizationPending
	case "slow_down":
		return ErrSlowDown
	case "access_denied":
		return ErrAccessDenied
	case "expired_token":
		return ErrDeviceCodeExpired
	case "invalid device code":
		return ErrInvalidDeviceCode
	case "invalid refresh token":
		return ErrReauthorize
	case "invalid_client", "invalid client", "invalid client secret", "client does not exist", "missing client secret", "missing client id":
		return ErrInvalidClient
	case "invalid authorization code":
		return ErrInvalidGrant
	case "invalid access token", "invalid token":
		return ErrInvalidToken
	case "invalid_grant":
		switch grant {
		case "refresh_token":
			return ErrReauthorize
		case deviceGrant:
			return ErrInvalidDeviceCode
		case "authorization_code":
			return ErrInvalidGrant
		}
	}
	if endpoint == "validate" && status == http.StatusUnauthorized {
		return ErrInvalidToken
	}
	if endpoint == "token" && status == http.StatusBadRequest {
		switch {
		case grant == "refresh_token" && strings.Contains(key, "refresh token"):
			return ErrReauthorize
		case grant == "authorization_code" && (strings.Contains(key, "authorization code") || strings.Contains(key, "redirect_uri")):
			return ErrInvalidGrant
		}
	}
	return nil
}

// tokenError turns an error of an x/oauth2 token request into one of this
// package: a refusal becomes an *Error made from the answer's body, which
// x/oauth2 keeps (its own RetrieveError prints the whole body, and only
// understands RFC 6749's shape of error).
func tokenError(endpoint, grant string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		return newError(endpoint, grant, re.Response.StatusCode, re.Body)
	}
	if grant != "" {
		return fmt.Errorf("oauth: %s (%s): %w", endpoint, shortGrant(grant), err)
	}
	return fmt.Errorf("oauth: %s: %w", endpoint, err)
}
