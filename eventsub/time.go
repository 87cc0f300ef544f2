package eventsub

import "github.com/twitchify-go/twitch/helix"

// Time is the moment of an event: helix.Time, the one time type of what
// Twitch sends. It decodes RFC 3339, "" and null (the zero Time) and Unix
// seconds, so that one odd value never drops an event.
type Time = helix.Time
