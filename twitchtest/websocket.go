package twitchtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/twitchify-go/twitch/helix"
)

// session is one EventSub WebSocket session: its connection, and after a
// session_reconnect the connection it is moving to.
type session struct {
	id       string
	seq      int // order of creation, for WaitSession
	conn     *wsConn
	welcomed bool
	token    string // the reconnect URL's token, while a handover is pending
}

// wsConn is one WebSocket connection of the fake. Only its writer goroutine
// writes to the socket; everything else hands it frames through out, so
// frames leave in the order they were sent.
type wsConn struct {
	ws         *websocket.Conn
	out        chan outbound
	done       chan struct{} // closed by the writer when the connection has ended
	readerGone chan struct{} // closed by the reader when reading failed
	silent     atomic.Bool   // keepalives stop
}

// outbound is a frame to send, or a way to end the connection.
type outbound struct {
	frame []byte
	close int  // a close code: send a close frame, then end
	drop  bool // end without a close frame
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// serveWebSocket accepts an EventSub connection: a new session, or with
// ?reconnect=<token> the connection a session moves to.
func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("reconnect")
	s.mu.Lock()
	var sess *session
	if token != "" {
		sess = s.handover[token]
		if sess == nil {
			s.mu.Unlock()
			http.Error(w, "unknown reconnect token", http.StatusNotFound)
			return
		}
	}
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "closed", http.StatusServiceUnavailable)
		return
	}
	s.conns.Add(2)
	s.mu.Unlock()

	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.conns.Add(-2)
		return
	}
	c := &wsConn{ws: ws, out: make(chan outbound, 64), done: make(chan struct{}), readerGone: make(chan struct{})}
	// As Twitch does, answer a client's close only after the frames already
	// on their way: a client that drains its old connection after a
	// session_reconnect gets every one of them.
	ws.SetCloseHandler(func(code int, _ string) error {
		c.send(outbound{close: websocket.CloseNormalClosure})
		return nil
	})

	s.mu.Lock()
	if sess == nil {
		sess = &session{id: s.newID("session"), seq: s.nextID}
		s.sessions[sess.id] = sess
	}
	welcome, _ := s.frame("session_welcome", "", "", map[string]any{"session": s.sessionJSON(sess, "")})
	old := sess.conn
	if token != "" {
		delete(s.handover, token)
		sess.token = ""
		if old != nil {
			old.silent.Store(true) // the old connection gets no more keepalives
		}
	}
	// The welcome is queued before the session points here, so every
	// frame sent to the session after it arrives on this connection.
	c.out <- outbound{frame: welcome}
	sess.conn, sess.welcomed = c, true
	s.changed()
	s.mu.Unlock()

	go s.write(sess, c)
	go s.read(c)
}

// write sends c's frames and keepalives until the connection ends, then
// ends the session unless it is moving to another connection.
func (s *Server) write(sess *session, c *wsConn) {
	defer s.conns.Done()
	defer s.ended(sess, c)
	keepalive := time.NewTicker(s.cfg.keepaliveInterval)
	defer keepalive.Stop()
	for {
		var o outbound
		select {
		case <-s.stop:
			_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server closed"), time.Now().Add(time.Second))
			return
		case <-c.readerGone:
			return
		case <-keepalive.C:
			if c.silent.Load() {
				continue
			}
			o.frame = s.keepalive()
		case o = <-c.out:
		}
		if o.drop || o.close != 0 {
			// The session ends before the client can hear of it, so a
			// client that reconnects at once finds the old one gone.
			s.endSession(sess, c)
		}
		switch {
		case o.drop:
			_ = c.ws.UnderlyingConn().Close()
			return
		case o.close != 0:
			_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(o.close, closeText[o.close]), time.Now().Add(time.Second))
			return
		}
		if err := c.ws.WriteMessage(websocket.TextMessage, o.frame); err != nil {
			return
		}
	}
}

// read reads what the client sends (control frames only, if it behaves)
// until the connection fails or the client closes it.
func (s *Server) read(c *wsConn) {
	defer s.conns.Done()
	for {
		kind, _, err := c.ws.ReadMessage()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return // the close handler queued the answer
		}
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

// ended closes the connection and ends its session.
func (s *Server) ended(sess *session, c *wsConn) {
	_ = c.ws.Close()
	close(c.done)
	s.endSession(sess, c)
}

// endSession ends the session of the connection c, with the session's
// subscriptions, unless the session has moved or is moving on.
func (s *Server) endSession(sess *session, c *wsConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess.conn == c && sess.token == "" {
		// The session ends, and its subscriptions with it.
		delete(s.sessions, sess.id)
		for id, sub := range s.subs {
			if sub.session == sess.id {
				delete(s.subs, id)
			}
		}
	}
}

// send queues o unless the connection has ended.
func (c *wsConn) send(o outbound) bool {
	select {
	case c.out <- o:
		return true
	case <-c.done:
		return false
	}
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

// frame builds a WebSocket message with a fresh ID. s.mu is held. It fails
// only when the payload holds JSON that is not valid.
func (s *Server) frame(messageType, subType, subVersion string, payload any) ([]byte, error) {
	return frameWith(s.newID("message"), time.Now(), messageType, subType, subVersion, payload)
}

// keepalive builds a keepalive message.
func (s *Server) keepalive() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	frame, _ := s.frame("session_keepalive", "", "", map[string]any{}) // an empty payload always encodes
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

func (s *Server) sessionJSON(sess *session, reconnectURL string) map[string]any {
	session := map[string]any{
		"id":                        sess.id,
		"status":                    "connected",
		"keepalive_timeout_seconds": s.cfg.keepaliveSeconds,
		"reconnect_url":             nil,
		"connected_at":              time.Now().UTC().Format(time.RFC3339Nano),
		"recovery_url":              nil,
	}
	if reconnectURL != "" {
		session["status"] = "reconnecting"
		session["keepalive_timeout_seconds"] = nil
		session["reconnect_url"] = reconnectURL
	}
	return session
}

// Notification is a notification to send.
type Notification struct {
	SubscriptionID string
	// Event is the event object (or, for a batched type, the array of
	// events); nil sends the type's sample event.
	Event json.RawMessage
	// MessageID and Timestamp default to a fresh ID and now; set them to
	// send a duplicate or an old message.
	MessageID string
	Timestamp time.Time
}

// ErrNotFound is returned by commands that name a session, subscription,
// token or operation the fake does not have (any more).
var ErrNotFound = errors.New("twitchtest: not found")

// Notify sends the subscription a notification with event (nil: the
// sample event of its type) and returns the message's ID.
func (s *Server) Notify(subscriptionID string, event json.RawMessage) (string, error) {
	return s.Send(Notification{SubscriptionID: subscriptionID, Event: event})
}

// Send sends a notification on the connection of its subscription's
// session, and returns the message's ID.
func (s *Server) Send(n Notification) (string, error) {
	s.mu.Lock()
	sub := s.subs[n.SubscriptionID]
	if sub == nil {
		s.mu.Unlock()
		return "", fmt.Errorf("%w: subscription %q", ErrNotFound, n.SubscriptionID)
	}
	sess := s.sessions[sub.session]
	if sess == nil || sess.conn == nil {
		s.mu.Unlock()
		return "", fmt.Errorf("%w: session %q", ErrNotFound, sub.session)
	}
	event := n.Event
	if event == nil {
		sample, _ := SampleEvent(sub.Type, sub.Version)
		event = sample
	}
	key := "event"
	if eventsubTypes[sub.Type][sub.Version].batched {
		key = "events"
	}
	id, at := n.MessageID, n.Timestamp
	if id == "" {
		id = s.newID("message")
	}
	if at.IsZero() {
		at = time.Now()
	}
	frame, err := frameWith(id, at, "notification", sub.Type, sub.Version, map[string]any{
		"subscription": sub.EventSubSubscription,
		key:            event,
	})
	conn := sess.conn
	s.mu.Unlock()
	if err != nil {
		return "", err
	}
	if !conn.send(outbound{frame: frame}) {
		return "", fmt.Errorf("%w: the connection of session %q has ended", ErrNotFound, sess.id)
	}
	return id, nil
}

// Reconnect sends the session a session_reconnect whose URL leads to a new
// connection of the same session; the session and its subscriptions move
// there when the client connects, and notifications go to the old
// connection until then.
func (s *Server) Reconnect(sessionID string) error {
	s.mu.Lock()
	sess := s.sessions[sessionID]
	if sess == nil || sess.conn == nil {
		s.mu.Unlock()
		return fmt.Errorf("%w: session %q", ErrNotFound, sessionID)
	}
	if sess.token == "" {
		sess.token = s.newID("handover")
		s.handover[sess.token] = sess
	}
	frame, err := s.frame("session_reconnect", "", "", map[string]any{
		"session": s.sessionJSON(sess, s.EventSubURL+"?reconnect="+sess.token),
	})
	conn := sess.conn
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if !conn.send(outbound{frame: frame}) {
		return fmt.Errorf("%w: the connection of session %q has ended", ErrNotFound, sessionID)
	}
	return nil
}

// Revoke ends a subscription as Twitch does, with a revocation message;
// status is the reason ("authorization_revoked", "user_removed", ...).
func (s *Server) Revoke(subscriptionID, status string) error {
	s.mu.Lock()
	sub := s.subs[subscriptionID]
	if sub == nil {
		s.mu.Unlock()
		return fmt.Errorf("%w: subscription %q", ErrNotFound, subscriptionID)
	}
	delete(s.subs, subscriptionID)
	revoked := sub.EventSubSubscription
	revoked.Status = helix.EventSubSubscriptionStatus(status)
	sess := s.sessions[sub.session]
	if sess == nil || sess.conn == nil {
		s.mu.Unlock()
		return fmt.Errorf("%w: session %q", ErrNotFound, sub.session)
	}
	frame, err := s.frame("revocation", sub.Type, sub.Version, map[string]any{"subscription": revoked})
	conn := sess.conn
	s.mu.Unlock()
	if err != nil {
		return err
	}
	conn.send(outbound{frame: frame})
	return nil
}

// SendFrame sends any frame to a session, as it is: a malformed one, or a
// copy of one sent before.
func (s *Server) SendFrame(sessionID string, frame []byte) error {
	conn, err := s.connOf(sessionID)
	if err != nil {
		return err
	}
	conn.send(outbound{frame: frame})
	return nil
}

// CloseSession closes the session's connection with a close code (4000 to
// 4007 are Twitch's), ending the session and its subscriptions.
func (s *Server) CloseSession(sessionID string, code int) error {
	conn, err := s.connOf(sessionID)
	if err != nil {
		return err
	}
	conn.send(outbound{close: code})
	return nil
}

// Drop ends the session's connection abruptly: no close frame, as when the
// network fails.
func (s *Server) Drop(sessionID string) error {
	conn, err := s.connOf(sessionID)
	if err != nil {
		return err
	}
	conn.send(outbound{drop: true})
	return nil
}

// Silence stops the keepalives of the session's connection, so that the
// client's watchdog finds it dead.
func (s *Server) Silence(sessionID string) error {
	conn, err := s.connOf(sessionID)
	if err != nil {
		return err
	}
	conn.silent.Store(true)
	return nil
}

func (s *Server) connOf(sessionID string) (*wsConn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessions[sessionID]
	if sess == nil || sess.conn == nil {
		return nil, fmt.Errorf("%w: session %q", ErrNotFound, sessionID)
	}
	return sess.conn, nil
}
