package eventsub

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/internal/goid"
	ijson "github.com/twitchify-go/twitch/internal/json"
)

// The headers of a webhook message.
const (
	headerMessageID        = "Twitch-Eventsub-Message-Id"
	headerMessageType      = "Twitch-Eventsub-Message-Type"
	headerMessageSignature = "Twitch-Eventsub-Message-Signature"
	headerMessageTimestamp = "Twitch-Eventsub-Message-Timestamp"
)

// messageVerification is the message type of a webhook's challenge.
const messageVerification MessageType = "webhook_callback_verification"

// The limits of a Webhook.
const (
	// defaultQueueSize is how many notifications wait for the handlers
	// by default: with a few KB each, a few MB.
	defaultQueueSize = 1024
	// maxWorkers bounds WithWorkers.
	maxWorkers = 1024
	// maxNotes is how many reports (OnError) may wait for the callback
	// goroutine; beyond, they are logged only, and counted. Revocations
	// and OnReady are never dropped.
	maxNotes = 1024
)

// Webhook receives EventSub notifications over HTTP: it is the
// http.Handler of the callback URL Twitch posts to, and it keeps the
// subscriptions to that URL. Register handlers with the embedded
// Dispatcher's On<Type> methods, subscribe with Subscribe, mount the
// Webhook at the callback's path and call Run:
//
//	w := eventsub.NewWebhook(appHelix, "https://example.com/eventsub", secret,
//		eventsub.OnError(func(err error) { log.Print(err) }))
//	w.OnChannelFollow(func(ctx context.Context, e *eventsub.ChannelFollowEvent) { ... })
//	err := w.Subscribe(ctx, &eventsub.ChannelFollowCondition{BroadcasterUserID: id, ModeratorUserID: id})
//	http.Handle("/eventsub", w) // served over HTTPS on port 443, as Twitch requires
//	err = w.Run(ctx)
//
// Run reconciles what exists at Twitch for the callback URL with what was
// subscribed to: it keeps the subscriptions that match (type, version and
// condition) and are enabled or pending, creates the missing ones, makes
// again those that failed, and with WithDeleteStale deletes the others.
// It waits until Twitch has verified the callback of each (its challenge
// is answered by ServeHTTP, so the URL must reach it while Run runs), then
// calls OnReady once, and handles notifications until ctx ends or Close.
//
// ServeHTTP answers only signed requests: a POST with Twitch's headers,
// at most 512 KiB, whose Twitch-Eventsub-Message-Signature is the
// HMAC-SHA256 of the message ID, timestamp and body with the secret (or
// the one of WithPreviousSecret), checked before anything else is read
// from the body; its timestamp within 10 minutes of now. A challenge is
// answered only for a subscription the Webhook wants; a message ID seen
// in the last 10 minutes (at most 100,000 of them) is acknowledged and
// not handled again. A notification is decoded, queued, and answered at
// once; the handlers take it from the queue. Every request refused is
// answered 4xx (503 when the queue is full, or before Run and after
// Close, for Twitch to send it again later) and reported to OnError as a
// *WebhookRequestError. Nothing a request holds is ever half-handled: a
// notification refused is not remembered as seen.
//
// Handlers run on goroutines of Run's (one by default, see WithWorkers),
// one event at a time for each subscription, in the order the events
// arrived. A handler that panics is recovered and reported to OnError.
// OnReady, OnRevoked and OnError run one at a time on one more goroutine
// of Run's. Notifications acknowledged but still queued when Run returns
// are not handled (the logger says how many).
type Webhook struct {
	Dispatcher
	config

	helix    *helix.Client
	callback string
	secret   string
	err      error // what NewWebhook found wrong with its arguments

	// macs holds HMAC-SHA256 states keyed with the secret, and with the
	// previous one, to reuse.
	macs, prevMacs sync.Pool

	mu      sync.Mutex
	subs    map[string]*hook // what the program subscribed to, by matchKey
	live    bool             // Run's first reconcile is done: Subscribe creates at once
	running bool             // Run runs: ServeHTTP takes messages
	ended   bool             // Run has returned
	closed  bool
	cancel  context.CancelFunc
	runCtx  context.Context
	done    chan struct{} // closed when Run has returned
	seen    *dedup
	lanes   []chan *Notification // the handlers' queues, one per worker
	// inside are the goroutine IDs of Run's workers and its callback
	// goroutine: a Close called there cannot wait for Run.
	inside map[uint64]bool
	// notes are the reports and callbacks for the callback goroutine, in
	// order; noted wakes it.
	notes   []note
	noted   chan struct{}
	dropped int // reports dropped since the last one delivered
	// verified wakes the wait for pending subscriptions when a challenge
	// has been answered.
	verified chan struct{}
	// hooks keeps subs matched with Twitch's list.
	hooks hookSet

	// goroutines are Run's: the workers and the callback goroutine.
	goroutines sync.WaitGroup
}

// note is one callback for the callback goroutine.
type note struct {
	err     error
	revoked *helix.EventSubSubscription
	ready   bool
}

// NewWebhook returns a Webhook for the callback URL callbackURL, which
// subscribes through h with the secret. h must carry an app access token
// (Twitch requires one for webhook subscriptions; see oauth's app token
// source). The secret is 10 to 100 ASCII characters, as Twitch requires;
// keep it out of logs and source code. A problem with an argument or an
// option (a nil h, a URL that is not absolute, a secret of the wrong
// length, an option for the WebSocket Client) is returned by Run and
// Subscribe.
func NewWebhook(h *helix.Client, callbackURL, secret string, opts ...Option) *Webhook {
	w := &Webhook{
		config:   newConfig(opts),
		helix:    h,
		callback: callbackURL,
		secret:   secret,
		subs:     map[string]*hook{},
		inside:   map[uint64]bool{},
		noted:    make(chan struct{}, 1),
		verified: make(chan struct{}, 1),
	}
	w.hooks = hookSet{helix: h, mu: &w.mu, subs: w.subs, live: &w.live, log: w.log, report: w.report, deleteStale: w.deleteStale, who: "webhook",
		transport: helix.EventSubTransportParams{Method: helix.EventSubTransportMethodWebhook, Callback: callbackURL, Secret: secret}}
	w.macs.New = func() any { return hmac.New(sha256.New, []byte(w.secret)) }
	w.prevMacs.New = func() any { return hmac.New(sha256.New, []byte(w.previousSecret)) }
	errs := w.refused(kindWebhook)
	if h == nil {
		errs = append(errs, errors.New("eventsub: NewWebhook: the *helix.Client to subscribe with is nil"))
	}
	if u, err := url.Parse(callbackURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("eventsub: NewWebhook: callback URL %q: not an absolute http(s) URL (Twitch posts to https:// on port 443)", callbackURL))
	}
	if err := checkSecret(secret); err != nil {
		errs = append(errs, fmt.Errorf("eventsub: NewWebhook: the secret %w", err))
	}
	if w.previousSecret != "" {
		if err := checkSecret(w.previousSecret); err != nil {
			errs = append(errs, fmt.Errorf("eventsub: WithPreviousSecret: the secret %w", err))
		}
	}
	if w.queueSize < 1 {
		errs = append(errs, fmt.Errorf("eventsub: WithQueueSize(%d): the queue must hold at least 1 notification", w.queueSize))
	}
	if w.workers < 1 || w.workers > maxWorkers || w.workers > max(w.queueSize, 1) {
		errs = append(errs, fmt.Errorf("eventsub: WithWorkers(%d): 1 to %d workers, and at most the queue's size", w.workers, maxWorkers))
	}
	w.err = errors.Join(errs...)
	return w
}

// checkSecret says what is wrong with a secret, without saying the
// secret: Twitch takes 10 to 100 ASCII characters.
func checkSecret(s string) error {
	if len(s) < 10 || len(s) > 100 {
		return fmt.Errorf("has %d characters: Twitch takes 10 to 100", len(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return fmt.Errorf("has a character that is not printable ASCII at byte %d", i)
		}
	}
	return nil
}

// ServeHTTP handles one request from Twitch: a challenge, a revocation or
// a notification. See Webhook for what it accepts.
func (w *Webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	h := r.Header
	id, typ := h.Get(headerMessageID), MessageType(h.Get(headerMessageType))
	refuse := func(status int, signed bool, format string, args ...any) {
		// Until the signature is checked, anyone may have written the
		// headers: what a report repeats of them is clipped.
		w.refuse(rw, &WebhookRequestError{StatusCode: status, MessageID: clip(id), MessageType: clip(string(typ)), Signed: signed, Reason: fmt.Sprintf(format, args...)})
	}
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", http.MethodPost)
		refuse(http.StatusMethodNotAllowed, false, "method %s: Twitch posts", clip(r.Method))
		return
	}
	if !w.isRunning() {
		refuse(http.StatusServiceUnavailable, false, "the Webhook is not running (Run has not started, or has returned)")
		return
	}
	sig, ts := h.Get(headerMessageSignature), h.Get(headerMessageTimestamp)
	for _, hd := range []struct{ name, value string }{
		{headerMessageID, id}, {headerMessageTimestamp, ts}, {headerMessageSignature, sig}, {headerMessageType, string(typ)},
	} {
		if hd.value == "" {
			refuse(http.StatusBadRequest, false, "header %s is missing", hd.name)
			return
		}
	}
	var want [sha256.Size]byte
	hexSig, ok := cutPrefixFold(sig, "sha256=")
	if !ok || len(hexSig) != 2*sha256.Size {
		refuse(http.StatusBadRequest, false, "header %s is not sha256= and 64 hex digits", headerMessageSignature)
		return
	}
	if _, err := hex.Decode(want[:], []byte(hexSig)); err != nil {
		refuse(http.StatusBadRequest, false, "header %s is not sha256= and 64 hex digits", headerMessageSignature)
		return
	}
	if r.ContentLength > maxMessageSize {
		refuse(http.StatusRequestEntityTooLarge, false, "a body of %d bytes: the most a Webhook reads is %d", r.ContentLength, maxMessageSize)
		return
	}
	// A notification is read after the start of a WebSocket frame around
	// it (see decodeNotification), to decode in one pass with no copy.
	var styp, sversion string
	if typ == MessageNotification {
		styp, sversion = h.Get(headerSubscriptionType), h.Get(headerSubscriptionVersion)
		if !plainName(styp) || !plainName(sversion) {
			styp, sversion = "", ""
		}
	}
	buf, bodyAt, err := readBody(rw, r, styp, sversion)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			refuse(http.StatusRequestEntityTooLarge, false, "a body over %d bytes, the most a Webhook reads", maxMessageSize)
		} else {
			refuse(http.StatusBadRequest, false, "reading the body: %v", err)
		}
		return
	}
	body := buf[bodyAt:]
	if !w.signed(id, ts, body, want[:]) {
		refuse(http.StatusForbidden, false, "header %s does not match the body: not signed with the secret%s "+
			"(if this is Twitch, its subscription was made with another secret: pass the old one to WithPreviousSecret, and make the subscriptions again)",
			headerMessageSignature, map[bool]string{true: " or the previous one"}[w.previousSecret != ""])
		return
	}
	// Signed: from here on, the request is Twitch's.
	sent, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		refuse(http.StatusBadRequest, true, "header %s is not an RFC 3339 time: %q", headerMessageTimestamp, ts)
		return
	}
	now := time.Now()
	switch {
	case now.Sub(sent) > maxMessageAge:
		refuse(http.StatusForbidden, true, "sent at %s, more than 10 minutes ago: a replay, or a clock that is wrong", ts)
		return
	case sent.Sub(now) > maxMessageAge:
		refuse(http.StatusForbidden, true, "sent at %s, more than 10 minutes from now: a clock that is wrong", ts)
		return
	}
	switch typ {
	case messageVerification:
		w.challenge(rw, body, refuse)
	case MessageRevocation:
		w.revocation(rw, id, now, body, refuse)
	case MessageNotification:
		w.notification(rw, id, now, buf, bodyAt, refuse)
	default:
		refuse(http.StatusBadRequest, true, "unknown message type %q", clip(string(typ)))
	}
}

// clip shortens what a request said, for a report: at most 100 bytes.
func clip(s string) string {
	const most = 100
	if len(s) <= most {
		return s
	}
	return s[:most] + "..."
}

// cutPrefixFold is strings.CutPrefix, ignoring the prefix's case.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !equalFoldASCII(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// readBody reads r's body, at most maxMessageSize bytes, into buf from
// bodyAt on. With a subscription type and version, buf starts with the
// start of a notification frame that names them, and has room for its
// end.
func readBody(rw http.ResponseWriter, r *http.Request, typ, version string) (buf []byte, bodyAt int, err error) {
	rd := http.MaxBytesReader(rw, r.Body, maxMessageSize)
	size := 512
	if r.ContentLength > 0 {
		// One allocation for a body whose length is told: the extra bytes
		// are the frame's end, and room to see a body longer than told.
		size = int(r.ContentLength) + 2
	}
	if typ != "" {
		size += len(framePrefix) + len(typ) + len(frameMiddle) + len(version) + len(frameSuffix)
	}
	buf = make([]byte, 0, size)
	if typ != "" {
		buf = append(buf, framePrefix...)
		buf = append(buf, typ...)
		buf = append(buf, frameMiddle...)
		buf = append(buf, version...)
		buf = append(buf, frameSuffix...)
	}
	bodyAt = len(buf)
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, cap(buf))
		}
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case err == io.EOF:
			return buf, bodyAt, nil
		case err != nil:
			return nil, 0, err
		}
	}
}

// signed reports whether sig is the HMAC-SHA256 of the message with the
// secret, or with the previous one. Each is compared in constant time.
func (w *Webhook) signed(id, ts string, body, sig []byte) bool {
	if w.macMatches(&w.macs, id, ts, body, sig) {
		return true
	}
	return w.previousSecret != "" && w.macMatches(&w.prevMacs, id, ts, body, sig)
}

func (w *Webhook) macMatches(pool *sync.Pool, id, ts string, body, sig []byte) bool {
	mac := pool.Get().(hash.Hash)
	defer pool.Put(mac)
	mac.Reset()
	_, _ = io.WriteString(mac, id)
	_, _ = io.WriteString(mac, ts)
	_, _ = mac.Write(body)
	var sum [sha256.Size]byte
	return hmac.Equal(mac.Sum(sum[:0]), sig)
}

// challenge answers a webhook_callback_verification for a subscription
// the Webhook wants, and refuses one for anything else.
func (w *Webhook) challenge(rw http.ResponseWriter, body []byte, refuse func(int, bool, string, ...any)) {
	var v struct {
		Challenge    string                      `json:"challenge"`
		Subscription *helix.EventSubSubscription `json:"subscription"`
	}
	if err := decodeStrict(body, &v); err != nil {
		refuse(http.StatusBadRequest, true, "the body: %v", err)
		return
	}
	if v.Challenge == "" || v.Subscription == nil {
		refuse(http.StatusBadRequest, true, "the body has no challenge or no subscription")
		return
	}
	sub := v.Subscription
	key, err := matchKey(sub.Type, sub.Version, sub.Condition)
	if err != nil {
		refuse(http.StatusBadRequest, true, "the subscription's condition: %v", err)
		return
	}
	w.mu.Lock()
	s := w.subs[key]
	wanted := s != nil && s.state != failed && (s.created.ID == "" || s.created.ID == sub.ID)
	if wanted {
		s.challenged = true
		if s.created.ID == "" {
			s.created = *sub // its creation may not have returned yet
		}
	}
	w.mu.Unlock()
	if !wanted {
		refuse(http.StatusForbidden, true, "a challenge for a subscription the Webhook does not want: %s version %s, condition %s (id %s)",
			sub.Type, sub.Version, sub.Condition, sub.ID)
		return
	}
	w.log.Info("eventsub: webhook: answered a challenge", "type", sub.Type, "version", sub.Version, "id", sub.ID)
	rw.Header().Set("Content-Type", "text/plain")
	rw.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(rw, v.Challenge)
	select {
	case w.verified <- struct{}{}:
	default:
	}
}

// revocation takes a subscription Twitch ended out of those wanted, and
// reports it.
func (w *Webhook) revocation(rw http.ResponseWriter, id string, now time.Time, body []byte, refuse func(int, bool, string, ...any)) {
	var v struct {
		Subscription *helix.EventSubSubscription `json:"subscription"`
	}
	if err := decodeStrict(body, &v); err != nil {
		refuse(http.StatusBadRequest, true, "the body: %v", err)
		return
	}
	if v.Subscription == nil || v.Subscription.ID == "" {
		refuse(http.StatusBadRequest, true, "the body has no subscription, or one without an id")
		return
	}
	sub := v.Subscription
	w.mu.Lock()
	if !w.running {
		w.mu.Unlock()
		refuse(http.StatusServiceUnavailable, true, "the Webhook is not running (Run has returned)")
		return
	}
	if w.seen.has(id) {
		w.mu.Unlock()
		rw.WriteHeader(http.StatusNoContent)
		return
	}
	w.seen.repeat(id, now)
	ours := false
	for key, s := range w.subs {
		if s.created.ID == sub.ID {
			delete(w.subs, key)
			ours = true
		}
	}
	w.noteLocked(note{revoked: sub})
	if ours {
		w.noteLocked(note{err: &RevokedError{Subscription: *sub}})
	}
	w.mu.Unlock()
	w.log.Warn("eventsub: webhook: subscription revoked", "id", sub.ID, "type", sub.Type, "reason", sub.Status)
	rw.WriteHeader(http.StatusNoContent)
}

// notification decodes a notification and queues it for its handlers.
func (w *Webhook) notification(rw http.ResponseWriter, id string, now time.Time, buf []byte, bodyAt int, refuse func(int, bool, string, ...any)) {
	w.mu.Lock()
	seen := w.seen != nil && w.seen.has(id)
	w.mu.Unlock()
	if seen {
		w.log.Debug("eventsub: webhook: a message seen before", "id", id)
		rw.WriteHeader(http.StatusNoContent)
		return
	}
	n, err := decodeNotification(buf, bodyAt)
	if err != nil {
		refuse(http.StatusBadRequest, true, "%v", err)
		return
	}
	w.mu.Lock()
	switch {
	case !w.running:
		w.mu.Unlock()
		refuse(http.StatusServiceUnavailable, true, "the Webhook is not running (Run has returned)")
		return
	case w.seen.has(id):
		// A copy of it was queued meanwhile.
		w.mu.Unlock()
		rw.WriteHeader(http.StatusNoContent)
		return
	}
	lane := w.lanes[laneOf(n.Subscription.ID, len(w.lanes))]
	select {
	case lane <- n:
		w.seen.repeat(id, now)
		w.mu.Unlock()
	default:
		w.mu.Unlock()
		refuse(http.StatusServiceUnavailable, true, "the queue is full (%d notifications): the handlers do not keep up; Twitch sends it again later", cap(lane))
		return
	}
	rw.WriteHeader(http.StatusNoContent)
}

// decodeNotification decodes the notification of buf[bodyAt:] as
// ParseNotification does. When buf starts with the start of a WebSocket
// frame whose metadata names the subscription type and version of the
// request's headers, the body is decoded as the payload of that frame,
// so that ParseMessage decodes it in one pass, straight into the type's
// event (ParseNotification reads the body twice). The headers are not
// signed, but the one pass is taken only when the body's subscription is
// of the type they name. When the frame does not decode,
// ParseNotification says why in the body's own terms.
func decodeNotification(buf []byte, bodyAt int) (*Notification, error) {
	if bodyAt > 0 {
		if m, err := ParseMessage(append(buf, '}')); err == nil && m.Notification != nil {
			return m.Notification, nil
		}
	}
	return ParseNotification(buf[bodyAt:])
}

const (
	headerSubscriptionType    = "Twitch-Eventsub-Subscription-Type"
	headerSubscriptionVersion = "Twitch-Eventsub-Subscription-Version"

	framePrefix = `{"metadata":{"message_type":"notification","subscription_type":"`
	frameMiddle = `","subscription_version":"`
	frameSuffix = `"},"payload":`
)

// plainName reports whether s is a subscription type or version that
// needs no escape in JSON: letters, digits, '.' and '_', at most 100.
func plainName(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// laneOf is the queue of a subscription's notifications: FNV-1a of its
// ID, so that one subscription's events always go to one worker.
func laneOf(id string, lanes int) int {
	if lanes == 1 {
		return 0
	}
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h = (h ^ uint32(id[i])) * 16777619
	}
	return int(h % uint32(lanes))
}

// decodeStrict decodes a challenge's or a revocation's body, refusing an
// object with a key twice, as ParseNotification does.
func decodeStrict(body []byte, v any) error {
	return ijson.Unmarshal(body, v)
}

// has reports whether id is remembered, without remembering it. An ID
// past the window but not yet forgotten counts as seen: its message's
// timestamp is too old to be taken anyway.
func (d *dedup) has(id string) bool {
	_, ok := d.seen[id]
	return ok
}

// refuse answers a request with e's status and reason, and reports it.
func (w *Webhook) refuse(rw http.ResponseWriter, e *WebhookRequestError) {
	http.Error(rw, e.Reason, e.StatusCode)
	w.report(e)
}

// report logs err and hands it to OnError, on the callback goroutine.
func (w *Webhook) report(err error) {
	w.log.Warn("eventsub", "err", err)
	if w.onError == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.running {
		return // nothing runs the callbacks: the log has it
	}
	w.noteLocked(note{err: err})
}

// noteLocked queues a callback. Errors beyond maxNotes waiting are
// dropped, and counted; the others are never dropped.
func (w *Webhook) noteLocked(n note) {
	if n.err != nil && len(w.notes) >= maxNotes {
		w.dropped++
		return
	}
	w.notes = append(w.notes, n)
	select {
	case w.noted <- struct{}{}:
	default:
	}
}

func (w *Webhook) isRunning() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.running
}

func (w *Webhook) isClosed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closed
}

// enter records the calling goroutine as one of Run's.
func (w *Webhook) enter() {
	id := goid.Current()
	w.mu.Lock()
	w.inside[id] = true
	w.mu.Unlock()
}

// work runs the handlers of the notifications of one queue, one at a
// time, until Run ends.
func (w *Webhook) work(ctx context.Context, lane <-chan *Notification) {
	defer w.goroutines.Done()
	w.enter()
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-lane:
			if ctx.Err() != nil || w.isClosed() {
				return
			}
			w.dispatch(ctx, n, func(v any, stack []byte) {
				w.report(&HandlerPanicError{Type: n.Subscription.Type, Version: n.Subscription.Version, Value: v, Stack: stack})
			}, w.isClosed)
		}
	}
}

// callbacks runs OnReady, OnRevoked and OnError in the order they were
// queued, until Run ends.
func (w *Webhook) callbacks(ctx context.Context) {
	defer w.goroutines.Done()
	w.enter()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.noted:
		}
		for {
			w.mu.Lock()
			if len(w.notes) == 0 || w.closed || ctx.Err() != nil {
				w.mu.Unlock()
				break
			}
			n := w.notes[0]
			w.notes[0] = note{}
			w.notes = w.notes[1:]
			dropped := w.dropped
			w.dropped = 0
			w.mu.Unlock()
			if dropped > 0 && w.onError != nil {
				w.onError(fmt.Errorf("eventsub: webhook: %d reports were dropped: OnError did not keep up (the logger has them)", dropped))
			}
			switch {
			case n.ready:
				if w.onReady != nil {
					w.onReady()
				}
			case n.revoked != nil:
				if w.onRevoked != nil {
					w.onRevoked(*n.revoked)
				}
			case n.err != nil:
				if w.onError != nil {
					w.onError(n.err)
				}
			}
		}
	}
}

// Run reconciles the subscriptions at Twitch, waits until each is
// enabled, calls OnReady, and handles notifications until ctx ends or
// Close is called. ServeHTTP takes messages from the moment Run starts
// (the challenges of the subscriptions it creates come to it) until it
// returns. Run may be called once. It returns ctx's error, ErrClosed,
// what NewWebhook found wrong with its arguments, or why it could not
// start:
//
//   - Twitch's list of subscriptions could not be read;
//   - the subscriptions Twitch refused (errors.Join of *SubscriptionError,
//     each wrapping Twitch's *helix.APIError): Run does not go on with a
//     part of what was asked for;
//   - the subscriptions whose callback Twitch could not verify (a
//     *SubscriptionError that matches ErrCallbackVerification): the
//     callback URL does not reach ServeHTTP.
func (w *Webhook) Run(ctx context.Context) error {
	if w.err != nil {
		return w.err
	}
	w.mu.Lock()
	switch {
	case w.closed:
		w.mu.Unlock()
		return ErrClosed
	case w.running || w.ended:
		w.mu.Unlock()
		return errors.New("eventsub: Run called twice")
	}
	ctx, cancel := context.WithCancel(ctx)
	w.running, w.cancel, w.runCtx, w.done = true, cancel, ctx, make(chan struct{})
	w.seen = newDedup(dedupWindow, dedupMax)
	per := (w.queueSize + w.workers - 1) / w.workers
	w.lanes = make([]chan *Notification, w.workers)
	for i := range w.lanes {
		w.lanes[i] = make(chan *Notification, per)
	}
	w.goroutines.Add(len(w.lanes) + 1)
	w.mu.Unlock()

	defer close(w.done)
	for _, lane := range w.lanes {
		go w.work(ctx, lane)
	}
	go w.callbacks(ctx)

	err := w.start(ctx)
	if err == nil {
		<-ctx.Done()
		err = ctx.Err()
	}
	w.mu.Lock()
	w.running, w.ended, w.live = false, true, false
	closed := w.closed
	w.mu.Unlock()
	cancel()
	w.goroutines.Wait()
	unhandled := 0
	for _, lane := range w.lanes {
		unhandled += len(lane)
	}
	if unhandled > 0 {
		w.log.Warn("eventsub: webhook: notifications acknowledged but not handled when Run returned", "count", unhandled)
	}
	if closed {
		return ErrClosed
	}
	return err
}

// start is Run's start: reconcile, create, wait for verification, ready.
func (w *Webhook) start(ctx context.Context) error {
	if err := w.hooks.reconcile(ctx); err != nil {
		return err
	}
	if err := w.hooks.createAll(ctx); err != nil {
		return err
	}
	if err := w.awaitEnabled(ctx, nil); err != nil {
		return err
	}
	w.log.Info("eventsub: webhook: ready")
	w.mu.Lock()
	w.noteLocked(note{ready: true})
	w.mu.Unlock()
	return nil
}

// Close stops Run and returns when every goroutine of the Webhook has
// ended and Run has returned; ServeHTTP then answers 503. It may be
// called from anywhere, a handler or callback included: it then returns
// at once, and Run returns as soon as that handler or callback does,
// calling nothing more.
func (w *Webhook) Close() error {
	w.mu.Lock()
	w.closed = true
	cancel, done := w.cancel, w.done
	inside := cancel != nil && !w.ended && w.inside[goid.Current()]
	w.mu.Unlock()
	if cancel == nil {
		return nil // Run has not started
	}
	cancel()
	if !inside {
		<-done
	}
	return nil
}
