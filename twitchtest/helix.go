package twitchtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// helixOperation is what the fake knows of a Helix operation; helix_gen.go
// holds one for each, generated from the schema.
type helixOperation struct {
	name        string
	method      string
	path        string
	success     int
	query       []helixParam
	body        []helixParam // the top-level fields of the JSON body
	groups      []helixGroup
	auth        []helixAuth // ways to be allowed; empty: no token needed
	paginated   bool
	contentType string // of an answer that is not JSON
	response    string // a sample answer with every field filled in
}

type helixParam struct {
	name     string
	kind     string // "int", "float", "bool", "timestamp", "object", "json"; "" for a string
	repeated bool
	required bool
	max      int
}

type helixGroup struct {
	params   []string
	rule     string // "exactly_one", "at_least_one", "at_most_one" or ""
	maxTotal int
}

type helixAuth struct {
	token  string     // "app", "user" or "jwt"
	scopes [][]string // a token needs one scope of each group
}

// HelixRequest is a request the fake's Helix received, for tests to check
// what a client sent.
type HelixRequest struct {
	Operation string // the helix.Client method, "GetUsers"
	Method    string
	Path      string // below the Helix base URL: "/users"
	Query     url.Values
	Body      []byte
	ClientID  string
	Token     string // the bearer token
}

// Fault is an answer the fake gives in place of the usual one; see
// Helix.FailNext and OAuth.FailNext.
type Fault struct {
	// Status is the status to answer with, as Twitch would: a 429 of
	// Helix carries rate-limit headers saying the bucket is empty until a
	// second from now. 0 answers as usual, after Delay.
	Status int
	// Message is the error's message; empty for the status's text.
	Message string
	// Delay holds the answer back (a slow Twitch); it ends early when the
	// client gives up.
	Delay time.Duration
}

// Helix is the fake's Helix API, below URL. It answers every operation of
// the schema the way Twitch does: it checks the method, the parameters
// (required, repeated at most so many times, groups of which one must be
// set), the Client-Id and the token (its type and scopes, once tokens are
// registered with OAuth), paces each token to a rate-limit bucket with
// Twitch's Ratelimit headers, and answers with a sample built from the
// schema or with data a test sets (SetData), a page at a time.
//
// Some operations act as Twitch's do: Get Users without id or login
// answers with the token's user, Send Chat Message refuses a sender_id
// that is not the token's user and a message over 500 characters, and the
// EventSub subscription endpoints create, list and delete srv.EventSub's
// subscriptions.
type Helix struct {
	// URL is the base URL of the API, for helix.WithBaseURL.
	URL string

	cfg      config
	tokens   *tokenRegistry
	eventsub *EventSub
	stop     <-chan struct{} // closed when the fake closes

	mu       sync.Mutex                   // guards what follows
	faults   map[string][]Fault           // by operation; "" for any
	data     map[string][]json.RawMessage // by operation: the items it serves
	buckets  map[string]*rateBucket       // by token
	recorded []HelixRequest
	done     []HelixRequest // the last 1,000 requests answered, oldest first
	// changed is closed and replaced when a request has been answered.
	changed chan struct{}
	served  int // requests the rate limit let through
	refused int // requests it answered 429
}

// maxRecorded bounds how many requests Requests remembers.
const maxRecorded = 1000

// calendarSample answers an operation whose answer is an iCalendar.
const calendarSample = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//twitchtest//EN\r\nEND:VCALENDAR\r\n"

func newHelix(cfg config, stop <-chan struct{}, tokens *tokenRegistry, es *EventSub) *Helix {
	return &Helix{
		cfg:      cfg,
		tokens:   tokens,
		eventsub: es,
		stop:     stop,
		faults:   map[string][]Fault{},
		data:     map[string][]json.RawMessage{},
		buckets:  map[string]*rateBucket{},
		changed:  make(chan struct{}),
	}
}

// special is how an operation the fake answers with logic of its own is
// answered, once the request has passed the checks every operation makes.
type special func(r *http.Request, body []byte, info *TokenInfo) response

// route serves every operation of the schema.
func (h *Helix) route(mux *http.ServeMux) {
	specials := map[string]special{
		"CreateEventSubSubscription": h.eventsub.createSubscription,
		"GetEventSubSubscriptions":   h.eventsub.listSubscriptions,
		"DeleteEventSubSubscription": h.eventsub.deleteSubscription,
		"GetConduits":                h.eventsub.getConduits,
		"CreateConduits":             h.eventsub.createConduits,
		"UpdateConduits":             h.eventsub.updateConduits,
		"DeleteConduit":              h.eventsub.deleteConduit,
		"GetConduitShards":           h.eventsub.getConduitShards,
		"UpdateConduitShards":        h.eventsub.updateConduitShards,
		"GetUsers":                   h.getUsers,
		"SendChatMessage":            h.sendChatMessage,
	}
	for i := range helixOperations {
		op := &helixOperations[i]
		mux.HandleFunc(op.method+" /helix"+op.path, h.serve(op, specials[op.name]))
	}
}

func findOperation(name string) *helixOperation {
	for i := range helixOperations {
		if helixOperations[i].name == name {
			return &helixOperations[i]
		}
	}
	return nil
}

// serve answers one operation the way Twitch does: faults first, then
// the token, the rate limit, scopes, parameters, and the answer.
func (h *Helix) serve(op *helixOperation, special special) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", time.Now().UTC().Format(http.TimeFormat))
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return
		}
		token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		req := HelixRequest{
			Operation: op.name, Method: r.Method, Path: strings.TrimPrefix(r.URL.Path, "/helix"),
			Query: r.URL.Query(), Body: body, ClientID: r.Header.Get("Client-Id"), Token: token,
		}
		f, faulty := h.receive(req)
		defer h.answered(req)
		if faulty {
			if !delay(r, h.stop, f.Delay) {
				return
			}
			if f.Status != 0 {
				h.faultAnswer(f).write(w)
				return
			}
		}
		var info *TokenInfo
		if len(op.auth) > 0 {
			var refused *response
			if token, info, refused = h.tokens.authenticate(r); refused != nil {
				refused.write(w)
				return
			}
			limit := h.takePoint(token)
			limit.setHeaders(w)
			if !limit.ok {
				apiError(http.StatusTooManyRequests, "Too Many Requests").write(w)
				return
			}
			if refused := allowed(info, op.auth); refused != nil {
				refused.write(w)
				return
			}
		}
		if msg := checkParams(op, r.URL.Query(), body); msg != "" {
			apiError(http.StatusBadRequest, msg).write(w)
			return
		}
		if special != nil {
			special(r, body, info).write(w)
			return
		}
		h.answer(r, op).write(w)
	}
}

// receive records a request and takes the fault queued for it, if any.
func (h *Helix) receive(req HelixRequest) (Fault, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.recorded) == maxRecorded {
		h.recorded = slices.Delete(h.recorded, 0, 1)
	}
	h.recorded = append(h.recorded, req)
	return popFault(h.faults, req.Operation, "")
}

// answered records that req has been answered, for WaitRequests.
func (h *Helix) answered(req HelixRequest) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.done) == maxRecorded {
		h.done = slices.Delete(h.done, 0, 1)
	}
	h.done = append(h.done, req)
	close(h.changed) // wakes WaitRequests
	h.changed = make(chan struct{})
}

// Requests returns the requests the fake received, oldest first (the last
// 1,000).
func (h *Helix) Requests() []HelixRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.recorded)
}

// WaitRequests waits until the fake has answered n requests of the
// operation (a helix.Client method name, "SendChatMessage"), and returns
// the first n of them, oldest first (among the last 1,000 it keeps). With
// InMemoryClient, the client has its answer by then. It returns ctx's
// error when ctx ends first, and ErrNotFound for an operation the schema
// does not have.
//
//	reqs, err := srv.Helix.WaitRequests(ctx, "SendChatMessage", 1)
func (h *Helix) WaitRequests(ctx context.Context, operation string, n int) ([]HelixRequest, error) {
	if findOperation(operation) == nil {
		return nil, fmt.Errorf("%w: operation %q", ErrNotFound, operation)
	}
	for {
		h.mu.Lock()
		var found []HelixRequest
		for _, r := range h.done {
			if r.Operation == operation && len(found) < n {
				found = append(found, r)
			}
		}
		changed := h.changed
		h.mu.Unlock()
		if len(found) >= n {
			return found, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("twitchtest: waiting for %d %s request(s), %d came: %w", n, operation, len(found), ctx.Err())
		case <-changed:
		}
	}
}

// FailNext queues faults for the operation (a helix.Client method name,
// "GetUsers"; "" for any operation): each of its next requests gets the
// next fault instead of its usual answer. It returns ErrNotFound for an
// operation the schema does not have.
func (h *Helix) FailNext(operation string, faults ...Fault) error {
	if operation != "" && findOperation(operation) == nil {
		return fmt.Errorf("%w: operation %q", ErrNotFound, operation)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.faults[operation] = append(h.faults[operation], faults...)
	return nil
}

// popFault takes the next fault queued under the first of keys that has
// one. The lock of the queues is held.
func popFault(queues map[string][]Fault, keys ...string) (Fault, bool) {
	for _, key := range keys {
		if q := queues[key]; len(q) > 0 {
			queues[key] = q[1:]
			return q[0], true
		}
	}
	return Fault{}, false
}

// message is the fault's error message: Message, or the status's text.
func (f Fault) message() string {
	if f.Message != "" {
		return f.Message
	}
	return http.StatusText(f.Status)
}

// faultAnswer is the answer a fault gives.
func (h *Helix) faultAnswer(f Fault) response {
	res := apiError(f.Status, f.message())
	if f.Status == http.StatusTooManyRequests {
		// As Twitch says it, the bucket is empty, and full again in a
		// second; the token's real bucket is left as it is, so that the
		// retry a second later goes through.
		limit := h.cfg.ratePoints
		if limit <= 0 {
			limit = defaultRatePoints
		}
		res.header = http.Header{}
		rateLimit{limit: limit, reset: ceilUnix(time.Now().Add(time.Second))}.addTo(res.header)
	}
	return res
}

// SetData sets the items the operation's answer carries in "data"
// (instead of one sample item), each anything that encodes to JSON. A
// paginated operation serves them a page at a time, as many as the
// request's "first" asks for (20 when it does not), with cursors; its
// "total", if it has one, counts them all. It returns ErrNotFound for an
// operation the schema does not have.
func (h *Helix) SetData(operation string, items ...any) error {
	if findOperation(operation) == nil {
		return fmt.Errorf("%w: operation %q", ErrNotFound, operation)
	}
	raw := make([]json.RawMessage, len(items))
	for i, item := range items {
		data, err := json.Marshal(item)
		if err != nil {
			return fmt.Errorf("twitchtest: SetData %s: item %d: %w", operation, i, err)
		}
		raw[i] = data
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.data[operation] = raw
	return nil
}

// dataOf returns the items a test set for the operation, and whether it set
// any.
func (h *Helix) dataOf(operation string) ([]json.RawMessage, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	items, ok := h.data[operation]
	return items, ok
}

// answer is the usual answer of an operation: its sample, or the data a
// test set, a page at a time.
func (h *Helix) answer(r *http.Request, op *helixOperation) response {
	switch {
	case op.contentType != "":
		return response{status: op.success, raw: calendarSample, contentType: op.contentType}
	case op.response == "":
		return response{status: op.success}
	}
	items, set := h.dataOf(op.name)
	if !set {
		return response{status: op.success, raw: op.response, contentType: "application/json"}
	}
	return pageOf(r, op, items)
}

// pageOf answers with the operation's sample carrying items: all of them,
// or a page at a time for a paginated operation.
func pageOf(r *http.Request, op *helixOperation, items []json.RawMessage) response {
	var out map[string]json.RawMessage
	if err := json.Unmarshal([]byte(op.response), &out); err != nil {
		return apiError(http.StatusInternalServerError, "twitchtest: bad sample: "+err.Error())
	}
	page := items
	if op.paginated {
		q := r.URL.Query()
		start := 0
		if c := q.Get("after"); c != "" {
			n, err := strconv.Atoi(strings.TrimPrefix(c, "page-"))
			if err != nil || n < 0 || n > len(items) || !strings.HasPrefix(c, "page-") {
				return apiError(http.StatusBadRequest, "The cursor in the after query parameter is not valid.")
			}
			start = n
		}
		size := 20
		if f := q.Get("first"); f != "" {
			size, _ = strconv.Atoi(f) // checkParams made sure it is a number
		}
		end := min(start+max(size, 1), len(items))
		page = items[start:end]
		cursor := map[string]string{}
		if end < len(items) {
			cursor["cursor"] = "page-" + strconv.Itoa(end)
		}
		out["pagination"], _ = json.Marshal(cursor)
	}
	if _, ok := out["total"]; ok {
		out["total"] = json.RawMessage(strconv.Itoa(len(items)))
	}
	if page == nil {
		page = []json.RawMessage{}
	}
	out["data"], _ = json.Marshal(page)
	return jsonResponse(op.success, out)
}

// checkParams checks a request's query and body against the operation, and
// says what Twitch would answer 400 for, or "".
func checkParams(op *helixOperation, q url.Values, body []byte) string {
	set := map[string]int{} // values of each parameter given
	for name, values := range q {
		p := findParam(op.query, name)
		if p == nil {
			return fmt.Sprintf("The parameter %q is not one this endpoint takes.", name)
		}
		if !p.repeated && len(values) > 1 {
			return fmt.Sprintf("The parameter %q may be given once.", name)
		}
		if p.max > 0 && len(values) > p.max {
			return fmt.Sprintf("The parameter %q may be given at most %d times.", name, p.max)
		}
		for _, v := range values {
			if !validValue(p.kind, v) {
				return fmt.Sprintf("The value of the parameter %q is not valid.", name)
			}
		}
		set[name] = len(values)
	}
	for _, p := range op.query {
		if p.required && set[p.name] == 0 {
			return fmt.Sprintf("Missing required parameter %q.", p.name)
		}
	}
	if len(op.body) > 0 {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(body, &fields); err != nil {
			return "The request body is not a JSON object."
		}
		for name, v := range fields {
			p := findParam(op.body, name)
			if p == nil {
				return fmt.Sprintf("The body field %q is not one this endpoint takes.", name)
			}
			if bytes.Equal(v, []byte("null")) {
				continue
			}
			n := 1
			if p.repeated {
				var items []json.RawMessage
				if json.Unmarshal(v, &items) != nil {
					return fmt.Sprintf("The body field %q must be an array.", name)
				}
				n = len(items)
				if p.max > 0 && n > p.max {
					return fmt.Sprintf("The body field %q may have at most %d items.", name, p.max)
				}
			}
			set[name] = max(n, 1) // an empty array is a value ("tags": [] clears the tags)
		}
		for _, p := range op.body {
			if p.required && set[p.name] == 0 {
				return fmt.Sprintf("Missing required body field %q.", p.name)
			}
		}
	} else if len(bytes.TrimSpace(body)) > 0 {
		return "This endpoint takes no body."
	}
	for _, g := range op.groups {
		n, total := 0, 0
		for _, name := range g.params {
			if set[name] > 0 {
				n++
				total += set[name]
			}
		}
		list := strings.Join(g.params, ", ")
		switch {
		case g.rule == "exactly_one" && n != 1:
			return "Specify exactly one of " + list + "."
		case g.rule == "at_least_one" && n == 0:
			return "Specify at least one of " + list + "."
		case g.rule == "at_most_one" && n > 1:
			return "Specify at most one of " + list + "."
		case g.maxTotal > 0 && total > g.maxTotal:
			return fmt.Sprintf("Specify at most %d values of %s together.", g.maxTotal, list)
		}
	}
	return ""
}

func findParam(params []helixParam, name string) *helixParam {
	for i := range params {
		if params[i].name == name {
			return &params[i]
		}
	}
	return nil
}

// validValue reports whether a query value parses as its kind.
func validValue(kind, v string) bool {
	var err error
	switch kind {
	case "int":
		_, err = strconv.Atoi(v)
	case "float":
		var f float64
		f, err = strconv.ParseFloat(v, 64)
		if err == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
			return false
		}
	case "bool":
		_, err = strconv.ParseBool(v)
	case "timestamp":
		_, err = time.Parse(time.RFC3339, v)
	}
	return err == nil
}
