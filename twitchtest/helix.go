package twitchtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
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

// HelixRequest is a Helix request the fake received, for tests to check
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
// FailNext.
type Fault struct {
	// Status is the status to answer with, as Twitch would: a 429 carries
	// rate-limit headers saying the bucket is empty until a second from
	// now. 0 answers as usual, after Delay.
	Status int
	// Message is the error's message; empty for the status's text.
	Message string
	// Delay holds the answer back (a slow Twitch); it ends early when the
	// client gives up.
	Delay time.Duration
}

// maxRecorded bounds how many requests HelixRequests remembers.
const maxRecorded = 1000

// calendarSample answers an operation whose answer is an iCalendar.
const calendarSample = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//twitchtest//EN\r\nEND:VCALENDAR\r\n"

// helixState is the fake's Helix: what tests set and what it saw.
type helixState struct {
	faults   map[string][]Fault           // by operation; "" for any
	data     map[string][]json.RawMessage // by operation: the items it serves
	buckets  map[string]*rateBucket       // by token
	recorded []HelixRequest
	served   int // requests the rate limit let through
	refused  int // requests it answered 429
}

// special are the operations the fake answers with state of its own
// rather than with sample data.
func (s *Server) special() map[string]func(w http.ResponseWriter, r *http.Request, body []byte, info *TokenInfo) {
	return map[string]func(w http.ResponseWriter, r *http.Request, body []byte, info *TokenInfo){
		"CreateEventSubSubscription": s.createSubscription,
		"GetEventSubSubscriptions":   s.listSubscriptions,
		"DeleteEventSubSubscription": s.deleteSubscription,
	}
}

// routeHelix serves every operation of the schema.
func (s *Server) routeHelix(mux *http.ServeMux) {
	special := s.special()
	for i := range helixOperations {
		op := &helixOperations[i]
		mux.HandleFunc(op.method+" /helix"+op.path, s.serveHelix(op, special[op.name]))
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

// serveHelix answers one operation the way Twitch does: faults first, then
// the token, the rate limit, scopes, parameters, and the answer.
func (s *Server) serveHelix(op *helixOperation, special func(http.ResponseWriter, *http.Request, []byte, *TokenInfo)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", s.now().UTC().Format(http.TimeFormat))
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return
		}
		token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.record(HelixRequest{
			Operation: op.name, Method: r.Method, Path: strings.TrimPrefix(r.URL.Path, "/helix"),
			Query: r.URL.Query(), Body: body, ClientID: r.Header.Get("Client-Id"), Token: token,
		})
		if f, ok := s.nextFault(op.name); ok {
			if !s.delay(r, f.Delay) {
				return
			}
			if f.Status != 0 {
				s.answerFault(w, token, f)
				return
			}
		}
		var info *TokenInfo
		if len(op.auth) > 0 {
			var ok bool
			if token, info, ok = s.authenticate(w, r); !ok {
				return
			}
			if !s.takePoint(w, token) || !allowed(w, info, op.auth) {
				return
			}
		}
		if msg := checkParams(op, r.URL.Query(), body); msg != "" {
			apiError(w, http.StatusBadRequest, msg)
			return
		}
		if special != nil {
			special(w, r, body, info)
			return
		}
		s.answer(w, r, op)
	}
}

func (s *Server) record(req HelixRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.helix.recorded) == maxRecorded {
		s.helix.recorded = slices.Delete(s.helix.recorded, 0, 1)
	}
	s.helix.recorded = append(s.helix.recorded, req)
}

// HelixRequests returns the Helix requests the fake received, oldest first
// (the last 1,000).
func (s *Server) HelixRequests() []HelixRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.helix.recorded)
}

// FailNext queues faults for the operation (a helix.Client method name,
// "GetUsers"; "" for any operation): each of its next requests gets the
// next fault instead of its usual answer. It returns ErrNotFound for an
// operation the schema does not have.
func (s *Server) FailNext(operation string, faults ...Fault) error {
	if operation != "" && findOperation(operation) == nil {
		return fmt.Errorf("%w: operation %q", ErrNotFound, operation)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.helix.faults[operation] = append(s.helix.faults[operation], faults...)
	return nil
}

func (s *Server) nextFault(operation string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return popFault(s.helix.faults, operation, "")
}

// popFault takes the next fault queued under the first of keys that has
// one. s.mu is held.
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

// delay holds the answer back for d; false when the client or the fake
// gave up first.
func (s *Server) delay(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-s.stop:
	}
	return false
}

func (s *Server) answerFault(w http.ResponseWriter, token string, f Fault) {
	if f.Status == http.StatusTooManyRequests {
		// As Twitch says it, the bucket is empty, and full again in a
		// second; the token's real bucket is left as it is, so that the
		// retry a second later goes through.
		limit := s.cfg.ratePoints
		if limit <= 0 {
			limit = defaultRatePoints
		}
		now := s.now()
		reset := now.Add(time.Second)
		h := w.Header()
		h.Set("Ratelimit-Limit", strconv.Itoa(limit))
		h.Set("Ratelimit-Remaining", "0")
		h.Set("Ratelimit-Reset", strconv.FormatInt(ceilUnix(reset), 10))
	}
	apiError(w, f.Status, f.message())
}

// SetHelixData sets the items the operation's answer carries in "data"
// (instead of one sample item), each anything that encodes to JSON. A
// paginated operation serves them a page at a time, as many as the
// request's "first" asks for (20 when it does not), with cursors; its
// "total", if it has one, counts them all. It returns ErrNotFound for an
// operation the schema does not have.
func (s *Server) SetHelixData(operation string, items ...any) error {
	if findOperation(operation) == nil {
		return fmt.Errorf("%w: operation %q", ErrNotFound, operation)
	}
	raw := make([]json.RawMessage, len(items))
	for i, item := range items {
		data, err := json.Marshal(item)
		if err != nil {
			return fmt.Errorf("twitchtest: item %d: %w", i, err)
		}
		raw[i] = data
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.helix.data[operation] = raw
	return nil
}

// answer is the usual answer of an operation: its sample, or the data a
// test set, a page at a time.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, op *helixOperation) {
	switch {
	case op.contentType != "":
		w.Header().Set("Content-Type", op.contentType)
		w.WriteHeader(op.success)
		_, _ = io.WriteString(w, calendarSample)
		return
	case op.response == "":
		w.WriteHeader(op.success)
		return
	}
	s.mu.Lock()
	items, set := s.helix.data[op.name]
	s.mu.Unlock()
	if !set {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(op.success)
		_, _ = io.WriteString(w, op.response)
		return
	}
	var out map[string]json.RawMessage
	if err := json.Unmarshal([]byte(op.response), &out); err != nil {
		apiError(w, http.StatusInternalServerError, "twitchtest: bad sample: "+err.Error())
		return
	}
	page := items
	if op.paginated {
		q := r.URL.Query()
		start := 0
		if c := q.Get("after"); c != "" {
			n, err := strconv.Atoi(strings.TrimPrefix(c, "page-"))
			if err != nil || n < 0 || n > len(items) || !strings.HasPrefix(c, "page-") {
				apiError(w, http.StatusBadRequest, "The cursor in the after query parameter is not valid.")
				return
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
	reply(w, op.success, out)
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
