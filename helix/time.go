package helix

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Time is a moment that Twitch sends: what every timestamp of a response
// (and, as eventsub.Time, of an event) decodes into, so that no odd value
// fails a whole call. It decodes
//
//   - an RFC 3339 string, as time.Time does;
//   - "" and null, which Twitch sends for "none" (a permanent ban's end, an
//     offline channel's start), as the zero Time;
//   - a JSON number, as Unix seconds (Get Ad Schedule sends those), with 0,
//     Twitch's "none", as the zero Time.
//
// It encodes as RFC 3339, as time.Time does, and the zero Time as "". Its
// methods are time.Time's: IsZero tells "none", and optional fields tagged
// omitzero are left out when zero.
//
// What only the caller sends (query parameters and request bodies) is a
// plain time.Time.
type Time struct {
	time.Time
}

// UnmarshalJSON decodes an RFC 3339 string, "", null or a number of Unix
// seconds.
func (t *Time) UnmarshalJSON(data []byte) error {
	switch {
	case len(data) == 0:
		return fmt.Errorf("helix: Time: no JSON value")
	case string(data) == "null" || string(data) == `""`:
		*t = Time{}
		return nil
	case data[0] == '"':
		return t.Time.UnmarshalJSON(data)
	}
	if sec, err := strconv.ParseInt(string(data), 10, 64); err == nil {
		*t = unixTime(sec, 0)
		return nil
	}
	f, err := strconv.ParseFloat(string(data), 64)
	if err != nil {
		return fmt.Errorf("helix: Time: %s is neither an RFC 3339 string nor Unix seconds", data)
	}
	sec := math.Floor(f)
	*t = unixTime(int64(sec), int64((f-sec)*1e9))
	return nil
}

// unixTime is the Time of Unix seconds and nanoseconds, in UTC; 0 is
// Twitch's "none", the zero Time.
func unixTime(sec, nsec int64) Time {
	if sec == 0 && nsec == 0 {
		return Time{}
	}
	return Time{time.Unix(sec, nsec).UTC()}
}

// MarshalJSON encodes t as an RFC 3339 string, and the zero Time as "".
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte(`""`), nil
	}
	return t.Time.MarshalJSON()
}
