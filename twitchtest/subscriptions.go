package twitchtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/twitchify-go/twitch/helix"
)

// subscription is a subscription the fake holds: Twitch's object, and the
// session it delivers to.
type subscription struct {
	helix.EventSubSubscription
	session string
	key     string // type, version and condition: a second equal one is a conflict
	seq     int    // order of creation
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

// apiError answers with Twitch's error shape.
func apiError(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": http.StatusText(status), "status": status, "message": message})
}

func reply(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// createSubscription is POST /helix/eventsub/subscriptions, for the
// websocket transport.
func (s *Server) createSubscription(w http.ResponseWriter, _ *http.Request, data []byte, info *TokenInfo) {
	var body struct {
		Type      string            `json:"type"`
		Version   string            `json:"version"`
		Condition map[string]string `json:"condition"`
		Transport struct {
			Method    string `json:"method"`
			SessionID string `json:"session_id"`
		} `json:"transport"`
	}
	if err := json.Unmarshal(data, &body); err != nil {
		apiError(w, http.StatusBadRequest, "The request body is not valid JSON.")
		return
	}
	t, known := eventsubTypes[body.Type][body.Version]
	switch {
	case !known:
		apiError(w, http.StatusBadRequest, "The combination of values in the type and version fields is not valid.")
		return
	case body.Transport.Method != "websocket":
		apiError(w, http.StatusBadRequest, "The fake supports the websocket transport only.")
		return
	case t.webhookOnly:
		apiError(w, http.StatusBadRequest, "The subscription type does not support the websocket transport.")
		return
	}
	for _, f := range t.required {
		if body.Condition[f] == "" {
			apiError(w, http.StatusBadRequest, "The condition object is missing one or more required fields.")
			return
		}
	}
	if info != nil && missingScope(info.Scopes, t.scopes) != "" {
		apiError(w, http.StatusForbidden, "subscription missing proper authorization")
		return
	}
	condition, _ := json.Marshal(body.Condition) // a map of strings always encodes; keys come out sorted
	key := body.Type + " " + body.Version + " " + string(condition)

	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessions[body.Transport.SessionID]
	if sess == nil || !sess.welcomed {
		apiError(w, http.StatusBadRequest, "The session_id in the transport is not a live WebSocket session.")
		return
	}
	inSession, totalCost := 0, 0
	for _, sub := range s.subs {
		totalCost += sub.Cost
		if sub.session != sess.id {
			continue
		}
		inSession++
		if sub.key == key {
			apiError(w, http.StatusConflict, "subscription already exists")
			return
		}
	}
	if inSession >= s.cfg.subscriptionLimit {
		apiError(w, http.StatusTooManyRequests, fmt.Sprintf("websocket transports are limited to %d enabled subscriptions", s.cfg.subscriptionLimit))
		return
	}
	if totalCost+1 > s.cfg.maxTotalCost {
		apiError(w, http.StatusTooManyRequests, "total cost exceeded")
		return
	}
	sub := &subscription{
		EventSubSubscription: helix.EventSubSubscription{
			ID:        s.newID("subscription"),
			Status:    helix.EventSubSubscriptionStatusEnabled,
			Type:      body.Type,
			Version:   body.Version,
			Condition: condition,
			CreatedAt: helix.Time{Time: s.now().UTC()},
			Transport: helix.EventSubTransport{
				Method:    helix.EventSubTransportMethodWebSocket,
				SessionID: sess.id,
			},
			Cost: 1,
		},
		session: sess.id,
		key:     key,
		seq:     s.nextID,
	}
	s.subs[sub.ID] = sub
	reply(w, http.StatusAccepted, map[string]any{
		"data":           []helix.EventSubSubscription{sub.EventSubSubscription},
		"total":          len(s.subs),
		"total_cost":     totalCost + sub.Cost,
		"max_total_cost": s.cfg.maxTotalCost,
	})
}

// listSubscriptions is GET /helix/eventsub/subscriptions, with the status,
// type and subscription_id filters; one page holds everything.
func (s *Server) listSubscriptions(w http.ResponseWriter, r *http.Request, _ []byte, _ *TokenInfo) {
	q := r.URL.Query()
	data := []helix.EventSubSubscription{}
	totalCost, total := 0, 0
	for _, sub := range s.sorted() {
		totalCost += sub.Cost
		total++
		switch {
		case q.Get("status") != "" && string(sub.Status) != q.Get("status"),
			q.Get("type") != "" && sub.Type != q.Get("type"),
			q.Get("subscription_id") != "" && sub.ID != q.Get("subscription_id"):
			continue
		}
		data = append(data, sub.EventSubSubscription)
	}
	reply(w, http.StatusOK, map[string]any{
		"data": data, "total": total, "total_cost": totalCost, "max_total_cost": s.cfg.maxTotalCost,
		"pagination": map[string]any{},
	})
}

// deleteSubscription is DELETE /helix/eventsub/subscriptions?id=...
func (s *Server) deleteSubscription(w http.ResponseWriter, r *http.Request, _ []byte, _ *TokenInfo) {
	id := r.URL.Query().Get("id")
	s.mu.Lock()
	_, found := s.subs[id]
	delete(s.subs, id)
	s.mu.Unlock()
	if !found {
		apiError(w, http.StatusNotFound, "subscription not found")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// Subscriptions returns the subscriptions the fake holds, oldest first.
func (s *Server) Subscriptions() []helix.EventSubSubscription {
	var out []helix.EventSubSubscription
	for _, sub := range s.sorted() {
		out = append(out, sub.EventSubSubscription)
	}
	return out
}

// sorted is a snapshot of the subscriptions, oldest first.
func (s *Server) sorted() []*subscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*subscription, 0, len(s.subs))
	for _, sub := range s.subs {
		out = append(out, sub)
	}
	slices.SortFunc(out, func(a, b *subscription) int { return a.seq - b.seq })
	return out
}
