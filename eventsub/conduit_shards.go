package eventsub

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/gorilla/websocket"

	"github.com/twitchify-go/twitch/helix"
)

// The times of the takeover (see Conduit).
const (
	// pollEvery is how often a Conduit reads its conduit's shards,
	// jittered by a quarter either way so that processes spread their
	// reads.
	pollEvery = 10 * time.Second
	// disabledGrace is how long a shard stays disabled before it is taken
	// over: its owner, reconnecting, assigns it again within a second or
	// two.
	disabledGrace = 5 * time.Second
	// verifyAfter and verifySpread: a shard taken over is checked
	// verifyAfter to verifyAfter+verifySpread after its assignment, so
	// that two processes that took it together check at different times.
	verifyAfter  = time.Second
	verifySpread = 2 * time.Second
	// assignTimeout bounds the assignment of a shard to a new session,
	// within Twitch's 10 seconds from the welcome.
	assignTimeout = 8 * time.Second
	// conflictsReported is how many times a shard of the process's own
	// must be found held by another session before it is reported, and
	// conflictsForgiven how many reads in a row that find it its own
	// forget those times: once is a race with a process that took it
	// over, which gives it up at its next read. (Two owners that fight
	// do not find the shard held by the other at every read: a read
	// that follows one's own finds the shard one's own. So the times
	// are not counted in a row.)
	conflictsReported = 3
	conflictsForgiven = 3
	// hookRetry is how long a webhook shard of the process's own whose
	// callback failed verification is left to other processes before its
	// callback is tried again.
	hookRetry = 2 * pollEvery
)

var (
	// errShardGivenUp ends the Run of a shard taken over whose session
	// was lost: its owner may be back.
	errShardGivenUp = errors.New("eventsub: gave up a shard taken over")
	// errShardUnassigned is a session (closed then, and another opened)
	// or a callback the shard could not be assigned to.
	errShardUnassigned = errors.New("eventsub: could not assign the shard")
)

// conduitShard is a shard a Conduit runs: a Client whose sessions are
// assigned to it, or a webhook shard (hook) assigned to the Conduit's
// callback. Its fields after client are guarded by the Conduit's mutex.
type conduitShard struct {
	c       *Conduit
	id      int
	claimed bool    // taken over from another process
	hook    bool    // a webhook shard
	client  *Client // a WebSocket shard's

	// session is the transport the shard is assigned to: its WebSocket
	// session, or a webhook shard's callback URL; "" while none.
	session      string
	welcomedOnce bool
	welcomedAt   time.Time
	assignedAt   time.Time
	verifiedAt   time.Time // a webhook shard's callback was verified
	verifyAt     time.Time // a shard taken over: when to check it is still its
}

// startShard runs shard id on a goroutine of Run's until ctx ends, the
// Conduit is closed, or the shard is given up.
func (c *Conduit) startShard(ctx context.Context, id int, claimed bool) {
	s := &conduitShard{c: c, id: id, claimed: claimed}
	cfg := c.config
	cfg.log = c.log.With("shard", id)
	cfg.limited = nil
	cfg.onReady, cfg.onRevoked = nil, nil
	name := strconv.Itoa(id)
	cfg.onError = func(err error) { c.report(&ShardError{Shard: name, Err: err}) }
	if f := c.onConnected; f != nil {
		cfg.onConnected = func(x Session) { c.callback(func() { f(x) }) }
	}
	if f := c.onDisconnected; f != nil {
		cfg.onDisconnected = func(err error) { c.callback(func() { f(&ShardError{Shard: name, Err: err}) }) }
	}
	if f := c.onReconnected; f != nil {
		cfg.onReconnected = func(x Session) { c.callback(func() { f(x) }) }
	}
	s.client = &Client{
		config:  cfg,
		helix:   c.helix,
		now:     c.now,
		subs:    map[string]*subscription{},
		sockets: map[*websocket.Conn]struct{}{},
		shard:   s,
	}
	c.mu.Lock()
	c.shards[id] = s
	c.goroutines.Add(1)
	c.mu.Unlock()
	if claimed {
		c.log.Info("eventsub: conduit: taking over a disabled shard", "shard", id)
	}
	go func() {
		defer c.goroutines.Done()
		c.enter()
		defer c.leave()
		err := s.client.Run(ctx)
		c.mu.Lock()
		if c.shards[id] == s {
			delete(c.shards, id)
		}
		c.mu.Unlock()
		if ctx.Err() == nil && !errors.Is(err, ErrClosed) && !errors.Is(err, errShardGivenUp) {
			c.report(&ShardError{Shard: name, Err: err})
		}
	}()
}

// assign assigns the shard to a new session, just welcomed. A shard
// taken over is given up instead when it had a session before.
func (s *conduitShard) assign(ctx context.Context, session string) error {
	c := s.c
	c.mu.Lock()
	again := s.welcomedOnce
	s.welcomedOnce = true
	s.session, s.welcomedAt = "", time.Now()
	c.mu.Unlock()
	if s.claimed && again {
		c.log.Info("eventsub: conduit: gave up a shard taken over: its session was lost", "shard", s.id)
		return errShardGivenUp
	}
	if err := c.assignShard(ctx, s.id, session); err != nil {
		return err
	}
	c.mu.Lock()
	s.session, s.assignedAt = session, time.Now()
	if s.claimed {
		s.verifyAt = s.assignedAt.Add(verifyAfter + c.jitter(verifySpread))
	}
	c.mu.Unlock()
	c.log.Info("eventsub: conduit: assigned a shard", "shard", s.id, "session", session, "taken_over", s.claimed)
	if s.claimed {
		select {
		case c.nudge <- struct{}{}:
		default:
		}
	}
	c.readyIfDone()
	return nil
}

// assignShard points shard id at the WebSocket session.
func (c *Conduit) assignShard(ctx context.Context, id int, session string) error {
	return c.assignShards(ctx, []int{id}, func(int) helix.ConduitShardTransportParams {
		return helix.ConduitShardTransportParams{Method: helix.ConduitShardTransportMethodWebSocket, SessionID: session}
	})[id]
}

// assignBatch is how many shards one Update Conduit Shards request
// assigns: the reference sets no limit, and this keeps a request small.
const assignBatch = 100

// assignShards assigns the shards ids, each to its transport, with one
// Update Conduit Shards request per assignBatch of them, and returns why
// each that was not assigned was not.
func (c *Conduit) assignShards(ctx context.Context, ids []int, transport func(id int) helix.ConduitShardTransportParams) map[int]error {
	conduit := c.ID()
	failed := map[int]error{}
	for batch := range slices.Chunk(ids, assignBatch) {
		updates := make([]helix.ConduitShardUpdate, len(batch))
		for i, id := range batch {
			updates[i] = helix.ConduitShardUpdate{ID: strconv.Itoa(id), Transport: transport(id)}
		}
		rctx, cancel := context.WithTimeout(ctx, assignTimeout)
		res, err := c.helix.UpdateConduitShards(rctx, &helix.UpdateConduitShardsParams{ConduitID: conduit, Shards: updates})
		cancel()
		refused := map[string]string{}
		done := map[string]bool{}
		if err == nil {
			for _, e := range res.Errors {
				refused[e.ID] = fmt.Sprintf("Twitch refused it: %s (%s)", e.Message, e.Code)
			}
			for _, x := range res.Data {
				done[x.ID] = true
			}
		}
		for i, id := range batch {
			name, why := updates[i].ID, error(nil)
			switch {
			case err != nil:
				why = err
			case refused[name] != "":
				why = errors.New(refused[name])
			case !done[name]:
				why = errors.New("Twitch answered without the shard")
			default:
				continue
			}
			to := "session " + updates[i].Transport.SessionID
			if updates[i].Transport.Method == helix.ConduitShardTransportMethodWebhook {
				to = "callback " + updates[i].Transport.Callback
			}
			failed[id] = fmt.Errorf("%w: conduit %s, shard %s, %s: %w", errShardUnassigned, conduit, name, to, why)
		}
	}
	return failed
}

// handedOver records the session a session_reconnect moved the shard to.
func (s *conduitShard) handedOver(session string) {
	s.c.mu.Lock()
	if s.session != "" {
		s.session = session
	}
	s.c.mu.Unlock()
}

// disconnected records that the shard's session is gone.
func (s *conduitShard) disconnected() {
	s.c.mu.Lock()
	s.session = ""
	s.c.mu.Unlock()
}

func (s *conduitShard) deliver(ctx context.Context, n *Notification, id string, now time.Time) {
	s.c.deliver(ctx, n, id, now)
}

// revoked reports a revocation that arrived on the shard's session,
// unless another shard of the process had it already (Twitch sends a
// message to another shard when the first did not take it, or seemed not
// to).
func (s *conduitShard) revoked(id string, sub helix.EventSubSubscription) {
	if repeat, open := s.c.in.remember(id, time.Now()); repeat || !open {
		return
	}
	s.c.revoked(sub)
}

// watcher is the state of the takeover, owned by Run's goroutine.
type watcher struct {
	disabledSince map[int]time.Time // shards of others seen disabled, since when
	recheckAt     time.Time         // when one of them will have been disabled long enough
	conflicts     map[int]int       // shards of the process's own found held by another session, times
	held          map[int]int       // those shards found the process's own since, reads in a row
	// hookRetryAt holds the webhook shards of the process's own whose
	// callback Twitch could not verify at the last try, and when to try
	// it again: while another process serves one, it is left to it, not
	// taken back to a callback that fails (the shard would go back and
	// forth).
	hookRetryAt map[int]time.Time
}

// watch reads the conduit's shards every pollEvery (jittered), at once
// after a conduit.shard.disabled notification, and when a shard taken
// over is to be checked; it takes over disabled shards, and gives up
// those taken over that another session holds.
func (c *Conduit) watch(ctx context.Context) error {
	w := &watcher{disabledSince: map[int]time.Time{}, conflicts: map[int]int{}, held: map[int]int{}, hookRetryAt: map[int]time.Time{}}
	next := time.Now().Add(c.pollWait())
	for {
		due := next
		if !w.recheckAt.IsZero() && w.recheckAt.Before(due) {
			due = w.recheckAt
		}
		c.mu.Lock()
		for _, s := range c.shards {
			if !s.verifyAt.IsZero() && s.verifyAt.Before(due) {
				due = s.verifyAt
			}
		}
		c.mu.Unlock()
		t := time.NewTimer(time.Until(due))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-c.nudge:
			t.Stop()
			continue
		case <-c.pollNow:
			t.Stop()
		case <-t.C:
		}
		c.poll(ctx, w)
		next = time.Now().Add(c.pollWait())
	}
}

// pollWait is the wait until the next read: pollEvery, jittered by a
// quarter either way.
func (c *Conduit) pollWait() time.Duration {
	return pollEvery*3/4 + c.jitter(pollEvery/2)
}

// randDuration draws a duration in [0, n).
func randDuration(n time.Duration) time.Duration {
	if n <= 0 {
		return 0
	}
	return rand.N(n)
}

// ourShard is what poll knew of a shard of the process's before it read
// Twitch's list.
type ourShard struct {
	s          *conduitShard
	session    string
	assignedAt time.Time
}

// poll reads the conduit's shards once and acts on what it finds.
func (c *Conduit) poll(ctx context.Context, w *watcher) {
	// What this process knew before the read: an assignment made after
	// the read began may not be in its answer.
	began := time.Now()
	ours := map[int]ourShard{}
	claimed := 0
	c.mu.Lock()
	conduit := c.id
	for id, s := range c.shards {
		ours[id] = ourShard{s, s.session, s.assignedAt}
		if s.claimed {
			claimed++
		}
		if !s.verifyAt.IsZero() && !s.verifyAt.After(began) {
			s.verifyAt = time.Time{}
		}
	}
	c.mu.Unlock()

	var list []helix.ConduitShard
	for x, err := range c.helix.GetConduitShardsAll(ctx, &helix.GetConduitShardsParams{ConduitID: conduit}) {
		if err != nil {
			if ctx.Err() == nil {
				c.report(fmt.Errorf("eventsub: conduit %s: read its shards: %w", conduit, err))
			}
			return
		}
		list = append(list, x)
	}
	now := time.Now()
	w.recheckAt = time.Time{}
	listed := map[int]bool{}
	var candidates []int
	var lost, reassert []ourShard
	for _, x := range list {
		id, err := strconv.Atoi(x.ID)
		if err != nil || id < 0 {
			continue
		}
		listed[id] = true
		enabled := x.Status == helix.ConduitShardStatusEnabled
		usable := enabled || x.Status == helix.ConduitShardStatusWebhookCallbackVerificationPending
		o, mine := ours[id]
		if usable || mine {
			delete(w.disabledSince, id)
		}
		switch {
		case mine && (o.session == "" || o.assignedAt.After(began)):
			// Connecting, or assigned since the read began.
		case mine:
			if o.holds(x) {
				delete(w.hookRetryAt, id)
				c.verifiedAt(o.s, x)
				if w.conflicts[id] > 0 {
					if w.held[id]++; w.held[id] >= conflictsForgiven {
						delete(w.conflicts, id)
						delete(w.held, id)
					}
				}
				continue
			}
			if o.s.claimed {
				lost = append(lost, o)
				continue
			}
			if _, failed := w.hookRetryAt[id]; !failed && o.s.hook &&
				x.Status == helix.ConduitShardStatusWebhookCallbackVerificationFailed && x.Transport.Callback == o.session {
				w.hookRetryAt[id] = now.Add(hookRetry)
				c.report(&ShardError{Shard: x.ID, Err: fmt.Errorf("%w: callback %s: it does not reach the Conduit's ServeHTTP; "+
					"the shard is left to another process meanwhile, and assigned to the callback again in %v if none serves it", ErrCallbackVerification, o.session, hookRetry)})
			}
			if retryAt, failed := w.hookRetryAt[id]; failed {
				if enabled || now.Before(retryAt) {
					continue // served by another process, or not yet time to try again
				}
				w.hookRetryAt[id] = now.Add(hookRetry)
			}
			reassert = append(reassert, o)
			if enabled {
				w.conflicts[id]++
				delete(w.held, id)
			}
		case usable || c.takeover == 0:
		default:
			first, seen := w.disabledSince[id]
			if !seen {
				first = now
				w.disabledSince[id] = now
			}
			if ready := first.Add(disabledGrace); !now.Before(ready) {
				candidates = append(candidates, id)
			} else if w.recheckAt.IsZero() || ready.Before(w.recheckAt) {
				w.recheckAt = ready
			}
		}
	}
	for id := range w.disabledSince {
		if !listed[id] {
			delete(w.disabledSince, id)
		}
	}
	for _, o := range lost {
		c.log.Info("eventsub: conduit: gave up a shard taken over: another session holds it", "shard", o.s.id)
		c.giveUp(o.s)
		claimed--
	}
	for _, o := range reassert {
		c.reassert(ctx, w, o)
	}
	room := c.takeover - claimed
	if room <= 0 || len(candidates) == 0 || ctx.Err() != nil {
		return
	}
	// A random order: processes that take over at once mostly take
	// different shards.
	rand.Shuffle(len(candidates), func(i, j int) { candidates[i], candidates[j] = candidates[j], candidates[i] })
	candidates = candidates[:min(room, len(candidates))]
	slices.Sort(candidates)
	if c.beforeTakeover != nil {
		c.beforeTakeover(candidates)
	}
	for _, id := range candidates {
		delete(w.disabledSince, id)
		if !c.hookShards {
			c.startShard(ctx, id, true)
		}
	}
	if c.hookShards {
		_ = c.startHookShards(ctx, candidates, true) // what failed is reported
	}
}

// holds reports whether Twitch's x shows the shard assigned to the
// process's transport for it, and enabled (a webhook shard: or waiting
// for the verification of its callback).
func (o ourShard) holds(x helix.ConduitShard) bool {
	if o.s.hook {
		return x.Transport.Method == helix.ConduitShardTransportMethodWebhook && x.Transport.Callback == o.session &&
			(x.Status == helix.ConduitShardStatusEnabled || x.Status == helix.ConduitShardStatusWebhookCallbackVerificationPending)
	}
	return x.Status == helix.ConduitShardStatusEnabled && x.Transport.Method == helix.ConduitShardTransportMethodWebSocket && x.Transport.SessionID == o.session
}

// giveUp stops running a shard taken over.
func (c *Conduit) giveUp(s *conduitShard) {
	c.mu.Lock()
	if c.shards[s.id] == s {
		delete(c.shards, s.id)
	}
	c.mu.Unlock()
	if s.client != nil {
		_ = s.client.Close()
	}
}

// reassert assigns a shard of the process's own, found disabled or held
// by another session, to its session again.
func (c *Conduit) reassert(ctx context.Context, w *watcher, o ourShard) {
	c.mu.Lock()
	current := c.shards[o.s.id] == o.s && o.s.session == o.session
	c.mu.Unlock()
	if !current {
		return // its session changed meanwhile: its runner assigns the new one
	}
	if n := w.conflicts[o.s.id]; n >= conflictsReported {
		c.report(fmt.Errorf("eventsub: conduit %s: shard %d, one of this process's own, was held by another session or callback %d times in a few reads: "+
			"another process serves it too (the shards of WithShards must not overlap)", c.ID(), o.s.id, n))
		w.conflicts[o.s.id] = 0
	}
	c.log.Info("eventsub: conduit: assigning a shard of its own to its transport again", "shard", o.s.id, "to", o.session)
	var err error
	if o.s.hook {
		err = c.assignShards(ctx, []int{o.s.id}, c.hookTransport)[o.s.id]
	} else {
		err = c.assignShard(ctx, o.s.id, o.session)
	}
	if err != nil && ctx.Err() == nil {
		c.report(&ShardError{Shard: strconv.Itoa(o.s.id), Err: err})
		return
	}
	c.mu.Lock()
	if o.s.session == o.session {
		o.s.assignedAt = time.Now()
	}
	c.mu.Unlock()
}
