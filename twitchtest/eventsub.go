package twitchtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/oauth"
)

// EventSub is the fake's EventSub: a WebSocket at URL, webhook deliveries
// to callbacks, and the subscriptions created through Helix's EventSub
// endpoints, which keep real state (create, list a page at a time, delete)
// with Twitch's checks (session, token type, type and version, transport,
// callback and secret, required condition fields, scopes, limits,
// conflicts).
//
// A new connection gets a session_welcome and keepalives; a session that
// has no subscription 10 seconds after its welcome is closed with 4003 (see
// WithUnusedTimeout), and a client that sends a message with 4001, as by
// Twitch. The methods send notifications (Notify, Send), session_reconnect
// with a real handover to a new connection (Reconnect), revocations
// (Revoke), close codes, dropped connections and silence.
//
// A webhook subscription (transport method "webhook", created with an app
// access token) starts as webhook_callback_verification_pending: the fake
// posts it a webhook_callback_verification challenge, and enables it when
// the callback answers 2xx with exactly the challenge as its body, or
// marks it webhook_callback_verification_failed. Twitch wants an https
// callback on port 443; the fake also takes http and https URLs on a
// loopback address, any port, as the Twitch CLI posts to any address. Notify, Send and
// Revoke reach enabled webhook subscriptions too: each message is signed
// with the subscription's secret and posted with Twitch's headers, one at a
// time and in order per subscription, asynchronously; a notification that
// fails is retried (see WithWebhookRetries), and one that fails every
// attempt revokes its subscription with notification_failures_exceeded and
// a revocation message. A revoked or failed webhook subscription stays
// listed, with its status, until it is deleted, as at Twitch. FailNext and
// SetFaults drop, delay or duplicate attempts, Replay sends a message
// again, Deliveries records every attempt and WaitDeliveries waits until
// everything is delivered. See WithWebhookClient for where the messages go.
//
// Conduits (see the package doc) live here too: their shards, the
// subscriptions with the conduit transport, and the routing of each of
// their notifications to one shard, then one other (Conduits, Shards,
// WaitShard, DisableShard).
type EventSub struct {
	// URL is the WebSocket's URL, ws://127.0.0.1:<port>/eventsub, for
	// eventsub's base URL.
	URL string

	cfg   config
	conns counter // the goroutines of the WebSocket connections

	mu       sync.Mutex               // guards what follows
	sessions map[string]*session      // by session ID
	handover map[string]*session      // by reconnect token
	subs     map[string]*subscription // by subscription ID
	nextID   int
	change   chan struct{} // closed and replaced when a session is welcomed, a subscription created or a shard changed
	closed   bool
	// live are the connections whose writer runs; close stops them. Each
	// has a stop channel of its own rather than the Server's, so that in a
	// testing/synctest bubble a writer waits only on channels of the
	// bubble (see DialContext).
	live    map[*wsConn]struct{}
	pending map[net.Conn]struct{} // DialContext's connections, until their handshake is read

	webhookClient *http.Client // posts webhook messages
	ownClient     bool         // webhookClient is the fake's own: close lets its connections go
	// workers are the goroutines that deliver webhook queues, one per
	// subscription with something to deliver; close stops them.
	workers    map[*worker]struct{}
	deliveries []*message      // the last webhook and conduit messages (WithDeliveryLimit), oldest first
	anyFaults  []DeliveryFault // FailNext's faults for any subscription
	faultFunc  func(Delivery) DeliveryFault

	conduits conduits // see conduit.go
}

// subscription is a subscription the fake holds: Twitch's object, and the
// session it delivers to or its webhook.
type subscription struct {
	helix.EventSubSubscription
	session string
	hook    *webhook // nil for a WebSocket or conduit subscription
	key     string   // type, version and condition: a second equal one is a conflict
	seq     int      // order of creation
	// conduit is the conduit of a conduit subscription, and clientID the
	// application that made it.
	conduit, clientID string
	condition         map[string]any // the condition's fields, once decoded (see fields)
}

// app reports whether an application's app token made the subscription
// (webhook and conduit transports), rather than a user's token.
func (sub *subscription) app() bool { return sub.hook != nil || sub.conduit != "" }

// owner is the client ID of the application that made a webhook or
// conduit subscription.
func (sub *subscription) owner() string {
	if sub.hook != nil {
		return sub.hook.clientID
	}
	return sub.clientID
}

// eventsubType is what the fake knows of a subscription type and version;
// eventsub_gen.go holds one for each, generated from the schema.
type eventsubType struct {
	required    []string   // condition fields Twitch requires
	scopes      [][]string // a user token needs one scope of each group
	batched     bool       // notifications carry an "events" array
	webhookOnly bool       // not available over WebSocket
	condition   string     // a sample condition
	event       string     // a sample event (an array for a batched type)
}

func newEventSub(cfg config) *EventSub {
	if cfg.webhookTimeout <= 0 {
		cfg.webhookTimeout = defaultWebhookTimeout
	}
	e := &EventSub{
		cfg:           cfg,
		sessions:      map[string]*session{},
		handover:      map[string]*session{},
		subs:          map[string]*subscription{},
		change:        make(chan struct{}),
		live:          map[*wsConn]struct{}{},
		pending:       map[net.Conn]struct{}{},
		webhookClient: cfg.webhookClient,
		workers:       map[*worker]struct{}{},
		conduits:      newConduits(cfg),
	}
	if e.webhookClient == nil {
		e.webhookClient, e.ownClient = loopbackClient(cfg.webhookTimeout), true
	}
	return e
}

func (e *EventSub) route(mux *http.ServeMux) {
	mux.HandleFunc("GET /eventsub", e.serveWebSocket)
}

// close refuses new connections, ends every connection and webhook
// delivery and waits for their goroutines.
func (e *EventSub) close() {
	e.mu.Lock()
	e.closed = true
	for c := range e.live {
		close(c.stop)
	}
	clear(e.live)
	for nc := range e.pending {
		_ = nc.Close()
	}
	for w := range e.workers {
		w.cancel()
	}
	e.mu.Unlock()
	e.conns.Wait()
	if e.ownClient {
		e.webhookClient.CloseIdleConnections()
	}
}

// SampleEvent returns an event of the subscription type and version, built
// from the schema with every field present (an array of one event for a
// batched type), and whether the schema knows the type.
func SampleEvent(typ, version string) (json.RawMessage, bool) {
	t, ok := eventsubTypes[typ][version]
	if !ok {
		return nil, false
	}
	return json.RawMessage(t.event), true
}

// SampleCondition returns a condition of the subscription type and version
// with every field set, and whether the schema knows the type.
func SampleCondition(typ, version string) (json.RawMessage, bool) {
	t, ok := eventsubTypes[typ][version]
	if !ok {
		return nil, false
	}
	return json.RawMessage(t.condition), true
}

// newID returns a fresh ID with a prefix: "session-3". e.mu is held.
func (e *EventSub) newID(prefix string) string {
	e.nextID++
	return prefix + "-" + strconv.Itoa(e.nextID)
}

// WaitSession waits until a WebSocket session has been welcomed and returns
// the newest one's ID, or "" when ctx ends first.
func (e *EventSub) WaitSession(ctx context.Context) string {
	for {
		id, change := e.newestSession()
		if id != "" {
			return id
		}
		select {
		case <-ctx.Done():
			return ""
		case <-change:
		}
	}
}

// newestSession returns the newest welcomed session's ID, or "" and a
// channel closed when a session is welcomed.
func (e *EventSub) newestSession() (string, <-chan struct{}) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var newest *session
	for _, sess := range e.sessions {
		if sess.welcomed && (newest == nil || sess.seq > newest.seq) {
			newest = sess
		}
	}
	if newest == nil {
		return "", e.change
	}
	return newest.id, nil
}

// createSubscription is POST /helix/eventsub/subscriptions, for the
// websocket and webhook transports.
func (e *EventSub) createSubscription(r *http.Request, data []byte, info *TokenInfo) response {
	var body struct {
		Type      string            `json:"type"`
		Version   string            `json:"version"`
		Condition map[string]string `json:"condition"`
		Transport struct {
			Method    string `json:"method"`
			SessionID string `json:"session_id"`
			Callback  string `json:"callback"`
			Secret    string `json:"secret"`
			ConduitID string `json:"conduit_id"`
		} `json:"transport"`
	}
	if err := json.Unmarshal(data, &body); err != nil {
		return apiError(http.StatusBadRequest, "The request body is not valid JSON.")
	}
	t, known := eventsubTypes[body.Type][body.Version]
	webhook := body.Transport.Method == "webhook"
	conduit := body.Transport.Method == "conduit"
	switch {
	case !known:
		return apiError(http.StatusBadRequest, "The combination of values in the type and version fields is not valid.")
	case body.Transport.Method != "websocket" && !webhook && !conduit:
		return apiError(http.StatusBadRequest, "The value in the transport's method field is not valid: websocket, webhook or conduit.")
	case t.webhookOnly && !webhook && !conduit:
		return apiError(http.StatusBadRequest, "The subscription type does not support the websocket transport.")
	}
	for _, f := range t.required {
		if body.Condition[f] == "" {
			return apiError(http.StatusBadRequest, "The condition object is missing one or more required fields.")
		}
	}
	condition, _ := json.Marshal(body.Condition) // a map of strings always encodes; keys come out sorted
	if webhook {
		// With an app token, Twitch checks that the condition's users
		// authorized the application; the fake takes it as given.
		return e.createWebhook(r, body.Type, body.Version, condition, body.Transport.Callback, body.Transport.Secret, info)
	}
	if conduit {
		return e.createConduitSubscription(r, body.Type, body.Version, condition, body.Transport.ConduitID, info)
	}
	if info != nil && missingScope(info.Scopes, t.scopes) != "" {
		return apiError(http.StatusForbidden, "subscription missing proper authorization")
	}
	return e.subscribe(body.Type, body.Version, condition, body.Transport.SessionID)
}

// subscribe creates a subscription on a session, with Twitch's limits.
func (e *EventSub) subscribe(typ, version string, condition json.RawMessage, sessionID string) response {
	key := typ + " " + version + " " + string(condition)
	e.mu.Lock()
	defer e.mu.Unlock()
	sess := e.sessions[sessionID]
	if sess == nil || !sess.welcomed {
		return apiError(http.StatusBadRequest, "The session_id in the transport is not a live WebSocket session.")
	}
	inSession, total, totalCost := 0, 0, 0
	for _, sub := range e.subs {
		if sub.app() {
			continue // an application's webhook and conduit subscriptions have a cost limit of their own
		}
		total++
		totalCost += sub.Cost
		if sub.session != sess.id {
			continue
		}
		inSession++
		if sub.key == key {
			return apiError(http.StatusConflict, "subscription already exists")
		}
	}
	if inSession >= e.cfg.subscriptionLimit {
		return apiError(http.StatusTooManyRequests, fmt.Sprintf("websocket transports are limited to %d enabled subscriptions", e.cfg.subscriptionLimit))
	}
	if totalCost+1 > e.cfg.maxTotalCost {
		return apiError(http.StatusTooManyRequests, "total cost exceeded")
	}
	sub := &subscription{
		EventSubSubscription: helix.EventSubSubscription{
			ID:        e.newID("subscription"),
			Status:    helix.EventSubSubscriptionStatusEnabled,
			Type:      typ,
			Version:   version,
			Condition: condition,
			CreatedAt: helix.Time{Time: time.Now().UTC()},
			Transport: helix.EventSubTransport{
				Method:    helix.EventSubTransportMethodWebSocket,
				SessionID: sess.id,
			},
			Cost: 1,
		},
		session: sess.id,
		key:     key,
		seq:     e.nextID,
	}
	e.subs[sub.ID] = sub
	sess.used = true
	close(e.change) // wakes WaitSubscription
	e.change = make(chan struct{})
	return jsonResponse(http.StatusAccepted, map[string]any{
		"data":           []helix.EventSubSubscription{sub.EventSubSubscription},
		"total":          total + 1,
		"total_cost":     totalCost + sub.Cost,
		"max_total_cost": e.cfg.maxTotalCost,
	})
}

// listSubscriptions is GET /helix/eventsub/subscriptions: the
// subscriptions the token sees (see subscription.visibleTo), oldest first,
// with the status, type, user_id and subscription_id filters, a page at a
// time.
func (e *EventSub) listSubscriptions(r *http.Request, _ []byte, info *TokenInfo) response {
	q := r.URL.Query()
	clientID := r.Header.Get("Client-Id")
	var matched []subscription
	totalCost, total := 0, 0
	for _, sub := range e.sorted() {
		if !sub.visibleTo(info, clientID) {
			continue
		}
		totalCost += sub.Cost
		total++
		switch {
		case q.Get("status") != "" && string(sub.Status) != q.Get("status"),
			q.Get("type") != "" && sub.Type != q.Get("type"),
			q.Get("user_id") != "" && !namesUser(sub.Condition, q.Get("user_id")),
			q.Get("subscription_id") != "" && sub.ID != q.Get("subscription_id"):
			continue
		}
		matched = append(matched, sub)
	}
	page, next := pageAfter(matched, q.Get("after"), e.cfg.subscriptionPage)
	data := make([]helix.EventSubSubscription, len(page))
	for i, sub := range page {
		data[i] = sub.EventSubSubscription
	}
	pagination := map[string]any{}
	if next != "" {
		pagination["cursor"] = next
	}
	return jsonResponse(http.StatusOK, map[string]any{
		"data": data, "total": total, "total_cost": totalCost, "max_total_cost": e.cfg.maxTotalCost,
		"pagination": pagination,
	})
}

// namesUser reports whether a condition names the user in one of its
// user ID fields (broadcaster_user_id, user_id, ...).
func namesUser(condition json.RawMessage, userID string) bool {
	var fields map[string]any
	if json.Unmarshal(condition, &fields) != nil {
		return false
	}
	for k, v := range fields {
		if strings.HasSuffix(k, "user_id") && v == userID {
			return true
		}
	}
	return false
}

// deleteSubscription is DELETE /helix/eventsub/subscriptions?id=...; a
// webhook subscription's deliveries stop with it.
func (e *EventSub) deleteSubscription(r *http.Request, _ []byte, info *TokenInfo) response {
	id := r.URL.Query().Get("id")
	e.mu.Lock()
	defer e.mu.Unlock()
	sub := e.subs[id]
	switch {
	case sub != nil && sub.app() && info != nil && info.Type != oauth.TokenApp:
		return apiError(http.StatusUnauthorized, "A webhook or conduit subscription needs an app access token.")
	case sub == nil || !sub.visibleTo(info, r.Header.Get("Client-Id")):
		return apiError(http.StatusNotFound, "subscription not found")
	}
	delete(e.subs, id)
	if sub.hook != nil {
		e.cancelQueue(sub.hook)
	}
	return response{status: http.StatusNoContent}
}

// WaitSubscription waits until the fake holds an enabled subscription of
// the type (any version; the oldest if several; a webhook subscription
// once its challenge was answered) and returns it, or ctx's error when
// ctx ends first: a test sends a notification once a client has
// subscribed.
func (e *EventSub) WaitSubscription(ctx context.Context, typ string) (helix.EventSubSubscription, error) {
	for {
		e.mu.Lock()
		var oldest *subscription
		for _, sub := range e.subs {
			if sub.Type == typ && sub.Status == helix.EventSubSubscriptionStatusEnabled && (oldest == nil || sub.seq < oldest.seq) {
				oldest = sub
			}
		}
		change := e.change
		e.mu.Unlock()
		if oldest != nil {
			return oldest.EventSubSubscription, nil
		}
		select {
		case <-ctx.Done():
			return helix.EventSubSubscription{}, fmt.Errorf("twitchtest: waiting for a %s subscription: %w", typ, ctx.Err())
		case <-change:
		}
	}
}

// Subscriptions returns the subscriptions the fake holds, oldest first.
func (e *EventSub) Subscriptions() []helix.EventSubSubscription {
	var out []helix.EventSubSubscription
	for _, sub := range e.sorted() {
		out = append(out, sub.EventSubSubscription)
	}
	return out
}

// sorted is a snapshot of the subscriptions, oldest first.
func (e *EventSub) sorted() []subscription {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.sortedLocked()
}

// sortedLocked is sorted; e.mu is held.
func (e *EventSub) sortedLocked() []subscription {
	out := make([]subscription, 0, len(e.subs))
	for _, sub := range e.subs {
		out = append(out, *sub)
	}
	slices.SortFunc(out, func(a, b subscription) int { return a.seq - b.seq })
	return out
}

// Notification is a notification to send.
type Notification struct {
	SubscriptionID string
	// Event is the event: a generated event value
	// (*eventsub.ChannelFollowEvent) or JSON as it is (json.RawMessage);
	// for a batched type, a slice of events or a JSON array. nil sends the
	// type's sample event.
	Event any
	// MessageID and Timestamp default to a fresh ID (a random UUID for a
	// webhook) and now; set them to send a duplicate or an old message.
	MessageID string
	Timestamp time.Time
}

// Notify sends event, a generated EventSub event (a
// *eventsub.ChannelFollowEvent, or the value; for a batched type, a slice
// of its events), to every subscription of its type and version whose
// condition selects it, as Twitch does, and returns the IDs of the messages
// sent, oldest subscription first. A condition selects an event unless one
// of its fields that is set is also a member of the event with another
// value (broadcaster_user_id, to_broadcaster_user_id, ...). No subscription
// that selects it is an error that wraps ErrNotFound. Enabled webhook
// subscriptions get it too: it is queued for their callbacks, and
// WaitDeliveries waits until it has been delivered. To send JSON as it
// is, or to one subscription, use Send.
func (e *EventSub) Notify(event any) ([]string, error) {
	info, raw, members, err := encodeEvent(event)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var matched []*subscription
	for _, sub := range e.subs {
		if sub.Type == info.Type && sub.Version == info.Version && selects(sub.fields(), members) {
			matched = append(matched, sub)
		}
	}
	slices.SortFunc(matched, func(a, b *subscription) int { return a.seq - b.seq })
	var ids []string
	for _, sub := range matched {
		if hooked := sub; hooked.app() {
			if sub.Status != helix.EventSubSubscriptionStatusEnabled {
				continue
			}
			notify := e.notifyWebhook
			if hooked.conduit != "" {
				notify = e.notifyConduit
			}
			id, err := notify(hooked, Notification{Event: raw})
			if err != nil {
				return ids, err
			}
			ids = append(ids, id)
			continue
		}
		conn, id, frame, err := e.notification(Notification{SubscriptionID: sub.ID, Event: raw})
		if err != nil {
			return ids, err
		}
		if !conn.send(outbound{frame: frame}) {
			return ids, fmt.Errorf("%w: the connection of the session of subscription %q has ended", ErrNotFound, sub.ID)
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("%w: no subscription of %s version %s selects the event", ErrNotFound, info.Type, info.Version)
	}
	return ids, nil
}

// typedEvent is a generated EventSub event.
type typedEvent interface{ TypeInfo() eventsub.TypeInfo }

// encodeEvent finds event's subscription type and encodes it; members are
// the top-level members of the event (of each event, for a batch), which a
// condition is matched against.
func encodeEvent(event any) (info eventsub.TypeInfo, raw json.RawMessage, members []map[string]any, err error) {
	if t, ok := event.(typedEvent); ok {
		info = t.TypeInfo()
		if info.Batched {
			return info, nil, nil, fmt.Errorf("twitchtest: Notify: %s version %s comes in batches: pass a slice of %T", info.Type, info.Version, event)
		}
	} else if v := reflect.ValueOf(event); v.Kind() == reflect.Slice && v.Type().Elem().Implements(reflect.TypeFor[typedEvent]()) {
		info = reflect.Zero(v.Type().Elem()).Interface().(typedEvent).TypeInfo()
		if !info.Batched {
			return info, nil, nil, fmt.Errorf("twitchtest: Notify: %s version %s sends one event at a time, not %T", info.Type, info.Version, event)
		}
	} else {
		return info, nil, nil, fmt.Errorf("twitchtest: Notify: %T is not a generated EventSub event (such as *eventsub.ChannelFollowEvent)", event)
	}
	if raw, err = json.Marshal(event); err != nil {
		return info, nil, nil, fmt.Errorf("twitchtest: Notify: encode %T: %w", event, err)
	}
	if info.Batched {
		err = json.Unmarshal(raw, &members)
	} else {
		members = make([]map[string]any, 1)
		err = json.Unmarshal(raw, &members[0])
	}
	if err != nil {
		return info, nil, nil, fmt.Errorf("twitchtest: Notify: %T is not a JSON object: %w", event, err)
	}
	return info, raw, members, nil
}

// fields returns the members of the subscription's condition, decoded
// once (Notify matches them against every event). e.mu is held.
func (sub *subscription) fields() map[string]any {
	if sub.condition == nil {
		sub.condition = map[string]any{}
		_ = json.Unmarshal(sub.Condition, &sub.condition) // JSON the fake encoded
	}
	return sub.condition
}

// selects reports whether a condition's fields select one of the events.
func selects(fields map[string]any, events []map[string]any) bool {
	for _, ev := range events {
		ok := true
		for k, want := range fields {
			if got, has := ev[k]; has && want != "" && got != want {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// Send sends a notification on the connection of its subscription's
// session, or queues it for the callback of an enabled webhook
// subscription, and returns the message's ID.
func (e *EventSub) Send(n Notification) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if sub := e.subs[n.SubscriptionID]; sub != nil && sub.hook != nil {
		return e.notifyWebhook(sub, n)
	} else if sub != nil && sub.conduit != "" {
		return e.notifyConduit(sub, n)
	}
	conn, id, frame, err := e.notification(n)
	if err != nil {
		return "", err
	}
	// Queued under e.mu: see wsConn.send.
	if !conn.send(outbound{frame: frame}) {
		return "", fmt.Errorf("%w: the connection of the session of subscription %q has ended", ErrNotFound, n.SubscriptionID)
	}
	return id, nil
}

// notification builds the frame of n and finds the connection it goes to.
// e.mu is held.
func (e *EventSub) notification(n Notification) (*wsConn, string, []byte, error) {
	sub := e.subs[n.SubscriptionID]
	if sub == nil {
		return nil, "", nil, fmt.Errorf("%w: subscription %q", ErrNotFound, n.SubscriptionID)
	}
	sess := e.sessions[sub.session]
	if sess == nil || sess.conn == nil {
		return nil, "", nil, fmt.Errorf("%w: session %q", ErrNotFound, sub.session)
	}
	event := n.Event
	if event == nil {
		event, _ = SampleEvent(sub.Type, sub.Version)
	}
	key := "event"
	if eventsubTypes[sub.Type][sub.Version].batched {
		key = "events"
	}
	id, at := n.MessageID, n.Timestamp
	if id == "" {
		id = e.newID("message")
	}
	if at.IsZero() {
		at = time.Now()
	}
	frame, err := frameWith(id, at, "notification", sub.Type, sub.Version, map[string]any{
		"subscription": sub.EventSubSubscription,
		key:            event,
	})
	return sess.conn, id, frame, err
}

// Reconnect sends the session a session_reconnect whose URL leads to a new
// connection of the same session; the session and its subscriptions (and
// its conduit shard) move there when the client connects, and
// notifications go to the old connection until then. A client that has
// not connected 30 seconds after the message was written has its old
// connection closed with 4004, as by Twitch, which ends the session (its
// shard: websocket_failed_to_reconnect).
func (e *EventSub) Reconnect(sessionID string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	conn, frame, err := e.reconnect(sessionID)
	if err != nil {
		return err
	}
	if !conn.send(outbound{frame: frame, reconnect: true}) {
		return fmt.Errorf("%w: the connection of session %q has ended", ErrNotFound, sessionID)
	}
	return nil
}

// reconnect builds the session_reconnect frame of a session. e.mu is held.
func (e *EventSub) reconnect(sessionID string) (*wsConn, []byte, error) {
	sess := e.sessions[sessionID]
	if sess == nil || sess.conn == nil {
		return nil, nil, fmt.Errorf("%w: session %q", ErrNotFound, sessionID)
	}
	if sess.token == "" {
		sess.token = e.newID("handover")
		e.handover[sess.token] = sess
	}
	frame, err := e.frame("session_reconnect", "", "", map[string]any{
		"session": e.sessionJSON(sess, e.URL+"?reconnect="+sess.token),
	})
	return sess.conn, frame, err
}

// Revoke ends a subscription as Twitch does, with a revocation message;
// status is the reason ("authorization_revoked", "user_removed", ...). A
// webhook subscription's revocation is posted to its callback (after the
// attempt under way, if any; what it had left to deliver is dropped), and
// it stays listed with the status until it is deleted.
func (e *EventSub) Revoke(subscriptionID, status string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if sub := e.subs[subscriptionID]; sub != nil && sub.hook != nil {
		e.revokeWebhook(sub, status)
		return nil
	} else if sub != nil && sub.conduit != "" {
		e.revokeConduit(sub, status)
		return nil
	}
	conn, frame, err := e.revoke(subscriptionID, status)
	if err != nil {
		return err
	}
	conn.send(outbound{frame: frame})
	return nil
}

// revoke ends a subscription and builds its revocation frame. e.mu is held.
func (e *EventSub) revoke(subscriptionID, status string) (*wsConn, []byte, error) {
	sub := e.subs[subscriptionID]
	if sub == nil {
		return nil, nil, fmt.Errorf("%w: subscription %q", ErrNotFound, subscriptionID)
	}
	delete(e.subs, subscriptionID)
	revoked := sub.EventSubSubscription
	revoked.Status = helix.EventSubSubscriptionStatus(status)
	sess := e.sessions[sub.session]
	if sess == nil || sess.conn == nil {
		return nil, nil, fmt.Errorf("%w: session %q", ErrNotFound, sub.session)
	}
	frame, err := e.frame("revocation", sub.Type, sub.Version, map[string]any{"subscription": revoked})
	return sess.conn, frame, err
}

// SendFrame sends any frame to a session, as it is: a malformed one, or a
// copy of one sent before.
func (e *EventSub) SendFrame(sessionID string, frame []byte) error {
	return e.sendTo(sessionID, outbound{frame: frame})
}

// CloseSession closes the session's connection with a close code (4000 to
// 4007 are Twitch's), ending the session and its subscriptions.
func (e *EventSub) CloseSession(sessionID string, code int) error {
	return e.sendTo(sessionID, outbound{close: code})
}

// Drop ends the session's connection abruptly: no close frame, as when the
// network fails.
func (e *EventSub) Drop(sessionID string) error {
	return e.sendTo(sessionID, outbound{drop: true})
}

// Silence stops the keepalives of the session's connection, so that the
// client's watchdog finds it dead.
func (e *EventSub) Silence(sessionID string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	conn, err := e.connOf(sessionID)
	if err != nil {
		return err
	}
	conn.silent.Store(true)
	return nil
}

func (e *EventSub) sendTo(sessionID string, o outbound) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	conn, err := e.connOf(sessionID)
	if err != nil {
		return err
	}
	conn.send(o)
	return nil
}

// connOf returns the connection of a session. e.mu is held.
func (e *EventSub) connOf(sessionID string) (*wsConn, error) {
	sess := e.sessions[sessionID]
	if sess == nil || sess.conn == nil {
		return nil, fmt.Errorf("%w: session %q", ErrNotFound, sessionID)
	}
	return sess.conn, nil
}
