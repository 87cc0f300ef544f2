package oauth

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"golang.org/x/oauth2"
)

// Printing without secrets. Every type of this package that holds a
// secret, a token, a state or a code (Client, Source, Validator, Callback,
// DeviceAuthResponse) prints without it, whatever prints it:
//
//   - String, for %v and %s (and %q, %x);
//   - GoString, for %#v;
//   - Format, for every verb: without it, a verb that is not a string's
//     (%d, %t, ...) would print the struct's fields, unexported ones
//     included;
//   - LogValue, for log/slog: its JSON handler would print the exported
//     fields, and a LogValuer is resolved before any handler sees it.
//
// String, GoString and Format have value receivers on the types without a
// lock (Client, Validator, DeviceAuthResponse), so that a copy prints
// safely too. LogValue has a pointer receiver everywhere, so that a nil
// pointer logs "<nil>" instead of making log/slog recover from a panic; a
// value that is not a pointer is then printed by fmt (the text handler),
// which calls Format, or by encoding/json (the JSON handler), which sees
// no unexported field.

// redacted stands for a secret in what prints a value.
const redacted = "REDACTED"

// format writes s for any verb of fmt, as fmt would write a string: %#v
// writes it as is (it is the value's GoString).
func format(f fmt.State, verb rune, s string) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, s)
		return
	}
	_, _ = fmt.Fprintf(f, fmt.FormatString(f, verb), s)
}

// String describes the client without its secret.
func (c Client) String() string {
	return fmt.Sprintf("oauth client %s (%s) at %s", c.clientID, c.kind(), c.endpoint.TokenURL)
}

// GoString is String, so that %#v does not print the secret either.
func (c Client) GoString() string { return c.String() }

// Format prints String for every verb.
func (c Client) Format(f fmt.State, verb rune) { format(f, verb, c.String()) }

// LogValue describes the client for log/slog without its secret.
func (c *Client) LogValue() slog.Value {
	if c == nil {
		return slog.StringValue("<nil>")
	}
	attrs := []slog.Attr{slog.String("client_id", c.clientID), slog.String("kind", "public")}
	if c.secret != "" {
		attrs[1] = slog.String("kind", "confidential")
		attrs = append(attrs, slog.String("secret", redacted))
	}
	return slog.GroupValue(append(attrs, slog.String("token_url", c.endpoint.TokenURL))...)
}

// kind says whether the client has a secret, without it.
func (c Client) kind() string {
	if c.secret == "" {
		return "public"
	}
	return "confidential, secret " + redacted
}

// String describes the source and when its token expires, without the
// token or the refresh token.
func (s *Source) String() string {
	if s == nil {
		return "<nil>"
	}
	tok, dead := s.current()
	var state string
	switch {
	case dead != nil:
		state = "the user must authorize again"
	case tok == nil || tok.AccessToken == "" && tok.RefreshToken == "":
		state = "no token"
	case tok.Expiry.IsZero():
		state = "token " + redacted + ", no expiry"
	default:
		state = "token " + redacted + ", expires " + tok.Expiry.Format(time.RFC3339)
	}
	return fmt.Sprintf("oauth %s token source of client %s: %s", s.kind, s.clientID(), state)
}

// GoString is String, so that %#v does not print the token either.
func (s *Source) GoString() string { return s.String() }

// Format prints String for every verb.
func (s *Source) Format(f fmt.State, verb rune) { format(f, verb, s.String()) }

// LogValue describes the source for log/slog without its tokens.
func (s *Source) LogValue() slog.Value {
	if s == nil {
		return slog.StringValue("<nil>")
	}
	tok, dead := s.current()
	attrs := []slog.Attr{slog.String("kind", s.kind), slog.String("client_id", s.clientID())}
	if tok != nil && (tok.AccessToken != "" || tok.RefreshToken != "") {
		attrs = append(attrs, slog.String("token", redacted))
		if !tok.Expiry.IsZero() {
			attrs = append(attrs, slog.Time("expiry", tok.Expiry))
		}
	} else {
		attrs = append(attrs, slog.String("token", "none"))
	}
	if dead != nil {
		attrs = append(attrs, slog.Bool("reauthorize", true))
	}
	return slog.GroupValue(attrs...)
}

// current returns the source's token and whether it failed for good.
func (s *Source) current() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tok, s.dead
}

func (s *Source) clientID() string {
	if s.c == nil {
		return ""
	}
	return s.c.clientID
}

// String describes the validator without its token source's tokens.
func (v Validator) String() string {
	return fmt.Sprintf("oauth validator of client %s, every %s", v.clientID(), v.every)
}

// GoString is String, so that %#v does not print a token either.
func (v Validator) GoString() string { return v.String() }

// Format prints String for every verb.
func (v Validator) Format(f fmt.State, verb rune) { format(f, verb, v.String()) }

// LogValue describes the validator for log/slog without a token.
func (v *Validator) LogValue() slog.Value {
	if v == nil {
		return slog.StringValue("<nil>")
	}
	return slog.GroupValue(slog.String("client_id", v.clientID()), slog.Duration("interval", v.every))
}

func (v Validator) clientID() string {
	if v.c == nil {
		return ""
	}
	return v.c.clientID
}

// String describes the callback without its state or the code it got.
func (cb *Callback) String() string {
	if cb == nil {
		return "<nil>"
	}
	return fmt.Sprintf("oauth callback at %s (state %s): %s", cb.RedirectURL, redacted, cb.status())
}

// GoString is String, so that %#v does not print the state or the code
// either.
func (cb *Callback) GoString() string { return cb.String() }

// Format prints String for every verb.
func (cb *Callback) Format(f fmt.State, verb rune) { format(f, verb, cb.String()) }

// LogValue describes the callback for log/slog without its state or the
// code it got.
func (cb *Callback) LogValue() slog.Value {
	if cb == nil {
		return slog.StringValue("<nil>")
	}
	return slog.GroupValue(slog.String("redirect_url", cb.RedirectURL), slog.String("state", redacted),
		slog.String("status", cb.status()))
}

// status says where the callback is, without the code.
func (cb *Callback) status() string {
	select {
	case <-cb.done:
		if cb.err != nil {
			return "failed"
		}
		return "got a code (" + redacted + ")"
	default:
	}
	select {
	case <-cb.closed:
		return "closed"
	default:
		return "waiting"
	}
}

// String shows the user code and the URI, never the device code.
func (d DeviceAuthResponse) String() string {
	return fmt.Sprintf("device authorization: code %s at %s", d.UserCode, d.VerificationURI)
}

// GoString is String, so that %#v does not print the device code either.
func (d DeviceAuthResponse) GoString() string { return d.String() }

// Format prints String for every verb.
func (d DeviceAuthResponse) Format(f fmt.State, verb rune) { format(f, verb, d.String()) }

// LogValue describes the device authorization for log/slog without the
// device code.
func (d *DeviceAuthResponse) LogValue() slog.Value {
	if d == nil {
		return slog.StringValue("<nil>")
	}
	return slog.GroupValue(
		slog.String("user_code", d.UserCode),
		slog.String("verification_uri", d.VerificationURI),
		slog.Time("expiry", d.Expiry),
		slog.Duration("interval", d.Interval),
		slog.Any("scopes", d.Scopes),
	)
}
