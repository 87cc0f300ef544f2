package twitchtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// session is one EventSub WebSocket session: its connection, and after a
// session_reconnect the connection it is moving to.
type session struct {
	id       string
	seq      int // order of creation, for WaitSession
	conn     *wsConn
	welcomed bool
	used     bool   // a subscription was created on it
	token    string // the reconnect URL's token, while a handover is pending
	// connectedAt is when its first connection was made.
	connectedAt time.Time
	// shard is the conduit shard it carries, if any.
	shard *shard
}

// wsConn is one WebSocket connection of the fake. Only its writer goroutine
// writes to the socket; everything else queues frames with send, so frames
// leave in the order they were queued.
type wsConn struct {
	ws         *websocket.Conn
	readerGone chan struct{} // closed by the reader when reading failed
	stop       chan struct{} // closed when the fake closes
	silent     atomic.Bool   // keepalives stop

	qmu   sync.Mutex
	queue []outbound    // frames to send, oldest first
	ended bool          // the writer has stopped: nothing more is sent
	wake  chan struct{} // holds a token while queue has frames
}

func newWSConn(ws *websocket.Conn) *wsConn {
	return &wsConn{ws: ws, readerGone: make(chan struct{}), stop: make(chan struct{}), wake: make(chan struct{}, 1)}
}

// outbound is a frame to send, or a way to end the connection.
type outbound struct {
	frame []byte
	close int  // a close code: send a close frame, then end
	drop  bool // end without a close frame
	// conduit is the conduit notification the frame carries: the fake
	// records whether it was written, and sends it on when it was not.
	conduit *message
	// reconnect marks a session_reconnect: once it is written, the client
	// has reconnectGrace to connect to the reconnect URL.
	reconnect bool
}

// reconnectGrace is how long Twitch waits for a client to follow a
// session_reconnect before it closes the old connection with 4004.
const reconnectGrace = 30 * time.Second

// closeUnused is the code Twitch closes a connection with when it has no
// subscription in time.
const closeUnused = 4003

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// serveWebSocket accepts an EventSub connection: a new session, or with
// ?reconnect=<token> the connection a session moves to.
func (e *EventSub) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("reconnect")
	if status, msg := e.admit(token); status != 0 {
		http.Error(w, msg, status)
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		e.conns.Add(-2)
		return
	}
	c := newWSConn(ws)
	// As Twitch does, answer a client's close only after the frames already
	// on their way: a client that drains its old connection after a
	// session_reconnect gets every one of them.
	ws.SetCloseHandler(func(code int, _ string) error {
		c.send(outbound{close: websocket.CloseNormalClosure})
		return nil
	})
	sess := e.attach(c, token)
	go e.write(sess, c, token == "")
	go e.read(c)
}

// admit says whether a connection may be made, and if so counts its two
// goroutines in: the status and message that refuse it, or 0.
func (e *EventSub) admit(token string) (int, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.closed:
		return http.StatusServiceUnavailable, "closed"
	case token != "" && e.handover[token] == nil:
		return http.StatusNotFound, "unknown reconnect token"
	}
	e.conns.Add(2)
	return 0, ""
}

// attach makes c the connection of a new session, or of the session the
// reconnect token names, and queues its welcome.
func (e *EventSub) attach(c *wsConn, token string) *session {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		close(c.stop) // close has run: the writer ends at once
	} else {
		e.live[c] = struct{}{}
	}
	sess := e.handover[token]
	if sess == nil {
		sess = &session{id: e.newID("session"), seq: e.nextID, connectedAt: time.Now().UTC()}
		e.sessions[sess.id] = sess
	} else {
		delete(e.handover, token)
		sess.token = ""
		if sess.conn != nil {
			sess.conn.silent.Store(true) // the old connection gets no more keepalives
		}
	}
	welcome, _ := e.frame("session_welcome", "", "", map[string]any{"session": e.sessionJSON(sess, "")})
	// The welcome is queued before the session points here, so every
	// frame sent to the session after it arrives on this connection.
	c.send(outbound{frame: welcome})
	sess.conn, sess.welcomed = c, true
	close(e.change) // wakes WaitSession
	e.change = make(chan struct{})
	return sess
}

// write sends c's frames and keepalives until the connection ends, then
// ends the session unless it is moving to another connection. A new
// session's connection is closed with 4003 when the session still has no
// subscription once the unused timeout has passed.
func (e *EventSub) write(sess *session, c *wsConn, fresh bool) {
	defer e.conns.Done()
	// Why the connection ended, for the shard the session carries: the
	// client went away, unless the fake ends it otherwise below.
	status := shardDisconnected
	defer func() { e.ended(sess, c, status) }()
	keepalive := time.NewTicker(e.cfg.keepaliveInterval)
	defer keepalive.Stop()
	var unused, grace <-chan time.Time
	if fresh && e.cfg.unusedTimeout > 0 {
		t := time.NewTimer(e.cfg.unusedTimeout)
		defer t.Stop()
		unused = t.C
	}
	for {
		var o outbound
		select {
		case <-c.stop:
			status = shardInternalError
			_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server closed"), time.Now().Add(time.Second))
			return
		case <-c.readerGone:
			return
		case <-keepalive.C:
			if c.silent.Load() {
				continue
			}
			o.frame = e.keepalive()
		case <-unused:
			if e.isUsed(sess) {
				continue
			}
			o.close = closeUnused
		case <-grace:
			grace = nil
			if !e.handoverPending(sess, c) {
				continue
			}
			o.close = 4004 // reconnect grace time expired
		case <-c.wake:
			var ok bool
			if o, ok = c.next(); !ok {
				continue
			}
		}
		if o.drop || o.close != 0 {
			status = statusOfClose(o.close)
			if o.drop {
				status = shardNetworkError
			}
			// The session ends before the client can hear of it, so a
			// client that reconnects at once finds the old one gone.
			e.endSession(sess, c, status)
		}
		switch {
		case o.drop:
			_ = c.ws.UnderlyingConn().Close()
			return
		case o.close != 0:
			_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(o.close, closeText[o.close]), time.Now().Add(time.Second))
			return
		}
		err := c.ws.WriteMessage(websocket.TextMessage, o.frame)
		if o.reconnect && grace == nil {
			t := time.NewTimer(reconnectGrace)
			defer t.Stop()
			grace = t.C
		}
		if o.conduit != nil {
			e.mu.Lock()
			e.written(o.conduit, err)
			e.mu.Unlock()
		}
		if err != nil {
			status = shardNetworkError
			return
		}
	}
}

// handoverPending reports whether the session's client has yet to follow
// a session_reconnect away from c.
func (e *EventSub) handoverPending(sess *session, c *wsConn) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return sess.conn == c && sess.token != ""
}

// isUsed reports whether a subscription was created on the session.
func (e *EventSub) isUsed(sess *session) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return sess.used
}

// read reads what the client sends (control frames only, if it behaves)
// until the connection fails or the client closes it.
func (e *EventSub) read(c *wsConn) {
	defer e.conns.Done()
	for {
		kind, _, err := c.ws.ReadMessage()
		var ce *websocket.CloseError
		if errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure {
			return // the close handler queued the answer
		}
		// An abnormal closure (1006) is never sent: the connection ended
		// without a close frame, as when the client's process dies.
		if err != nil {
			close(c.readerGone)
			return
		}
		if kind == websocket.TextMessage || kind == websocket.BinaryMessage {
			// Twitch closes a connection that sends anything but pongs.
			c.send(outbound{close: 4001})
		}
	}
}

// ended closes the connection and ends its session; the conduit
// notifications it did not write go to other shards.
func (e *EventSub) ended(sess *session, c *wsConn, status string) {
	_ = c.ws.Close()
	unsent := c.end()
	e.endSession(sess, c, status)
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.live, c)
	for _, o := range unsent {
		if o.conduit != nil {
			e.shardMissed(o.conduit, errSessionGone)
		}
	}
}

// endSession ends the session of the connection c, with the session's
// subscriptions, unless the session has moved or is moving on (but for a
// handover whose grace time expired); the conduit shard it carries is
// disabled with status.
func (e *EventSub) endSession(sess *session, c *wsConn, status string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if sess.conn != c {
		return
	}
	if sess.token != "" {
		if status != shardFailedToReconnect {
			return
		}
		delete(e.handover, sess.token)
		sess.token = ""
	}
	delete(e.sessions, sess.id)
	for id, sub := range e.subs {
		if sub.session == sess.id {
			delete(e.subs, id)
		}
	}
	e.sessionEnded(sess, status)
}

// send queues o unless the connection has ended. It never blocks, so that
// EventSub's methods queue while they hold e.mu: a frame decided before a
// handover is then queued on the old connection before the new one's
// welcome, and so before the client can close the old one and have its
// close answered. (A bounded channel could fill while the writer waits for
// e.mu, for a keepalive.) The queue grows only as fast as a test sends.
func (c *wsConn) send(o outbound) bool {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if c.ended {
		return false
	}
	c.queue = append(c.queue, o)
	select {
	case c.wake <- struct{}{}:
	default: // a token is there already
	}
	return true
}

// next takes the oldest queued frame, leaving a wake token while more wait.
func (c *wsConn) next() (outbound, bool) {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if len(c.queue) == 0 {
		return outbound{}, false
	}
	o := c.queue[0]
	c.queue[0] = outbound{}
	c.queue = c.queue[1:]
	if len(c.queue) > 0 {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	return o, true
}

// end stops queueing, the writer having stopped, and returns what was
// queued and not sent.
func (c *wsConn) end() []outbound {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	unsent := c.queue
	c.ended, c.queue = true, nil
	return unsent
}

// closeText is the reason Twitch gives with each close code.
var closeText = map[int]string{
	4000: "internal server error",
	4001: "sent inbound traffic",
	4002: "failed ping pong",
	4003: "connection unused",
	4004: "reconnect grace time expired",
	4005: "network timeout",
	4006: "network error",
	4007: "invalid reconnect",
}

// frame builds a WebSocket message with a fresh ID. e.mu is held. It fails
// only when the payload holds JSON that is not valid.
func (e *EventSub) frame(messageType, subType, subVersion string, payload any) ([]byte, error) {
	return frameWith(e.newID("message"), time.Now(), messageType, subType, subVersion, payload)
}

// keepalive builds a keepalive message.
func (e *EventSub) keepalive() []byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	frame, _ := e.frame("session_keepalive", "", "", map[string]any{}) // an empty payload always encodes
	return frame
}

func frameWith(id string, at time.Time, messageType, subType, subVersion string, payload any) ([]byte, error) {
	metadata := map[string]any{
		"message_id":        id,
		"message_type":      messageType,
		"message_timestamp": at.UTC().Format(time.RFC3339Nano),
	}
	if subType != "" {
		metadata["subscription_type"] = subType
		metadata["subscription_version"] = subVersion
	}
	data, err := json.Marshal(map[string]any{"metadata": metadata, "payload": payload})
	if err != nil {
		return nil, fmt.Errorf("twitchtest: encoding a %s frame: %w", messageType, err)
	}
	return data, nil
}

func (e *EventSub) sessionJSON(sess *session, reconnectURL string) map[string]any {
	session := map[string]any{
		"id":                        sess.id,
		"status":                    "connected",
		"keepalive_timeout_seconds": e.cfg.keepaliveSeconds,
		"reconnect_url":             nil,
		"connected_at":              sess.connectedAt.Format(time.RFC3339Nano),
		"recovery_url":              nil,
	}
	if reconnectURL != "" {
		session["status"] = "reconnecting"
		session["keepalive_timeout_seconds"] = nil
		session["reconnect_url"] = reconnectURL
	}
	return session
}
