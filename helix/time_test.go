package helix_test

import (
	"encoding/json"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/helix"
)

func TestTimeDecodes(t *testing.T) {
	want := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{`"2025-01-02T03:04:05Z"`, want},
		{`"2025-01-02T04:04:05+01:00"`, want},
		{`"2025-01-02T03:04:05.5Z"`, want.Add(500 * time.Millisecond)},
		{`1735787045`, want},
		{`1735787045.25`, want.Add(250 * time.Millisecond)},
		{`""`, time.Time{}},
		{`null`, time.Time{}},
		{`0`, time.Time{}},
	} {
		var got helix.Time
		assert.NilError(t, json.Unmarshal([]byte(tc.in), &got), tc.in)
		assert.Assert(t, got.Equal(tc.want), "%s: got %v, want %v", tc.in, got, tc.want)
		assert.Equal(t, got.IsZero(), tc.want.IsZero(), tc.in)
	}
}

func TestTimeRefusesWhatIsNoTime(t *testing.T) {
	for _, in := range []string{`"yesterday"`, `"2025-01-02"`, `true`, `{}`, `"1735787045"`} {
		var got helix.Time
		assert.Assert(t, json.Unmarshal([]byte(in), &got) != nil, in)
	}
}

func TestTimeEncodes(t *testing.T) {
	data, err := json.Marshal(helix.Time{Time: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)})
	assert.NilError(t, err)
	assert.Equal(t, string(data), `"2025-01-02T03:04:05Z"`)

	data, err = json.Marshal(helix.Time{})
	assert.NilError(t, err)
	assert.Equal(t, string(data), `""`)

	// A zero Time in an optional field (omitzero) is left out, as Twitch
	// leaves out what it does not send.
	data, err = json.Marshal(struct {
		At helix.Time `json:"at,omitzero"`
	}{})
	assert.NilError(t, err)
	assert.Equal(t, string(data), `{}`)
}

// One struct with an odd timestamp among good ones decodes whole: the odd
// value does not fail the call.
func TestTimeInAResponse(t *testing.T) {
	var res struct {
		Data []struct {
			CreatedAt helix.Time `json:"created_at"`
			ExpiresAt helix.Time `json:"expires_at"`
		} `json:"data"`
	}
	err := json.Unmarshal([]byte(`{"data": [{"created_at": "2025-01-02T03:04:05Z", "expires_at": ""}]}`), &res)
	assert.NilError(t, err)
	assert.Assert(t, !res.Data[0].CreatedAt.IsZero())
	assert.Assert(t, res.Data[0].ExpiresAt.IsZero())
}
