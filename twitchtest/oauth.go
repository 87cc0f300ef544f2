package twitchtest

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/twitchify-go/twitch/oauth"
)

// OAuth is the fake's OAuth, below URL, which speaks as id.twitch.tv does:
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
// "slow_down", ...), or RFC 6749's after UseRFCErrors.
//
// OAuth owns the access tokens the fake accepts: those it issues, for the
// user who authorizes (SetUser) and with the scopes asked for, and those a
// test registers (AddToken, WithUserToken). Helix and EventSub refuse
// others once there is any, and tokens that expired or were revoked.
//
// Until AddClient registers an application, any client ID is accepted, and
// any non-empty secret where one is needed.
type OAuth struct {
	// URL is the root of the OAuth endpoints (Twitch's
	// https://id.twitch.tv), for oauth.WithBaseURL.
	URL string

	tokens *tokenRegistry
	stop   <-chan struct{} // closed when the fake closes

	mu          sync.Mutex        // guards what follows
	clients     map[string]string // client ID → secret ("" for a public client)
	userID      string            // who authorizes
	login       string
	devices     map[string]*deviceCode // by device code
	userCodes   map[string]string      // user code → device code
	authCodes   map[string]*authCode
	grants      map[string]*oauthGrant // by refresh token
	rotate      bool                   // rotate the refresh tokens of confidential clients too
	userLife    time.Duration
	appLife     time.Duration
	rfcErrors   bool
	denyNext    bool
	autoApprove bool
	faults      map[string][]Fault // by endpoint: "device", "token", "validate", "revoke"
	stats       OAuthStats
}

// Defaults of the fake's OAuth, as Twitch's.
const (
	deviceExpiresIn  = 30 * time.Minute
	deviceInterval   = 5 * time.Second
	userTokenLife    = 4 * time.Hour
	appTokenLife     = 60 * 24 * time.Hour
	authCodeLifetime = 10 * time.Minute

	// The user who authorizes, until SetUser: TwitchDev, the user of
	// Twitch's own examples.
	defaultUserID = "141981764"
	defaultLogin  = "twitchdev"
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

func newOAuth(stop <-chan struct{}) *OAuth {
	return &OAuth{
		tokens:    &tokenRegistry{tokens: map[string]*TokenInfo{}},
		stop:      stop,
		clients:   map[string]string{},
		userID:    defaultUserID,
		login:     defaultLogin,
		devices:   map[string]*deviceCode{},
		userCodes: map[string]string{},
		authCodes: map[string]*authCode{},
		grants:    map[string]*oauthGrant{},
		userLife:  userTokenLife,
		appLife:   appTokenLife,
		faults:    map[string][]Fault{},
	}
}

// route serves Twitch's OAuth endpoints below /oauth2.
func (o *OAuth) route(mux *http.ServeMux) {
	mux.HandleFunc("POST /oauth2/device", o.serveDevice)
	mux.HandleFunc("POST /oauth2/token", o.serveToken)
	mux.HandleFunc("GET /oauth2/validate", o.serveValidate)
	mux.HandleFunc("POST /oauth2/revoke", o.serveRevoke)
	mux.HandleFunc("GET /oauth2/authorize", o.serveAuthorize)
	mux.HandleFunc("GET /activate", o.serveActivate)
}

// AddToken registers an access token. Once any token is registered (here
// or by WithUserToken), Helix answers 401 to tokens it does not know, 401
// "Missing scope" to a call whose scopes a token lacks, and 401 to a token
// of the wrong type, and EventSub refuses subscriptions whose scopes it
// lacks; without any, every token is accepted with every scope. A user
// token's UserID is the user that Get Users without parameters answers
// with and that Send Chat Message's sender_id must be.
func (o *OAuth) AddToken(token string, info TokenInfo) { o.tokens.add(token, info) }

// ExpireToken makes the fake refuse token from now on with Twitch's 401
// "Invalid OAuth token", as when it expires.
func (o *OAuth) ExpireToken(token string) error {
	if !o.tokens.expire(token) {
		return fmt.Errorf("%w: no such token", ErrNotFound)
	}
	return nil
}

// AddClient registers an application with its secret; an empty secret
// makes it a public client (a device-flow app), which may refresh user
// tokens without a secret but may not use the client credentials or
// authorization code grants. Once one is registered, the fake refuses
// client IDs it does not know and wrong secrets.
func (o *OAuth) AddClient(clientID, secret string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.clients[clientID] = secret
}

// SetUser sets the user who approves device codes and authorizes
// applications at the authorize endpoint (by default 141981764,
// "twitchdev").
func (o *OAuth) SetUser(userID, login string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.userID, o.login = userID, login
}

// ApproveDevice approves the device code whose user code is userCode, as
// the user typing it at the verification URI and authorizing: the next
// poll gets the token.
func (o *OAuth) ApproveDevice(userCode string) error { return o.setDevice(userCode, DeviceApproved) }

// DenyDevice makes the device code's next poll answer access_denied, as
// when the user declines.
func (o *OAuth) DenyDevice(userCode string) error { return o.setDevice(userCode, DeviceDenied) }

// ExpireDevice makes the device code expire now.
func (o *OAuth) ExpireDevice(userCode string) error { return o.setDevice(userCode, DeviceExpired) }

func (o *OAuth) setDevice(userCode string, state DeviceAnswer) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	d := o.devices[o.userCodes[userCode]]
	if d == nil {
		return fmt.Errorf("%w: user code %q", ErrNotFound, userCode)
	}
	d.state = state
	return nil
}

// AutoApproveDevices makes every device code issued from now on approved
// from the start, as if the user authorized at once: the first poll gets
// the token, and oauth's DeviceAccessToken, which polls once at once,
// returns without waiting.
func (o *OAuth) AutoApproveDevices(on bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.autoApprove = on
}

// ScriptDevice sets the answers to the next polls of the device code whose
// user code is userCode, one a poll, before its state (pending until
// approved, denied or expired) applies again. DeviceApproved approves it at
// that poll; DeviceDenied, DeviceExpired and DeviceInvalid end it.
func (o *OAuth) ScriptDevice(userCode string, answers ...DeviceAnswer) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	d := o.devices[o.userCodes[userCode]]
	if d == nil {
		return fmt.Errorf("%w: user code %q", ErrNotFound, userCode)
	}
	d.script = append(d.script, answers...)
	return nil
}

// DenyNextAuthorization makes the next authorize request redirect with
// error=access_denied, as when the user declines.
func (o *OAuth) DenyNextAuthorization() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.denyNext = true
}

// RotateRefreshTokens makes every refresh give a new refresh token and end
// the old one. Without it only public clients' refresh tokens rotate, as
// Twitch does.
func (o *OAuth) RotateRefreshTokens(on bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.rotate = on
}

// SetTokenLifetime sets the expires_in of the user and app access tokens
// the fake issues (4 hours and 60 days by default).
func (o *OAuth) SetTokenLifetime(user, app time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.userLife, o.appLife = user, app
}

// UseRFCErrors makes the token endpoint answer errors in RFC 6749's shape,
// {"error": "authorization_pending", "error_description": "..."}, instead
// of Twitch's.
func (o *OAuth) UseRFCErrors(on bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.rfcErrors = on
}

// FailNext queues faults for an endpoint ("device", "token", "validate" or
// "revoke"): each of its next requests gets the next fault instead of its
// usual answer.
func (o *OAuth) FailNext(endpoint string, faults ...Fault) error {
	switch endpoint {
	case "device", "token", "validate", "revoke":
	default:
		return fmt.Errorf("%w: OAuth endpoint %q", ErrNotFound, endpoint)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.faults[endpoint] = append(o.faults[endpoint], faults...)
	return nil
}

// RevokeToken revokes an access token or a refresh token, and the other
// one of the pair when the fake issued it, as when the user disconnects
// the application: Helix and validate refuse the access token, refreshes
// refuse the refresh token.
func (o *OAuth) RevokeToken(token string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.revoke(token) {
		return fmt.Errorf("%w: token", ErrNotFound)
	}
	return nil
}

// revoke revokes token and its pair; false when the fake knows neither.
// o.mu is held.
func (o *OAuth) revoke(token string) bool {
	found := o.tokens.expire(token)
	for rt, g := range o.grants {
		if rt == token || g.access == token {
			delete(o.grants, rt)
			o.tokens.expire(g.access)
			found = true
		}
	}
	if found {
		o.stats.Revocations++
	}
	return found
}

// GrantUserToken issues a user access token with a refresh token to the
// application, as if the user had authorized it with the scopes, and
// returns it as a flow would (the scopes among its extras): a start for
// tests of refreshing.
func (o *OAuth) GrantUserToken(clientID string, scopes ...string) *oauth2.Token {
	o.mu.Lock()
	defer o.mu.Unlock()
	a := o.issueUser(clientID, o.userID, o.login, scopes)
	tok := &oauth2.Token{
		AccessToken:  a.AccessToken,
		RefreshToken: a.RefreshToken,
		TokenType:    a.TokenType,
		ExpiresIn:    a.ExpiresIn,
		Expiry:       a.expiresAt,
	}
	raw := make([]any, len(scopes))
	for i, sc := range scopes {
		raw[i] = sc
	}
	return tok.WithExtra(map[string]any{"scope": raw})
}

// Stats returns what the fake's OAuth served so far.
func (o *OAuth) Stats() OAuthStats {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.stats
}

// tokenAnswer is the token endpoint's answer; Twitch sends "scope" as an
// array.
type tokenAnswer struct {
	AccessToken  string   `json:"access_token"`
	RefreshToken string   `json:"refresh_token,omitempty"`
	ExpiresIn    int64    `json:"expires_in"`
	Scope        []string `json:"scope,omitempty"`
	TokenType    string   `json:"token_type"`

	expiresAt time.Time
}

// issueUser makes and registers a user access token and its refresh token.
// o.mu is held.
func (o *OAuth) issueUser(clientID, userID, login string, scopes []string) *tokenAnswer {
	access, refresh := newOAuthSecret(), newOAuthSecret()
	o.grants[refresh] = &oauthGrant{clientID: clientID, scopes: scopes, userID: userID, login: login, access: access}
	expires := time.Now().Add(o.userLife)
	o.tokens.add(access, TokenInfo{
		Type: oauth.TokenUser, ClientID: clientID, UserID: userID, Login: login,
		Scopes: scopes, ExpiresAt: expires,
	})
	return &tokenAnswer{
		AccessToken:  access,
		RefreshToken: refresh,
		ExpiresIn:    int64(o.userLife / time.Second),
		Scope:        slices.Clone(scopes),
		TokenType:    "bearer",
		expiresAt:    expires,
	}
}

// newOAuthSecret returns a random token, code or device code.
func newOAuthSecret() string { return strings.ToLower(rand.Text()) }

// fail is an error answer in Twitch's shape, or RFC 6749's (with code)
// after UseRFCErrors. withError adds Twitch's "error" field, the status's
// text, as some of Twitch's answers have. o.mu is held.
func (o *OAuth) fail(status int, message, code string, withError bool) response {
	switch {
	case o.rfcErrors:
		return jsonResponse(status, map[string]any{"error": code, "error_description": message})
	case withError:
		return jsonResponse(status, map[string]any{"error": http.StatusText(status), "status": status, "message": message})
	}
	return twitchError(status, message)
}

// twitchError is an error answer in the shape of Twitch's OAuth.
func twitchError(status int, message string) response {
	return jsonResponse(status, map[string]any{"status": status, "message": message})
}

// fault answers with the endpoint's next queued fault, if there is one.
func (o *OAuth) fault(w http.ResponseWriter, r *http.Request, endpoint string) bool {
	f, ok := o.nextFault(endpoint)
	if !ok {
		return false
	}
	if !delay(r, o.stop, f.Delay) {
		return true
	}
	if f.Status == 0 {
		return false
	}
	twitchError(f.Status, f.message()).write(w)
	return true
}

func (o *OAuth) nextFault(endpoint string) (Fault, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return popFault(o.faults, endpoint)
}

// secretRule is what a request must say of the client's secret.
type secretRule int

const (
	noSecret   secretRule = iota // the device flow: the client ID is enough
	ownSecret                    // refresh: a confidential client's secret, none from a public client
	needSecret                   // confidential clients only
)

// checkClient checks a request's client ID and secret, and returns the
// answer that refuses them, or nil. o.mu is held.
func (o *OAuth) checkClient(clientID, secret string, rule secretRule) *response {
	refuse := func(status int, message, code string) *response {
		r := o.fail(status, message, code, false)
		return &r
	}
	if clientID == "" {
		return refuse(http.StatusBadRequest, "missing client id", "invalid_request")
	}
	if len(o.clients) == 0 {
		if rule == needSecret && secret == "" {
			return refuse(http.StatusBadRequest, "missing client secret", "invalid_client")
		}
		return nil
	}
	want, ok := o.clients[clientID]
	switch {
	case !ok:
		return refuse(http.StatusBadRequest, "invalid client", "invalid_client")
	case rule == noSecret:
		return nil
	case want == "" && rule == needSecret:
		return refuse(http.StatusBadRequest, "invalid client", "invalid_client") // a public client
	case subtle.ConstantTimeCompare([]byte(secret), []byte(want)) != 1:
		return refuse(http.StatusForbidden, "invalid client secret", "invalid_client")
	}
	return nil
}

// oauthForm reads the form of a POST body (not its query, as Twitch).
func oauthForm(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	if err := r.ParseForm(); err != nil {
		twitchError(http.StatusBadRequest, "malformed body").write(w)
		return nil, false
	}
	return r.PostForm, true
}

// serveDevice is POST /oauth2/device. Twitch reads the scopes from
// "scopes" in the body (not "scope", and not the query).
func (o *OAuth) serveDevice(w http.ResponseWriter, r *http.Request) {
	if o.fault(w, r, "device") {
		return
	}
	form, ok := oauthForm(w, r)
	if !ok {
		return
	}
	o.startDevice(form.Get("client_id"), strings.Fields(form.Get("scopes"))).write(w)
}

func (o *OAuth) startDevice(clientID string, scopes []string) response {
	o.mu.Lock()
	defer o.mu.Unlock()
	if refused := o.checkClient(clientID, "", noSecret); refused != nil {
		return *refused
	}
	d := &deviceCode{
		clientID: clientID,
		userCode: strings.ToUpper(rand.Text()[:8]),
		scopes:   scopes,
		expires:  time.Now().Add(deviceExpiresIn),
		state:    DevicePending,
	}
	if o.autoApprove {
		d.state = DeviceApproved
	}
	code := newOAuthSecret()
	o.devices[code] = d
	o.userCodes[d.userCode] = code
	o.stats.DeviceCodes++
	return jsonResponse(http.StatusOK, map[string]any{
		"device_code":      code,
		"expires_in":       int(deviceExpiresIn / time.Second),
		"interval":         int(deviceInterval / time.Second),
		"user_code":        d.userCode,
		"verification_uri": o.URL + "/activate?public=true&device-code=" + d.userCode,
	})
}

// serveActivate is the verification URI: visiting it approves the code.
func (o *OAuth) serveActivate(w http.ResponseWriter, r *http.Request) {
	if err := o.ApproveDevice(r.URL.Query().Get("device-code")); err != nil {
		http.Error(w, "unknown code", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "Authorized. You can close this window.")
}

// serveToken is POST /oauth2/token.
func (o *OAuth) serveToken(w http.ResponseWriter, r *http.Request) {
	if o.fault(w, r, "token") {
		return
	}
	form, ok := oauthForm(w, r)
	if !ok {
		return
	}
	var grant func(url.Values) response
	switch form.Get("grant_type") {
	case "urn:ietf:params:oauth:grant-type:device_code":
		grant = o.deviceGrant
	case "authorization_code":
		grant = o.codeGrant
	case "refresh_token":
		grant = o.refreshGrant
	case "client_credentials":
		grant = o.appGrant
	default:
		grant = func(url.Values) response {
			o.mu.Lock()
			defer o.mu.Unlock()
			return o.fail(http.StatusBadRequest, "invalid grant type", "unsupported_grant_type", false)
		}
	}
	grant(form).write(w)
}

// deviceGrant is a poll of the device flow.
func (o *OAuth) deviceGrant(form url.Values) response {
	clientID, code := form.Get("client_id"), form.Get("device_code")
	o.mu.Lock()
	defer o.mu.Unlock()
	o.stats.DevicePolls++
	if refused := o.checkClient(clientID, "", noSecret); refused != nil {
		return *refused
	}
	d := o.devices[code]
	if d == nil || d.clientID != clientID {
		return o.fail(http.StatusBadRequest, string(DeviceInvalid), "invalid_grant", false)
	}
	answer := d.state
	if len(d.script) > 0 {
		answer = d.script[0]
		d.script = d.script[1:]
	}
	if answer == DevicePending && !time.Now().Before(d.expires) {
		answer = DeviceExpired
	}
	switch answer {
	case DevicePending, DeviceSlowDown:
		return o.fail(http.StatusBadRequest, string(answer), string(answer), false)
	case DeviceInvalid:
		o.endDevice(code)
		return o.fail(http.StatusBadRequest, string(answer), "invalid_grant", false)
	case DeviceApproved:
		o.endDevice(code)
		return jsonResponse(http.StatusOK, o.issueUser(clientID, o.userID, o.login, d.scopes))
	}
	o.endDevice(code) // denied or expired: the code is done
	return o.fail(http.StatusBadRequest, string(answer), string(answer), false)
}

// endDevice forgets a device code. o.mu is held.
func (o *OAuth) endDevice(code string) {
	delete(o.userCodes, o.devices[code].userCode)
	delete(o.devices, code)
}

// codeGrant is the authorization code grant.
func (o *OAuth) codeGrant(form url.Values) response {
	clientID, code := form.Get("client_id"), form.Get("code")
	o.mu.Lock()
	defer o.mu.Unlock()
	if refused := o.checkClient(clientID, form.Get("client_secret"), needSecret); refused != nil {
		return *refused
	}
	c := o.authCodes[code]
	delete(o.authCodes, code) // a code is good once
	switch {
	case c == nil || c.clientID != clientID || !time.Now().Before(c.expires):
		return o.fail(http.StatusBadRequest, "Invalid authorization code", "invalid_grant", false)
	case c.redirectURI != form.Get("redirect_uri"):
		return o.fail(http.StatusBadRequest, "Parameter redirect_uri does not match registered URI", "invalid_grant", false)
	}
	o.stats.Exchanges++
	return jsonResponse(http.StatusOK, o.issueUser(clientID, o.userID, o.login, c.scopes))
}

// refreshGrant is the refresh token grant.
func (o *OAuth) refreshGrant(form url.Values) response {
	clientID, rt, secret := form.Get("client_id"), form.Get("refresh_token"), form.Get("client_secret")
	o.mu.Lock()
	defer o.mu.Unlock()
	if refused := o.checkClient(clientID, secret, ownSecret); refused != nil {
		return *refused
	}
	g := o.grants[rt]
	if g == nil || g.clientID != clientID {
		return o.fail(http.StatusBadRequest, "Invalid refresh token", "invalid_grant", true)
	}
	public := o.clients[clientID] == "" && secret == ""
	a := o.issueUser(clientID, g.userID, g.login, g.scopes)
	if o.rotate || public {
		delete(o.grants, rt)
	} else {
		// The refresh token stays: it now stands for the new access token.
		delete(o.grants, a.RefreshToken)
		g.access = a.AccessToken
		a.RefreshToken = rt
	}
	o.stats.Refreshes++
	return jsonResponse(http.StatusOK, a)
}

// appGrant is the client credentials grant.
func (o *OAuth) appGrant(form url.Values) response {
	clientID := form.Get("client_id")
	o.mu.Lock()
	defer o.mu.Unlock()
	if refused := o.checkClient(clientID, form.Get("client_secret"), needSecret); refused != nil {
		return *refused
	}
	o.stats.AppTokens++
	access := newOAuthSecret()
	o.tokens.add(access, TokenInfo{Type: oauth.TokenApp, ClientID: clientID, ExpiresAt: time.Now().Add(o.appLife)})
	return jsonResponse(http.StatusOK, &tokenAnswer{
		AccessToken: access,
		ExpiresIn:   int64(o.appLife / time.Second),
		TokenType:   "bearer",
	})
}

// serveValidate is GET /oauth2/validate, with "Authorization: OAuth
// <token>" (Twitch's reference names that form; "Bearer" works too).
func (o *OAuth) serveValidate(w http.ResponseWriter, r *http.Request) {
	if o.fault(w, r, "validate") {
		return
	}
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "OAuth ")
	if !ok {
		token, ok = strings.CutPrefix(auth, "Bearer ")
	}
	o.validate(token, ok && token != "").write(w)
}

func (o *OAuth) validate(token string, given bool) response {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.stats.Validations++
	var info *TokenInfo
	if given {
		if i, state := o.tokens.lookup(token); state == tokenValid {
			info = i
		}
	}
	if info == nil {
		return twitchError(http.StatusUnauthorized, "invalid access token")
	}
	scopes := info.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	body := map[string]any{"client_id": info.ClientID, "scopes": scopes, "expires_in": 0}
	if !info.ExpiresAt.IsZero() {
		body["expires_in"] = int64(time.Until(info.ExpiresAt).Round(time.Second) / time.Second)
	}
	if info.Type != oauth.TokenApp {
		body["login"], body["user_id"] = info.Login, info.UserID
	}
	return jsonResponse(http.StatusOK, body)
}

// serveRevoke is POST /oauth2/revoke.
func (o *OAuth) serveRevoke(w http.ResponseWriter, r *http.Request) {
	if o.fault(w, r, "revoke") {
		return
	}
	form, ok := oauthForm(w, r)
	if !ok {
		return
	}
	o.revokeRequest(form.Get("client_id"), form.Get("token")).write(w)
}

func (o *OAuth) revokeRequest(clientID, token string) response {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, known := o.clients[clientID]; clientID == "" || (len(o.clients) > 0 && !known) {
		return twitchError(http.StatusNotFound, "client does not exist")
	}
	info, state := o.tokens.lookup(token)
	if info == nil || state != tokenValid || (info.ClientID != "" && info.ClientID != clientID) {
		return twitchError(http.StatusBadRequest, "Invalid token")
	}
	o.revoke(token)
	return response{status: http.StatusOK}
}

// serveAuthorize is GET /oauth2/authorize: the fake's user authorizes at
// once (or declines, after DenyNextAuthorization), and the browser is
// redirected to redirect_uri with a code, or an error, and the state.
func (o *OAuth) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redirect.Scheme == "" || q.Get("response_type") != "code" {
		twitchError(http.StatusBadRequest, "invalid request").write(w)
		return
	}
	answer, refused := o.authorize(q)
	if refused != nil {
		refused.write(w)
		return
	}
	back := redirect.Query()
	for k, v := range answer {
		back[k] = v
	}
	if q.Has("state") {
		back.Set("state", q.Get("state"))
	}
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// authorize is the user's decision: the query to send the browser back
// with, or the answer that refuses the request.
func (o *OAuth) authorize(q url.Values) (url.Values, *response) {
	clientID := q.Get("client_id")
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, known := o.clients[clientID]; clientID == "" || (len(o.clients) > 0 && !known) {
		r := twitchError(http.StatusBadRequest, "invalid client")
		return nil, &r
	}
	o.stats.Authorizations++
	if o.denyNext {
		o.denyNext = false
		return url.Values{"error": {"access_denied"}, "error_description": {"The user denied you access"}}, nil
	}
	code := newOAuthSecret()
	scopes := strings.Fields(q.Get("scope"))
	o.authCodes[code] = &authCode{
		clientID: clientID, redirectURI: q.Get("redirect_uri"), scopes: scopes,
		expires: time.Now().Add(authCodeLifetime),
	}
	return url.Values{"code": {code}, "scope": {strings.Join(scopes, " ")}}, nil
}
