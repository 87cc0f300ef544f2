package oauth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// NewState returns a random state for the authorization code flow (128
// bits from crypto/rand), to give AuthCodeURL and then check on the
// redirect: it ties the redirect to the request, against forged requests
// (RFC 6749 section 10.12).
func NewState() string { return rand.Text() }

// ForceVerify makes Twitch ask the user to authorize the application even
// if they did before (to switch accounts, or to see the scopes again).
func ForceVerify() oauth2.AuthCodeOption { return oauth2.SetAuthURLParam("force_verify", "true") }

// AuthCodeURL returns the URL of Twitch's consent page that starts the
// authorization code flow: Twitch sends the user back to redirectURL (as
// registered with the application) with a code and state. Options are
// ForceVerify, or any of x/oauth2's.
func (c *Client) AuthCodeURL(redirectURL, state string, scopes []Scope, opts ...oauth2.AuthCodeOption) string {
	return c.config(redirectURL, scopes).AuthCodeURL(state, opts...)
}

// Exchange trades the code of the authorization code flow for a user
// access token (a confidential client, with its secret). redirectURL must
// be the one given to AuthCodeURL. A code Twitch refuses (used, expired)
// gives an error that wraps ErrInvalidGrant.
func (c *Client) Exchange(ctx context.Context, code, redirectURL string) (*oauth2.Token, error) {
	tok, err := c.config(redirectURL, nil).Exchange(c.withHTTP(ctx), code)
	if err != nil {
		return nil, tokenError("token", "authorization_code", err)
	}
	return c.stamp(tok), nil
}

// Callback is a local HTTP server on a loopback address that receives the
// redirect of the authorization code flow, for programs run by the user
// (a command, a desktop app). It takes the first redirect that carries a
// code or an error with the right state, and answers every later one that
// it is done.
//
// Any local process or web page can send a redirect to a loopback port, so
// a redirect with another state (or none) does not end the flow: the
// callback answers it 400 Bad Request, ignores it and keeps waiting for
// the real one (RFC 6749 section 10.12).
//
//	state := oauth.NewState()
//	cb, err := oauth.ListenCallback("http://localhost:3000", state)
//	defer cb.Close()
//	fmt.Println("Open", c.AuthCodeURL(cb.RedirectURL, state, scopes))
//	code, err := cb.Wait(ctx)
//	tok, err := c.Exchange(ctx, code, cb.RedirectURL)
//
// Printing a Callback (fmt, log/slog) shows its redirect URL, never its
// state or the code.
type Callback struct {
	// RedirectURL is the URL the server answers: the one given to
	// ListenCallback, with the port it got if that was 0.
	RedirectURL string

	state     string
	path      string
	srv       *http.Server
	served    chan struct{} // closed when the server's goroutine ends
	done      chan struct{} // closed when the result is set
	closed    chan struct{} // closed when Close has stopped everything
	result    sync.Once     // sets the result
	closeOnce sync.Once
	code      string
	err       error

	mu       sync.Mutex
	stopping bool           // Close began: no handler starts
	active   sync.WaitGroup // the handlers running
	forged   int            // redirects with a wrong state
}

// ListenCallback starts a Callback at redirectURL, whose host must be a
// loopback address (localhost, 127.0.0.1, [::1]); port 0 picks a free port
// (Twitch accepts only registered redirect URLs, so this is for tests).
// state is what AuthCodeURL was given. Close stops it.
func ListenCallback(redirectURL, state string) (*Callback, error) {
	u, err := url.Parse(redirectURL)
	if err != nil {
		return nil, fmt.Errorf("oauth: callback: %w", err)
	}
	if u.Scheme != "http" || !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("oauth: callback: %q is not an http URL on a loopback address", redirectURL)
	}
	if state == "" {
		return nil, errors.New("oauth: callback: empty state")
	}
	port := u.Port()
	if port == "" {
		port = "80"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		return nil, fmt.Errorf("oauth: callback: %w", err)
	}
	if port == "0" {
		// Keep the URL as given otherwise: Twitch compares it as a string.
		u.Host = net.JoinHostPort(u.Hostname(), fmt.Sprint(ln.Addr().(*net.TCPAddr).Port))
	}
	path := u.Path
	if path == "" {
		path = "/"
	}
	cb := &Callback{
		RedirectURL: u.String(),
		state:       state,
		path:        path,
		served:      make(chan struct{}),
		done:        make(chan struct{}),
		closed:      make(chan struct{}),
	}
	cb.srv = &http.Server{
		Handler:           http.HandlerFunc(cb.serve),
		ReadHeaderTimeout: 10 * time.Second,
		// A browser keeps its connection open after the redirect; any
		// local process can open more. None is kept idle for long.
		IdleTimeout: time.Minute,
	}
	go func() {
		defer close(cb.served)
		_ = cb.srv.Serve(ln) // returns when Close shuts it down
	}()
	return cb, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Wait returns the code of the first redirect with the right state, or an
// error: Twitch's (an *Error wrapping ErrAccessDenied when the user
// declined), ErrClosed when Close came first, or ctx.Err() when ctx ended
// first, which then also wraps ErrStateMismatch if redirects with a wrong
// state came meanwhile. It may be called again: once a redirect came, it
// returns the same, even after Close.
func (cb *Callback) Wait(ctx context.Context) (string, error) {
	select {
	case <-cb.done:
		return cb.code, cb.err
	default:
	}
	select {
	case <-cb.done:
		return cb.code, cb.err
	case <-cb.closed:
		// No handler runs after Close: the result is final.
		select {
		case <-cb.done:
			return cb.code, cb.err
		default:
			return "", ErrClosed
		}
	case <-ctx.Done():
		cb.mu.Lock()
		forged := cb.forged
		cb.mu.Unlock()
		if forged > 0 {
			return "", fmt.Errorf("oauth: callback: %w; %d %s with a wrong state ignored (%w)",
				ctx.Err(), forged, plural(forged, "redirect", "redirects"), ErrStateMismatch)
		}
		return "", ctx.Err()
	}
}

// Close stops the server and waits for it, and for the requests it was
// answering, to end. A Wait under way returns ErrClosed, unless a redirect
// came first.
func (cb *Callback) Close() error {
	var err error
	cb.closeOnce.Do(func() {
		cb.mu.Lock()
		cb.stopping = true
		cb.mu.Unlock()
		err = cb.srv.Close()
		cb.active.Wait()
		<-cb.served
		close(cb.closed)
	})
	return err
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (cb *Callback) serve(w http.ResponseWriter, r *http.Request) {
	cb.mu.Lock()
	if cb.stopping {
		cb.mu.Unlock()
		http.Error(w, "This authorization is finished.", http.StatusServiceUnavailable)
		return
	}
	cb.active.Add(1)
	cb.mu.Unlock()
	defer cb.active.Done()

	q := r.URL.Query()
	if r.URL.Path != cb.path || (!q.Has("code") && !q.Has("error")) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	// The state must be there once, and be ours (RFC 6749 section 3.1:
	// no parameter is sent twice). Anything else is not Twitch's
	// redirect for this authorization: answer it, and keep waiting.
	if states := q["state"]; len(states) != 1 || subtle.ConstantTimeCompare([]byte(states[0]), []byte(cb.state)) != 1 {
		cb.mu.Lock()
		cb.forged++
		cb.mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintln(w, "This redirect does not belong to the authorization under way (its state is wrong), and was ignored.")
		return
	}
	select {
	case <-cb.done:
		w.WriteHeader(http.StatusGone)
		fmt.Fprintln(w, "This authorization is finished; you can close this window.")
		return
	default:
	}
	var code string
	var err error
	switch {
	case q.Has("error"):
		e := &Error{Endpoint: "authorize", Code: q.Get("error"), Message: clean(q.Get("error_description"))}
		if !isCode(e.Code) {
			e.Code = clean(e.Code)
		}
		e.kind = classify("authorize", "", 0, e.Code, e.Message)
		err = e
	case q.Get("code") == "":
		err = errors.New("oauth: callback: the redirect has an empty code")
	default:
		code = q.Get("code")
	}
	first := false
	cb.result.Do(func() {
		cb.code, cb.err = code, err
		close(cb.done)
		first = true
	})
	switch {
	case !first:
		w.WriteHeader(http.StatusGone)
		fmt.Fprintln(w, "This authorization is finished; you can close this window.")
	case err != nil:
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintln(w, "The authorization failed; you can close this window.")
	default:
		fmt.Fprintln(w, "Authorized; you can close this window.")
	}
}
