package helix

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// RateLimit is the state of a token's rate-limit bucket as Twitch reported
// it in the Ratelimit-Limit, Ratelimit-Remaining and Ratelimit-Reset
// headers of an answer. Every request takes points from the bucket, which
// refills over time.
type RateLimit struct {
	Limit     int       // the points of a full bucket
	Remaining int       // the points left
	Reset     time.Time // when the bucket is full again, on this machine's clock
}

// The rate-limit headers.
const (
	headerLimit     = "Ratelimit-Limit"
	headerRemaining = "Ratelimit-Remaining"
	headerReset     = "Ratelimit-Reset"
)

// maxSkew is how far this machine's clock may be from Twitch's (as the Date
// header tells) before the reset time is corrected for it. Within it the
// headers are taken as they are, since Date only has whole seconds.
const maxSkew = 2 * time.Second

// clock is the client's view of time: real time, or a fake in tests.
type clock struct {
	now func() time.Time
	// after returns a channel that receives when d has passed, and a
	// function that stops the timer.
	after func(d time.Duration) (<-chan time.Time, func() bool)
}

var realClock = clock{
	now: time.Now,
	after: func(d time.Duration) (<-chan time.Time, func() bool) {
		t := time.NewTimer(d)
		return t.C, t.Stop
	},
}

// sleep waits for d or until ctx ends.
func (c clock) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	ch, stop := c.after(d)
	defer stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-ch:
		return nil
	}
}

// bucket paces the requests made with one token. Twitch's headers say how
// many points are left and when the bucket is full again; the bucket takes a
// point for every request it lets through, so that concurrent callers do
// not together spend more than is left, and holds callers back until the
// reset when nothing is left.
//
// Until the first answer arrives, the bucket lets one request through at a
// time, to learn the limit without a burst of 429s. When answers carry no
// rate-limit headers (a fake, a proxy), it lets everything through.
type bucket struct {
	mu        sync.Mutex
	known     bool // an answer has told the limit
	unmetered bool // answers carry no rate-limit headers
	probing   bool // a request is out to learn the limit
	limit     int
	remaining int         // points left, minus the requests since sent
	reset     time.Time   // when the bucket is full again; zero when not known
	pending   rateHeaders // the latest headers, whose reset is not worked out yet
	inflight  int         // requests sent and not yet answered
	waiters   int
	changed   chan struct{} // closed and replaced when waiters should look again
}

func newBucket() *bucket { return &bucket{changed: make(chan struct{})} }

// take waits until a request may be sent, and counts it as sent. Every
// take that returns nil must be followed by one done.
func (b *bucket) take(ctx context.Context, clk clock) error {
	for {
		b.mu.Lock()
		switch {
		case b.unmetered:
			b.inflight++
			b.mu.Unlock()
			return nil
		case !b.known:
			if !b.probing {
				b.probing = true
				b.inflight++
				b.mu.Unlock()
				return nil
			}
		case b.remaining > 0:
			b.remaining--
			b.inflight++
			b.mu.Unlock()
			return nil
		case !b.resetTime(clk.now()).IsZero() && !clk.now().Before(b.reset):
			// The bucket is full again. The requests still out may be
			// counted in the new window, so they are taken off.
			b.remaining = b.limit - b.inflight - 1
			b.reset, b.pending = time.Time{}, rateHeaders{}
			b.inflight++
			b.mu.Unlock()
			return nil
		}
		// Wait for the reset, or for an answer that tells more.
		var timer <-chan time.Time
		stop := func() bool { return false }
		if b.known && !b.reset.IsZero() {
			timer, stop = clk.after(b.reset.Sub(clk.now()))
		}
		changed := b.changed
		b.waiters++
		b.mu.Unlock()

		var err error
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-timer:
		case <-changed:
		}
		stop()
		b.mu.Lock()
		b.waiters--
		b.mu.Unlock()
		if err != nil {
			return err
		}
	}
}

// done records the answer to a request that take let through; h is nil
// when no answer came (the connection failed). It returns what the headers
// told, if they did.
func (b *bucket) done(h http.Header) (rateHeaders, bool) {
	rh, ok := parseRateLimit(h)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inflight--
	b.probing = false
	switch {
	case ok:
		b.known, b.unmetered = true, false
		b.limit = rh.limit
		// The answer counts the requests Twitch had seen; those still out
		// may not be counted yet.
		b.remaining = rh.remaining - b.inflight
		b.reset = time.Time{}
		b.pending = rh // the reset is worked out when it is needed
	case h != nil && !b.known:
		b.unmetered = true
	case b.known && h == nil:
		// Nothing was learnt: give the point back rather than wait for
		// an answer that will not come.
		b.remaining++
	}
	if b.waiters > 0 {
		close(b.changed)
		b.changed = make(chan struct{})
	}
	return rh, ok
}

// resetTime is when the bucket is full again, or zero when not known.
// b.mu is held.
func (b *bucket) resetTime(now time.Time) time.Time {
	if b.reset.IsZero() && b.pending.resetUnix != 0 {
		b.reset = b.pending.localReset(now)
		b.pending = rateHeaders{}
	}
	return b.reset
}

// refused records a 429: nothing is left until the reset, which is at
// least minWait away, whatever the headers said.
func (b *bucket) refused(rl RateLimit, now time.Time, minWait time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.known {
		b.known, b.unmetered, b.limit = true, false, max(rl.Limit, 1)
	}
	b.remaining = min(b.remaining, 0)
	b.pending = rateHeaders{}
	b.reset = rl.Reset
	if earliest := now.Add(minWait); b.reset.Before(earliest) {
		b.reset = earliest
	}
	if b.waiters > 0 {
		close(b.changed)
		b.changed = make(chan struct{})
	}
}

// rateHeaders are the rate-limit headers of one answer, as sent.
type rateHeaders struct {
	limit, remaining int
	resetUnix        int64  // Twitch's clock
	date             string // the Date header, to tell Twitch's clock from ours
}

// rateLimit is what the headers say, on this machine's clock.
func (rh rateHeaders) rateLimit(now time.Time) RateLimit {
	return RateLimit{Limit: rh.limit, Remaining: rh.remaining, Reset: rh.localReset(now)}
}

// localReset turns the reset time of Twitch's clock into this machine's,
// when the Date header shows that the two differ by more than maxSkew.
func (rh rateHeaders) localReset(now time.Time) time.Time {
	reset := time.Unix(rh.resetUnix, 0)
	date, err := http.ParseTime(rh.date)
	if err != nil {
		return reset
	}
	if skew := date.Sub(now); skew > maxSkew || skew < -maxSkew {
		return reset.Add(-skew)
	}
	return reset
}

// parseRateLimit reads the headers; ok is false unless the three
// Ratelimit headers are there and are numbers.
func parseRateLimit(h http.Header) (rh rateHeaders, ok bool) {
	if h == nil {
		return rh, false
	}
	limit, err1 := strconv.Atoi(headerValue(h, headerLimit))
	remaining, err2 := strconv.Atoi(headerValue(h, headerRemaining))
	reset, err3 := strconv.ParseInt(headerValue(h, headerReset), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return rh, false
	}
	return rateHeaders{limit: limit, remaining: remaining, resetUnix: reset, date: headerValue(h, "Date")}, true
}

// headerValue is h.Get for a key already in canonical form, which saves
// canonicalising it on every answer.
func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}
