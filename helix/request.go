package helix

import (
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// request is one call as the generated method builds it. The query helpers
// below record the first problem with the parameters in err, and send
// returns it before anything goes on the wire.
type request struct {
	op    *Operation
	query url.Values
	body  any // encoded as JSON when not nil
	err   error
}

func (c *Client) newRequest(op *Operation) *request {
	return &request{op: op, query: url.Values{}}
}

func (r *request) invalid(param, format string, args ...any) {
	if r.err == nil {
		r.err = &InvalidParamsError{Operation: r.op.Name, Param: param, Reason: fmt.Sprintf(format, args...)}
	}
}

// requireField records a missing required parameter unless set.
func requireField(r *request, name string, set bool) {
	if !set {
		r.invalid(name, "required but not set")
	}
}

func queryString[S ~string](r *request, name string, v S, required bool) {
	if v == "" {
		requireField(r, name, !required)
		return
	}
	r.query.Add(name, string(v))
}

// queryStrings adds a repeated parameter the way Twitch reads it,
// name=a&name=b, after checking its number of values.
func queryStrings[S ~string](r *request, name string, vs []S, required bool, max int) {
	if len(vs) == 0 {
		requireField(r, name, !required)
		return
	}
	if max > 0 && len(vs) > max {
		r.invalid(name, "at most %d values allowed, got %d", max, len(vs))
		return
	}
	for _, v := range vs {
		r.query.Add(name, string(v))
	}
}

func queryTime(r *request, name string, v time.Time, required bool) {
	if v.IsZero() {
		requireField(r, name, !required)
		return
	}
	r.query.Add(name, v.UTC().Format(time.RFC3339))
}

// queryOptional adds an optional number or bool, which is a pointer so that
// zero and false can be sent.
func queryOptional[T any](r *request, name string, v *T, format func(T) string) {
	if v != nil {
		r.query.Add(name, format(*v))
	}
}

func formatInt(v int) string       { return strconv.Itoa(v) }
func formatBool(v bool) string     { return strconv.FormatBool(v) }
func formatFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// checkGroup records a parameter group whose rule the set parameters
// break; names lists the group's parameters for the error.
func checkGroup(r *request, rule Rule, names string, set ...bool) {
	n := 0
	for _, s := range set {
		if s {
			n++
		}
	}
	switch {
	case rule == RuleExactlyOne && n != 1:
		r.invalid(names, "set exactly one of them, not %d", n)
	case rule == RuleAtLeastOne && n == 0:
		r.invalid(names, "set at least one of them")
	case rule == RuleAtMostOne && n > 1:
		r.invalid(names, "set at most one of them, not %d", n)
	}
}

// checkTotal records repeated parameters that have more values together
// than Twitch takes.
func checkTotal(r *request, names string, max int, counts ...int) {
	total := 0
	for _, n := range counts {
		total += n
	}
	if total > max {
		r.invalid(names, "at most %d values together, got %d", max, total)
	}
}
