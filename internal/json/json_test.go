package json_test

import (
	stdjson "encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"

	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/internal/json"
)

type event struct {
	At     time.Time                  `json:"at"`
	When   helix.Time                 `json:"when"`
	Inner  *inner                     `json:"inner"`
	List   []inner                    `json:"list"`
	Name   string                     `json:"name"`
	Panels map[string]inner           `json:"panels"`
	Raw    stdjson.RawMessage         `json:"raw"`
	Counts map[string]int             `json:"counts"`
	Nested map[string]map[string]bool `json:"nested"`
}

type inner struct {
	When time.Time `json:"when"`
	ID   string    `json:"id"`
}

// Errors say where: a syntax error by line and column, any other by the
// path of the value that does not fit, with its JSON kind and Go type and
// none of its content.
func TestUnmarshalErrors(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		// The column is that of the bad byte, counted from 1.
		{"{\n  \"name\" \"x\"\n}", `line 2, column 10: invalid character '"' after object key (expecting ':')`},
		{`{,}`, "line 1, column 2: invalid character ',' at start of value"},
		// The end of a truncated input is its last byte.
		{`{"name": "x"`, "line 1, column 12: unexpected end of JSON input"},
		{``, "line 1, column 1: unexpected end of JSON input"},
		{`{"name": "x"} x`, "line 1, column 15: invalid character 'x' after top-level value"},
		// A syntax error comes first, even after a value that does not fit.
		{"{\"name\": 5,\n\"at\": 2x}", "line 2, column 8: invalid character 'x' after object value (expecting ',' or '}')"},

		{`{"name": 5}`, "name: cannot decode JSON number into Go string"},
		{`{"name": {"secret": "s3cr3t"}}`, "name: cannot decode JSON object into Go string"},
		{`5`, "cannot decode JSON number into Go json_test.event"},
		{`{"at": 5}`, "at: cannot decode JSON number into Go time.Time"},
		{`{"when": true}`, "when: cannot decode JSON boolean into Go helix.Time: helix: Time: true is neither an RFC 3339 string nor Unix seconds"},
		{`{"inner": {"when": "yesterday"}}`, `inner.when: cannot decode JSON string into Go time.Time: parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"`},
		{`{"list": [{"when": "2024-01-01T00:00:00Z"}, {"when": true}]}`, "list[1].when: cannot decode JSON boolean into Go time.Time"},
		// A key that is a number is a key, not an index.
		{`{"panels": {"1": {"id": "a"}, "2": {"id": 7}}}`, "panels.2.id: cannot decode JSON number into Go string"},
		{`{"nested": {"a": {"0": true, "1": "yes"}}}`, "nested.a.1: cannot decode JSON string into Go bool"},
		{`{"counts": {"x": 1e400}}`, "counts.x: cannot decode JSON number into Go int: invalid syntax"},
	} {
		var v event
		err := json.Unmarshal([]byte(tc.data), &v)
		assert.Error(t, err, tc.want, "data %s", tc.data)
		var e *json.Error
		assert.Assert(t, errors.As(err, &e), "data %s: %T", tc.data, err)
		assert.Assert(t, !strings.Contains(err.Error(), "s3cr3t"))
	}
}

func TestUnmarshalErrorFields(t *testing.T) {
	var v event
	var e *json.Error
	err := json.Unmarshal([]byte(`{"list": [{}, {"id": 1}]}`), &v)
	assert.Assert(t, errors.As(err, &e))
	assert.Equal(t, e.Path, "list[1].id")
	assert.Equal(t, e.Line, 0)

	err = json.Unmarshal([]byte("{\n\"name\": \"x\""), &v)
	assert.Assert(t, errors.As(err, &e))
	assert.Equal(t, e.Path, "")
	assert.Equal(t, e.Line, 2)
	assert.Equal(t, e.Column, 11)
	assert.Assert(t, errors.Is(err, io.ErrUnexpectedEOF))
}

// The error of a type's own UnmarshalJSON is the error's cause, and its
// message.
func TestUnmarshalErrorUnwrapsMethodError(t *testing.T) {
	var v struct {
		X failing `json:"x"`
	}
	err := json.Unmarshal([]byte(`{"x": [1]}`), &v)
	assert.Assert(t, errors.Is(err, errFailing), "%v", err)
	assert.Error(t, err, "x: cannot decode JSON array into Go json_test.failing: failing")
}

var errFailing = errors.New("failing")

type failing struct{}

func (*failing) UnmarshalJSON([]byte) error { return errFailing }

// A type's UnmarshalJSON that decodes with Unmarshal (the generated
// decoders of fields Twitch spells two ways) continues the outer path.
func TestUnmarshalErrorPathThroughMethod(t *testing.T) {
	var v struct {
		Items []aliased `json:"items"`
	}
	err := json.Unmarshal([]byte(`{"items": [{"a": "1"}, {"b": {"c": 5}}]}`), &v)
	assert.Error(t, err, "items[1].b.c: cannot decode JSON number into Go string")
}

type aliased struct {
	A string
}

func (a *aliased) UnmarshalJSON(data []byte) error {
	var v struct {
		A *string `json:"a"`
		B *struct {
			C string `json:"c"`
		} `json:"b"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	if v.A != nil {
		a.A = *v.A
	}
	return nil
}

func TestWithin(t *testing.T) {
	var v event
	err := json.Unmarshal([]byte(`{"list": [{"id": 1}]}`), &v)
	assert.Error(t, json.Within(err, "payload.event"), "payload.event.list[0].id: cannot decode JSON number into Go string")
	assert.Error(t, json.Within(json.Within(err, "event"), "payload"), "payload.event.list[0].id: cannot decode JSON number into Go string")

	err = json.Unmarshal([]byte(`[5]`), &[]string{})
	assert.Error(t, json.Within(err, "events"), "events[0]: cannot decode JSON number into Go string")

	// A syntax error keeps its place, and gains the path.
	err = json.Unmarshal([]byte(`{`), &v)
	assert.Error(t, json.Within(err, "condition"), "condition: line 1, column 1: unexpected end of JSON input")

	plain := errors.New("plain")
	err = json.Within(plain, "event")
	assert.Error(t, err, "event: plain")
	assert.Assert(t, errors.Is(err, plain))
}

// Keys match fields as encoding/json matches them: exactly, or else
// ignoring case, but never ignoring "_" or "-"; unknown keys are ignored.
func TestKeyMatching(t *testing.T) {
	type target struct {
		UserID   string `json:"user_id"`
		UserName string `json:"user_name"`
		Upper    string `json:"Upper"`
		Lower    string `json:"upper"`
	}
	for _, data := range []string{
		`{"user_id": "1", "user_name": "a", "Upper": "U", "upper": "u", "later": {"a": [1]}}`,
		`{"USER_ID": "1", "User_Name": "a", "Upper": "U", "upper": "u"}`,
		`{"user_id": "1", "userid": "2", "user-id": "3", "user_name": "a", "upper": "u", "Upper": "U"}`,
	} {
		var got, want target
		assert.NilError(t, json.Unmarshal([]byte(data), &got))
		assert.NilError(t, stdjson.Unmarshal([]byte(data), &want))
		assert.DeepEqual(t, got, want)
		assert.DeepEqual(t, got, target{UserID: "1", UserName: "a", Upper: "U", Lower: "u"})
	}
}

// A key twice in one object, as keys match fields (exactly, by case or
// through an escape), is an error at every depth, raw values included;
// the error names the object and the key as written.
func TestDuplicateKeys(t *testing.T) {
	type target struct {
		Event *struct {
			UserID string `json:"user_id"`
		} `json:"event"`
		Raw  stdjson.RawMessage `json:"raw"`
		List []map[string]int   `json:"list"`
	}
	for _, tc := range []struct{ data, want string }{
		{`{"event": {}, "event": {}}`, `duplicate key "event"`},
		{`{"event": {}, "EVENT": {}}`, `duplicate key "EVENT"`},
		{`{"event": {}, "\u0065vent": {}}`, `duplicate key "\u0065vent"`},
		{`{"event": {"user_id": "1", "User_ID": "2"}}`, `event: duplicate key "User_ID"`},
		{`{"raw": {"x": {"y": 1, "y": 2}}}`, `raw.x: duplicate key "y"`},
		{`{"list": [{"a": 1}, {"a": 1, "b": 2, "a": 3}]}`, `list[1]: duplicate key "a"`},
		{`{"other": 1, "other": 2}`, `duplicate key "other"`},
		{`{"other": {"x": 1, "x": 2}}`, `other: duplicate key "x"`},
	} {
		var v target
		assert.Error(t, json.Unmarshal([]byte(tc.data), &v), tc.want, "data %s", tc.data)
	}
	// Keys that differ by case and match no field are two keys.
	var v target
	assert.NilError(t, json.Unmarshal([]byte(`{"other": 1, "OTHER": 2}`), &v))
}

// Unmarshal ignores keys without a field, as Twitch adds fields;
// UnmarshalStrict, for the conformance test, refuses them.
func TestUnknownKeys(t *testing.T) {
	type target struct {
		Inner struct {
			ID string `json:"id"`
		} `json:"inner"`
	}
	data := []byte(`{"inner": {"id": "1", "new_field": {"a": 1}}, "added": [1, 2]}`)
	var v target
	assert.NilError(t, json.Unmarshal(data, &v))
	assert.Equal(t, v.Inner.ID, "1")
	assert.Error(t, json.UnmarshalStrict(data, &v), `inner: unknown key "new_field"`)
	assert.Error(t, json.UnmarshalStrict([]byte(`{"added": 1}`), &v), `unknown key "added"`)
}

// Invalid UTF-8 in a string decodes as U+FFFD, as encoding/json decodes
// it, in a value and in a key; a raw value keeps its bytes.
func TestInvalidUTF8(t *testing.T) {
	type target struct {
		Text string             `json:"text"`
		Map  map[string]string  `json:"map"`
		Raw  stdjson.RawMessage `json:"raw"`
	}
	data := []byte("{\"text\": \"a\xffb\xc3\", \"map\": {\"k\xfe\": \"v\"}, \"raw\": \"\xff\"}")
	var got, want target
	assert.NilError(t, json.Unmarshal(data, &got))
	assert.NilError(t, stdjson.Unmarshal(data, &want))
	assert.DeepEqual(t, got, want)
	assert.Equal(t, got.Text, "a\uFFFDb\uFFFD")
	assert.DeepEqual(t, got.Map, map[string]string{"k\uFFFD": "v"})
	assert.DeepEqual(t, []byte(got.Raw), []byte("\"\xff\""))
}

// null leaves a field at its zero value, and a pointer nil, as
// encoding/json does on a new value.
func TestNull(t *testing.T) {
	type target struct {
		S *string            `json:"s"`
		T string             `json:"t"`
		L []int              `json:"l"`
		M map[string]int     `json:"m"`
		R stdjson.RawMessage `json:"r"`
	}
	data := []byte(`{"s": null, "t": null, "l": null, "m": null, "r": null}`)
	var got, want target
	assert.NilError(t, json.Unmarshal(data, &got))
	assert.NilError(t, stdjson.Unmarshal(data, &want))
	assert.DeepEqual(t, got, want)
	assert.Check(t, is.Nil(got.S))
	assert.Check(t, is.Nil(got.L))
	assert.Equal(t, string(got.R), "null")
}

// A plain time.Time (the metadata's and the session's timestamps) decodes
// as encoding/json decodes it: RFC 3339, strictly; null leaves it zero;
// "" and other forms are errors.
func TestTimeAsEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`"2025-03-14T18:12:30.774410052Z"`, `"2025-03-14T18:12:30Z"`, `"2025-03-14T18:12:30+05:30"`,
		`"2025-03-14T18:12:30.5-00:00"`, `"2025-03-14t18:12:30z"`, `"2025-03-14 18:12:30Z"`, `"2025-03-14T18:12:30"`,
		`"2025-03-14T24:00:00Z"`, `"2025-03-14T18:12:30.Z"`, `"2025-03-14T18:12:30+0530"`, `"2025-3-14T18:12:30Z"`,
		`"0000-01-01T00:00:00Z"`, `"2025-03-14T18:12:30,5Z"`, `""`, `null`, `0`, `1741975950`, `true`, `{}`,
	} {
		var got, want struct {
			At time.Time `json:"at"`
		}
		data := []byte(`{"at": ` + in + `}`)
		wantErr := stdjson.Unmarshal(data, &want)
		gotErr := json.Unmarshal(data, &got)
		assert.Equal(t, gotErr == nil, wantErr == nil, "%s: %v, encoding/json: %v", in, gotErr, wantErr)
		assert.Assert(t, got.At.Equal(want.At), "%s: %v, encoding/json: %v", in, got.At, want.At)
		if gotErr != nil {
			assert.ErrorContains(t, gotErr, "at: cannot decode JSON ", in)
		}
	}
}
