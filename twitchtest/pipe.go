package twitchtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
)

// DialContext connects to the fake's EventSub WebSocket without a network,
// for eventsub.WithDialContext: it returns one end of a net.Pipe and the
// fake serves the other, whatever the address (the URL's path and query,
// such as a reconnect URL's, still count). With Server.InMemoryClient for
// Helix, a client then runs in a testing/synctest bubble, where the fake's
// keepalives and the client's timers run on the bubble's clock:
//
//	synctest.Test(t, func(t *testing.T) {
//		h := helix.New("id", srv.Token("token"), helix.WithBaseURL(srv.Helix.URL), helix.WithHTTPClient(srv.InMemoryClient()))
//		c := eventsub.New(h, eventsub.WithBaseURL(srv.EventSub.URL), eventsub.WithDialContext(srv.EventSub.DialContext))
//		...
//	})
//
// The connections must end inside the bubble (close the client there).
func (e *EventSub) DialContext(ctx context.Context, _, _ string) (net.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	client, server := net.Pipe()
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		_ = client.Close()
		_ = server.Close()
		return nil, errors.New("twitchtest: the fake is closed")
	}
	e.pending[server] = struct{}{}
	e.conns.Add(1)
	e.mu.Unlock()
	go e.servePipe(server)
	return client, nil
}

// servePipe reads the handshake of a DialContext connection and answers
// it as the fake's HTTP server would.
func (e *EventSub) servePipe(nc net.Conn) {
	defer e.conns.Done()
	br := bufio.NewReader(nc)
	req, err := http.ReadRequest(br)
	e.mu.Lock()
	delete(e.pending, nc)
	e.mu.Unlock()
	if err != nil {
		_ = nc.Close()
		return
	}
	req.RemoteAddr = "127.0.0.1:1"
	w := &pipeResponse{nc: nc, rw: bufio.NewReadWriter(br, bufio.NewWriter(nc)), header: http.Header{}}
	if req.URL.Path == "/eventsub" && req.Method == http.MethodGet {
		e.serveWebSocket(w, req)
	} else {
		http.NotFound(w, req)
	}
	if !w.hijacked {
		w.respond()
		_ = nc.Close()
	}
}

// pipeResponse is the http.ResponseWriter, and http.Hijacker, of a
// handshake over a pipe.
type pipeResponse struct {
	nc       net.Conn
	rw       *bufio.ReadWriter
	header   http.Header
	status   int
	body     bytes.Buffer
	hijacked bool
}

func (w *pipeResponse) Header() http.Header { return w.header }

func (w *pipeResponse) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *pipeResponse) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

func (w *pipeResponse) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.hijacked = true
	return w.nc, w.rw, nil
}

// respond writes an answer that was not an upgrade.
func (w *pipeResponse) respond() {
	w.WriteHeader(http.StatusOK)
	resp := &http.Response{
		StatusCode: w.status, ProtoMajor: 1, ProtoMinor: 1, Header: w.header,
		Body: io.NopCloser(&w.body), ContentLength: int64(w.body.Len()), Close: true,
	}
	_ = resp.Write(w.nc)
}

// counter counts goroutines, as a sync.WaitGroup, but belongs to no
// testing/synctest bubble: a WaitGroup whose Add ran in a bubble cannot be
// waited on from outside it, and the fake's connections may start in a
// bubble while Server.Close runs in the test's cleanup.
type counter struct {
	mu   sync.Mutex
	n    int
	zero *sync.Cond
}

func (c *counter) Add(delta int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n += delta
	if c.n == 0 && c.zero != nil {
		c.zero.Broadcast()
	}
}

func (c *counter) Done() { c.Add(-1) }

// Wait returns when the count is zero.
func (c *counter) Wait() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.zero == nil {
		c.zero = sync.NewCond(&c.mu)
	}
	for c.n != 0 {
		c.zero.Wait()
	}
}
