package helix_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/helix"
)

// An answer that does not fit names the path of the value, its JSON kind
// and Go type, and none of its content.
func TestDecodeResponseErrorSaysWhere(t *testing.T) {
	f := newFake(t, http.StatusOK, `{"data":[{"id":"1"},{"id":"2","login":{"secret":"x"}}]}`)
	_, err := f.client().GetUsers(context.Background(), nil)
	assert.Error(t, err, "helix: GetUsers: decode response: data[1].login: cannot decode JSON object into Go string")

	f = newFake(t, http.StatusOK, "{\"data\":\n[{\"id\":\"1\"}")
	_, err = f.client().GetUsers(context.Background(), nil)
	assert.Error(t, err, "helix: GetUsers: decode response: line 2, column 11: unexpected end of JSON input")
}

// An answer with a key twice is refused, at any depth: which of the two
// values counts would depend on the decoder.
func TestDecodeResponseDuplicateKey(t *testing.T) {
	for body, want := range map[string]string{
		`{"data":[{"id":"1","login":"a","login":"b"}]}`: `helix: GetUsers: decode response: data[0]: duplicate key "login"`,
		`{"data":[{"id":"1","login":"a","LOGIN":"b"}]}`: `helix: GetUsers: decode response: data[0]: duplicate key "LOGIN"`,
		`{"data":[],"data":[{"id":"1"}]}`:               `helix: GetUsers: decode response: duplicate key "data"`,
	} {
		f := newFake(t, http.StatusOK, body)
		_, err := f.client().GetUsers(context.Background(), nil)
		assert.Error(t, err, want)
	}
}

// Keys without a field, which Twitch adds, are ignored; keys match as
// encoding/json matches them, another case included.
func TestDecodeResponseUnknownKeysAndCase(t *testing.T) {
	f := newFake(t, http.StatusOK, `{"data":[{"ID":"1","login":"a","added":{"x":[1,2]}}],"also_added":true}`)
	res, err := f.client().GetUsers(context.Background(), nil)
	assert.NilError(t, err)
	assert.DeepEqual(t, res.Data, []helix.User{{ID: "1", Login: "a"}})
}

// helix.Time reads every form Twitch sends through the client's decoder
// as through encoding/json: RFC 3339, "" and null (the zero Time), Unix
// seconds; and refuses what is no time, naming the field.
func TestTimeThroughTheClient(t *testing.T) {
	want := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for in, want := range map[string]time.Time{
		`"2025-01-02T03:04:05Z"`:      want,
		`"2025-01-02T04:04:05+01:00"`: want,
		`"2025-01-02T03:04:05.5Z"`:    want.Add(500 * time.Millisecond),
		`1735787045`:                  want,
		`1735787045.25`:               want.Add(250 * time.Millisecond),
		`""`:                          {},
		`null`:                        {},
		`0`:                           {},
	} {
		f := newFake(t, http.StatusOK, `{"data":[{"id":"1","created_at":`+in+`}]}`)
		res, err := f.client().GetUsers(context.Background(), nil)
		assert.NilError(t, err, in)
		got := res.Data[0].CreatedAt
		assert.Assert(t, got.Equal(want), "%s: got %v, want %v", in, got, want)
		assert.Equal(t, got.IsZero(), want.IsZero(), in)
	}
	for _, in := range []string{`"yesterday"`, `"2025-01-02"`, `true`, `{}`, `"1735787045"`} {
		f := newFake(t, http.StatusOK, `{"data":[{"id":"1","created_at":`+in+`}]}`)
		_, err := f.client().GetUsers(context.Background(), nil)
		assert.ErrorContains(t, err, "helix: GetUsers: decode response: data[0].created_at: cannot decode JSON ", in)
		assert.ErrorContains(t, err, "into Go helix.Time: ", in)
	}
}
