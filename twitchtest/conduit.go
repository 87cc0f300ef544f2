package twitchtest

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/oauth"
)

// Conduits. Facts checked in Twitch's reference (the saved pages of
// 2026-02-27: the Helix reference's Conduits section, Create EventSub
// Subscription, and the conduit.shard.disabled subscription type):
//   - The six conduit endpoints take an app access token only; a conduit
//     belongs to the client ID that created it, and another client's is
//     "not found" (404) to Update Conduits, Delete Conduit and both shard
//     endpoints. Create Conduits answers 200, 400 for an invalid shard
//     count and 429 when the client has reached its conduit limit.
//   - Shard IDs count from "0" to shard_count-1; lowering the count takes
//     the shards above it away.
//   - Update Conduit Shards answers 202 with the shards it updated in
//     "data" and one entry per shard it could not update in "errors" (id,
//     message, code; the documented example's code is invalid_parameter):
//     a secret that is not 10 to 100 characters, a callback that is not
//     https on 443, a method that is neither webhook nor websocket, a
//     missing callback or session_id, a WebSocket session that is not
//     connected, a shard ID outside the conduit's range.
//   - Shard statuses: enabled, webhook_callback_verification_pending and
//     _failed, notification_failures_exceeded, websocket_disconnected (the
//     client closed the connection), websocket_failed_ping_pong,
//     websocket_received_inbound_traffic, websocket_internal_error,
//     websocket_network_timeout, websocket_network_error,
//     websocket_failed_to_reconnect. Only enabled shards get
//     notifications. A WebSocket shard's transport carries session_id,
//     connected_at and, once lost, disconnected_at; a webhook shard's
//     carries its callback.
//   - A subscription with transport {"method": "conduit", "conduit_id"}
//     needs an app access token; Twitch answers 400 without a conduit_id.
//   - conduit.shard.disabled (condition client_id, optional conduit_id):
//     an event with conduit_id, shard_id, status and the transport.
//
// Facts from Twitch's conduit guide (dev.twitch.tv/docs/eventsub/handling-conduit-events),
// where the reference is silent: a client may have 5 conduits of 1 to
// 20,000 shards; Twitch sends a conduit's notification to one enabled
// shard and, when that shard is not there to take it, once more to one
// other shard, then drops it; a notification that an enabled webhook
// shard's callback fails (after the webhook's own retries) is not sent to
// another shard; a webhook shard's challenge body is {"challenge",
// "conduit_shard": {"conduit_id", "shard"}}, answered 200 with the
// challenge as the body. Get Conduit Shards lists only the shards that
// were ever assigned, a new conduit none (observed against Twitch by
// users).
//
// What the fake decides where nothing is known: a WebSocket session
// carries one shard; a webhook shard is disabled with
// notification_failures_exceeded when more notifications than the
// retries of WithWebhookRetries fail at it in a row; a deleted conduit
// takes its subscriptions with it at once.

const (
	// maxConduits is how many conduits one client ID may have.
	maxConduits = 5
	// maxShards is the most shards a conduit may have.
	maxShards = 20000
	// defaultShardPage is how many shards a page of Get Conduit Shards
	// holds.
	defaultShardPage = 100
)

// Shard statuses the fake sets. helix lists them too (ConduitShardStatus),
// generated from the schema: the hand-written fake does not depend on the
// schema having conduits. websocket_connection_unused is a subscription
// status of the reference that it does not list for shards.
const (
	shardEnabled           = "enabled"
	shardPending           = "webhook_callback_verification_pending"
	shardVerifyFailed      = "webhook_callback_verification_failed"
	shardFailuresExceeded  = "notification_failures_exceeded"
	shardDisconnected      = "websocket_disconnected"
	shardNetworkError      = "websocket_network_error"
	shardConnectionUnused  = "websocket_connection_unused"
	shardInternalError     = "websocket_internal_error"
	shardFailedToReconnect = "websocket_failed_to_reconnect"
)

// closeStatus is the shard status a session's end with a close code
// leaves: the codes Twitch closes with (4000 to 4007), and the answer to a
// client's own close.
var closeStatus = map[int]string{
	4000: shardInternalError,
	4001: "websocket_received_inbound_traffic",
	4002: "websocket_failed_ping_pong",
	4003: shardConnectionUnused,
	4004: shardFailedToReconnect,
	4005: "websocket_network_timeout",
	4006: shardNetworkError,
	4007: shardFailedToReconnect,
}

// The transport methods of a shard.
const (
	methodWebSocket = "websocket"
	methodWebhook   = "webhook"
)

// statusOfClose is the shard status of a session closed with code.
func statusOfClose(code int) string {
	if s, ok := closeStatus[code]; ok {
		return s
	}
	return shardDisconnected // 1000: the client closed the connection
}

// Why a conduit notification did not reach a shard.
var (
	errSessionGone  = errors.New("twitchtest: the shard's WebSocket connection has ended")
	errShardChanged = errors.New("twitchtest: the shard was reassigned, disabled or removed before it took the message")
	errNoShard      = errors.New("twitchtest: no other enabled shard")
	// errCallbackFailed ends a notification an enabled webhook shard's
	// callback did not take: Twitch does not send it to another shard.
	errCallbackFailed = errors.New("twitchtest: the shard's callback did not take the notification (Twitch does not send it to another shard)")
	errConduitGone    = errors.New("twitchtest: the conduit was deleted")
)

// conduits is the fake's conduit state, in EventSub under e.mu.
type conduits struct {
	byID       map[string]*conduit
	rng        *rand.Rand
	roundRobin bool
	// pending counts conduit notifications not yet settled; settled is
	// closed when it falls to 0 (WaitDeliveries).
	pending int
	settled chan struct{}
}

func newConduits(cfg config) conduits {
	seed := cfg.conduitSeed
	if !cfg.seeded {
		var b [8]byte
		_, _ = crand.Read(b[:]) // never fails
		seed = binary.LittleEndian.Uint64(b[:])
	}
	return conduits{
		byID:       map[string]*conduit{},
		rng:        rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		roundRobin: cfg.roundRobin,
	}
}

// conduit is one conduit.
type conduit struct {
	id       string
	clientID string
	seq      int
	// shards has shard_count entries, by shard ID; nil for a shard never
	// assigned.
	shards []*shard
	next   int // the round robin's next shard
}

// shard is one shard of a conduit that was assigned a transport.
type shard struct {
	conduit   *conduit
	id        int
	status    string
	transport ShardTransport
	hook      *webhook // a webhook shard's secret and queue
	failures  int      // notifications that failed at the webhook in a row
}

func (sh *shard) idString() string { return strconv.Itoa(sh.id) }

func (sh *shard) json() Shard {
	return Shard{ID: sh.idString(), Status: sh.status, Transport: sh.transport}
}

// Conduit is a conduit as Get Conduits answers it (helix.Conduit, which
// is generated from the schema, has the same JSON).
type Conduit struct {
	ID         string `json:"id"`
	ShardCount int    `json:"shard_count"`
}

// Shard is a conduit's shard as Get Conduit Shards answers it
// (helix.ConduitShard has the same JSON). Status is Twitch's:
// "enabled", "websocket_disconnected", ...
type Shard struct {
	ID        string         `json:"id"`
	Status    string         `json:"status"`
	Transport ShardTransport `json:"transport"`
}

// ShardTransport is where a shard delivers: a WebSocket session (with
// when it connected and, once lost, disconnected) or a webhook callback.
type ShardTransport struct {
	Method         string     `json:"method"`
	Callback       string     `json:"callback,omitzero"`
	SessionID      string     `json:"session_id,omitzero"`
	ConnectedAt    helix.Time `json:"connected_at,omitzero"`
	DisconnectedAt helix.Time `json:"disconnected_at,omitzero"`
}

// shardError is an entry of Update Conduit Shards' "errors".
type shardError struct {
	ID      string `json:"id"`
	Message string `json:"message"`
	Code    string `json:"code"`
}

// conduitTransport is a conduit subscription's transport. It is decoded
// from JSON because the hand-written fake does not depend on the schema
// giving helix.EventSubTransport a ConduitID field.
func conduitTransport(conduitID string) helix.EventSubTransport {
	var t helix.EventSubTransport
	raw, _ := json.Marshal(map[string]string{"method": "conduit", "conduit_id": conduitID}) // strings always encode
	_ = json.Unmarshal(raw, &t)                                                             // the method field is always there
	return t
}

// WithConduitSeed makes the fake's choice of the shard a conduit
// notification goes to (random among the enabled shards by default)
// follow a pseudo-random sequence from seed, the same at every run.
func WithConduitSeed(seed uint64) Option {
	return func(c *config) { c.conduitSeed, c.seeded = seed, true }
}

// WithShardRoundRobin makes the fake send a conduit's notifications to
// its enabled shards in turn, by shard ID, rather than at random.
func WithShardRoundRobin() Option {
	return func(c *config) { c.roundRobin = true }
}

// conduitOwner is the client ID a conduit request acts for: the token's
// application, or the Client-Id header when the fake does not know the
// token.
func conduitOwner(r *http.Request, info *TokenInfo) string {
	if info != nil && info.ClientID != "" {
		return info.ClientID
	}
	return r.Header.Get("Client-Id")
}

// conduitOf returns the client's conduit with the ID, or nil. e.mu is held.
func (e *EventSub) conduitOf(clientID, id string) *conduit {
	c := e.conduits.byID[id]
	if c == nil || c.clientID != clientID {
		return nil
	}
	return c
}

// conduitsOf returns a client's conduits, oldest first. e.mu is held.
func (e *EventSub) conduitsOf(clientID string) []*conduit {
	var out []*conduit
	for _, c := range e.conduits.byID {
		if clientID == "" || c.clientID == clientID {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *conduit) int { return a.seq - b.seq })
	return out
}

func (c *conduit) json() Conduit { return Conduit{ID: c.id, ShardCount: len(c.shards)} }

// getConduits is GET /helix/eventsub/conduits.
func (e *EventSub) getConduits(r *http.Request, _ []byte, info *TokenInfo) response {
	e.mu.Lock()
	defer e.mu.Unlock()
	data := []Conduit{}
	for _, c := range e.conduitsOf(conduitOwner(r, info)) {
		data = append(data, c.json())
	}
	return jsonResponse(http.StatusOK, map[string]any{"data": data})
}

// createConduits is POST /helix/eventsub/conduits.
func (e *EventSub) createConduits(r *http.Request, body []byte, info *TokenInfo) response {
	var in struct {
		ShardCount int `json:"shard_count"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.ShardCount < 1 || in.ShardCount > maxShards {
		return apiError(http.StatusBadRequest, fmt.Sprintf("Invalid shard count: shard_count must be 1 to %d.", maxShards))
	}
	owner := conduitOwner(r, info)
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.conduitsOf(owner)) >= maxConduits {
		return apiError(http.StatusTooManyRequests, fmt.Sprintf("Conduit limit reached: a client may have %d conduits.", maxConduits))
	}
	e.nextID++
	c := &conduit{id: newMessageID(), clientID: owner, seq: e.nextID, shards: make([]*shard, in.ShardCount)}
	e.conduits.byID[c.id] = c
	return jsonResponse(http.StatusOK, map[string]any{"data": []Conduit{c.json()}})
}

// updateConduits is PATCH /helix/eventsub/conduits: a new shard count;
// the shards above it go away, and what was queued for them goes to
// other shards.
func (e *EventSub) updateConduits(r *http.Request, body []byte, info *TokenInfo) response {
	var in struct {
		ID         string `json:"id"`
		ShardCount int    `json:"shard_count"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.ShardCount < 1 || in.ShardCount > maxShards {
		return apiError(http.StatusBadRequest, fmt.Sprintf("Invalid shard count: shard_count must be 1 to %d.", maxShards))
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.conduitOf(conduitOwner(r, info), in.ID)
	if c == nil {
		return apiError(http.StatusNotFound, "Conduit not found.")
	}
	if in.ShardCount < len(c.shards) {
		gone := slices.Clone(c.shards[in.ShardCount:])
		clear(c.shards[in.ShardCount:])
		c.shards = c.shards[:in.ShardCount]
		for _, sh := range gone {
			if sh != nil {
				e.release(sh)
			}
		}
	} else {
		c.shards = append(c.shards, make([]*shard, in.ShardCount-len(c.shards))...)
	}
	e.changed()
	return jsonResponse(http.StatusOK, map[string]any{"data": []Conduit{c.json()}})
}

// deleteConduit is DELETE /helix/eventsub/conduits?id=...: the conduit,
// its shards and its subscriptions go.
func (e *EventSub) deleteConduit(r *http.Request, _ []byte, info *TokenInfo) response {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.conduitOf(conduitOwner(r, info), r.URL.Query().Get("id"))
	if c == nil {
		return apiError(http.StatusNotFound, "Conduit not found.")
	}
	delete(e.conduits.byID, c.id)
	for _, sh := range c.shards {
		if sh != nil {
			e.release(sh)
		}
	}
	for id, sub := range e.subs {
		if sub.conduit == c.id {
			delete(e.subs, id)
		}
	}
	e.changed()
	return response{status: http.StatusNoContent}
}

// release lets a shard's transport go: its session carries it no more,
// and what was queued for its webhook goes to other shards. e.mu is held.
func (e *EventSub) release(sh *shard) {
	if sess := e.sessions[sh.transport.SessionID]; sess != nil && sess.shard == sh {
		sess.shard = nil
	}
	if sh.hook != nil {
		hook := sh.hook
		sh.hook = nil
		e.cancelQueue(hook)
	}
}

// getConduitShards is GET /helix/eventsub/conduits/shards: the shards
// that were assigned, by ID, with the status filter, a page at a time.
func (e *EventSub) getConduitShards(r *http.Request, _ []byte, info *TokenInfo) response {
	q := r.URL.Query()
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.conduitOf(conduitOwner(r, info), q.Get("conduit_id"))
	if c == nil {
		return apiError(http.StatusNotFound, "Conduit not found.")
	}
	start := 0
	if cursor := q.Get("after"); cursor != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(cursor, "shards-after-"))
		if err != nil || !strings.HasPrefix(cursor, "shards-after-") || n < 0 {
			return apiError(http.StatusBadRequest, "The cursor in the after query parameter is not valid.")
		}
		start = n + 1
	}
	data := []Shard{}
	pagination := map[string]any{}
	last := -1
	for i := start; i < len(c.shards); i++ {
		sh := c.shards[i]
		if sh == nil || (q.Get("status") != "" && string(sh.status) != q.Get("status")) {
			continue
		}
		if len(data) == e.cfg.shardPage {
			pagination["cursor"] = "shards-after-" + strconv.Itoa(last)
			break
		}
		data = append(data, sh.json())
		last = i
	}
	return jsonResponse(http.StatusOK, map[string]any{"data": data, "pagination": pagination})
}

// shardUpdate is one entry of Update Conduit Shards' body.
type shardUpdate struct {
	ID        string `json:"id"`
	Transport struct {
		Method    string `json:"method"`
		Callback  string `json:"callback"`
		Secret    string `json:"secret"`
		SessionID string `json:"session_id"`
	} `json:"transport"`
}

// updateConduitShards is PATCH /helix/eventsub/conduits/shards: each
// shard is assigned its transport, or gets an entry in "errors".
func (e *EventSub) updateConduitShards(r *http.Request, body []byte, info *TokenInfo) response {
	var in struct {
		ConduitID string        `json:"conduit_id"`
		Shards    []shardUpdate `json:"shards"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return apiError(http.StatusBadRequest, "The request body is not valid: "+err.Error())
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.conduitOf(conduitOwner(r, info), in.ConduitID)
	if c == nil {
		return apiError(http.StatusNotFound, "Conduit not found.")
	}
	data := []Shard{}
	errs := []shardError{}
	for _, u := range in.Shards {
		sh, msg := e.assign(c, u)
		if msg != "" {
			errs = append(errs, shardError{ID: u.ID, Message: msg, Code: "invalid_parameter"})
			continue
		}
		data = append(data, sh.json())
	}
	e.changed()
	return jsonResponse(http.StatusAccepted, map[string]any{"data": data, "errors": errs})
}

// assign gives a shard the transport of u, or says why not. e.mu is held.
func (e *EventSub) assign(c *conduit, u shardUpdate) (*shard, string) {
	id, err := strconv.Atoi(u.ID)
	if err != nil || strconv.Itoa(id) != u.ID || id < 0 || id >= len(c.shards) {
		return nil, "The shard id is outside of the conduit's range."
	}
	t := u.Transport
	var sess *session
	switch t.Method {
	case "websocket":
		if t.SessionID == "" {
			return nil, "The session_id field is required if you specify the WebSocket transport method."
		}
		sess = e.sessions[t.SessionID]
		if sess == nil || !sess.welcomed || sess.conn == nil {
			return nil, "The websocket session is not connected."
		}
		if sess.shard != nil && sess.shard != c.shards[id] {
			return nil, fmt.Sprintf("The websocket session already carries shard %s of conduit %s (the fake gives a session one shard).", sess.shard.idString(), sess.shard.conduit.id)
		}
	case "webhook":
		switch {
		case t.Callback == "":
			return nil, "The callback field is required if you specify the webhook transport method."
		case !validCallback(t.Callback):
			return nil, "The URL in the transport's callback field is not valid. The URL must use the HTTPS protocol and the 443 port number."
		case !validSecret(t.Secret):
			return nil, "The length of the string in the secret field is not valid."
		}
	default:
		return nil, "The value specified in the method field is not valid."
	}
	sh := c.shards[id]
	if sh == nil {
		sh = &shard{conduit: c, id: id}
		c.shards[id] = sh
	} else {
		e.release(sh)
	}
	sh.failures = 0
	if sess != nil {
		sh.status = shardEnabled
		sh.transport = ShardTransport{
			Method:      methodWebSocket,
			SessionID:   sess.id,
			ConnectedAt: helix.Time{Time: sess.connectedAt},
		}
		sess.shard, sess.used = sh, true
		return sh, ""
	}
	sh.status = shardPending
	sh.transport = ShardTransport{Method: methodWebhook, Callback: t.Callback}
	sh.hook = &webhook{secret: t.Secret, clientID: c.clientID}
	hook := sh.hook
	hook.finished = func(m *message, state DeliveryState) { e.finishedShard(sh, hook, m, state) }
	e.challengeShard(sh)
	return sh, ""
}

// challengeShard posts a webhook shard's challenge. e.mu is held.
func (e *EventSub) challengeShard(sh *shard) {
	challenge := newMessageID()
	body, _ := json.Marshal(map[string]any{ // strings always encode
		"challenge":     challenge,
		"conduit_shard": map[string]string{"conduit_id": sh.conduit.id, "shard": sh.idString()},
	})
	at := time.Now()
	id, ts := newMessageID(), timestamp(at)
	m := &message{
		rec: Delivery{
			MessageID:   id,
			MessageType: messageVerification,
			Callback:    sh.transport.Callback,
			ConduitID:   sh.conduit.id,
			ShardID:     sh.idString(),
			Timestamp:   ts,
			Signature:   sign(sh.hook.secret, id, ts, body),
			Body:        body,
			State:       DeliveryPending,
		},
		challenge: challenge,
	}
	e.keep(m)
	e.enqueue(sh.hook, m)
}

// finishedShard does what follows from the final state of a message at a
// webhook shard: a challenge enables the shard or fails it; a
// notification that the shard's callback failed is dropped (Twitch does
// not send it to another shard), and too many failures in a row disable
// the shard, whose queue then goes to other shards; one whose shard was
// given another transport meanwhile goes to another shard. hook is the webhook the message was queued
// on (the shard may have another by now). e.mu is held.
func (e *EventSub) finishedShard(sh *shard, hook *webhook, m *message, state DeliveryState) {
	current := sh.hook == hook
	if m.rec.MessageType == messageVerification {
		m.rec.State = state
		switch {
		case !current:
		case state == DeliveryDelivered:
			sh.status = shardEnabled
			e.changed()
		default:
			e.disableShard(sh, shardVerifyFailed)
		}
		return
	}
	if state == DeliveryDelivered {
		if current {
			sh.failures = 0
		}
		e.settle(m, DeliveryDelivered)
		return
	}
	if !current {
		e.shardMissed(m, errShardChanged)
		return
	}
	e.drop(m, errCallbackFailed)
	if sh.status == shardEnabled {
		sh.failures++
		if sh.failures > e.cfg.webhookRetries {
			e.disableShard(sh, shardFailuresExceeded)
			// What waits for the shard goes to other shards: Twitch sends
			// what a disabled shard cannot take to another.
			e.release(sh)
		}
	}
}

// disableShard gives an enabled or pending shard a status that disables
// it, and notifies the conduit.shard.disabled subscriptions that select
// it. e.mu is held.
func (e *EventSub) disableShard(sh *shard, status string) {
	if sh.status != shardEnabled && sh.status != shardPending {
		return
	}
	sh.status = status
	if sh.transport.Method == methodWebSocket {
		sh.transport.DisconnectedAt = helix.Time{Time: time.Now().UTC()}
	}
	e.changed()
	e.notifyShardDisabled(sh)
}

// sessionEnded disables the shard a session carries, with the status its
// end gives. e.mu is held.
func (e *EventSub) sessionEnded(sess *session, status string) {
	sh := sess.shard
	if sh == nil {
		return
	}
	sess.shard = nil
	if sh.transport.SessionID == sess.id {
		e.disableShard(sh, status)
	}
}

// notifyShardDisabled sends a conduit.shard.disabled event to the
// subscriptions whose condition names the conduit's client (and the
// conduit, or none). e.mu is held.
func (e *EventSub) notifyShardDisabled(sh *shard) {
	transport := map[string]any{"method": sh.transport.Method}
	if sh.transport.Method == methodWebhook {
		transport["callback"] = sh.transport.Callback
	} else {
		transport["session_id"] = sh.transport.SessionID
		transport["connected_at"] = sh.transport.ConnectedAt
		transport["disconnected_at"] = sh.transport.DisconnectedAt
	}
	event, _ := json.Marshal(map[string]any{ // strings and times always encode
		"conduit_id": sh.conduit.id,
		"shard_id":   sh.idString(),
		"status":     sh.status,
		"transport":  transport,
	})
	for _, s := range e.sortedLocked() {
		if s.Type != "conduit.shard.disabled" || s.Status != helix.EventSubSubscriptionStatusEnabled {
			continue
		}
		var cond struct {
			ClientID  string `json:"client_id"`
			ConduitID string `json:"conduit_id"`
		}
		if json.Unmarshal(s.Condition, &cond) != nil || cond.ClientID != sh.conduit.clientID ||
			(cond.ConduitID != "" && cond.ConduitID != sh.conduit.id) {
			continue
		}
		sub := e.subs[s.ID]
		if sub.hook != nil {
			_, _ = e.notifyWebhook(sub, Notification{Event: json.RawMessage(event)})
		} else if sub.conduit != "" {
			_, _ = e.notifyConduit(sub, Notification{Event: json.RawMessage(event)})
		}
	}
}

// createConduitSubscription is Create EventSub Subscription for the
// conduit transport: an app token, a conduit of the client, a type that
// allows the transport. e.mu is not held.
func (e *EventSub) createConduitSubscription(r *http.Request, typ, version string, condition json.RawMessage, conduitID string, info *TokenInfo) response {
	ti, _ := eventsub.Lookup(typ, version)
	switch {
	case info != nil && info.Type != oauth.TokenApp:
		return apiError(http.StatusUnauthorized, "A conduit subscription needs an app access token.")
	case conduitID == "":
		return apiError(http.StatusBadRequest, "The conduit_id field is required if you specify the Conduit transport method.")
	case !slices.Contains(ti.Transports, eventsub.TransportConduit):
		return apiError(http.StatusBadRequest, "The subscription type does not support the conduit transport.")
	}
	owner := conduitOwner(r, info)
	clientID := r.Header.Get("Client-Id")
	key := typ + " " + version + " " + string(condition)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.conduitOf(owner, conduitID) == nil {
		return apiError(http.StatusBadRequest, "The conduit_id in the transport is not a conduit of this client.")
	}
	totalCost, total := 0, 0
	for _, sub := range e.subs {
		if !sub.visibleTo(info, clientID) {
			continue
		}
		total++
		totalCost += sub.Cost
		if sub.conduit == conduitID && sub.key == key && sub.Status == helix.EventSubSubscriptionStatusEnabled {
			return apiError(http.StatusConflict, "subscription already exists")
		}
	}
	if totalCost+1 > e.cfg.maxTotalCost {
		return apiError(http.StatusTooManyRequests, "total cost exceeded")
	}
	sub := &subscription{
		EventSubSubscription: helix.EventSubSubscription{
			ID:        newMessageID(),
			Status:    helix.EventSubSubscriptionStatusEnabled,
			Type:      typ,
			Version:   version,
			Condition: condition,
			CreatedAt: helix.Time{Time: time.Now().UTC()},
			Transport: conduitTransport(conduitID),
			Cost:      1,
		},
		key:      key,
		conduit:  conduitID,
		clientID: owner,
	}
	e.nextID++
	sub.seq = e.nextID
	e.subs[sub.ID] = sub
	e.changed()
	return jsonResponse(http.StatusAccepted, map[string]any{
		"data":           []helix.EventSubSubscription{sub.EventSubSubscription},
		"total":          total + 1,
		"total_cost":     totalCost + sub.Cost,
		"max_total_cost": e.cfg.maxTotalCost,
	})
}

// notifyConduit sends a notification of a conduit subscription to one of
// its conduit's enabled shards, and returns its message ID. e.mu is held.
func (e *EventSub) notifyConduit(sub *subscription, n Notification) (string, error) {
	if sub.Status != helix.EventSubSubscriptionStatusEnabled {
		return "", fmt.Errorf("twitchtest: subscription %q is %s, not enabled", sub.ID, sub.Status)
	}
	event := n.Event
	if event == nil {
		event, _ = SampleEvent(sub.Type, sub.Version)
	}
	key := "event"
	if eventsubTypes[sub.Type][sub.Version].batched {
		key = "events"
	}
	body, err := json.Marshal(map[string]any{"subscription": sub.EventSubSubscription, key: event})
	if err != nil {
		return "", fmt.Errorf("twitchtest: encoding a notification of subscription %q: %w", sub.ID, err)
	}
	return e.sendConduit(sub, messageNotification, n.MessageID, n.Timestamp, body)
}

// revokeConduit ends a conduit subscription with a status and sends its
// revocation to a shard, as a notification; it stays listed with the
// status until it is deleted. e.mu is held.
func (e *EventSub) revokeConduit(sub *subscription, status string) {
	sub.Status = helix.EventSubSubscriptionStatus(status)
	body, _ := json.Marshal(map[string]any{"subscription": sub.EventSubSubscription}) // always encodes
	_, _ = e.sendConduit(sub, messageRevocation, "", time.Time{}, body)
}

// sendConduit records a conduit subscription's message and routes it to
// a shard. e.mu is held.
func (e *EventSub) sendConduit(sub *subscription, messageType, id string, at time.Time, body []byte) (string, error) {
	if e.closed {
		return "", errors.New("twitchtest: the fake is closed")
	}
	if at.IsZero() {
		at = time.Now()
	}
	if id == "" {
		id = newMessageID()
	}
	m := &message{
		rec: Delivery{
			MessageID:           id,
			MessageType:         messageType,
			SubscriptionID:      sub.ID,
			SubscriptionType:    sub.Type,
			SubscriptionVersion: sub.Version,
			ConduitID:           sub.conduit,
			Timestamp:           timestamp(at),
			Body:                body,
			State:               DeliveryPending,
		},
		conduit: e.conduits.byID[sub.conduit],
	}
	e.keep(m)
	if m.conduit == nil { // cannot happen: a conduit's subscriptions go with it
		m.rec.State = DeliveryFailed
		return id, nil
	}
	if e.conduits.pending == 0 {
		e.conduits.settled = make(chan struct{})
	}
	e.conduits.pending++
	e.toShard(m)
	return id, nil
}

// toShard sends a conduit notification to an enabled shard other than the
// one it was sent to before, if it has not been sent to two shards
// already; else it is dropped. e.mu is held.
func (e *EventSub) toShard(m *message) {
	for {
		c := m.conduit
		if c == nil || e.conduits.byID[c.id] != c {
			e.drop(m, errConduitGone)
			return
		}
		if m.shards >= 2 {
			e.drop(m, nil)
			return
		}
		sh := e.pick(c, m.shard)
		if sh == nil {
			e.drop(m, errNoShard)
			return
		}
		m.shard = sh
		m.retry = m.shards
		m.shards++
		m.rec.ShardID = sh.idString()
		if sh.hook != nil {
			// A webhook shard retries it as a webhook does, from the
			// first try, whichever shard had it before.
			m.retry = 0
			m.rec.Callback = sh.transport.Callback
			m.rec.Signature = sign(sh.hook.secret, m.rec.MessageID, m.rec.Timestamp, m.rec.Body)
			e.enqueue(sh.hook, m)
			return
		}
		a := DeliveryAttempt{Retry: m.retry, ShardID: sh.idString(), SessionID: sh.transport.SessionID}
		sess := e.sessions[sh.transport.SessionID]
		if sess != nil && sess.conn != nil {
			frame, err := frameWith(m.rec.MessageID, parseTimestamp(m.rec.Timestamp), m.rec.MessageType,
				m.rec.SubscriptionType, m.rec.SubscriptionVersion, json.RawMessage(m.rec.Body))
			if err == nil && sess.conn.send(outbound{frame: frame, conduit: m}) {
				m.rec.Attempts = append(m.rec.Attempts, a)
				return
			}
		}
		a.Err = errSessionGone
		m.rec.Attempts = append(m.rec.Attempts, a)
	}
}

// pick chooses an enabled shard of the conduit other than not, at random
// or in turn; nil when there is none. e.mu is held.
func (e *EventSub) pick(c *conduit, not *shard) *shard {
	var enabled []*shard
	for _, sh := range c.shards {
		if sh != nil && sh != not && sh.status == shardEnabled {
			enabled = append(enabled, sh)
		}
	}
	if len(enabled) == 0 {
		return nil
	}
	if !e.conduits.roundRobin {
		return enabled[e.conduits.rng.IntN(len(enabled))]
	}
	for _, sh := range enabled {
		if sh.id >= c.next {
			c.next = sh.id + 1
			return sh
		}
	}
	c.next = enabled[0].id + 1
	return enabled[0]
}

// shardMissed records that a conduit notification's shard did not take
// it, and sends it on. e.mu is held.
func (e *EventSub) shardMissed(m *message, err error) {
	if m.rec.State != DeliveryPending {
		return
	}
	if n := len(m.rec.Attempts); n > 0 && m.shard != nil && m.shard.hook == nil && m.rec.Attempts[n-1].Err == nil {
		m.rec.Attempts[n-1].Err = err // a WebSocket attempt under way
	}
	e.toShard(m)
}

// written records that a WebSocket shard's connection wrote a conduit
// notification (nil err), or failed to, and sends it on. e.mu is held.
func (e *EventSub) written(m *message, err error) {
	if err != nil {
		e.shardMissed(m, err)
		return
	}
	e.settle(m, DeliveryDelivered)
}

// drop ends a conduit notification no shard took. e.mu is held.
func (e *EventSub) drop(m *message, why error) {
	if why != nil {
		m.rec.Attempts = append(m.rec.Attempts, DeliveryAttempt{Retry: m.shards, Err: why})
	}
	e.settle(m, DeliveryFailed)
}

// settle gives a pending message its final state; for a conduit
// notification, WaitDeliveries stops waiting for it. e.mu is held.
func (e *EventSub) settle(m *message, state DeliveryState) {
	if m.rec.State != DeliveryPending {
		return
	}
	m.rec.State = state
	if m.conduit == nil {
		return
	}
	e.conduits.pending--
	if e.conduits.pending == 0 {
		close(e.conduits.settled)
		e.conduits.settled = nil
	}
}

// parseTimestamp reads back a timestamp made by timestamp.
func parseTimestamp(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// changed wakes the waits on the fake's state. e.mu is held.
func (e *EventSub) changed() {
	close(e.change)
	e.change = make(chan struct{})
}

// Conduits returns every client's conduits, oldest first.
func (e *EventSub) Conduits() []Conduit {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Conduit
	for _, c := range e.conduitsOf("") {
		out = append(out, c.json())
	}
	return out
}

// Shards returns a conduit's shards that were ever assigned, by ID (as Get
// Conduit Shards lists them, all at once), or an error wrapping
// ErrNotFound.
func (e *EventSub) Shards(conduitID string) ([]Shard, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.conduits.byID[conduitID]
	if c == nil {
		return nil, fmt.Errorf("%w: conduit %q", ErrNotFound, conduitID)
	}
	out := []Shard{}
	for _, sh := range c.shards {
		if sh != nil {
			out = append(out, sh.json())
		}
	}
	return out, nil
}

// WaitShard waits until the conduit's shard has the status and returns it,
// or returns ctx's error when ctx ends first, or ErrNotFound when the
// conduit is gone or has no such shard ID.
func (e *EventSub) WaitShard(ctx context.Context, conduitID, shardID, status string) (Shard, error) {
	id, err := strconv.Atoi(shardID)
	if err != nil {
		return Shard{}, fmt.Errorf("%w: shard %q", ErrNotFound, shardID)
	}
	for {
		e.mu.Lock()
		c := e.conduits.byID[conduitID]
		var sh *shard
		if c != nil && id >= 0 && id < len(c.shards) {
			sh = c.shards[id]
		}
		var got Shard
		if sh != nil {
			got = sh.json()
		}
		change := e.change
		e.mu.Unlock()
		switch {
		case c == nil || id < 0 || id >= len(c.shards):
			return Shard{}, fmt.Errorf("%w: shard %s of conduit %q", ErrNotFound, shardID, conduitID)
		case sh != nil && got.Status == status:
			return got, nil
		}
		select {
		case <-ctx.Done():
			return got, fmt.Errorf("twitchtest: waiting for shard %s of conduit %s to be %s (it is %q): %w", shardID, conduitID, status, got.Status, ctx.Err())
		case <-change:
		}
	}
}

// DisableShard disables a shard with a status, as Twitch does when its
// transport fails (websocket_network_timeout, notification_failures_exceeded,
// ...), notifying conduit.shard.disabled subscriptions. The shard's
// session, if any, stays open but carries it no more. It returns
// ErrNotFound for a shard that is not enabled or pending.
func (e *EventSub) DisableShard(conduitID, shardID, status string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.conduits.byID[conduitID]
	id, err := strconv.Atoi(shardID)
	if c == nil || err != nil || id < 0 || id >= len(c.shards) || c.shards[id] == nil ||
		(c.shards[id].status != shardEnabled && c.shards[id].status != shardPending) {
		return fmt.Errorf("%w: an enabled shard %s of conduit %q", ErrNotFound, shardID, conduitID)
	}
	sh := c.shards[id]
	e.release(sh)
	e.disableShard(sh, status)
	return nil
}
