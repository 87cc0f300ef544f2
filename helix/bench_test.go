package helix_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/twitchtest"
)

// getUsersAnswer is a Get Users answer for one user, as Twitch sends it.
const getUsersAnswer = `{"data":[{"id":"141981764","login":"twitchdev","display_name":"TwitchDev","type":"",` +
	`"broadcaster_type":"partner","description":"Supporting third-party developers building Twitch integrations from chatbots to game integrations.",` +
	`"profile_image_url":"https://static-cdn.jtvnw.net/jtv_user_pictures/8a6381c7-d0c0-4576-b179-38bd5ce1d6af-profile_image-300x300.png",` +
	`"offline_image_url":"https://static-cdn.jtvnw.net/jtv_user_pictures/3f13ab61-ec78-4fe6-8481-8682cb3b0ac2-channel_offline_image-1920x1080.png",` +
	`"view_count":5980557,"email":"not-real@email.com","created_at":"2016-12-14T20:32:28Z"}]}`

// usersServer answers every request with getUsersAnswer and the rate-limit
// headers Twitch sends, so that both clients read them.
func usersServer(b *testing.B) *httptest.Server {
	b.Helper()
	body := []byte(getUsersAnswer)
	reset := strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Type"] = []string{"application/json; charset=utf-8"}
		h["Ratelimit-Limit"] = []string{"800"}
		h["Ratelimit-Remaining"] = []string{"799"}
		h["Ratelimit-Reset"] = []string{reset}
		_, _ = w.Write(body)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// cannedAnswer is a RoundTripper that answers every request with
// getUsersAnswer without a network, to measure a client's own work alone.
type cannedAnswer struct{ reset string }

func (c cannedAnswer) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: http.StatusOK,
		Header: http.Header{
			"Content-Type":        {"application/json; charset=utf-8"},
			"Ratelimit-Limit":     {"800"},
			"Ratelimit-Remaining": {"799"},
			"Ratelimit-Reset":     {c.reset},
		},
		Body:          io.NopCloser(strings.NewReader(getUsersAnswer)),
		ContentLength: int64(len(getUsersAnswer)),
		Request:       req,
	}, nil
}

// clients are the two ways of reaching Twitch the benchmarks compare: a
// local httptest server over the loopback network (what the figures in
// README are), and no network at all (the clients' own work).
func clients(b *testing.B) map[string]func() (*http.Client, string) {
	return map[string]func() (*http.Client, string){
		"GetUsers": func() (*http.Client, string) {
			srv := usersServer(b)
			return srv.Client(), srv.URL
		},
		"GetUsersNoNetwork": func() (*http.Client, string) {
			reset := strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10)
			return &http.Client{Transport: cannedAnswer{reset}}, "https://api.twitch.tv/helix"
		},
	}
}

// BenchmarkClient is a Get Users call through the client: parameters
// checked, rate limit paced, headers read, answer decoded.
func BenchmarkClient(b *testing.B) {
	for name, reach := range clients(b) {
		b.Run(name, func(b *testing.B) {
			hc, base := reach()
			c := helix.New("client-id", oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "token"}),
				helix.WithBaseURL(base), helix.WithHTTPClient(hc))
			ctx := context.Background()
			params := &helix.GetUsersParams{ID: []string{"141981764"}}
			b.ReportAllocs()
			for b.Loop() {
				res, err := c.GetUsers(ctx, params)
				if err != nil || len(res.Data) != 1 {
					b.Fatal(res, err)
				}
			}
		})
	}
}

// BenchmarkPlain is the same request made with net/http and encoding/json
// alone, as a program without this library would.
func BenchmarkPlain(b *testing.B) {
	for name, reach := range clients(b) {
		b.Run(name, func(b *testing.B) {
			hc, base := reach()
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				users, err := plainGetUsers(ctx, hc, base, "client-id", "token", []string{"141981764"})
				if err != nil || len(users) != 1 {
					b.Fatal(users, err)
				}
			}
		})
	}
}

func plainGetUsers(ctx context.Context, hc *http.Client, base, clientID, token string, ids []string) ([]helix.User, error) {
	q := url.Values{"id": ids}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/users?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Client-Id", clientID)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	var out struct {
		Data []helix.User `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	return out.Data, nil
}

// BenchmarkPacing makes 400 calls at once against a fake whose bucket
// holds 80 points and refills in 10 s, on the loopback network and the real
// clock: it takes about 40 s. It reports the calls per second, their share
// of the bucket's 8 per second, and the 429s the client had to retry (none
// reach the caller, or the benchmark fails).
func BenchmarkPacing(b *testing.B) {
	for b.Loop() {
		srv := twitchtest.NewServer(twitchtest.WithRateLimit(80, 10*time.Second))
		c := helix.New("client-id", srv.Token("token"), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.Client()))
		const calls = 400
		var wg sync.WaitGroup
		errs := make(chan error, calls)
		start := time.Now()
		for range calls {
			wg.Go(func() {
				_, err := c.GetUsers(context.Background(), nil)
				errs <- err
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		close(errs)
		for err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		_, refused := srv.Helix.RateLimitStats()
		srv.Close()
		rate := calls / elapsed.Seconds()
		b.ReportMetric(rate, "calls/s")
		b.ReportMetric(rate/8*100, "%bucket")
		b.ReportMetric(float64(refused), "429s")
	}
}
