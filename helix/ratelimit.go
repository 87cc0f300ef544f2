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

// rateLimitWindow is the time in which Twitch's bucket refills completely
// (800 points a minute by default): whatever an answer said, a bucket not
// used for that long is full again. The bucket falls back to it when it
// knows no reset, and trusts no reset further away than that.
const rateLimitWindow = time.Minute

// maxRateLimitWait is the longest a call waits for the bucket: Twitch's
// window, and a few seconds for headers in whole seconds and for the skew
// of clocks left uncorrected (maxSkew). A call that would wait longer
// returns a *RateLimitError at once.
const maxRateLimitWait = rateLimitWindow + 5*time.Second

// maxSkew is how far this machine's clock may be from Twitch's (as the Date
// header tells) before the reset time is corrected for it. Within it the
// headers are taken as they are, since Date only has whole seconds.
const maxSkew = 2 * time.Second

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// bucket paces the requests made with one token. Twitch's headers say how
// many points are left and when the bucket is full again; the bucket takes a
// point for every request it lets through, so that concurrent callers do
// not together spend more than is left, and holds callers back until the
// reset when nothing is left.
//
// Answers to concurrent requests arrive in any order, and Twitch may have
// counted requests that are still out when it answers another. So while
// requests are out, an answer can only lower the estimate of the points
// left (to what it says, less every request still out). When the last
// request out is answered, Twitch has counted them all, and the fewest
// points any of their answers told is the truth (or less, as the bucket
// refills): the estimate becomes that, and may rise. It is also full again
// at the reset; the reset kept is the latest any answer gave, since
// Twitch's bucket is full no earlier than that. Requests are numbered as
// they are let through, so that answers to requests sent before the bucket
// was full again are known as stale.
//
// Until the first answer arrives, the bucket lets one request through at a
// time (another if one has had no answer for a window), to learn the limit
// without a burst of 429s. When answers carry no rate-limit headers (a
// fake, a proxy), it lets everything through.
//
// No caller waits longer than Twitch's window, and a little: an answer
// without the headers (Twitch's edge, a proxy) tells nothing, and gives its
// point back, as a request without an answer does; when the bucket is empty
// and was told no reset, it takes one a window away; and a reset further
// away than maxRateLimitWait is reported to the caller (a *RateLimitError)
// while the bucket takes it as a window away, after which it sends again
// and learns afresh.
type bucket struct {
	mu        sync.Mutex
	known     bool      // an answer has told the limit
	unmetered bool      // answers carry no rate-limit headers
	probing   bool      // a request is out to learn the limit
	probed    time.Time // when it was sent
	limit     int
	remaining int    // points left, less the requests out
	inflight  int    // requests let through and not yet answered
	sent      uint64 // the number of the latest request let through
	epoch     uint64 // the number of the last request sent before the latest reset
	fewest    int    // the fewest points left any answer told since requests were last all answered; -1 for none

	// The reset: Twitch's Unix time and Date header, and the local time
	// they make, worked out when first needed (parsing Date costs
	// allocations that the happy path need not pay).
	resetUnix int64
	date      string
	reset     time.Time // zero until worked out, or when not known; at most maxRateLimitWait from when it was worked out
	told      time.Time // the reset the headers told, when it was further away than maxRateLimitWait (and reset is sooner)

	waiters int
	changed chan struct{} // closed and replaced when waiters should look again
}

func newBucket() *bucket { return &bucket{changed: make(chan struct{}), fewest: -1} }

// take waits until a request may be sent, and counts it as sent; it
// returns the request's number for done. Every take that returns nil must
// be followed by one done. It returns a *RateLimitError (without its
// Operation) when the bucket is empty until a reset further away than
// maxRateLimitWait.
func (b *bucket) take(ctx context.Context) (uint64, error) {
	for {
		b.mu.Lock()
		switch {
		case b.unmetered, b.remaining > 0:
			return b.letThrough(), nil
		case !b.known:
			if now := time.Now(); !b.probing || !now.Before(b.probed.Add(rateLimitWindow)) {
				// None is out, or the one out has had no answer for a
				// window (a peer that never answers, an HTTP client
				// without a timeout): send another.
				b.probing, b.probed = true, now
				return b.letThrough(), nil
			}
		case b.resetPassed(time.Now()):
			// The bucket is full again. Answers to requests sent before
			// now tell of the old bucket, and no longer count.
			b.remaining = b.limit - b.inflight
			b.resetUnix, b.date, b.reset, b.told = 0, "", time.Time{}, time.Time{}
			b.epoch, b.fewest = b.sent, -1
			return b.letThrough(), nil
		case b.reset.IsZero():
			// Empty, and no answer told when it is full again: Twitch's is
			// within a window. An answer that tells replaces this.
			b.reset = time.Now().Add(rateLimitWindow)
		}
		if !b.told.IsZero() && time.Until(b.told) > maxRateLimitWait {
			err := &RateLimitError{RateLimit: RateLimit{Limit: b.limit, Reset: b.told}}
			b.mu.Unlock()
			return 0, err
		}
		// Wait for the reset (or the time to probe again), or for an
		// answer that tells more.
		until := b.reset
		if !b.known {
			until = b.probed.Add(rateLimitWindow)
		}
		timer := time.NewTimer(time.Until(until))
		changed := b.changed
		b.waiters++
		b.mu.Unlock()

		var err error
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-timer.C:
		case <-changed:
		}
		timer.Stop()
		b.mu.Lock()
		b.waiters--
		b.mu.Unlock()
		if err != nil {
			return 0, err
		}
	}
}

// letThrough counts a request as sent and unlocks b.mu, which is held.
func (b *bucket) letThrough() uint64 {
	b.remaining--
	b.inflight++
	b.sent++
	seq := b.sent
	b.mu.Unlock()
	return seq
}

// resetPassed reports whether the reset is known and has passed. b.mu is
// held.
func (b *bucket) resetPassed(now time.Time) bool {
	if b.reset.IsZero() && b.resetUnix != 0 {
		b.reset, b.told = localReset(b.resetUnix, b.date, now), time.Time{}
		if b.reset.Sub(now) > maxRateLimitWait {
			// Further than Twitch's bucket ever is (a broken or hostile
			// peer, or a Date header far off): tell callers, but send
			// again after a window.
			b.reset, b.told = now.Add(rateLimitWindow), b.reset
		}
	}
	return !b.reset.IsZero() && !now.Before(b.reset)
}

// done records the answer to request seq; h is nil when no answer came (the
// connection failed). It returns what the headers told, if they did.
func (b *bucket) done(seq uint64, h http.Header) (rateHeaders, bool) {
	rh, ok := parseRateLimit(h)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inflight--
	b.probing = false
	switch {
	case ok && (!b.known || seq > b.epoch):
		if !b.known {
			b.known, b.unmetered, b.remaining = true, false, rh.remaining
		}
		b.limit = rh.limit
		b.remaining = min(b.remaining, rh.remaining-b.inflight)
		if b.fewest < 0 || rh.remaining < b.fewest {
			b.fewest = rh.remaining
		}
		b.laterReset(rh)
	case h != nil && !ok && !b.known:
		b.unmetered = true
	case !ok && b.known:
		// Nothing was learnt (no answer, or one without the headers,
		// from Twitch's edge or a proxy): give the point back, rather
		// than spend the bucket on answers that tell nothing of it and
		// then wait for a reset nobody told.
		b.remaining++
	}
	if b.inflight == 0 && b.fewest >= 0 {
		// Everything sent has been counted and answered.
		b.remaining, b.fewest = b.fewest, -1
	}
	b.wake()
	return rh, ok
}

// wake makes the callers waiting in take look again. b.mu is held.
func (b *bucket) wake() {
	if b.waiters > 0 {
		close(b.changed)
		b.changed = make(chan struct{})
	}
}

// laterReset keeps the reset of rh if it is later than the one known.
// b.mu is held.
func (b *bucket) laterReset(rh rateHeaders) {
	if rh.resetUnix > b.resetUnix {
		b.resetUnix, b.date, b.reset = rh.resetUnix, rh.date, time.Time{}
	}
}

// refused records a 429: nothing is left until the reset, which is at
// least minWait away, whatever the headers said. It reports false when the
// bucket does not pace requests (answers carry no rate-limit headers): the
// caller then waits minWait itself before it sends again.
func (b *bucket) refused(rh rateHeaders, limited bool, now time.Time, minWait time.Duration) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.known {
		return false
	}
	b.remaining = min(b.remaining, 0)
	if limited {
		b.laterReset(rh)
	}
	b.resetPassed(now)
	if earliest := now.Add(minWait); b.reset.Before(earliest) {
		b.reset = earliest
	}
	b.wake()
	return true
}

// rateHeaders are the rate-limit headers of one answer, as sent.
type rateHeaders struct {
	limit, remaining int
	resetUnix        int64  // Twitch's clock
	date             string // the Date header, to tell Twitch's clock from ours
}

// rateLimit is what the headers say, on this machine's clock.
func (rh rateHeaders) rateLimit(now time.Time) RateLimit {
	return RateLimit{Limit: rh.limit, Remaining: rh.remaining, Reset: localReset(rh.resetUnix, rh.date, now)}
}

// localReset turns a reset time of Twitch's clock into this machine's,
// when the Date header shows that the two differ by more than maxSkew.
func localReset(resetUnix int64, dateHeader string, now time.Time) time.Time {
	reset := time.Unix(resetUnix, 0)
	date, err := http.ParseTime(dateHeader)
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
