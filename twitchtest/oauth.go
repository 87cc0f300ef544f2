package twitchtest

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/twitchify-go/twitch/oauth"
)

// The fake's OAuth, below OAuthURL, speaks as id.twitch.tv does:
//
//   - POST /oauth2/device starts the device code flow (client_id, scopes);
//   - POST /oauth2/token serves the grants device_code, authorization_code,
//     refresh_token and client_credentials;
//   - GET /oauth2/validate and POST /oauth2/revoke;
//   - GET /oauth2/authorize redirects at once, as if the user had
//     authorized the application (or declined: DenyNextAuthorization);
//   - GET /activate?device-code=... approves a device code, as the user's
//     browser would.
//
// Errors have Twitch's shape, {"status": 400, "message": "..."} (the
// device flow's outcomes are in "message": "authorization_pending",
// "slow_down", ...), or RFC 6749's after UseRFCErrors. The access tokens it
// issues are registered as AddToken does, so the fake's Helix accepts them
// with their scopes until they expire or are revoked.
//
// Until AddOAuthClient registers an application, any client ID is
// accepted, and any non-empty secret where one is needed.

// Defaults of the fake's OAuth, as Twitch's.
const (
	deviceExpiresIn  = 30 * time.Minute
	deviceInterval   = 5 * time.Second
	userTokenLife    = 4 * time.Hour
	appTokenLife     = 60 * 24 * time.Hour
	authCodeLifetime = 10 * time.Minute
)

// DeviceAnswer is an answer of the fake to a poll of a device code, for
// ScriptDevice.
type DeviceAnswer string

// Device answers. The first five are what Twitch says in "message".
const (
	DevicePending  DeviceAnswer = "authorization_pending"
	DeviceSlowDown DeviceAnswer = "slow_down"
	DeviceDenied   DeviceAnswer = "access_denied"
	DeviceExpired  DeviceAnswer = "expired_token"
	DeviceInvalid  DeviceAnswer = "invalid device code"
	// DeviceApproved approves the code at that poll: the poll gets the
	// token.
	DeviceApproved DeviceAnswer = "approved"
)

// OAuthStats counts what the fake's OAuth served.
type OAuthStats struct {
	DeviceCodes    int // device flows started
	DevicePolls    int // device_code grant requests
	Authorizations int // authorize redirects with a code or an error
	Exchanges      int // authorization codes exchanged for tokens
	Refreshes      int // refresh_token grants that gave a token
	AppTokens      int // client_credentials grants that gave a token
	Validations    int // validate requests, valid token or not
	Revocations    int // tokens revoked, through the endpoint or RevokeToken
}

// oauthState is the fake's OAuth: applications, device codes,
// authorization codes, refresh tokens and knobs. s.mu guards it.
type oauthState struct {
	clients   map[string]string // client ID → secret ("" for a public client)
	userID    string            // who authorizes
	login     string
	devices   map[string]*deviceCode // by device code
	userCodes map[string]string      // user code → device code
	authCodes map[string]*authCode
	grants    map[string]*oauthGrant // by refresh token
	rotate    bool                   // rotate the refresh tokens of confidential clients too
	userLife  time.Duration
	appLife   time.Duration
	rfcErrors bool
	denyNext  bool
	faults    map[string][]Fault // by endpoint: "device", "token", "validate", "revoke"
	stats     OAuthStats
}

// deviceCode is a device flow the fake started.
type deviceCode struct {
	clientID string
	userCode string
	scopes   []string
	expires  time.Time
	state    DeviceAnswer   // DevicePending, DeviceApproved, DeviceDenied, DeviceExpired
	script   []DeviceAnswer // answers to give first
}

// authCode is an authorization code the authorize redirect gave.
type authCode struct {
	clientID    string
	redirectURI string
	scopes      []string
	expires     time.Time
}

// oauthGrant is what a refresh token stands for: a user's authorization of an
// application, and the access token last issued with it.
type oauthGrant struct {
	clientID string
	scopes   []string
	userID   string
	login    string
	access   string
}

// routeOAuth serves Twitch's OAuth endpoints below /oauth2.
func (s *Server) routeOAuth(mux *http.ServeMux) {
	s.oauth = oauthState{
		clients:   map[string]string{},
		userID:    "141981764",
		login:     "twitchdev",
		devices:   map[string]*deviceCode{},
		userCodes: map[string]string{},
		authCodes: map[string]*authCode{},
		grants:    map[string]*oauthGrant{},
		userLife:  userTokenLife,
		appLife:   appTokenLife,
		faults:    map[string][]Fault{},
	}
	mux.HandleFunc("POST /oauth2/device", s.serveDevice)
	mux.HandleFunc("POST /oauth2/token", s.serveToken)
	mux.HandleFunc("GET /oauth2/validate", s.serveValidate)
	mux.HandleFunc("POST /oauth2/revoke", s.serveRevoke)
	mux.HandleFunc("GET /oauth2/authorize", s.serveAuthorize)
	mux.HandleFunc("GET /activate", s.serveActivate)
}

// AddOAuthClient registers an application with its secret; an empty
// secret makes it a public client (a device-flow app), which may refresh
// user tokens without a secret but may not use the client credentials or
// authorization code grants. Once one is registered, the fake refuses
// client IDs it does not know and wrong secrets.
func (s *Server) AddOAuthClient(clientID, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oauth.clients[clientID] = secret
}

// SetOAuthUser sets the user who approves device codes and authorizes
// applications at the authorize endpoint (by default 141981764,
// "twitchdev").
func (s *Server) SetOAuthUser(userID, login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oauth.userID, s.oauth.login = userID, login
}

// ApproveDevice approves the device code whose user code is userCode, as
// the user typing it at the verification URI and authorizing: the next
// poll gets the token.
func (s *Server) ApproveDevice(userCode string) error {
	return s.setDevice(userCode, DeviceApproved)
}

// DenyDevice makes the device code's next poll answer access_denied, as
// when the user declines.
func (s *Server) DenyDevice(userCode string) error { return s.setDevice(userCode, DeviceDenied) }

// ExpireDevice makes the device code expire now.
func (s *Server) ExpireDevice(userCode string) error { return s.setDevice(userCode, DeviceExpired) }

func (s *Server) setDevice(userCode string, state DeviceAnswer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.oauth.devices[s.oauth.userCodes[userCode]]
	if d == nil {
		return fmt.Errorf("%w: user code %q", ErrNotFound, userCode)
	}
	d.state = state
	return nil
}

// ScriptDevice sets the answers to the next polls of the device code whose
// user code is userCode, one a poll, before its state (pending until
// approved, denied or expired) applies again. DeviceApproved approves it at
// that poll; DeviceDenied, DeviceExpired and DeviceInvalid end it.
func (s *Server) ScriptDevice(userCode string, answers ...DeviceAnswer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.oauth.devices[s.oauth.userCodes[userCode]]
	if d == nil {
		return fmt.Errorf("%w: user code %q", ErrNotFound, userCode)
	}
	d.script = append(d.script, answers...)
	return nil
}

// DenyNextAuthorization makes the next authorize request redirect with
// error=access_denied, as when the user declines.
func (s *Server) DenyNextAuthorization() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oauth.denyNext = true
}

// RotateRefreshTokens makes every refresh give a new refresh token and end
// the old one. Without it only public clients' refresh tokens rotate, as
// Twitch does.
func (s *Server) RotateRefreshTokens(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oauth.rotate = on
}

// SetTokenLifetime sets the expires_in of the user and app access tokens
// the fake issues (4 hours and 60 days by default).
func (s *Server) SetTokenLifetime(user, app time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oauth.userLife, s.oauth.appLife = user, app
}

// UseRFCErrors makes the token endpoint answer errors in RFC 6749's shape,
// {"error": "authorization_pending", "error_description": "..."}, instead
// of Twitch's.
func (s *Server) UseRFCErrors(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oauth.rfcErrors = on
}

// FailNextOAuth queues faults for an OAuth endpoint ("device", "token",
// "validate" or "revoke"): each of its next requests gets the next fault
// instead of its usual answer.
func (s *Server) FailNextOAuth(endpoint string, faults ...Fault) error {
	switch endpoint {
	case "device", "token", "validate", "revoke":
	default:
		return fmt.Errorf("%w: OAuth endpoint %q", ErrNotFound, endpoint)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oauth.faults[endpoint] = append(s.oauth.faults[endpoint], faults...)
	return nil
}

// RevokeToken revokes an access token or a refresh token the fake issued,
// and the other one of the pair, as when the user disconnects the
// application: Helix and validate refuse the access token, refreshes
// refuse the refresh token.
func (s *Server) RevokeToken(token string) error {
	s.mu.Lock()
	found := false
	var access []string
	for rt, g := range s.oauth.grants {
		if rt == token || g.access == token {
			delete(s.oauth.grants, rt)
			found = true
			access = append(access, g.access)
		}
	}
	s.mu.Unlock()
	if s.ExpireToken(token) == nil {
		found = true
	}
	for _, a := range access {
		_ = s.ExpireToken(a)
	}
	if !found {
		return fmt.Errorf("%w: token", ErrNotFound)
	}
	s.mu.Lock()
	s.oauth.stats.Revocations++
	s.mu.Unlock()
	return nil
}

// GrantUserToken issues a user access token with a refresh token to the
// application, as if the user had authorized it with the scopes, and
// returns it as a flow would (Expiry on the fake's clock, the scopes among
// its extras): a start for tests of refreshing.
func (s *Server) GrantUserToken(clientID string, scopes ...string) *oauth2.Token {
	s.mu.Lock()
	answer := s.issueUser(clientID, s.oauth.userID, s.oauth.login, scopes)
	s.mu.Unlock()
	s.registerIssued(answer)
	tok := &oauth2.Token{
		AccessToken:  answer.AccessToken,
		RefreshToken: answer.RefreshToken,
		TokenType:    answer.TokenType,
		ExpiresIn:    answer.ExpiresIn,
		Expiry:       s.now().Add(time.Duration(answer.ExpiresIn) * time.Second),
	}
	raw := make([]any, len(scopes))
	for i, sc := range scopes {
		raw[i] = sc
	}
	return tok.WithExtra(map[string]any{"scope": raw})
}

// OAuthStats returns what the fake's OAuth served so far.
func (s *Server) OAuthStats() OAuthStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.oauth.stats
}

// tokenAnswer is the token endpoint's answer; Twitch sends "scope" as an
// array.
type tokenAnswer struct {
	AccessToken  string   `json:"access_token"`
	RefreshToken string   `json:"refresh_token,omitempty"`
	ExpiresIn    int64    `json:"expires_in"`
	Scope        []string `json:"scope,omitempty"`
	TokenType    string   `json:"token_type"`

	info TokenInfo // what to register
}

// issueUser makes a user access token and its refresh token. s.mu is held;
// the caller registers the token (s.registerIssued) once it has let go of s.mu.
func (s *Server) issueUser(clientID, userID, login string, scopes []string) *tokenAnswer {
	access, refresh := newOAuthSecret(), newOAuthSecret()
	s.oauth.grants[refresh] = &oauthGrant{clientID: clientID, scopes: scopes, userID: userID, login: login, access: access}
	return &tokenAnswer{
		AccessToken:  access,
		RefreshToken: refresh,
		ExpiresIn:    int64(s.oauth.userLife / time.Second),
		Scope:        slices.Clone(scopes),
		TokenType:    "bearer",
		info: TokenInfo{
			Type: oauth.TokenUser, ClientID: clientID, UserID: userID, Login: login,
			Scopes: scopes, ExpiresAt: s.now().Add(s.oauth.userLife),
		},
	}
}

// registerIssued makes the fake's Helix accept the answer's access token.
func (s *Server) registerIssued(a *tokenAnswer) { s.AddToken(a.AccessToken, a.info) }

// newOAuthSecret returns a random token, code or device code.
func newOAuthSecret() string { return strings.ToLower(rand.Text()) }

// oauthError answers with Twitch's shape of error, or RFC 6749's (with
// code) after UseRFCErrors. withError adds Twitch's "error" field, the
// status's text, as some of Twitch's answers have.
func (s *Server) oauthError(w http.ResponseWriter, status int, message, code string, withError bool) {
	s.mu.Lock()
	rfc := s.oauth.rfcErrors
	s.mu.Unlock()
	switch {
	case rfc:
		reply(w, status, map[string]any{"error": code, "error_description": message})
	case withError:
		reply(w, status, map[string]any{"error": http.StatusText(status), "status": status, "message": message})
	default:
		reply(w, status, map[string]any{"status": status, "message": message})
	}
}

// oauthFault answers with the endpoint's next queued fault, if there is one.
func (s *Server) oauthFault(w http.ResponseWriter, r *http.Request, endpoint string) bool {
	s.mu.Lock()
	f, ok := popFault(s.oauth.faults, endpoint)
	s.mu.Unlock()
	if !ok {
		return false
	}
	if !s.delay(r, f.Delay) {
		return true
	}
	if f.Status == 0 {
		return false
	}
	reply(w, f.Status, map[string]any{"status": f.Status, "message": f.message()})
	return true
}

// secretRule is what a request must say of the client's secret.
type secretRule int

const (
	noSecret   secretRule = iota // the device flow: the client ID is enough
	ownSecret                    // refresh: a confidential client's secret, none from a public client
	needSecret                   // confidential clients only
)

// checkClient checks a request's client ID and secret, and returns the
// error to answer with, if any. s.mu is held.
func (s *Server) checkClient(clientID, secret string, rule secretRule) (status int, message, code string) {
	if clientID == "" {
		return http.StatusBadRequest, "missing client id", "invalid_request"
	}
	if len(s.oauth.clients) == 0 {
		if rule == needSecret && secret == "" {
			return http.StatusBadRequest, "missing client secret", "invalid_client"
		}
		return 0, "", ""
	}
	want, ok := s.oauth.clients[clientID]
	switch {
	case !ok:
		return http.StatusBadRequest, "invalid client", "invalid_client"
	case rule == noSecret:
		return 0, "", ""
	case want == "" && rule == needSecret:
		return http.StatusBadRequest, "invalid client", "invalid_client" // a public client
	case subtle.ConstantTimeCompare([]byte(secret), []byte(want)) != 1:
		return http.StatusForbidden, "invalid client secret", "invalid_client"
	}
	return 0, "", ""
}

// serveDevice is POST /oauth2/device. Twitch reads the scopes from
// "scopes" in the body (not "scope", and not the query).
func (s *Server) serveDevice(w http.ResponseWriter, r *http.Request) {
	if s.oauthFault(w, r, "device") {
		return
	}
	form, ok := oauthForm(w, r)
	if !ok {
		return
	}
	clientID := form.Get("client_id")
	s.mu.Lock()
	if status, msg, code := s.checkClient(clientID, "", noSecret); status != 0 {
		s.mu.Unlock()
		s.oauthError(w, status, msg, code, false)
		return
	}
	d := &deviceCode{
		clientID: clientID,
		userCode: strings.ToUpper(rand.Text()[:8]),
		scopes:   strings.Fields(form.Get("scopes")),
		expires:  s.now().Add(deviceExpiresIn),
		state:    DevicePending,
	}
	code := newOAuthSecret()
	s.oauth.devices[code] = d
	s.oauth.userCodes[d.userCode] = code
	s.oauth.stats.DeviceCodes++
	s.mu.Unlock()
	reply(w, http.StatusOK, map[string]any{
		"device_code":      code,
		"expires_in":       int(deviceExpiresIn / time.Second),
		"interval":         int(deviceInterval / time.Second),
		"user_code":        d.userCode,
		"verification_uri": s.URL + "/activate?public=true&device-code=" + d.userCode,
	})
}

// serveActivate is the verification URI: visiting it approves the code.
func (s *Server) serveActivate(w http.ResponseWriter, r *http.Request) {
	if err := s.ApproveDevice(r.URL.Query().Get("device-code")); err != nil {
		http.Error(w, "unknown code", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "Authorized. You can close this window.")
}

// oauthForm reads the form of a POST body (not its query, as Twitch).
func oauthForm(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	if err := r.ParseForm(); err != nil {
		reply(w, http.StatusBadRequest, map[string]any{"status": 400, "message": "malformed body"})
		return nil, false
	}
	return r.PostForm, true
}

// serveToken is POST /oauth2/token.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if s.oauthFault(w, r, "token") {
		return
	}
	form, ok := oauthForm(w, r)
	if !ok {
		return
	}
	switch form.Get("grant_type") {
	case "urn:ietf:params:oauth:grant-type:device_code":
		s.deviceToken(w, form)
	case "authorization_code":
		s.exchangeCode(w, form)
	case "refresh_token":
		s.refreshToken(w, form)
	case "client_credentials":
		s.appToken(w, form)
	default:
		s.oauthError(w, http.StatusBadRequest, "invalid grant type", "unsupported_grant_type", false)
	}
}

// deviceToken is a poll of the device flow.
func (s *Server) deviceToken(w http.ResponseWriter, form url.Values) {
	clientID, code := form.Get("client_id"), form.Get("device_code")
	s.mu.Lock()
	s.oauth.stats.DevicePolls++
	if status, msg, rfc := s.checkClient(clientID, "", noSecret); status != 0 {
		s.mu.Unlock()
		s.oauthError(w, status, msg, rfc, false)
		return
	}
	d := s.oauth.devices[code]
	if d == nil || d.clientID != clientID {
		s.mu.Unlock()
		s.oauthError(w, http.StatusBadRequest, string(DeviceInvalid), "invalid_grant", false)
		return
	}
	answer := d.state
	if len(d.script) > 0 {
		answer = d.script[0]
		d.script = d.script[1:]
	}
	if answer == DevicePending && !s.now().Before(d.expires) {
		answer = DeviceExpired
	}
	switch answer {
	case DevicePending, DeviceSlowDown:
		s.mu.Unlock()
		s.oauthError(w, http.StatusBadRequest, string(answer), string(answer), false)
		return
	case DeviceApproved:
	default: // denied, expired, invalid: the code is done
		delete(s.oauth.devices, code)
		delete(s.oauth.userCodes, d.userCode)
		s.mu.Unlock()
		rfc := string(answer)
		if answer == DeviceInvalid {
			rfc = "invalid_grant"
		}
		s.oauthError(w, http.StatusBadRequest, string(answer), rfc, false)
		return
	}
	delete(s.oauth.devices, code)
	delete(s.oauth.userCodes, d.userCode)
	a := s.issueUser(clientID, s.oauth.userID, s.oauth.login, d.scopes)
	s.mu.Unlock()
	s.registerIssued(a)
	reply(w, http.StatusOK, a)
}

// exchangeCode is the authorization code grant.
func (s *Server) exchangeCode(w http.ResponseWriter, form url.Values) {
	clientID := form.Get("client_id")
	s.mu.Lock()
	if status, msg, rfc := s.checkClient(clientID, form.Get("client_secret"), needSecret); status != 0 {
		s.mu.Unlock()
		s.oauthError(w, status, msg, rfc, false)
		return
	}
	c := s.oauth.authCodes[form.Get("code")]
	delete(s.oauth.authCodes, form.Get("code")) // a code is good once
	switch {
	case c == nil || c.clientID != clientID || !s.now().Before(c.expires):
		s.mu.Unlock()
		s.oauthError(w, http.StatusBadRequest, "Invalid authorization code", "invalid_grant", false)
		return
	case c.redirectURI != form.Get("redirect_uri"):
		s.mu.Unlock()
		s.oauthError(w, http.StatusBadRequest, "Parameter redirect_uri does not match registered URI", "invalid_grant", false)
		return
	}
	s.oauth.stats.Exchanges++
	a := s.issueUser(clientID, s.oauth.userID, s.oauth.login, c.scopes)
	s.mu.Unlock()
	s.registerIssued(a)
	reply(w, http.StatusOK, a)
}

// refreshToken is the refresh token grant.
func (s *Server) refreshToken(w http.ResponseWriter, form url.Values) {
	clientID, rt := form.Get("client_id"), form.Get("refresh_token")
	s.mu.Lock()
	if status, msg, rfc := s.checkClient(clientID, form.Get("client_secret"), ownSecret); status != 0 {
		s.mu.Unlock()
		s.oauthError(w, status, msg, rfc, false)
		return
	}
	g := s.oauth.grants[rt]
	if g == nil || g.clientID != clientID {
		s.mu.Unlock()
		s.oauthError(w, http.StatusBadRequest, "Invalid refresh token", "invalid_grant", true)
		return
	}
	public := s.oauth.clients[clientID] == "" && form.Get("client_secret") == ""
	a := s.issueUser(clientID, g.userID, g.login, g.scopes)
	if s.oauth.rotate || public {
		delete(s.oauth.grants, rt)
	} else {
		// The refresh token stays: it now stands for the new access token.
		delete(s.oauth.grants, a.RefreshToken)
		g.access = a.AccessToken
		a.RefreshToken = rt
	}
	s.oauth.stats.Refreshes++
	s.mu.Unlock()
	s.registerIssued(a)
	reply(w, http.StatusOK, a)
}

// appToken is the client credentials grant.
func (s *Server) appToken(w http.ResponseWriter, form url.Values) {
	clientID := form.Get("client_id")
	s.mu.Lock()
	if status, msg, rfc := s.checkClient(clientID, form.Get("client_secret"), needSecret); status != 0 {
		s.mu.Unlock()
		s.oauthError(w, status, msg, rfc, false)
		return
	}
	s.oauth.stats.AppTokens++
	life := s.oauth.appLife
	a := &tokenAnswer{
		AccessToken: newOAuthSecret(),
		ExpiresIn:   int64(life / time.Second),
		TokenType:   "bearer",
		info:        TokenInfo{Type: oauth.TokenApp, ClientID: clientID, ExpiresAt: s.now().Add(life)},
	}
	s.mu.Unlock()
	s.registerIssued(a)
	reply(w, http.StatusOK, a)
}

// serveValidate is GET /oauth2/validate, with "Authorization: OAuth
// <token>" (Twitch's reference names that form; "Bearer" works too).
func (s *Server) serveValidate(w http.ResponseWriter, r *http.Request) {
	if s.oauthFault(w, r, "validate") {
		return
	}
	s.mu.Lock()
	s.oauth.stats.Validations++
	s.mu.Unlock()
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "OAuth ")
	if !ok {
		token, ok = strings.CutPrefix(auth, "Bearer ")
	}
	var info *TokenInfo
	if ok && token != "" {
		if i, state := s.lookupToken(token); state == tokenValid {
			info = i
		}
	}
	if info == nil {
		reply(w, http.StatusUnauthorized, map[string]any{"status": 401, "message": "invalid access token"})
		return
	}
	scopes := slices.Clone(info.Scopes)
	if scopes == nil {
		scopes = []string{}
	}
	body := map[string]any{"client_id": info.ClientID, "scopes": scopes, "expires_in": 0}
	if !info.ExpiresAt.IsZero() {
		body["expires_in"] = int64(info.ExpiresAt.Sub(s.now()).Round(time.Second) / time.Second)
	}
	if info.Type != oauth.TokenApp {
		body["login"], body["user_id"] = info.Login, info.UserID
	}
	reply(w, http.StatusOK, body)
}

// serveRevoke is POST /oauth2/revoke.
func (s *Server) serveRevoke(w http.ResponseWriter, r *http.Request) {
	if s.oauthFault(w, r, "revoke") {
		return
	}
	form, ok := oauthForm(w, r)
	if !ok {
		return
	}
	clientID, token := form.Get("client_id"), form.Get("token")
	s.mu.Lock()
	_, known := s.oauth.clients[clientID]
	unknownClient := len(s.oauth.clients) > 0 && !known
	s.mu.Unlock()
	if unknownClient || clientID == "" {
		reply(w, http.StatusNotFound, map[string]any{"status": 404, "message": "client does not exist"})
		return
	}
	info, state := s.lookupToken(token)
	if info == nil || state != tokenValid || (info.ClientID != "" && info.ClientID != clientID) {
		reply(w, http.StatusBadRequest, map[string]any{"status": 400, "message": "Invalid token"})
		return
	}
	_ = s.RevokeToken(token)
	w.WriteHeader(http.StatusOK)
}

// serveAuthorize is GET /oauth2/authorize: the fake's user authorizes at
// once (or declines, after DenyNextAuthorization), and the browser is
// redirected to redirect_uri with a code, or an error, and the state.
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	clientID := q.Get("client_id")
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redirect.Scheme == "" || q.Get("response_type") != "code" {
		reply(w, http.StatusBadRequest, map[string]any{"status": 400, "message": "invalid request"})
		return
	}
	s.mu.Lock()
	_, known := s.oauth.clients[clientID]
	if clientID == "" || (len(s.oauth.clients) > 0 && !known) {
		s.mu.Unlock()
		reply(w, http.StatusBadRequest, map[string]any{"status": 400, "message": "invalid client"})
		return
	}
	back := redirect.Query()
	if s.oauth.denyNext {
		s.oauth.denyNext = false
		back.Set("error", "access_denied")
		back.Set("error_description", "The user denied you access")
	} else {
		code := newOAuthSecret()
		scopes := strings.Fields(q.Get("scope"))
		s.oauth.authCodes[code] = &authCode{
			clientID: clientID, redirectURI: q.Get("redirect_uri"), scopes: scopes,
			expires: s.now().Add(authCodeLifetime),
		}
		back.Set("code", code)
		back.Set("scope", strings.Join(scopes, " "))
	}
	if q.Has("state") {
		back.Set("state", q.Get("state"))
	}
	s.oauth.stats.Authorizations++
	s.mu.Unlock()
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}
