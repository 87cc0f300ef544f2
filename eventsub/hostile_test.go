package eventsub_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// hostile is a WebSocket server of a test's own on 127.0.0.1 that does
// what the test says rather than what Twitch does. serve runs for each
// connection, numbered from 0 in the order they arrive; it must return
// once h.done is closed (at the end of the test) or the connection ends.
type hostile struct {
	URL  string // ws://127.0.0.1:<port>/ws
	Host string // 127.0.0.1:<port>

	done  chan struct{}
	dials chan int // each connection's number, as it is upgraded
	n     atomic.Int32

	mu      sync.Mutex
	queries []string    // each connection's raw query, in order
	at      []time.Time // when each connection was upgraded
}

func newHostile(t *testing.T, serve func(h *hostile, n int, ws *websocket.Conn, r *http.Request)) *hostile {
	t.Helper()
	h := &hostile{done: make(chan struct{}), dials: make(chan int, 10_000)}
	var handlers sync.WaitGroup
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handlers.Add(1) // before the upgrade, while srv.Close still waits for the request
		defer handlers.Done()
		if r.URL.Query().Has("stuck") {
			<-h.done // accepts the connection, never answers the handshake
			return
		}
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		h.mu.Lock()
		n := int(h.n.Add(1)) - 1
		h.queries = append(h.queries, r.URL.RawQuery)
		h.at = append(h.at, time.Now())
		h.mu.Unlock()
		h.dials <- n
		serve(h, n, ws, r)
	}))
	h.Host = strings.TrimPrefix(srv.URL, "http://")
	h.URL = "ws://" + h.Host + "/ws"
	t.Cleanup(func() {
		close(h.done)
		srv.Close()
		handlers.Wait()
	})
	return h
}

// write sends a text frame.
func (h *hostile) write(ws *websocket.Conn, frame string) error {
	_ = ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return ws.WriteMessage(websocket.TextMessage, []byte(frame))
}

// idle reads and drops what the client sends (answering its close, as
// gorilla does) until the connection or the test ends.
func (h *hostile) idle(ws *websocket.Conn) {
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}()
	select {
	case <-gone:
	case <-h.done:
		ws.Close()
		<-gone
	}
}

// dialed returns how many connections have been upgraded.
func (h *hostile) dialed() int { return int(h.n.Load()) }

var frameIDs atomic.Int64

func frameID() string { return fmt.Sprintf("frame-%d", frameIDs.Add(1)) }

func stamp(at time.Time) string { return at.UTC().Format(time.RFC3339Nano) }

// welcomeFrame is a session_welcome; keepalive is sent as it is, however
// large.
func welcomeFrame(session string, keepalive int64) string {
	now := stamp(time.Now())
	return fmt.Sprintf(`{"metadata":{"message_id":%q,"message_type":"session_welcome","message_timestamp":%q},`+
		`"payload":{"session":{"id":%q,"status":"connected","connected_at":%q,"keepalive_timeout_seconds":%d,"reconnect_url":null,"recovery_url":null}}}`,
		frameID(), now, session, now, keepalive)
}

func keepaliveFrame() string {
	return fmt.Sprintf(`{"metadata":{"message_id":%q,"message_type":"session_keepalive","message_timestamp":%q},"payload":{}}`,
		frameID(), stamp(time.Now()))
}

func reconnectFrame(session, url string) string {
	now := stamp(time.Now())
	return fmt.Sprintf(`{"metadata":{"message_id":%q,"message_type":"session_reconnect","message_timestamp":%q},`+
		`"payload":{"session":{"id":%q,"status":"reconnecting","connected_at":%q,"keepalive_timeout_seconds":null,"reconnect_url":%q,"recovery_url":null}}}`,
		frameID(), now, session, now, url)
}

// followFrame is a channel.follow notification whose user ID is n. An
// empty timestamp leaves message_timestamp out.
func followFrame(id, timestamp string, n int) string {
	ts := ""
	if timestamp != "" {
		ts = fmt.Sprintf(`,"message_timestamp":%q`, timestamp)
	}
	return fmt.Sprintf(`{"metadata":{"message_id":%q,"message_type":"notification"%s,"subscription_type":"channel.follow","subscription_version":"2"},`+
		`"payload":{"subscription":{"id":"sub","status":"enabled","type":"channel.follow","version":"2","cost":0,`+
		`"condition":{"broadcaster_user_id":"1","moderator_user_id":"1"},"transport":{"method":"websocket","session_id":"s"},"created_at":"2025-01-02T03:04:05Z"},`+
		`"event":{"user_id":"%d","user_login":"u","user_name":"U","broadcaster_user_id":"1","broadcaster_user_login":"b","broadcaster_user_name":"B","followed_at":"2025-01-02T03:04:05Z"}}}`,
		id, ts, n)
}
