package helix

import (
	"fmt"
	"io"
	"log/slog"
)

// A Client holds a token source, which may hold a token in plain sight
// (a user's own oauth2.TokenSource that keeps its token as a value): fmt's
// %+v or log/slog's JSON handler would print it. Client prints as its
// client ID and base URL only, whatever prints it: String for %v and %s,
// GoString for %#v, Format for every other verb, LogValue for log/slog (as
// package oauth's types do).

// String describes the client without its token.
func (c *Client) String() string {
	if c == nil {
		return "<nil>"
	}
	return fmt.Sprintf("helix client %s at %s", c.clientID, c.shared.baseURL)
}

// GoString is String, so that %#v does not print the token source either.
func (c *Client) GoString() string { return c.String() }

// Format prints String for every verb.
func (c *Client) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, c.GoString())
		return
	}
	_, _ = fmt.Fprintf(f, fmt.FormatString(f, verb), c.String())
}

// LogValue describes the client for log/slog without its token.
func (c *Client) LogValue() slog.Value {
	if c == nil {
		return slog.StringValue("<nil>")
	}
	return slog.GroupValue(slog.String("client_id", c.clientID), slog.String("base_url", c.shared.baseURL))
}
