package eventsub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"

	"github.com/twitchify-go/twitch/helix"
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

	keys *signingKeys

	// runLife's goroutines are the workers and the callback goroutine.
	runLife
	mu   sync.Mutex
	subs map[string]*hook // what the program subscribed to, by matchKey
	live bool             // Run's first reconcile is done: Subscribe creates at once
	in   inbox            // the notifications queued for the handlers
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
		noted:    make(chan struct{}, 1),
		verified: make(chan struct{}, 1),
	}
	w.hooks = hookSet{helix: h, mu: &w.mu, subs: w.subs, live: &w.live, log: w.log, report: w.report, deleteStale: w.deleteStale, who: "webhook",
		transport: helix.EventSubTransportParams{Method: helix.EventSubTransportMethodWebhook, Callback: callbackURL, Secret: secret}}
	w.runLife = newRunLife(&w.mu)
	w.keys = newSigningKeys(secret, w.previousSecret)
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
	w.keys.serve(rw, r, w)
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

// challenge answers a webhook_callback_verification for a subscription
// the Webhook wants, and refuses one for anything else.
func (w *Webhook) challenge(rw http.ResponseWriter, body []byte, refuse refuseFunc) {
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
	answerChallenge(rw, v.Challenge)
	select {
	case w.verified <- struct{}{}:
	default:
	}
}

// revocation takes a subscription Twitch ended out of those wanted, and
// reports it.
func (w *Webhook) revocation(sub *helix.EventSubSubscription) {
	w.mu.Lock()
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
}

func (w *Webhook) messages() *inbox { return &w.in }

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

func (w *Webhook) name() string { return "Webhook" }

// work runs the handlers of the notifications of one queue, one at a
// time, until Run ends.
func (w *Webhook) work(ctx context.Context, lane <-chan *Notification) {
	defer w.goroutines.Done()
	w.enter()
	drain(ctx, lane, w.isClosed, func(n *Notification) {
		w.dispatch(ctx, n, func(v any, stack []byte) {
			w.report(&HandlerPanicError{Type: n.Subscription.Type, Version: n.Subscription.Version, Value: v, Stack: stack})
		}, w.isClosed)
	})
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
	ctx, err := w.beginLocked(ctx)
	if err != nil {
		w.mu.Unlock()
		return err
	}
	w.in.start(w.queueSize, w.workers)
	w.goroutines.Add(len(w.in.lanes) + 1)
	w.mu.Unlock()

	for _, lane := range w.in.lanes {
		go w.work(ctx, lane)
	}
	go w.callbacks(ctx)

	err = w.start(ctx)
	if err == nil {
		<-ctx.Done()
		err = ctx.Err()
	}
	return w.end(err, &w.in, func() { w.live = false }, w.log, "webhook")
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
func (w *Webhook) Close() error { return w.close() }
