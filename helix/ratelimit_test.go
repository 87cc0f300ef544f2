package helix

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"gotest.tools/v3/assert"
)

// headers are the rate-limit headers of an answer sent at now.
func headers(limit, remaining int, reset, now time.Time) http.Header {
	return http.Header{
		"Ratelimit-Limit":     {strconv.Itoa(limit)},
		"Ratelimit-Remaining": {strconv.Itoa(remaining)},
		"Ratelimit-Reset":     {strconv.FormatInt(reset.Unix(), 10)},
		"Date":                {now.UTC().Format(http.TimeFormat)},
	}
}

// taken reports whether a take started in a goroutine has returned, once
// everything else in the bubble is blocked.
func taken(done <-chan uint64) bool {
	synctest.Wait()
	select {
	case <-done:
		return true
	default:
		return false
	}
}

func startTake(t *testing.T, b *bucket) <-chan uint64 {
	done := make(chan uint64, 1)
	go func() {
		seq, err := b.take(context.Background())
		assert.Check(t, err)
		done <- seq
	}()
	return done
}

// Before the first answer, one request at a time goes out.
func TestBucketProbesFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBucket()
		first, err := b.take(context.Background())
		assert.NilError(t, err)
		second := startTake(t, b)
		assert.Assert(t, !taken(second), "a second request went out before the first answer")
		b.done(first, headers(10, 9, time.Now().Add(time.Second), time.Now()))
		assert.Assert(t, taken(second))
		assert.Equal(t, b.remaining, 8)
	})
}

// A probe that fails without an answer lets the next caller probe.
func TestBucketProbeFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBucket()
		first, _ := b.take(context.Background())
		second := startTake(t, b)
		b.done(first, nil)
		assert.Assert(t, taken(second))
		assert.Assert(t, b.probing && !b.known)
	})
}

// Answers without rate-limit headers turn pacing off.
func TestBucketUnmetered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBucket()
		first, _ := b.take(context.Background())
		b.done(first, http.Header{})
		for range 1000 {
			_, err := b.take(context.Background())
			assert.NilError(t, err)
		}
	})
}

// With nothing left, callers wait for the reset; then the bucket is full.
// An answer to a request sent before the reset does not count after it.
func TestBucketWaitsForReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBucket()
		start := time.Now()
		reset := start.Add(5 * time.Second)
		seq, _ := b.take(context.Background())
		b.done(seq, headers(3, 1, reset, start))
		last, _ := b.take(context.Background())

		waiting := startTake(t, b)
		assert.Assert(t, !taken(waiting))
		time.Sleep(5 * time.Second)
		assert.Assert(t, taken(waiting))
		assert.Equal(t, time.Since(start), 5*time.Second)
		assert.Equal(t, b.remaining, 3-1-1, "full, less the request still out and the one just let through")

		// The answer to the request sent before the reset is stale.
		b.done(last, headers(3, 0, reset, start))
		assert.Equal(t, b.remaining, 1)
	})
}

// Answers only ever lower the estimate, whatever order they come in.
func TestBucketAnswersOnlyLower(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBucket()
		now := time.Now()
		reset := now.Add(10 * time.Second)
		seq, _ := b.take(context.Background())
		b.done(seq, headers(80, 79, reset, now))
		var seqs []uint64
		for range 4 {
			s, _ := b.take(context.Background())
			seqs = append(seqs, s)
		}
		assert.Equal(t, b.remaining, 75)
		b.done(seqs[3], headers(80, 70, reset, now)) // others spent points meanwhile
		assert.Equal(t, b.remaining, 70-3)
		b.done(seqs[0], headers(80, 78, reset, now)) // an old answer, overtaken
		assert.Equal(t, b.remaining, 67)
	})
}

// A request that got no answer gives its point back.
func TestBucketRefundsFailedRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBucket()
		seq, _ := b.take(context.Background())
		b.done(seq, headers(2, 0, time.Now().Add(time.Minute), time.Now()))
		assert.Equal(t, b.remaining, 0)
		// Waiting: nothing left. A failed request (taken before) returns
		// its point and wakes the waiter.
		b.remaining = 1
		lost, _ := b.take(context.Background())
		waiting := startTake(t, b)
		assert.Assert(t, !taken(waiting))
		b.done(lost, nil)
		assert.Assert(t, taken(waiting))
	})
}

// A 429 empties the bucket until the reset, and at least minWait.
func TestBucketRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBucket()
		now := time.Now()
		seq, _ := b.take(context.Background())
		rh, ok := b.done(seq, headers(800, 0, now, now)) // a reset already passed
		assert.Assert(t, ok)
		b.refused(rh, true, now, time.Second)
		assert.Equal(t, b.reset, now.Add(time.Second))
		waiting := startTake(t, b)
		assert.Assert(t, !taken(waiting))
		time.Sleep(time.Second)
		assert.Assert(t, taken(waiting))
	})
}

// A clock far from Twitch's is corrected by the Date header; a near one is
// taken as it is.
func TestLocalReset(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	twitchNow := now.Add(-time.Minute) // this machine is a minute fast
	reset := twitchNow.Add(10 * time.Second)
	date := twitchNow.Format(http.TimeFormat)
	for _, tc := range []struct {
		date string
		want time.Time
	}{
		{date, now.Add(10 * time.Second)},
		{now.Add(-time.Second).Format(http.TimeFormat), reset},
		{"", reset}, // no Date header
	} {
		got := localReset(reset.Unix(), tc.date, now)
		assert.Assert(t, got.Equal(tc.want), "Date %q: got %v, want %v", tc.date, got, tc.want)
	}
}

// When every request out has been answered, the fewest points any answer
// told is the estimate, even if that is more than before (the bucket
// refilled), and whatever order the answers came in.
func TestBucketLearnsWhenAllAnswered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBucket()
		now := time.Now()
		reset := now.Add(time.Second)
		seq, _ := b.take(context.Background())
		b.done(seq, headers(800, 700, reset, now))
		assert.Equal(t, b.remaining, 700)

		// Twitch counted B before A; A's answer comes first.
		a, _ := b.take(context.Background())
		bb, _ := b.take(context.Background())
		b.done(a, headers(800, 790, reset, now))
		assert.Equal(t, b.remaining, 698, "lowered only while B is out")
		b.done(bb, headers(800, 791, reset, now))
		assert.Equal(t, b.remaining, 790, "the fewest of the two, now that both are counted")
	})
}

// An answer without rate-limit headers tells nothing of the bucket: it
// gives its point back, as a request without an answer does.
func TestBucketHeaderlessAnswerGivesPointBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBucket()
		seq, _ := b.take(context.Background())
		b.done(seq, headers(2, 1, time.Now().Add(time.Minute), time.Now()))
		for range 10 {
			seq, err := b.take(context.Background())
			assert.NilError(t, err)
			b.done(seq, http.Header{})
		}
		assert.Equal(t, b.remaining, 1)
	})
}

// A bucket that is empty and was told no reset (here: at a reset, the
// requests still out are counted in the new bucket; their answers are
// stale, and the next tells nothing) waits at most Twitch's window, not
// for ever.
func TestBucketNeverWaitsOnAnUnknownReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBucket()
		now := time.Now()
		reset := now.Add(5 * time.Second)
		seq, _ := b.take(context.Background())
		b.done(seq, headers(2, 2, reset, now))
		s2, _ := b.take(context.Background())
		s3, _ := b.take(context.Background())
		time.Sleep(5 * time.Second)
		s4, _ := b.take(context.Background()) // full again, less the 2 out
		b.done(s2, headers(2, 0, reset, now))
		b.done(s3, headers(2, 0, reset, now))
		b.done(s4, http.Header{})
		assert.Equal(t, b.remaining, 0)
		assert.Equal(t, b.inflight, 0)

		waiting := startTake(t, b)
		assert.Assert(t, !taken(waiting))
		time.Sleep(rateLimitWindow)
		assert.Assert(t, taken(waiting))
	})
}

// A reset further away than the client waits is returned to the caller at
// once; the bucket takes it as a window away.
func TestBucketFarReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBucket()
		now := time.Now()
		seq, _ := b.take(context.Background())
		b.done(seq, headers(800, 0, now.Add(time.Hour), now))
		_, err := b.take(context.Background())
		var rl *RateLimitError
		assert.Assert(t, errors.As(err, &rl), "%v", err)
		assert.Assert(t, rl.RateLimit.Reset.Equal(now.Add(time.Hour)))
		assert.Equal(t, time.Since(now), time.Duration(0))
		assert.Assert(t, b.reset.Equal(now.Add(rateLimitWindow)))

		// A reset within the wait is waited for.
		time.Sleep(rateLimitWindow)
		seq, err = b.take(context.Background())
		assert.NilError(t, err)
		b.done(seq, headers(800, 0, time.Now().Add(maxRateLimitWait), time.Now()))
		waiting := startTake(t, b)
		assert.Assert(t, !taken(waiting))
		time.Sleep(maxRateLimitWait)
		assert.Assert(t, taken(waiting))
	})
}

// A 429 without rate-limit headers to a bucket that does not pace leaves
// the wait to the caller.
func TestBucketRefusedUnmetered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBucket()
		seq, _ := b.take(context.Background())
		rh, ok := b.done(seq, http.Header{})
		assert.Assert(t, !ok)
		assert.Assert(t, !b.refused(rh, ok, time.Now(), time.Second))
		_, err := b.take(context.Background())
		assert.NilError(t, err)
	})
}

// A probe that never gets an answer (a peer that never answers, an HTTP
// client without a timeout) holds the others back for a window at most.
func TestBucketProbeWithoutAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBucket()
		_, err := b.take(context.Background())
		assert.NilError(t, err)
		second := startTake(t, b)
		assert.Assert(t, !taken(second))
		time.Sleep(rateLimitWindow)
		assert.Assert(t, taken(second))
		assert.Equal(t, b.inflight, 2)
	})
}
