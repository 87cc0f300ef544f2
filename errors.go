package twitch

import (
	"errors"
	"fmt"
	"strings"

	"github.com/twitchify-go/twitch/oauth"
)

// Errors of a Client, to match with errors.Is.
var (
	// ErrClosed: the Client was closed, or its Run has returned (a Client
	// runs once).
	ErrClosed = errors.New("twitch: client closed")
	// ErrNoToken: the client has no token yet, or does not know its user
	// yet: Run gets and validates the token before it subscribes, so
	// handlers and OnReady have both.
	ErrNoToken = errors.New("twitch: no token yet (Run gets it)")
	// ErrChatMessageTooLong: a chat message is longer than Twitch takes
	// (500 characters); it was not sent.
	ErrChatMessageTooLong = errors.New("twitch: chat message too long")
)

// MissingScopesError is a token that lacks scopes the client needs: for the
// handlers' subscription types, or asked for with WithScopes. Run returns
// it before it subscribes to anything.
type MissingScopesError struct {
	// Missing are the scopes the token lacks, each with what needs it.
	Missing []MissingScope
}

// MissingScope is one scope, or one of several, that a token lacks.
type MissingScope struct {
	// Scopes are the scopes of which the token needs one (most often
	// just one).
	Scopes []oauth.Scope
	// NeededBy are the On<Type> methods whose types need it
	// ("OnChannelFollow"), or "WithScopes".
	NeededBy []string
}

func (e *MissingScopesError) Error() string {
	var b strings.Builder
	b.WriteString("twitch: the token lacks scopes the client needs: ")
	for i, m := range e.Missing {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(scopeChoice(m.Scopes))
		b.WriteString(" (for " + strings.Join(m.NeededBy, ", ") + ")")
	}
	b.WriteString("; authorize the application again with them (without WithToken, Run asks for them with the device flow)")
	return b.String()
}

// scopeChoice names a scope group: "a", or "one of a or b".
func scopeChoice(group []oauth.Scope) string {
	names := make([]string, len(group))
	for i, s := range group {
		names[i] = string(s)
	}
	if len(names) == 1 {
		return names[0]
	}
	return "one of " + strings.Join(names, " or ")
}

// HandlerError is a handler whose subscription type Run cannot subscribe
// to by itself: Twitch does not deliver the type over a WebSocket, the type
// takes an app access token only, or its condition has a required field
// whose value only the caller knows. Run returns every such handler's
// error (errors.Join) before it gets a token.
type HandlerError struct {
	Method        string // the On<Type> method: "OnChannelRaid"
	Type, Version string
	// Field is the condition field Run cannot fill, as Twitch names it;
	// "" when the type is the problem.
	Field string
	// Reason says what is wrong and what to do.
	Reason string
}

func (e *HandlerError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("twitch: %s: %s version %s: condition field %s: %s", e.Method, e.Type, e.Version, e.Field, e.Reason)
	}
	return fmt.Sprintf("twitch: %s: %s version %s: %s", e.Method, e.Type, e.Version, e.Reason)
}

// ChatMessageDroppedError is a chat message Twitch accepted but did not
// send (is_sent false): held by AutoMod, too long for the channel's
// settings, a duplicate, a user banned, ... Code and Message are Twitch's
// drop_reason.
type ChatMessageDroppedError struct {
	BroadcasterID string
	Code          string // "msg_duplicate", "msg_rejected", ...
	Message       string
}

func (e *ChatMessageDroppedError) Error() string {
	msg := fmt.Sprintf("twitch: SendChatMessage: Twitch dropped the message to channel %s", e.BroadcasterID)
	switch {
	case e.Message != "" && e.Code != "":
		msg += ": " + e.Message + " (" + e.Code + ")"
	case e.Message != "" || e.Code != "":
		msg += ": " + e.Message + e.Code
	default:
		msg += " without saying why"
	}
	return msg
}

// reauthError is a token that can no longer be used nor renewed: the user
// must authorize the application again. Its text says what to do; it
// wraps the cause, which matches oauth.ErrReauthorize.
type reauthError struct {
	msg string
	err error
}

func (e *reauthError) Error() string { return e.msg }
func (e *reauthError) Unwrap() error { return e.err }
