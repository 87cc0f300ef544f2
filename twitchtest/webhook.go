package twitchtest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/oauth"
)

// The webhook transport. What a message looks like on the wire follows the
// Twitch CLI (github.com/twitchdev/twitch-cli), whose "event trigger
// --forward-address --secret" and "event verify-subscription" post to a
// callback as Twitch does. Facts checked in its source:
//   - internal/events/trigger/forward_event.go: a POST with Content-Type
//     application/json, Twitch-Eventsub-Message-Id, -Message-Retry ("0"),
//     -Message-Type, -Message-Timestamp, -Subscription-Type and
//     -Subscription-Version, and -Message-Signature: "sha256=" and the
//     lowercase hex HMAC-SHA256, keyed with the secret, of the message ID,
//     the timestamp and the body; redirects are not followed, and its
//     client gives up after 10 seconds.
//   - internal/util/timestamp.go: the timestamp is the time in UTC,
//     formatted as time.RFC3339Nano.
//   - internal/util/random.go: message IDs (and challenges) are 16 random
//     bytes in a UUID's 8-4-4-4-12 hexadecimal form.
//   - internal/events/verify/subscription_verify.go: the challenge's body
//     is {"challenge", "subscription"} with the status
//     webhook_callback_verification_pending; the callback passes with a 2xx
//     whose body is exactly the challenge; a Content-Type other than
//     text/plain gets a warning only.

// The statuses of a webhook subscription the fake sets beyond enabled
// (helix has them too, generated from the schema: the hand-written runtime
// does not depend on the schema listing them).
const (
	statusPending            helix.EventSubSubscriptionStatus = "webhook_callback_verification_pending"
	statusVerificationFailed helix.EventSubSubscriptionStatus = "webhook_callback_verification_failed"
	statusFailuresExceeded   helix.EventSubSubscriptionStatus = "notification_failures_exceeded"
)

// Webhook message types: the Twitch-Eventsub-Message-Type header.
const (
	messageNotification = "notification"
	messageVerification = "webhook_callback_verification"
	messageRevocation   = "revocation"
)

const (
	// defaultDeliveryLimit bounds how many messages Deliveries remembers.
	defaultDeliveryLimit = 10000
	// maxSameSubscription is how many subscriptions with the same type,
	// version and condition Twitch allows (each to another callback).
	maxSameSubscription = 3
	// maxAnswer bounds how much of a callback's answer the fake reads.
	maxAnswer = 64 << 10
	// maxBackoff caps the wait between two attempts.
	maxBackoff = time.Minute
)

// Defaults of the webhook options; Twitch publishes no figures: it says a
// callback must answer "within a few seconds" and that a subscription whose
// callback fails too often is revoked.
const (
	defaultWebhookTimeout = 10 * time.Second // the Twitch CLI's client gives up after 10 seconds too
	defaultWebhookRetries = 3
	defaultWebhookBackoff = time.Second
)

// errDropped is the error of an attempt a DeliveryFault dropped.
var errDropped = errors.New("twitchtest: dropped by a DeliveryFault")

// WithWebhookClient sets the *http.Client the fake posts webhook messages
// with. By default it uses its own, which reaches loopback addresses only,
// does not follow redirects (as Twitch) and gives up after the attempt
// timeout. Pass an httptest TLS server's Client() for an https callback on
// 127.0.0.1, or HandlerClient(h) to deliver to an http.Handler in memory,
// as in a testing/synctest bubble. Close ends every request the fake has
// under way through the request's context: a client whose transport
// ignores it holds Close up.
func WithWebhookClient(c *http.Client) Option {
	return func(cfg *config) { cfg.webhookClient = c }
}

// WithWebhookTimeout sets how long the fake waits for a callback's answer
// to one attempt (10 seconds by default; 0 or less keeps it) before
// counting the attempt as failed.
func WithWebhookTimeout(d time.Duration) Option {
	return func(cfg *config) { cfg.webhookTimeout = d }
}

// WithWebhookRetries sets how often a notification that failed (an answer
// that is not 2xx, a timeout, a connection error) is sent again, and the
// wait before the first retry, which doubles with each further retry (up
// to a minute). By default 3 retries, after 1, 2 and 4 seconds. A
// notification whose every attempt failed revokes its subscription with
// notification_failures_exceeded. The challenge and the revocation message
// are sent once.
func WithWebhookRetries(retries int, backoff time.Duration) Option {
	return func(cfg *config) { cfg.webhookRetries, cfg.webhookBackoff = max(retries, 0), max(backoff, 0) }
}

// WithDeliveryLimit sets how many messages Deliveries remembers, the
// oldest forgotten first (10,000 by default): a test that counts every
// notification of a long run raises it.
func WithDeliveryLimit(n int) Option {
	return func(cfg *config) { cfg.deliveryLimit = max(n, 1) }
}

// WithSubscriptionPageSize sets how many subscriptions a page of Get
// EventSub Subscriptions holds (100 by default, as Twitch), so that a test
// exercises a client's paging with a few subscriptions.
func WithSubscriptionPageSize(n int) Option {
	return func(cfg *config) { cfg.subscriptionPage = max(n, 1) }
}

// HandlerClient returns an *http.Client whose requests h answers in the
// calling goroutine, without a network: with WithWebhookClient, the fake
// delivers webhook messages to h, in a testing/synctest bubble too, where
// the fake's timeouts and waits between retries run on the bubble's clock.
// h should return when the request's context ends; an answer that comes
// after the attempt's timeout counts as none.
//
// Deliveries that start in a bubble (a subscription created through
// InMemoryClient there, a Notify there) run in it and must end in it:
// call EventSub.WaitDeliveries before the bubble's function returns.
func HandlerClient(h http.Handler) *http.Client {
	return &http.Client{Transport: inMemory{h}}
}

// DeliveryFault is what the fake does to one attempt to deliver a webhook
// message; see EventSub.FailNext and EventSub.SetFaults. The zero value
// delivers as usual.
type DeliveryFault struct {
	// Drop loses the attempt before it reaches the callback. It counts as
	// a failed attempt: a notification is retried.
	Drop bool
	// Delay holds the attempt back this long before it is sent.
	Delay time.Duration
	// Duplicate sends the attempt twice, the second time as soon as the
	// first has been answered, as Twitch does when it is not sure the
	// first arrived: the second answer decides whether the attempt failed.
	Duplicate bool
}

// DeliveryState is where a webhook message stands.
type DeliveryState string

// The states of a webhook message.
const (
	// DeliveryPending: waiting in its subscription's queue, or being tried.
	DeliveryPending DeliveryState = "pending"
	// DeliveryDelivered: the callback answered 2xx (to a challenge, with
	// the challenge).
	DeliveryDelivered DeliveryState = "delivered"
	// DeliveryFailed: every attempt failed.
	DeliveryFailed DeliveryState = "failed"
	// DeliveryCancelled: its subscription was deleted or revoked, or the
	// fake closed, before it was delivered (an attempt under way then
	// counts for nothing).
	DeliveryCancelled DeliveryState = "cancelled"
)

// Delivery is a webhook message the fake has sent or is sending, or a
// message of a conduit subscription (to a WebSocket or webhook shard), and
// what became of it. The values EventSub returns are copies.
//
// A conduit subscription's message goes to one enabled shard and, when
// that shard's WebSocket session is not there to take it, to one other:
// each try is an attempt with its ShardID. At a webhook shard, it is
// retried as a webhook's notification is, and not sent to another shard.
// It is delivered when a WebSocket shard's connection has written it, or
// a webhook shard's callback answered 2xx; it fails (dropped, as by
// Twitch) when neither shard took it, the webhook shard's callback failed
// every retry, or no shard was enabled, the last attempt saying why.
type Delivery struct {
	MessageID string
	// MessageType is notification, webhook_callback_verification or
	// revocation.
	MessageType         string
	SubscriptionID      string
	SubscriptionType    string
	SubscriptionVersion string
	// Callback is the webhook's URL (for a conduit message, of the last
	// webhook shard tried).
	Callback string
	// ConduitID is the conduit of a conduit subscription's message, or of
	// a webhook shard's challenge, and ShardID the shard it was last sent
	// to; both empty for other messages.
	ConduitID, ShardID string
	// Timestamp is the Twitch-Eventsub-Message-Timestamp header, which the
	// signature covers.
	Timestamp string
	// Signature is the Twitch-Eventsub-Message-Signature header (empty
	// for a conduit message sent over WebSocket only).
	Signature string
	// Body is the JSON body posted (a conduit message's payload, on a
	// WebSocket too).
	Body  []byte
	State DeliveryState
	// Attempts are the attempts so far, oldest first.
	Attempts []DeliveryAttempt
}

// DeliveryAttempt is one POST of a webhook message (or one that a fault
// dropped).
type DeliveryAttempt struct {
	// Retry is the Twitch-Eventsub-Message-Retry header: 0, then one more
	// for each retry.
	Retry int
	// Status is the callback's answer; 0 when there was none.
	Status int
	// ContentType is the answer's Content-Type. Twitch wants a challenge
	// answered as text/plain; the fake, as the Twitch CLI, does not fail a
	// challenge for another one, and a test can check it here.
	ContentType string
	// Err says why there was no answer, or why it did not count (a
	// timeout, a connection error, a drop); nil when it was answered.
	Err error
	// Fault is the fault the attempt was given.
	Fault DeliveryFault
	// Duplicate marks the second sending of a duplicated attempt, Replay
	// one sent by EventSub.Replay.
	Duplicate, Replay bool
	// ShardID is the conduit shard tried, and SessionID (a WebSocket
	// shard's) or Callback (a webhook shard's) where it was sent; empty
	// for a webhook subscription's attempt, and ShardID for a conduit
	// message's last attempt when no shard was left to try.
	ShardID, SessionID, Callback string
}

// OK reports whether the callback answered the attempt with a 2xx.
func (a DeliveryAttempt) OK() bool { return a.Err == nil && a.Status >= 200 && a.Status < 300 }

// webhook is what a webhook subscription (or a conduit's webhook shard)
// has beyond Twitch's object: its secret, the application that made it,
// and its delivery queue.
type webhook struct {
	secret   string
	clientID string
	queue    []*message // oldest first; queue[0] is being tried
	running  bool       // a worker goroutine delivers the queue
	faults   []DeliveryFault
	// finished is told, with e.mu held, the final state of the message
	// at the head of the queue once it has been taken out.
	finished func(m *message, state DeliveryState)
}

// message is a webhook message, or a notification of a conduit
// subscription: its record, and what sending it needs.
type message struct {
	rec       Delivery
	challenge string // of a verification
	retry     int    // the Retry header of the next attempt
	// A conduit subscription's message: the conduit, the shard it was
	// last sent to, and how many shards it was sent to; nil for others.
	conduit *conduit
	shard   *shard
	shards  int
}

// worker is a goroutine that delivers one subscription's queue; close
// stops it through cancel. done is closed when it has stopped: made where
// the worker is started and closed by the worker, it belongs to the same
// testing/synctest bubble as the worker (or to none), which WaitDeliveries
// relies on.
type worker struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// snapshot copies the record, so that it can leave e.mu.
func (m *message) snapshot() Delivery {
	d := m.rec
	d.Body = slices.Clone(m.rec.Body)
	d.Attempts = slices.Clone(m.rec.Attempts)
	return d
}

// sign returns the Twitch-Eventsub-Message-Signature of a webhook message:
// "sha256=" and the hex HMAC-SHA256, keyed with the secret, of the message
// ID, the timestamp header and the body.
func sign(secret, messageID, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(messageID))
	mac.Write([]byte(timestamp))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// newMessageID returns a random (version 4) UUID: Twitch's message IDs are
// UUIDs, and the Twitch CLI's have their form.
func newMessageID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])  // never fails
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// timestamp formats a message's time as Twitch and the CLI do: UTC,
// RFC 3339 with as many fractional digits as needed.
func timestamp(at time.Time) string { return at.UTC().Format(time.RFC3339Nano) }

// validCallback reports whether Twitch would take the callback URL (https
// on port 443), or it is a loopback URL, which the fake takes for local
// tests, as the Twitch CLI posts to any address.
func validCallback(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.User != nil {
		return false
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || host == "localhost" {
		return u.Scheme == "http" || u.Scheme == "https"
	}
	return u.Scheme == "https" && (u.Port() == "" || u.Port() == "443")
}

// validSecret reports whether a secret is 10 to 100 ASCII characters.
func validSecret(s string) bool {
	if len(s) < 10 || len(s) > 100 {
		return false
	}
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// active reports whether a subscription counts against the duplicate
// limits: it is enabled or waiting for its challenge.
func (sub *subscription) active() bool {
	return sub.Status == helix.EventSubSubscriptionStatusEnabled ||
		sub.Status == statusPending
}

// visibleTo reports whether a request with the token and Client-Id sees
// the subscription: with an app token, the application's webhook
// subscriptions; with a user token, the WebSocket ones (Twitch lists each
// transport with its token type); without registered tokens, all.
func (sub *subscription) visibleTo(info *TokenInfo, clientID string) bool {
	switch {
	case info == nil:
		return true
	case info.Type == oauth.TokenApp:
		return sub.app() && sub.owner() == clientID
	}
	return !sub.app()
}

// createWebhook is Create EventSub Subscription for the webhook transport:
// an app token, a valid callback and secret, Twitch's limits; the new
// subscription waits for its challenge to be answered.
func (e *EventSub) createWebhook(r *http.Request, typ, version string, condition json.RawMessage, callback, secret string, info *TokenInfo) response {
	switch {
	case info != nil && info.Type != oauth.TokenApp:
		return apiError(http.StatusUnauthorized, "A webhook subscription needs an app access token.")
	case callback == "":
		return apiError(http.StatusBadRequest, "A webhook transport needs a callback.")
	case !validCallback(callback):
		return apiError(http.StatusBadRequest, "The callback must be an https URL on port 443 (or, in the fake, a loopback URL).")
	case !validSecret(secret):
		return apiError(http.StatusBadRequest, "The secret must be 10 to 100 ASCII characters.")
	}
	clientID := r.Header.Get("Client-Id")
	key := typ + " " + version + " " + string(condition)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return apiError(http.StatusServiceUnavailable, "The fake is closed.")
	}
	same, totalCost, total := 0, 0, 0
	for _, sub := range e.subs {
		if !sub.visibleTo(info, clientID) {
			continue
		}
		total++
		totalCost += sub.Cost
		if sub.hook == nil || sub.key != key || !sub.active() {
			continue
		}
		if sub.Transport.Callback == callback {
			return apiError(http.StatusConflict, "subscription already exists")
		}
		same++
	}
	if same >= maxSameSubscription {
		return apiError(http.StatusTooManyRequests, fmt.Sprintf("at most %d subscriptions may have the same type, version and condition", maxSameSubscription))
	}
	if totalCost+1 > e.cfg.maxTotalCost {
		return apiError(http.StatusTooManyRequests, "total cost exceeded")
	}
	sub := &subscription{
		EventSubSubscription: helix.EventSubSubscription{
			ID:        e.newID("subscription"),
			Status:    statusPending,
			Type:      typ,
			Version:   version,
			Condition: condition,
			CreatedAt: helix.Time{Time: time.Now().UTC()},
			Transport: helix.EventSubTransport{Method: helix.EventSubTransportMethodWebhook, Callback: callback},
			Cost:      1,
		},
		key:  key,
		seq:  e.nextID,
		hook: &webhook{secret: secret, clientID: clientID},
	}
	sub.hook.finished = func(m *message, state DeliveryState) { e.finishedSubscription(sub, m, state) }
	e.subs[sub.ID] = sub
	challenge := newMessageID()
	body, _ := json.Marshal(struct { // always encodes: the condition came from JSON
		Challenge    string                     `json:"challenge"`
		Subscription helix.EventSubSubscription `json:"subscription"`
	}{challenge, sub.EventSubSubscription})
	m := e.newMessage(sub, messageVerification, "", time.Now(), body)
	m.challenge = challenge
	e.enqueue(sub.hook, m)
	return jsonResponse(http.StatusAccepted, map[string]any{
		"data":           []helix.EventSubSubscription{sub.EventSubSubscription},
		"total":          total + 1,
		"total_cost":     totalCost + sub.Cost,
		"max_total_cost": e.cfg.maxTotalCost,
	})
}

// newMessage builds and records a webhook message of a subscription. e.mu
// is held.
func (e *EventSub) newMessage(sub *subscription, messageType, id string, at time.Time, body []byte) *message {
	if id == "" {
		id = newMessageID()
	}
	ts := timestamp(at)
	m := &message{
		rec: Delivery{
			MessageID:           id,
			MessageType:         messageType,
			SubscriptionID:      sub.ID,
			SubscriptionType:    sub.Type,
			SubscriptionVersion: sub.Version,
			Callback:            sub.Transport.Callback,
			Timestamp:           ts,
			Signature:           sign(sub.hook.secret, id, ts, body),
			Body:                body,
			State:               DeliveryPending,
		},
	}
	e.keep(m)
	return m
}

// keep records a message for Deliveries, forgetting the oldest beyond the
// limit. e.mu is held.
func (e *EventSub) keep(m *message) {
	if len(e.deliveries) >= e.cfg.deliveryLimit {
		e.deliveries[0] = nil
		e.deliveries = e.deliveries[1:]
	}
	e.deliveries = append(e.deliveries, m)
}

// notifyWebhook queues a notification for an enabled webhook subscription
// and returns its message ID. e.mu is held.
func (e *EventSub) notifyWebhook(sub *subscription, n Notification) (string, error) {
	if sub.Status != helix.EventSubSubscriptionStatusEnabled {
		return "", fmt.Errorf("twitchtest: subscription %q is %s, not enabled", sub.ID, sub.Status)
	}
	if e.closed {
		return "", errors.New("twitchtest: the fake is closed")
	}
	event := n.Event
	if event == nil {
		event, _ = SampleEvent(sub.Type, sub.Version)
	}
	var payload struct {
		Subscription helix.EventSubSubscription `json:"subscription"`
		Event        any                        `json:"event,omitempty"`
		Events       any                        `json:"events,omitempty"`
	}
	payload.Subscription = sub.EventSubSubscription
	if eventsubTypes[sub.Type][sub.Version].batched {
		payload.Events = event
	} else {
		payload.Event = event
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return "", fmt.Errorf("twitchtest: encoding a notification of subscription %q: %w", sub.ID, err)
	}
	at := n.Timestamp
	if at.IsZero() {
		at = time.Now()
	}
	m := e.newMessage(sub, messageNotification, n.MessageID, at, body)
	e.enqueue(sub.hook, m)
	return m.rec.MessageID, nil
}

// revokeWebhook ends a webhook subscription with a status: what it had
// left to deliver is dropped, and a revocation message is posted. The
// subscription stays listed, with the status, until it is deleted. e.mu is
// held.
func (e *EventSub) revokeWebhook(sub *subscription, status string) {
	e.cancelQueue(sub.hook)
	sub.Status = helix.EventSubSubscriptionStatus(status)
	body, _ := json.Marshal(map[string]any{"subscription": sub.EventSubSubscription}) // always encodes
	e.enqueue(sub.hook, e.newMessage(sub, messageRevocation, "", time.Now(), body))
}

// cancelQueue drops what a webhook has left to deliver; the attempt under
// way, if any, ends as it ends, without consequence. A conduit
// subscription's notification is not dropped: it goes to another shard.
// e.mu is held.
func (e *EventSub) cancelQueue(hook *webhook) {
	queue := hook.queue
	hook.queue = nil
	for _, m := range queue {
		switch {
		case m.rec.State != DeliveryPending:
		case m.conduit != nil:
			e.shardMissed(m, errShardChanged)
		default:
			m.rec.State = DeliveryCancelled
		}
	}
}

// enqueue queues a message and starts the webhook's worker if none runs.
// A worker started from a testing/synctest bubble runs in it. e.mu is
// held.
func (e *EventSub) enqueue(hook *webhook, m *message) {
	if e.closed {
		e.settle(m, DeliveryCancelled)
		return
	}
	hook.queue = append(hook.queue, m)
	if hook.running {
		return
	}
	hook.running = true
	ctx, cancel := context.WithCancel(context.Background())
	w := &worker{cancel: cancel, done: make(chan struct{})}
	e.workers[w] = struct{}{}
	e.conns.Add(1)
	go e.deliver(ctx, hook, w)
}

// deliver sends a webhook's queue, one message at a time and in order,
// until it is empty or the fake closes.
func (e *EventSub) deliver(ctx context.Context, hook *webhook, w *worker) {
	defer e.conns.Done()
	defer close(w.done)
	defer w.cancel()
	for {
		e.mu.Lock()
		if e.closed || len(hook.queue) == 0 {
			e.workerDone(hook, w)
			e.mu.Unlock()
			return
		}
		m := hook.queue[0]
		fault, queued := e.nextFault(hook)
		faultFunc := e.faultFunc
		snap := m.snapshot()
		retry := m.retry
		e.mu.Unlock()
		if !queued && faultFunc != nil {
			fault = faultFunc(snap)
		}
		attempts, answer := e.attempt(ctx, snap, retry, fault)

		e.mu.Lock()
		if snap.ShardID != "" {
			for i := range attempts {
				attempts[i].ShardID, attempts[i].Callback = snap.ShardID, snap.Callback
			}
		}
		m.rec.Attempts = append(m.rec.Attempts, attempts...)
		last := attempts[len(attempts)-1]
		ok := last.OK() && (m.challenge == "" || answer == m.challenge)
		var wait time.Duration
		switch {
		case len(hook.queue) == 0 || hook.queue[0] != m:
			// Cancelled while it was being tried.
		case ctx.Err() != nil:
			// The fake is closing: close cancels the queue.
		case ok:
			e.finish(hook, m, DeliveryDelivered)
		case m.rec.MessageType != messageNotification || m.retry >= e.cfg.webhookRetries:
			// A conduit's notification too is retried at its webhook
			// shard, as Twitch does, and not sent to another shard.
			e.finish(hook, m, DeliveryFailed)
		default:
			m.retry++
			wait = e.backoff(m.retry)
		}
		e.mu.Unlock()
		sleep(ctx, wait) // when the fake closes, the loop ends
	}
}

// backoff is the wait before a retry: the backoff option, doubled for each
// retry after the first, at most maxBackoff.
func (e *EventSub) backoff(retry int) time.Duration {
	d := e.cfg.webhookBackoff
	for i := 1; i < retry && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// finish takes the message at the head of the queue out with its final
// state and tells the webhook's owner. e.mu is held.
func (e *EventSub) finish(hook *webhook, m *message, state DeliveryState) {
	hook.queue[0] = nil
	hook.queue = hook.queue[1:]
	hook.finished(m, state)
}

// finishedSubscription does what follows from the final state of a
// webhook subscription's message: a challenge answered enables the
// subscription, one that was not fails it, and a notification that failed
// every attempt revokes it. e.mu is held.
func (e *EventSub) finishedSubscription(sub *subscription, m *message, state DeliveryState) {
	m.rec.State = state
	switch {
	case m.rec.MessageType == messageVerification && state == DeliveryDelivered:
		sub.Status = helix.EventSubSubscriptionStatusEnabled
		close(e.change) // wakes WaitSubscription
		e.change = make(chan struct{})
	case m.rec.MessageType == messageVerification:
		sub.Status = statusVerificationFailed
	case m.rec.MessageType == messageNotification && state == DeliveryFailed:
		e.revokeWebhook(sub, string(statusFailuresExceeded))
	}
}

// workerDone records that a webhook's worker stops. e.mu is held.
func (e *EventSub) workerDone(hook *webhook, w *worker) {
	hook.running = false
	for _, m := range hook.queue { // the fake closed
		e.settle(m, DeliveryCancelled)
	}
	hook.queue = nil
	delete(e.workers, w)
}

// sleep waits for d, or returns false when ctx ends first.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// attempt makes one attempt, with its fault: one POST, none (dropped), or
// two (duplicated). It returns the attempts made and the last answer's
// body.
func (e *EventSub) attempt(ctx context.Context, d Delivery, retry int, fault DeliveryFault) ([]DeliveryAttempt, string) {
	a := DeliveryAttempt{Retry: retry, Fault: fault}
	if !sleep(ctx, fault.Delay) {
		a.Err = ctx.Err()
		return []DeliveryAttempt{a}, ""
	}
	if fault.Drop {
		a.Err = errDropped
		return []DeliveryAttempt{a}, ""
	}
	answer := e.post(ctx, d, &a)
	if !fault.Duplicate {
		return []DeliveryAttempt{a}, answer
	}
	again := DeliveryAttempt{Retry: retry, Fault: fault, Duplicate: true}
	answer = e.post(ctx, d, &again)
	return []DeliveryAttempt{a, again}, answer
}

// post sends a message to its callback once, with every header Twitch
// sends, and fills in a's status or error; it returns the answer's body.
func (e *EventSub) post(ctx context.Context, d Delivery, a *DeliveryAttempt) string {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.webhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Callback, bytes.NewReader(d.Body))
	if err != nil {
		a.Err = err
		return ""
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("Twitch-Eventsub-Message-Id", d.MessageID)
	h.Set("Twitch-Eventsub-Message-Retry", strconv.Itoa(a.Retry))
	h.Set("Twitch-Eventsub-Message-Type", d.MessageType)
	h.Set("Twitch-Eventsub-Message-Signature", d.Signature)
	h.Set("Twitch-Eventsub-Message-Timestamp", d.Timestamp)
	h.Set("Twitch-Eventsub-Subscription-Type", d.SubscriptionType)
	h.Set("Twitch-Eventsub-Subscription-Version", d.SubscriptionVersion)
	resp, err := e.webhookClient.Do(req)
	if err != nil {
		a.Err = err
		return ""
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	switch {
	case ctx.Err() != nil:
		// An in-memory handler answers even when it gave up.
		a.Err = fmt.Errorf("twitchtest: the callback did not answer in time: %w", ctx.Err())
	case err != nil:
		a.Err = fmt.Errorf("twitchtest: reading the callback's answer: %w", err)
	default:
		a.Status, a.ContentType = resp.StatusCode, resp.Header.Get("Content-Type")
	}
	return string(body)
}

// loopbackClient is the fake's default webhook client: loopback addresses
// only, no redirects, a timeout.
func loopbackClient(timeout time.Duration) *http.Client {
	dialer := &net.Dialer{
		Timeout: timeout,
		Control: func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
				return fmt.Errorf("twitchtest: the fake's webhook client reaches loopback addresses only, not %s (see WithWebhookClient)", address)
			}
			return nil
		},
	}
	return &http.Client{
		Transport: &http.Transport{
			DialContext:         dialer.DialContext,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     30 * time.Second,
		},
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// nextFault takes the next fault queued for the subscription, or else for
// any subscription. e.mu is held.
func (e *EventSub) nextFault(hook *webhook) (DeliveryFault, bool) {
	for _, q := range []*[]DeliveryFault{&hook.faults, &e.anyFaults} {
		if len(*q) > 0 {
			f := (*q)[0]
			*q = (*q)[1:]
			return f, true
		}
	}
	return DeliveryFault{}, false
}

// FailNext queues faults for the next attempts to deliver a webhook
// message of the subscription ("" for any webhook subscription; a
// subscription's own come first): each attempt, including a challenge's,
// takes the next. A queued fault comes before SetFaults's function. It
// returns ErrNotFound for a subscription that does not exist or is not a
// webhook subscription.
func (e *EventSub) FailNext(subscriptionID string, faults ...DeliveryFault) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if subscriptionID == "" {
		e.anyFaults = append(e.anyFaults, faults...)
		return nil
	}
	sub := e.subs[subscriptionID]
	if sub == nil || sub.hook == nil {
		return fmt.Errorf("%w: webhook subscription %q", ErrNotFound, subscriptionID)
	}
	sub.hook.faults = append(sub.hook.faults, faults...)
	return nil
}

// SetFaults sets a function that decides the fault of each attempt to
// deliver a webhook message that has no queued fault (see FailNext), for
// faults at random in a soak test; nil turns it off. It is called from
// the goroutines that deliver, several at a time, with a copy of the
// message's record.
func (e *EventSub) SetFaults(f func(Delivery) DeliveryFault) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faultFunc = f
}

// Deliveries returns the webhook messages the fake has sent or is sending
// (challenges, notifications, revocations) with their attempts, oldest
// first (the last 10,000).
func (e *EventSub) Deliveries() []Delivery {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Delivery, len(e.deliveries))
	for i, m := range e.deliveries {
		out[i] = m.snapshot()
	}
	return out
}

// WaitDeliveries waits until the fake has no webhook message left to
// deliver: every queue empty, no attempt or wait for a retry under way. It
// returns ctx's error when ctx ends first. In a testing/synctest bubble,
// the fake's waits for a retry run on the bubble's clock when the
// deliveries started in the bubble.
func (e *EventSub) WaitDeliveries(ctx context.Context) error {
	for {
		var done chan struct{}
		e.mu.Lock()
		for w := range e.workers {
			done = w.done
			break
		}
		if done == nil {
			done = e.conduits.settled // nil when no conduit notification is pending
		}
		e.mu.Unlock()
		if done == nil {
			return nil
		}
		select {
		case <-done:
		case <-ctx.Done():
			return fmt.Errorf("twitchtest: waiting for webhook deliveries: %w", ctx.Err())
		}
	}
}

// Replay posts a webhook message the fake sent before once more, exactly
// as it was (message ID, timestamp, signature, body and the retry header of
// its last attempt), at once and on the calling goroutine, outside its
// subscription's queue, as an attacker replaying a captured request would.
// It returns the attempt, which is also added to the message's record, and
// ErrNotFound for a message Deliveries does not hold.
func (e *EventSub) Replay(ctx context.Context, messageID string) (DeliveryAttempt, error) {
	e.mu.Lock()
	var m *message
	for _, d := range e.deliveries {
		if d.rec.MessageID == messageID {
			m = d
		}
	}
	if m == nil {
		e.mu.Unlock()
		return DeliveryAttempt{}, fmt.Errorf("%w: webhook message %q", ErrNotFound, messageID)
	}
	if e.closed {
		e.mu.Unlock()
		return DeliveryAttempt{}, errors.New("twitchtest: Replay: the fake is closed")
	}
	snap := m.snapshot()
	e.mu.Unlock()
	a := DeliveryAttempt{Replay: true}
	if n := len(snap.Attempts); n > 0 {
		a.Retry = snap.Attempts[n-1].Retry
	}
	e.post(ctx, snap, &a)
	e.mu.Lock()
	m.rec.Attempts = append(m.rec.Attempts, a)
	e.mu.Unlock()
	return a, nil
}

// pageAfter returns the page of subs (oldest first) that follows the
// cursor, and the next page's cursor ("" after the last page). A cursor
// the fake did not give has nothing after it: an empty last page.
func pageAfter(subs []subscription, cursor string, size int) ([]subscription, string) {
	start := 0
	if cursor != "" {
		after, err := strconv.Atoi(strings.TrimPrefix(cursor, "subscriptions-after-"))
		if err != nil || !strings.HasPrefix(cursor, "subscriptions-after-") {
			return nil, ""
		}
		start = len(subs)
		for i, sub := range subs {
			if sub.seq > after {
				start = i
				break
			}
		}
	}
	end := min(start+size, len(subs))
	next := ""
	if end < len(subs) {
		next = "subscriptions-after-" + strconv.Itoa(subs[end-1].seq)
	}
	return subs[start:end], next
}
