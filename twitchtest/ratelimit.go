package twitchtest

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// Twitch's default bucket, and the fake's: 800 points a minute.
const (
	defaultRatePoints = 800
	defaultRatePer    = time.Minute
)

// rateBucket is a token's rate-limit bucket, as Twitch keeps one: it holds
// up to ratePoints points, refills continuously at ratePoints per ratePer,
// and every request takes a point.
type rateBucket struct {
	level float64   // points in the bucket at the time at
	at    time.Time // when level was last brought up to date
}

// rateLimit is what a request learns of its token's bucket: Twitch's
// Ratelimit headers, and whether it took a point.
type rateLimit struct {
	ok        bool
	limit     int // 0: no limit, no headers
	remaining int
	reset     int64 // Unix seconds
}

// setHeaders sets the headers Twitch sends with every answer.
func (l rateLimit) setHeaders(w http.ResponseWriter) { l.addTo(w.Header()) }

func (l rateLimit) addTo(h http.Header) {
	if l.limit <= 0 {
		return
	}
	h.Set("Ratelimit-Limit", strconv.Itoa(l.limit))
	h.Set("Ratelimit-Remaining", strconv.Itoa(l.remaining))
	h.Set("Ratelimit-Reset", strconv.FormatInt(l.reset, 10))
}

// takePoint takes a point from token's bucket, when it has one, and says
// what the bucket holds then: the points left and when it is full again
// (in whole seconds, rounded up so that the bucket is full by then).
func (h *Helix) takePoint(token string) rateLimit {
	points := h.cfg.ratePoints
	if points <= 0 {
		return rateLimit{ok: true}
	}
	now := time.Now()
	rate := float64(points) / h.cfg.ratePer.Seconds() // points a second
	h.mu.Lock()
	defer h.mu.Unlock()
	b := h.buckets[token]
	if b == nil {
		b = &rateBucket{level: float64(points), at: now}
		h.buckets[token] = b
	}
	if now.After(b.at) {
		b.level = math.Min(float64(points), b.level+rate*now.Sub(b.at).Seconds())
		b.at = now
	}
	ok := b.level >= 1
	if ok {
		b.level--
		h.served++
	} else {
		h.refused++
	}
	full := now.Add(time.Duration((float64(points) - b.level) / rate * float64(time.Second)))
	return rateLimit{ok: ok, limit: points, remaining: int(b.level), reset: ceilUnix(full)}
}

// ceilUnix is t in whole Unix seconds, rounded up.
func ceilUnix(t time.Time) int64 {
	u := t.Unix()
	if t.After(time.Unix(u, 0)) {
		u++
	}
	return u
}

// RateLimitStats says how many requests the rate limit let through and how
// many it refused with a 429 (not counting 429s from FailNext).
func (h *Helix) RateLimitStats() (served, refused int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.served, h.refused
}
