package jsonerr

import (
	"encoding/json"
	"testing"
	"time"

	"gotest.tools/v3/assert"
)

type event struct {
	At    time.Time `json:"at"`
	Inner *inner    `json:"inner"`
	List  []inner   `json:"list"`
	Name  string    `json:"name"`
}

type inner struct {
	When time.Time `json:"when"`
}

func describe(t *testing.T, data string) error {
	t.Helper()
	var v event
	err := json.Unmarshal([]byte(data), &v)
	assert.Assert(t, err != nil)
	return Describe([]byte(data), &v, err)
}

func TestDescribe(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{`{"at": 5}`, "at: Time.UnmarshalJSON: input is not a JSON string"},
		{`{"inner": {"when": "yesterday"}}`, `inner.when: parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"`},
		{`{"list": [{"when": "2024-01-01T00:00:00Z"}, {"when": true}]}`, "list[1].when: Time.UnmarshalJSON: input is not a JSON string"},
		{`{"name": 5}`, "json: cannot unmarshal number into Go struct field event.name of type string"},
		// The column is that of the bad byte, counted from 1.
		{"{\n  \"name\" \"x\"\n}", "line 2, column 10: invalid character '\"' after object key"},
		{`{,}`, "line 1, column 2: invalid character ',' looking for beginning of object key string"},
		{`{"name": "x"`, "line 1, column 12: unexpected end of JSON input"},
	} {
		assert.Error(t, describe(t, tc.data), tc.want, "data %s", tc.data)
	}
}
