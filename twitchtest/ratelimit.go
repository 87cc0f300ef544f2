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

// bucket returns token's bucket brought up to now. s.mu is held.
func (s *Server) bucket(token string, now time.Time) *rateBucket {
	b := s.helix.buckets[token]
	if b == nil {
		b = &rateBucket{level: float64(s.cfg.ratePoints), at: now}
		s.helix.buckets[token] = b
	}
	if now.After(b.at) {
		b.level = math.Min(float64(s.cfg.ratePoints), b.level+s.refillRate()*now.Sub(b.at).Seconds())
		b.at = now
	}
	return b
}

// refillRate is in points per second.
func (s *Server) refillRate() float64 {
	return float64(s.cfg.ratePoints) / s.cfg.ratePer.Seconds()
}

// takePoint takes a point from token's bucket and sets the rate-limit
// headers; when the bucket is empty it answers 429 and returns false.
func (s *Server) takePoint(w http.ResponseWriter, token string) bool {
	if s.cfg.ratePoints <= 0 {
		return true
	}
	now := s.now()
	s.mu.Lock()
	b := s.bucket(token, now)
	ok := b.level >= 1
	if ok {
		b.level--
		s.helix.served++
	} else {
		s.helix.refused++
	}
	s.rateHeaders(w, b, now)
	s.mu.Unlock()
	if !ok {
		apiError(w, http.StatusTooManyRequests, "Too Many Requests")
	}
	return ok
}

// rateHeaders sets the headers Twitch sends with every answer: the
// bucket's size, the points left, and when it is full again (in whole
// seconds, rounded up so that the bucket is full by then). s.mu is held.
func (s *Server) rateHeaders(w http.ResponseWriter, b *rateBucket, now time.Time) {
	full := now.Add(time.Duration((float64(s.cfg.ratePoints) - b.level) / s.refillRate() * float64(time.Second)))
	h := w.Header()
	h.Set("Ratelimit-Limit", strconv.Itoa(s.cfg.ratePoints))
	h.Set("Ratelimit-Remaining", strconv.Itoa(int(b.level)))
	h.Set("Ratelimit-Reset", strconv.FormatInt(ceilUnix(full), 10))
}

// ceilUnix is t in whole Unix seconds, rounded up.
func ceilUnix(t time.Time) int64 {
	u := t.Unix()
	if t.After(time.Unix(u, 0)) {
		u++
	}
	return u
}

// RateLimitStats says how many Helix requests the rate limit let through
// and how many it refused with a 429 (not counting 429s from FailNext).
func (s *Server) RateLimitStats() (served, refused int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.helix.served, s.helix.refused
}
