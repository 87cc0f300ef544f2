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
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/twitchify-go/twitch/helix"
)

// A callback is a URL Twitch posts EventSub messages to: a Webhook's, or
// the one of a Conduit's webhook shards (WithWebhookShards). Both check
// a request the same way (signingKeys.serve), then hand it to their
// callbackTarget, and queue notifications for their handlers in an
// inbox.

// callbackTarget is what a checked request from Twitch is handed to.
type callbackTarget interface {
	// name is the target's for a reason: "Webhook", "Conduit".
	name() string
	// isRunning reports whether Run runs: messages are taken.
	isRunning() bool
	// refuse answers a request with e's status and reason, and reports it.
	refuse(rw http.ResponseWriter, e *WebhookRequestError)
	// challenge answers a webhook_callback_verification, or refuses it.
	challenge(rw http.ResponseWriter, body []byte, refuse refuseFunc)
	// revocation acts on a revocation not seen before.
	revocation(sub *helix.EventSubSubscription)
	// messages is the inbox: the message IDs seen, the queue.
	messages() *inbox
	// logger is the target's logger (WithLogger).
	logger() *slog.Logger
}

// refuseFunc refuses the request being served with a status and a reason;
// signed says whether its signature was found good.
type refuseFunc func(status int, signed bool, format string, args ...any)

// signingKeys are the secrets a callback's messages are signed with: the
// secret, and while it is being changed the previous one.
type signingKeys struct {
	secret, previous string
	// macs holds HMAC-SHA256 states keyed with the secret, and prevMacs
	// with the previous one, to reuse.
	macs, prevMacs sync.Pool
}

func newSigningKeys(secret, previous string) *signingKeys {
	k := &signingKeys{secret: secret, previous: previous}
	k.macs.New = func() any { return hmac.New(sha256.New, []byte(k.secret)) }
	k.prevMacs.New = func() any { return hmac.New(sha256.New, []byte(k.previous)) }
	return k
}

// serve checks a request from Twitch and hands it to t: a POST with
// Twitch's headers, at most maxMessageSize bytes, signed with one of the
// keys (checked before anything is read from the body), sent within
// maxMessageAge of now. Anything else is refused.
func (k *signingKeys) serve(rw http.ResponseWriter, r *http.Request, t callbackTarget) {
	h := r.Header
	id, typ := h.Get(headerMessageID), MessageType(h.Get(headerMessageType))
	refuse := func(status int, signed bool, format string, args ...any) {
		// Until the signature is checked, anyone may have written the
		// headers: what a report repeats of them is clipped.
		t.refuse(rw, &WebhookRequestError{StatusCode: status, MessageID: clip(id), MessageType: clip(string(typ)), Signed: signed, Reason: fmt.Sprintf(format, args...)})
	}
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", http.MethodPost)
		refuse(http.StatusMethodNotAllowed, false, "method %s: Twitch posts", clip(r.Method))
		return
	}
	if !t.isRunning() {
		refuse(http.StatusServiceUnavailable, false, "the %s is not running (Run has not started, or has returned)", t.name())
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
		refuse(http.StatusRequestEntityTooLarge, false, "a body of %d bytes: the most a %s reads is %d", r.ContentLength, t.name(), maxMessageSize)
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
			refuse(http.StatusRequestEntityTooLarge, false, "a body over %d bytes, the most a %s reads", maxMessageSize, t.name())
		} else {
			refuse(http.StatusBadRequest, false, "reading the body: %v", err)
		}
		return
	}
	body := buf[bodyAt:]
	if !k.signed(id, ts, body, want[:]) {
		refuse(http.StatusForbidden, false, "header %s does not match the body: not signed with the secret%s "+
			"(if this is Twitch, its subscription or shard was given another secret: pass the old one to WithPreviousSecret, and subscribe or assign again)",
			headerMessageSignature, map[bool]string{true: " or the previous one"}[k.previous != ""])
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
		t.challenge(rw, body, refuse)
	case MessageRevocation:
		revocation(rw, id, now, body, refuse, t)
	case MessageNotification:
		t.messages().offer(rw, id, now, buf, bodyAt, refuse, t.logger())
	default:
		refuse(http.StatusBadRequest, true, "unknown message type %q", clip(string(typ)))
	}
}

// revocation decodes a revocation and hands it to t, unless it was seen
// before.
func revocation(rw http.ResponseWriter, id string, now time.Time, body []byte, refuse refuseFunc, t callbackTarget) {
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
	switch repeat, open := t.messages().remember(id, now); {
	case !open:
		refuse(http.StatusServiceUnavailable, true, "the %s is not running (Run has returned)", t.name())
		return
	case !repeat:
		t.revocation(v.Subscription)
	}
	rw.WriteHeader(http.StatusNoContent)
}

// signed reports whether sig is the HMAC-SHA256 of the message with the
// secret, or with the previous one. Each is compared in constant time.
func (k *signingKeys) signed(id, ts string, body, sig []byte) bool {
	if macMatches(&k.macs, id, ts, body, sig) {
		return true
	}
	return k.previous != "" && macMatches(&k.prevMacs, id, ts, body, sig)
}

func macMatches(pool *sync.Pool, id, ts string, body, sig []byte) bool {
	mac := pool.Get().(hash.Hash)
	defer pool.Put(mac)
	mac.Reset()
	_, _ = io.WriteString(mac, id)
	_, _ = io.WriteString(mac, ts)
	_, _ = mac.Write(body)
	var sum [sha256.Size]byte
	return hmac.Equal(mac.Sum(sum[:0]), sig)
}

// answerChallenge answers a challenge Twitch sent: 200, the challenge as
// the body, with its length.
func answerChallenge(rw http.ResponseWriter, challenge string) {
	rw.Header().Set("Content-Type", "text/plain")
	rw.Header().Set("Content-Length", strconv.Itoa(len(challenge)))
	rw.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(rw, challenge)
}

// inbox holds the notifications a callback acknowledged until the
// handlers take them: a lane (a queue) per worker, the notifications of
// one subscription always in the same lane so that they are handled in
// order. It remembers the IDs of the messages seen, so that each is
// handled once. Its zero value is shut: it takes nothing.
type inbox struct {
	mu    sync.Mutex
	open  bool
	seen  *dedup
	lanes []chan *Notification
}

// start opens the inbox with size places shared among workers lanes
// (none for an inbox that only remembers IDs), and forgets what it
// remembered.
func (q *inbox) start(size, workers int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.open = true
	q.seen = newDedup(dedupWindow, dedupMax)
	q.lanes = make([]chan *Notification, workers)
	if workers > 0 {
		per := (size + workers - 1) / workers
		for i := range q.lanes {
			q.lanes[i] = make(chan *Notification, per)
		}
	}
}

// shut stops taking messages.
func (q *inbox) shut() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.open = false
}

// queued returns how many notifications wait in the lanes.
func (q *inbox) queued() (n int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, lane := range q.lanes {
		n += len(lane)
	}
	return n
}

// remember reports whether message id was seen before, and remembers it;
// open is false when the inbox is shut (nothing is remembered then).
func (q *inbox) remember(id string, now time.Time) (repeat, open bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.open {
		return false, false
	}
	return q.seen.repeat(id, now), true
}

// drain hands the notifications of a lane to handle, one at a time, until
// ctx ends or stop says so.
func drain(ctx context.Context, lane <-chan *Notification, stop func() bool, handle func(*Notification)) {
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-lane:
			if ctx.Err() != nil || stop() {
				return
			}
			handle(n)
		}
	}
}

// offer decodes a notification and queues it for the handlers, and
// answers the request: 204 once it is queued, or when it was seen before;
// 503 when its lane is full or the inbox shut, for Twitch to send it
// again later (it is not remembered as seen then).
func (q *inbox) offer(rw http.ResponseWriter, id string, now time.Time, buf []byte, bodyAt int, refuse refuseFunc, log *slog.Logger) {
	q.mu.Lock()
	seen := q.seen != nil && q.seen.has(id)
	q.mu.Unlock()
	if seen {
		log.Debug("eventsub: a message seen before", "id", id)
		rw.WriteHeader(http.StatusNoContent)
		return
	}
	n, err := decodeNotification(buf, bodyAt)
	if err != nil {
		refuse(http.StatusBadRequest, true, "%v", err)
		return
	}
	q.mu.Lock()
	switch {
	case !q.open:
		q.mu.Unlock()
		refuse(http.StatusServiceUnavailable, true, "not running (Run has returned)")
		return
	case q.seen.has(id):
		// A copy of it was queued meanwhile.
		q.mu.Unlock()
		rw.WriteHeader(http.StatusNoContent)
		return
	}
	lane := q.lanes[laneOf(n.Subscription.ID, len(q.lanes))]
	select {
	case lane <- n:
		q.seen.repeat(id, now)
		q.mu.Unlock()
	default:
		q.mu.Unlock()
		refuse(http.StatusServiceUnavailable, true, "the queue is full (%d notifications): the handlers do not keep up; Twitch sends it again later", cap(lane))
		return
	}
	rw.WriteHeader(http.StatusNoContent)
}
