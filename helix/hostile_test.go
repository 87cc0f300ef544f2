package helix_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/helix"
)

// The tests of this file answer the client as a broken or hostile peer
// would (a proxy, Twitch's edge, a test tool, a server pretending to be
// Twitch): with answers a test writes, in memory, so that they can run in
// a synctest bubble.

// scripted is an http.RoundTripper whose answers a test writes: answer gets
// the number of the request, from 1.
type scripted struct {
	n      atomic.Int32
	answer func(n int, req *http.Request) *http.Response
}

func (s *scripted) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	resp := s.answer(int(s.n.Add(1)), req)
	resp.Request = req
	return resp, nil
}

// requests is how many requests reached the peer.
func (s *scripted) requests() int { return int(s.n.Load()) }

// scriptedClient is a client whose requests s answers.
func scriptedClient(s *scripted, opts ...helix.Option) *helix.Client {
	opts = append([]helix.Option{helix.WithBaseURL("https://api.example/helix"), helix.WithHTTPClient(&http.Client{Transport: s})}, opts...)
	return helix.New(clientID, nil, opts...)
}

// respond is an answer with a body of known length; h may be nil.
func respond(status int, h http.Header, body string) *http.Response {
	if h == nil {
		h = http.Header{}
	}
	h.Set("Content-Type", "application/json")
	return &http.Response{
		Status: fmt.Sprintf("%d %s", status, http.StatusText(status)), StatusCode: status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)),
	}
}

// rateHeaders are Twitch's rate-limit headers, with a Date header of date.
func rateHeaders(limit, remaining int, reset, date time.Time) http.Header {
	return http.Header{
		"Ratelimit-Limit":     {strconv.Itoa(limit)},
		"Ratelimit-Remaining": {strconv.Itoa(remaining)},
		"Ratelimit-Reset":     {strconv.FormatInt(reset.Unix(), 10)},
		"Date":                {date.UTC().Format(http.TimeFormat)},
	}
}

const tooMany = `{"error":"Too Many Requests","status":429,"message":""}`

// Issue 10, case 1: a 429 without rate-limit headers (from a proxy, an
// edge, a test tool) made every later call wait for ever, for a reset that
// nobody had told. It is retried after a second, and the client goes on.
func TestHeaderless429DoesNotStopTheClient(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		peer := &scripted{answer: func(n int, _ *http.Request) *http.Response {
			if n == 1 {
				return respond(http.StatusTooManyRequests, nil, tooMany)
			}
			return respond(http.StatusOK, nil, usersBody)
		}}
		c := scriptedClient(peer)
		// Before the fix, the second call waited until this context ended.
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		start := time.Now()
		for i := range 10 {
			_, err := c.GetUsers(ctx, nil)
			assert.NilError(t, err, "call %d", i+1)
		}
		assert.Equal(t, peer.requests(), 11, "10 calls and one retry")
		assert.Equal(t, time.Since(start), time.Second, "the 429 was retried after a second, and nothing else waited")
	})
}

// Issue 10, case 1: after a reset, a bucket's worth of answers without
// rate-limit headers (a proxy, Twitch's edge) emptied the bucket, which
// then waited for ever for a reset that nobody had told, even once Twitch
// answered again. An answer that tells nothing of the bucket gives its
// point back, as a request that got no answer does.
func TestHeaderlessAnswersAfterAResetDoNotStopTheClient(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		reset := start.Add(5 * time.Second)
		peer := &scripted{answer: func(n int, _ *http.Request) *http.Response {
			switch {
			case n <= 3: // Twitch: a bucket of 3 points, full again at reset
				return respond(http.StatusOK, rateHeaders(3, 3-n, reset, time.Now()), usersBody)
			case n <= 6: // something else answers, without the headers
				return respond(http.StatusOK, nil, usersBody)
			default: // Twitch again, with a bucket full but for this request
				return respond(http.StatusOK, rateHeaders(3, 2, time.Now().Add(time.Minute), time.Now()), usersBody)
			}
		}}
		c := scriptedClient(peer)
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		for i := range 10 {
			_, err := c.GetUsers(ctx, nil)
			assert.NilError(t, err, "call %d", i+1)
		}
		assert.Equal(t, peer.requests(), 10)
		assert.Equal(t, time.Since(start), 5*time.Second, "only the 4th call waited, for the reset Twitch told")
	})
}

// Issue 10, case 2: a reset far ahead (an hour, a year), or a Date header a
// day behind this machine's clock (which moves the reset a day ahead),
// held the call back until its context ended. Twitch's bucket refills
// within a minute: a call that would wait longer returns ErrRateLimited at
// once, with the reset the answer told; and a minute later the client
// sends again, to learn the bucket afresh.
func TestFarResetIsNotWaitedFor(t *testing.T) {
	for _, tc := range []struct {
		name        string
		reset, date time.Duration // from now
		want        time.Duration // the reset on this machine's clock, from now
	}{
		{name: "reset an hour ahead", reset: time.Hour, want: time.Hour},
		{name: "reset a year ahead", reset: 365 * 24 * time.Hour, want: 365 * 24 * time.Hour},
		{name: "Date a day behind", reset: 10 * time.Second, date: -24 * time.Hour, want: 24*time.Hour + 10*time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				peer := &scripted{answer: func(n int, _ *http.Request) *http.Response {
					if n == 1 {
						return respond(http.StatusOK, rateHeaders(800, 0, start.Add(tc.reset), start.Add(tc.date)), usersBody)
					}
					return respond(http.StatusOK, rateHeaders(800, 799, time.Now().Add(time.Minute), time.Now()), usersBody)
				}}
				c := scriptedClient(peer)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
				defer cancel()
				_, err := c.GetUsers(ctx, nil)
				assert.NilError(t, err)

				_, err = c.GetUsers(ctx, nil)
				assert.ErrorIs(t, err, helix.ErrRateLimited)
				var rl *helix.RateLimitError
				assert.Assert(t, errors.As(err, &rl), "%v", err)
				assert.Equal(t, rl.Operation, "GetUsers")
				assert.Equal(t, rl.RateLimit.Limit, 800)
				assert.Equal(t, rl.RateLimit.Remaining, 0)
				assert.Assert(t, rl.RateLimit.Reset.Equal(start.Add(tc.want)), "reset %v, want %v", rl.RateLimit.Reset, start.Add(tc.want))
				assert.ErrorContains(t, err, "helix: GetUsers: rate limited until ")
				assert.Equal(t, time.Since(start), time.Duration(0), "the call did not wait")
				assert.Equal(t, peer.requests(), 1, "the call was not sent")

				// Twitch's bucket is full again within a minute, whatever
				// the answer said.
				time.Sleep(time.Minute)
				_, err = c.GetUsers(ctx, nil)
				assert.NilError(t, err)
				assert.Equal(t, peer.requests(), 2)
			})
		})
	}
}

// Issue 10, case 2: a 429 whose reset is an hour ahead is returned at
// once, as the *APIError of the 429 with the reset it told, rather than
// retried an hour later.
func TestFar429IsNotRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		peer := &scripted{answer: func(n int, _ *http.Request) *http.Response {
			if n == 1 {
				return respond(http.StatusTooManyRequests, rateHeaders(800, 0, start.Add(time.Hour), start), tooMany)
			}
			return respond(http.StatusOK, rateHeaders(800, 799, time.Now().Add(time.Minute), time.Now()), usersBody)
		}}
		c := scriptedClient(peer)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		_, err := c.GetUsers(ctx, nil)
		assert.ErrorIs(t, err, helix.ErrRateLimited)
		var apiErr *helix.APIError
		assert.Assert(t, errors.As(err, &apiErr), "%v", err)
		assert.Equal(t, apiErr.StatusCode, http.StatusTooManyRequests)
		assert.Assert(t, apiErr.RateLimit.Reset.Equal(start.Add(time.Hour)), "reset %v", apiErr.RateLimit.Reset)
		assert.Equal(t, time.Since(start), time.Duration(0), "the call did not wait")
		assert.Equal(t, peer.requests(), 1, "the 429 was not retried")
	})
}

// usersStream is a Get Users answer of users users, made as it is read
// (without allocating, so that a test measures the client alone). It
// counts the bytes read.
type usersStream struct {
	users int
	read  int64
	sent  int    // users made
	buf   string // what is left of the piece being read
}

const streamedUser = `{"id":"1","login":"fernfriend","display_name":"FernFriend","type":"","broadcaster_type":"affiliate",` +
	`"description":"Plants, mostly.","profile_image_url":"https://static-cdn.example/fern-300x300.png","offline_image_url":"",` +
	`"view_count":0,"created_at":"2019-06-02T14:03:11Z"}`

// streamOf returns a stream of about size bytes, and its exact length.
func streamOf(size int64) (*usersStream, int64) {
	users := int(size / int64(len(streamedUser)+1))
	return &usersStream{users: users}, int64(len(`{"data":[]}`) + users*(len(streamedUser)+1) - 1)
}

func (s *usersStream) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(s.buf) == 0 {
			switch {
			case s.read == 0 && n == 0:
				s.buf = `{"data":[`
			case s.sent < s.users-1:
				s.sent++
				s.buf = streamedUser + ","
			case s.sent == s.users-1:
				s.sent++
				s.buf = streamedUser + "]}"
			default:
				s.read += int64(n)
				return n, io.EOF
			}
		}
		m := copy(p[n:], s.buf)
		s.buf = s.buf[m:]
		n += m
	}
	s.read += int64(n)
	return n, nil
}

func (s *usersStream) Close() error { return nil }

// heapMiB is the heap in use after a collection, in MiB.
func heapMiB() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc) / (1 << 20)
}

// allocatedMiB is how much f allocates, in MiB (runtime.MemStats'
// TotalAlloc, which no timing changes).
func allocatedMiB(f func()) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return float64(after.TotalAlloc-before.TotalAlloc) / (1 << 20)
}

// Issue 10, case 3: a 300 MiB success body was read whole (1.7 GiB
// allocated before the fix, as the test logs). The body is read through a
// limit: the call reads a little more than the limit, and fails saying
// why. (A declared length over the limit fails before any read:
// TestDeclaredLengthOverTheLimit.)
func TestLargeBodyIsRefused(t *testing.T) {
	body, _ := streamOf(300 << 20)
	peer := &scripted{answer: func(int, *http.Request) *http.Response {
		resp := respond(http.StatusOK, nil, "")
		resp.Body, resp.ContentLength = body, -1 // chunked
		return resp
	}}
	c := scriptedClient(peer)
	var err error
	allocated := allocatedMiB(func() { _, err = c.GetUsers(context.Background(), nil) })
	t.Logf("a 300 MiB answer: %.1f MiB allocated, %.1f MiB of it read", allocated, float64(body.read)/(1<<20))
	assert.ErrorContains(t, err, "helix: GetUsers: read response: the body has more than the 4 MiB")
	assert.Assert(t, body.read <= 4<<20+1, "read %d bytes", body.read)
	assert.Assert(t, allocated < 16, "allocated %.1f MiB", allocated)
}

// An answer with no body to decode (a PATCH's) is drained through the same
// limit.
func TestLargeBodyIsRefusedWhenIgnored(t *testing.T) {
	body, _ := streamOf(300 << 20)
	peer := &scripted{answer: func(int, *http.Request) *http.Response {
		resp := respond(http.StatusOK, nil, "")
		resp.Body, resp.ContentLength = body, -1
		return resp
	}}
	c := scriptedClient(peer)
	err := c.ModifyChannelInformation(context.Background(), &helix.ModifyChannelInformationParams{BroadcasterID: "1", Title: "t"})
	assert.ErrorContains(t, err, "helix: ModifyChannelInformation: read response: the body has more than the 4 MiB")
	assert.Assert(t, body.read <= 4<<20+1, "read %d bytes", body.read)
}

// stalledBody is a body of which no byte comes until release is closed.
type stalledBody struct {
	release <-chan struct{}
}

func (b *stalledBody) Read([]byte) (int, error) {
	<-b.release
	return 0, io.ErrUnexpectedEOF
}

func (b *stalledBody) Close() error { return nil }

// Issue 10, case 3: the buffer for a body was sized from its declared
// Content-Length before any byte arrived: 32 calls to a peer that declares
// 64 MiB and sends nothing held 2 GiB. A length over the limit now fails
// at once; one within it sizes no buffer larger than the 4 KiB any answer
// starts with.
func TestDeclaredLengthIsNotAllocated(t *testing.T) {
	for _, tc := range []struct {
		name     string
		declared int64
		maxHeld  float64 // MiB
	}{
		{name: "64 MiB", declared: 64<<20 - 1, maxHeld: 1},
		{name: "4 MiB", declared: 4 << 20, maxHeld: 1}, // the limit: 32 buffers of 4 KiB
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				release := make(chan struct{})
				peer := &scripted{answer: func(int, *http.Request) *http.Response {
					resp := respond(http.StatusOK, nil, "")
					resp.Body, resp.ContentLength = &stalledBody{release: release}, tc.declared
					return resp
				}}
				c := scriptedClient(peer)
				const calls = 32
				before := heapMiB()
				errs := make(chan error, calls)
				for range calls {
					go func() {
						_, err := c.GetUsers(context.Background(), nil)
						errs <- err
					}()
				}
				synctest.Wait() // every call has failed, or waits for the first byte of its body
				held := max(heapMiB()-before, 0)
				close(release)
				for range calls {
					assert.Assert(t, <-errs != nil)
				}
				t.Logf("%d calls whose answers declare %s and send nothing: %.2f MiB of heap held", calls, tc.name, held)
				assert.Assert(t, held < tc.maxHeld, "%.2f MiB held", held)
			})
		})
	}
}

// A body that ends before its declared length says so.
func TestBodyEndsEarly(t *testing.T) {
	release := make(chan struct{})
	close(release)
	peer := &scripted{answer: func(int, *http.Request) *http.Response {
		resp := respond(http.StatusOK, nil, "")
		resp.Body, resp.ContentLength = &stalledBody{release: release}, 1000
		return resp
	}}
	_, err := scriptedClient(peer).GetUsers(context.Background(), nil)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.ErrorContains(t, err, "helix: GetUsers: read response: the body ended after 0 of its 1000 bytes")
}

// A declared length over the limit fails at once, without reading.
func TestDeclaredLengthOverTheLimit(t *testing.T) {
	body, length := streamOf(1 << 30)
	peer := &scripted{answer: func(int, *http.Request) *http.Response {
		resp := respond(http.StatusOK, nil, "")
		resp.Body, resp.ContentLength = body, length
		return resp
	}}
	_, err := scriptedClient(peer).GetUsers(context.Background(), nil)
	assert.ErrorContains(t, err, "helix: GetUsers: read response: the body declares "+strconv.FormatInt(length, 10)+" bytes, more than the 4 MiB")
	assert.Equal(t, body.read, int64(0))
}
