package eventsub

import "time"

// dedup remembers the message IDs of the last window (Twitch's 10 minutes),
// so that a message Twitch sends twice, on one connection or across a
// reconnect, is handled once. At most max IDs are kept, oldest forgotten
// first, so a flood cannot grow it without bound.
type dedup struct {
	window time.Duration
	max    int
	seen   map[string]struct{}
	order  []seenID // oldest first, from head
	head   int
}

type seenID struct {
	id string
	at time.Time
}

func newDedup(window time.Duration, max int) *dedup {
	return &dedup{window: window, max: max, seen: map[string]struct{}{}}
}

// repeat reports whether id was seen within the window, and remembers it.
func (d *dedup) repeat(id string, now time.Time) bool {
	for d.head < len(d.order) && (now.Sub(d.order[d.head].at) > d.window || len(d.seen) >= d.max) {
		delete(d.seen, d.order[d.head].id)
		d.order[d.head] = seenID{}
		d.head++
	}
	if d.head > len(d.order)/2 && d.head > 1024 {
		// Reclaim the space of the forgotten IDs.
		d.order = append(d.order[:0], d.order[d.head:]...)
		d.head = 0
	}
	if _, ok := d.seen[id]; ok {
		return true
	}
	d.seen[id] = struct{}{}
	d.order = append(d.order, seenID{id, now})
	return false
}
