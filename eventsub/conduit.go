package eventsub

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twitchify-go/twitch/helix"
	ijson "github.com/twitchify-go/twitch/internal/json"
)

// Twitch's limits on conduits.
const (
	maxShards = 20_000 // shards of one conduit
)

// shardDisabledType is the subscription type Twitch notifies a disabled
// shard with.
const shardDisabledType = "conduit.shard.disabled"

// Conduit receives the EventSub notifications of a conduit, Twitch's load
// balancer for one application's events: the subscriptions belong to the
// conduit, which outlives every connection, and Twitch sends each event
// to one of the conduit's enabled shards. A Conduit runs some of the
// shards (WithShards; all of them by default), one WebSocket session
// each, or as webhook shards at its callback (WithWebhookShards), so
// that several processes share the events of one application.
// Register handlers with the embedded Dispatcher's On<Type> methods,
// subscribe with Subscribe, then call Run:
//
//	c := eventsub.NewConduit(appHelix, eventsub.WithConduitID(id), eventsub.WithShards("0-3"),
//		eventsub.OnError(func(err error) { log.Print(err) }))
//	c.OnChannelChatMessage(func(ctx context.Context, e *eventsub.ChannelChatMessageEvent) { ... })
//	err := c.Subscribe(ctx, &eventsub.ChannelChatMessageCondition{BroadcasterUserID: b, UserID: bot})
//	err = c.Run(ctx)
//
// Run finds the conduit (WithConduitID, or the application's only one),
// or creates it, and sets its shard count (WithShardCount). It opens a
// WebSocket session for each of its shards and assigns the shard to it
// with Update Conduit Shards as soon as it is welcomed (Twitch gives 10
// seconds); a session that the shard could not be assigned to is closed
// and opened again, with the Client's backoff. After a lost connection,
// the new session is assigned; after a session_reconnect handover, the
// shard moves with the session, and nothing is lost between the two
// connections. Run then reconciles the conduit's subscriptions as a
// Webhook does: it keeps those that match what was subscribed to, makes
// the missing ones, and with WithDeleteStale deletes the others. They are
// not made again after a reconnect: they belong to the conduit.
//
// Webhook shards (WithWebhookShards): Run assigns the process's shards to
// its callback URL with Update Conduit Shards (a request per 100 shards),
// and the Conduit, as the callback's http.Handler, answers the challenge
// Twitch sends for each ({"challenge", "conduit_shard": {"conduit_id",
// "shard"}}) only for a shard of its conduit (processes that share one
// callback URL behind a load balancer answer each other's). Run waits
// until each is verified (its challenge answered, or the shard listed
// enabled): a shard whose verification failed, or still pending after a
// minute, makes Run fail with an error that matches
// ErrCallbackVerification. The Conduit checks each request as a Webhook
// does (signature, size, age), queues notifications and answers at once
// (WithQueueSize, WithWorkers), and acknowledges a message seen before
// without handling it. Twitch retries a notification at the webhook
// shard it chose and, when the callback keeps failing, drops it: unlike
// a WebSocket shard's, it is not sent to another shard. A webhook
// shard is disabled only after repeated failures.
//
// Takeover: when a process dies, Twitch disables its shards (a
// WebSocket shard as its connection ends; a webhook shard after its
// callback has failed for a while). Every Conduit reads the conduit's
// shards (Get Conduit Shards) every 10 seconds, jittered by a quarter,
// and at once when it handles a conduit.shard.disabled notification of
// its conduit (subscribe to it for a faster takeover). A shard that is
// not enabled, and still so 5 seconds later, is taken over by a process
// with room for it (WithTakeover; as many as it owns by default), the
// candidates in a random order, whatever their transport was: a process
// of WebSocket shards opens a new session and assigns the shard to it, a
// process of webhook shards assigns it to its callback. Since the last
// assignment wins at Twitch, each process reads the shards again 1 to 3
// seconds after it assigned one it took over, and at every read after: a
// shard taken over that another session or callback holds is given up
// (its session closed). A shard that a process owns (WithShards) is never
// given up: when its owner finds it held by another session or callback,
// or disabled while the process lives, it assigns it to its own
// transport again, and the process that took it over gives it up at its
// next read; but a webhook shard whose callback failed Twitch's
// verification is left to a process that serves it, and tried at the
// callback again after 20 seconds only when none does. A shard taken over whose session is lost is given up, not
// assigned to a new session: its owner may be back. So two processes that
// take over one shard settle within the 1 to 3 seconds of their check, or
// by the next read (10 seconds), and a dead process's WebSocket shards
// are served again within about 20 seconds.
//
// Notifications arrive on whichever shard Twitch chooses; each is
// delivered once, its message ID remembered for 10 minutes across all of
// the process's shards. Handlers run one at a time (WithWorkers runs up
// to n at once), on the goroutine of the WebSocket shard that received
// the event, or on the goroutines that take the webhook shards' queue;
// callbacks (OnReady, OnError, OnRevoked, OnConnected, ...) run one at a
// time too. A handler that panics is recovered and reported to OnError.
// Close returns from anywhere, a handler or callback included.
//
// A Conduit needs an app access token (see oauth's app token source).
type Conduit struct {
	Dispatcher
	config

	helix *helix.Client
	err   error // what NewConduit found wrong with its arguments
	owned []int // the shards of WithShards, sorted; nil for every shard

	// now is the clock that judges a message's age: tests move it.
	now func() time.Time
	// jitter draws a duration in [0, n): tests make it 0.
	jitter func(n time.Duration) time.Duration
	// beforeTakeover, when set, is called with the shards a read is about
	// to take over: tests hold two processes there until both have read.
	beforeTakeover func(ids []int)

	mu     sync.Mutex
	id     string // the conduit's, once known
	count  int    // its shard count
	subs   map[string]*hook
	live   bool // the first reconcile is done: Subscribe creates at once
	hooks  hookSet
	shards map[int]*conduitShard // the shards this process runs
	ready  bool                  // OnReady was called
	subsOK bool                  // every subscription was created once

	// in remembers message IDs across the shards, and queues the
	// notifications of webhook shards for the handlers.
	in inbox
	// keys check the messages posted to webhook shards; nil without
	// WithWebhookShards.
	keys *signingKeys
	// verified wakes the wait for the verification of webhook shards
	// when a challenge has been answered.
	verified chan struct{}
	// refusals are the reports of the requests the callback refused, for
	// OnError; refusalsDropped counts those that did not fit.
	refusals        chan error
	refusalsDropped atomic.Int64
	// revocations are those posted to the callback, for OnRevoked and
	// OnError, guarded by mu; revokedWake wakes their reporter.
	revocations []revocationNote
	revokedWake chan struct{}

	slots   chan struct{} // a token per handler running
	calls   chan struct{} // the token of the callback running
	pollNow chan struct{} // a shard was disabled: read the shards now
	nudge   chan struct{} // a shard taken over was assigned: check it soon

	// runLife's goroutines are a goroutine per shard (its readers aside),
	// the workers of webhook shards and their reporter.
	runLife
}

// NewConduit returns a Conduit that manages the conduit and its
// subscriptions through h, which must carry an app access token (Twitch
// requires one for conduits). A problem with h or an option (a nil h,
// shard ranges that do not parse, an option for the Client or a Webhook
// only) is returned by Run and Subscribe.
func NewConduit(h *helix.Client, opts ...Option) *Conduit {
	c := &Conduit{
		config:   newConfig(opts),
		helix:    h,
		now:      time.Now,
		jitter:   randDuration,
		subs:     map[string]*hook{},
		shards:   map[int]*conduitShard{},
		calls:    make(chan struct{}, 1),
		pollNow:  make(chan struct{}, 1),
		nudge:    make(chan struct{}, 1),
		verified: make(chan struct{}, 1),
		// revokedWake wakes the reporter of revocations.
		revokedWake: make(chan struct{}, 1),
	}
	c.runLife = newRunLife(&c.mu)
	c.hooks = hookSet{helix: h, mu: &c.mu, subs: c.subs, live: &c.live, log: c.log, report: c.report, deleteStale: c.deleteStale, who: "conduit"}
	errs := c.refused(kindConduit)
	if h == nil {
		errs = append(errs, errors.New("eventsub: NewConduit: the *helix.Client to subscribe with is nil"))
	}
	if u, err := url.Parse(c.url); err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		errs = append(errs, fmt.Errorf("eventsub: WithBaseURL(%q): not a WebSocket URL (ws:// or wss://)", c.url))
	}
	if c.keepalive != 0 && (c.keepalive < 10 || c.keepalive > 600) {
		errs = append(errs, fmt.Errorf("eventsub: WithKeepalive(%d): Twitch accepts 10 to 600 seconds", c.keepalive))
	}
	if c.minBackoff <= 0 || c.maxBackoff < c.minBackoff {
		errs = append(errs, fmt.Errorf("eventsub: WithBackoff(%v, %v): the first wait must be positive and at most the longest", c.minBackoff, c.maxBackoff))
	}
	if c.shardCount != 0 && (c.shardCount < 1 || c.shardCount > maxShards) {
		errs = append(errs, fmt.Errorf("eventsub: WithShardCount(%d): a conduit has 1 to %d shards", c.shardCount, maxShards))
	}
	if c.shardsSet {
		owned, err := parseShards(c.shardRanges)
		if err != nil {
			errs = append(errs, fmt.Errorf("eventsub: WithShards(%q): %w", c.shardRanges, err))
		}
		c.owned = owned
		if n := len(owned); n > 0 && c.shardCount != 0 && owned[n-1] >= c.shardCount {
			errs = append(errs, fmt.Errorf("eventsub: WithShards(%q): shard %d is beyond WithShardCount(%d): shards are numbered from 0", c.shardRanges, owned[n-1], c.shardCount))
		}
	}
	if c.workers < 1 || c.workers > maxWorkers {
		errs = append(errs, fmt.Errorf("eventsub: WithWorkers(%d): 1 to %d workers", c.workers, maxWorkers))
	}
	if c.takeover < -1 || c.takeover > maxShards {
		errs = append(errs, fmt.Errorf("eventsub: WithTakeover(%d): 0 to %d shards", c.takeover, maxShards))
	}
	errs = append(errs, c.checkHookShards()...)
	c.workers = min(max(c.workers, 1), maxWorkers)
	c.err = errors.Join(errs...)
	return c
}

// checkHookShards checks the options of webhook shards: given together,
// and not with those of WebSocket shards.
func (c *Conduit) checkHookShards() []error {
	var errs []error
	if !c.hookShards {
		for _, o := range c.limited {
			if o.kinds == kindWebhook|kindConduit && (o.name == "WithPreviousSecret" || o.name == "WithQueueSize") {
				errs = append(errs, fmt.Errorf("eventsub: %s applies to a Conduit's webhook shards, and it has none: add WithWebhookShards", o.name))
			}
		}
		return errs
	}
	for _, o := range c.limited {
		if o.kinds == kindClient|kindConduit {
			errs = append(errs, fmt.Errorf("eventsub: %s applies to WebSocket shards, and WithWebhookShards makes the Conduit's shards webhook shards", o.name))
		}
	}
	if u, err := url.Parse(c.hookURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("eventsub: WithWebhookShards: callback URL %q: not an absolute http(s) URL (Twitch posts to https:// on port 443)", c.hookURL))
	}
	if err := checkSecret(c.hookSecret); err != nil {
		errs = append(errs, fmt.Errorf("eventsub: WithWebhookShards: the secret %w", err))
	}
	if c.previousSecret != "" {
		if err := checkSecret(c.previousSecret); err != nil {
			errs = append(errs, fmt.Errorf("eventsub: WithPreviousSecret: the secret %w", err))
		}
	}
	if c.queueSize < 1 {
		errs = append(errs, fmt.Errorf("eventsub: WithQueueSize(%d): the queue must hold at least 1 notification", c.queueSize))
	} else if c.workers > c.queueSize {
		errs = append(errs, fmt.Errorf("eventsub: WithWorkers(%d): at most the queue's size (%d) with webhook shards", c.workers, c.queueSize))
	}
	c.keys = newSigningKeys(c.hookSecret, c.previousSecret)
	return errs
}

// parseShards reads shard IDs and ranges: "0-3,8".
func parseShards(s string) ([]int, error) {
	seen := map[int]bool{}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		first, err1 := strconv.Atoi(strings.TrimSpace(lo))
		last, err2 := first, error(nil)
		if isRange {
			last, err2 = strconv.Atoi(strings.TrimSpace(hi))
		}
		switch {
		case part == "":
			return nil, errors.New("an empty shard: write IDs and ranges separated by commas, like 0-3,8")
		case err1 != nil || err2 != nil || first < 0 || last < 0:
			return nil, fmt.Errorf("%q is not a shard ID or a range of them, like 8 or 0-3", part)
		case last < first:
			return nil, fmt.Errorf("the range %q ends before it starts", part)
		case last >= maxShards:
			return nil, fmt.Errorf("shard %d: a conduit has at most %d shards, numbered from 0", last, maxShards)
		}
		for id := first; id <= last; id++ {
			seen[id] = true
		}
	}
	out := make([]int, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	slices.Sort(out)
	return out, nil
}

// ID returns the conduit's ID once Run has found or created it; "" until
// then.
func (c *Conduit) ID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.id
}

// Shard is one of the shards a Conduit runs.
type Shard struct {
	ID string // Twitch's: "0", "1", ...
	// Session is the WebSocket session the shard is assigned to; "" while
	// it has none (connecting, or reconnecting), and for a webhook shard.
	Session string
	// Callback is the URL a webhook shard is assigned to (see
	// WithWebhookShards); "" until it is, and for a WebSocket shard.
	Callback string
	// AssignedAt is when the shard was last assigned to Session or
	// Callback, and WelcomedAt when that session was welcomed.
	AssignedAt, WelcomedAt time.Time
	// VerifiedAt is when Twitch verified a webhook shard's callback (its
	// challenge answered, or the shard found enabled).
	VerifiedAt time.Time
	// TakenOver is true for a shard this process took over from another
	// (see Conduit), false for one of its own (WithShards).
	TakenOver bool
}

// Shards returns the shards the Conduit runs, in the order of their IDs.
func (c *Conduit) Shards() []Shard {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make([]int, 0, len(c.shards))
	for id := range c.shards {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]Shard, 0, len(ids))
	for _, id := range ids {
		s := c.shards[id]
		x := Shard{ID: strconv.Itoa(id), AssignedAt: s.assignedAt, WelcomedAt: s.welcomedAt, VerifiedAt: s.verifiedAt, TakenOver: s.claimed}
		if s.hook {
			x.Callback = s.session
		} else {
			x.Session = s.session
		}
		out = append(out, x)
	}
	return out
}

// Subscribe asks for the notifications cond selects, delivered to the
// conduit. It first checks cond as Twitch would: a required condition
// field left empty, or a type that Twitch does not deliver to conduits,
// is an *InvalidSubscriptionError and nothing is sent.
//
// Before Run, Subscribe records what is wanted, and Run creates it (or
// finds it at Twitch, made by another process or an earlier run). Once
// Run has started, Subscribe creates the subscription and returns
// Twitch's answer: nil, or a *SubscriptionError; the subscription is
// then not retried (call Subscribe again). Subscribing again to what is
// already wanted does nothing; after Close, or once Run has returned,
// Subscribe returns ErrClosed.
func (c *Conduit) Subscribe(ctx context.Context, cond Condition) error {
	if c.err != nil {
		return c.err
	}
	return c.hooks.subscribe(ctx, cond, TransportConduit, c.over, nil)
}

// Unsubscribe stops the notifications cond selects, deleting the
// subscription at Twitch when it exists there. When its creation is on
// its way, it is deleted as soon as it is created.
func (c *Conduit) Unsubscribe(ctx context.Context, cond Condition) error {
	if c.err != nil {
		return c.err
	}
	return c.hooks.unsubscribe(ctx, cond)
}

// Subscriptions returns how every subscription asked for stands. One is
// Active once it exists at Twitch, enabled.
func (c *Conduit) Subscriptions() []SubscriptionStatus { return c.hooks.statuses() }

// Run finds or creates the conduit, runs its shards, reconciles its
// subscriptions, calls OnReady once every shard of its own is assigned
// and every subscription exists, and handles notifications and takes
// over disabled shards until ctx ends or Close is called. Run may be
// called once. It returns ctx's error, ErrClosed, what NewConduit found
// wrong with its arguments, or why it could not start:
//
//   - the conduit could not be found or created (WithConduitID names one
//     the application does not have; the application has several and
//     none was named; Twitch's limit of 5 conduits), or its shard count
//     set, or a shard of WithShards is beyond its count;
//   - Twitch's list of subscriptions could not be read;
//   - the subscriptions Twitch refused (errors.Join of *SubscriptionError):
//     Run does not go on with a part of what was asked for.
func (c *Conduit) Run(ctx context.Context) error {
	if c.err != nil {
		return c.err
	}
	c.mu.Lock()
	ctx, err := c.beginLocked(ctx)
	if err != nil {
		c.mu.Unlock()
		return err
	}
	c.slots = make(chan struct{}, c.workers)
	lanes := 0
	if c.hookShards {
		lanes = c.workers
	}
	c.in.start(c.queueSize, lanes)
	c.goroutines.Add(lanes)
	if c.hookShards {
		c.refusals = make(chan error, maxNotes)
		c.goroutines.Add(1)
		go c.reportRefusals(ctx)
	}
	c.mu.Unlock()

	for _, lane := range c.in.lanes {
		go c.work(ctx, lane)
	}
	return c.end(c.run(ctx), &c.in, func() { c.live = false }, c.log, "conduit")
}

// run is Run's work: set up, start the shards, subscribe, watch.
func (c *Conduit) run(ctx context.Context) error {
	if err := c.setUp(ctx); err != nil {
		return err
	}
	if c.hookShards {
		if err := c.startHookShards(ctx, c.owned, false); err != nil {
			return err
		}
	} else {
		for _, id := range c.owned {
			c.startShard(ctx, id, false)
		}
	}
	if err := c.hooks.reconcile(ctx); err != nil {
		return err
	}
	if err := c.hooks.createAll(ctx); err != nil {
		return err
	}
	if err := c.awaitVerified(ctx); err != nil {
		return err
	}
	c.mu.Lock()
	c.subsOK = true
	c.mu.Unlock()
	c.readyIfDone()
	return c.watch(ctx)
}

// setUp finds or creates the conduit and sets its shard count.
func (c *Conduit) setUp(ctx context.Context) error {
	res, err := c.helix.GetConduits(ctx)
	if err != nil {
		return fmt.Errorf("eventsub: conduit: list the application's conduits: %w", err)
	}
	var found *helix.Conduit
	switch {
	case c.conduitID != "":
		for i := range res.Data {
			if res.Data[i].ID == c.conduitID {
				found = &res.Data[i]
			}
		}
		if found == nil {
			return fmt.Errorf("eventsub: conduit: WithConduitID(%q): the application has no such conduit (it has %s)", c.conduitID, conduitList(res.Data))
		}
	case len(res.Data) == 1:
		found = &res.Data[0]
	case len(res.Data) > 1:
		return fmt.Errorf("eventsub: conduit: the application has %d conduits (%s): choose one with WithConduitID", len(res.Data), conduitList(res.Data))
	}
	want := c.shardCount
	if found == nil {
		if want == 0 {
			want = 1
			if n := len(c.owned); n > 0 {
				want = c.owned[n-1] + 1
			}
		}
		created, err := c.helix.CreateConduits(ctx, &helix.CreateConduitsParams{ShardCount: want})
		var api *helix.APIError
		switch {
		case errors.As(err, &api) && api.StatusCode == http.StatusTooManyRequests:
			return fmt.Errorf("eventsub: conduit: create a conduit of %d shards: Twitch allows 5 conduits per application; delete one or name one with WithConduitID: %w", want, err)
		case err != nil:
			return fmt.Errorf("eventsub: conduit: create a conduit of %d shards: %w", want, err)
		case len(created.Data) == 0:
			return fmt.Errorf("eventsub: conduit: create a conduit of %d shards: Twitch answered without the conduit", want)
		}
		found = &created.Data[0]
		c.log.Info("eventsub: conduit: created a conduit", "id", found.ID, "shards", found.ShardCount)
	} else if want != 0 && found.ShardCount != want {
		updated, err := c.helix.UpdateConduits(ctx, &helix.UpdateConduitsParams{ID: found.ID, ShardCount: want})
		switch {
		case err != nil:
			return fmt.Errorf("eventsub: conduit %s: set its shard count from %d to %d: %w", found.ID, found.ShardCount, want, err)
		case len(updated.Data) == 0:
			return fmt.Errorf("eventsub: conduit %s: set its shard count from %d to %d: Twitch answered without the conduit", found.ID, found.ShardCount, want)
		}
		c.log.Info("eventsub: conduit: set the shard count", "id", found.ID, "from", found.ShardCount, "to", updated.Data[0].ShardCount)
		found = &updated.Data[0]
	}
	if c.owned == nil {
		c.owned = make([]int, found.ShardCount)
		for i := range c.owned {
			c.owned[i] = i
		}
	}
	if n := len(c.owned); n > 0 && c.owned[n-1] >= found.ShardCount {
		return fmt.Errorf("eventsub: conduit %s: WithShards(%q): shard %d is beyond the conduit's %d shards (numbered from 0): set the count with WithShardCount",
			found.ID, c.shardRanges, c.owned[n-1], found.ShardCount)
	}
	if c.takeover < 0 {
		c.takeover = len(c.owned)
	}
	c.mu.Lock()
	c.id, c.count = found.ID, found.ShardCount
	c.hooks.transport = helix.EventSubTransportParams{Method: helix.EventSubTransportMethodConduit, ConduitID: found.ID}
	c.mu.Unlock()
	return nil
}

// conduitList names conduits for an error: "a (4 shards), b (2 shards)".
func conduitList(cs []helix.Conduit) string {
	if len(cs) == 0 {
		return "none"
	}
	names := make([]string, len(cs))
	for i, x := range cs {
		names[i] = fmt.Sprintf("%s (%d shards)", x.ID, x.ShardCount)
	}
	return strings.Join(names, ", ")
}

// readyIfDone calls OnReady once every shard of the process's own has
// been assigned (a webhook shard: and verified) and every subscription
// exists.
func (c *Conduit) readyIfDone() {
	c.mu.Lock()
	done := c.subsOK && !c.ready
	for _, id := range c.owned {
		s := c.shards[id]
		done = done && s != nil && !s.assignedAt.IsZero() && (!s.hook || !s.verifiedAt.IsZero())
	}
	if done {
		c.ready = true
	}
	c.mu.Unlock()
	if !done {
		return
	}
	c.log.Info("eventsub: conduit: ready", "id", c.ID())
	if c.onReady != nil {
		c.callback(c.onReady)
	}
}

// Close stops Run and returns when every goroutine of the Conduit has
// ended and Run has returned; its sessions are closed, and Twitch
// disables their shards (another process may take them over). It may be
// called from anywhere, a handler or callback included: it then returns
// at once, and Run returns as soon as that handler or callback does,
// calling nothing more.
func (c *Conduit) Close() error { return c.close() }

// callback runs f, a callback of the user's, unless the Conduit is
// closed or Run has ended, one at a time.
func (c *Conduit) callback(f func()) {
	c.mu.Lock()
	ctx := c.runCtx
	c.mu.Unlock()
	if ctx == nil {
		return
	}
	select {
	case c.calls <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-c.calls }()
	if !c.isClosed() && ctx.Err() == nil {
		f()
	}
}

// report logs err and hands it to OnError.
func (c *Conduit) report(err error) {
	c.log.Warn("eventsub", "err", err)
	if c.onError != nil {
		c.callback(func() { c.onError(err) })
	}
}

// revoked takes a subscription Twitch ended out of those wanted, and
// reports it.
func (c *Conduit) revoked(sub helix.EventSubSubscription) {
	c.tellRevoked(sub, c.forget(sub))
}

// forget takes a subscription Twitch ended out of those wanted, and logs
// it; ours says whether it was wanted.
func (c *Conduit) forget(sub helix.EventSubSubscription) (ours bool) {
	c.mu.Lock()
	for key, h := range c.subs {
		if h.created.ID == sub.ID {
			delete(c.subs, key)
			ours = true
		}
	}
	c.mu.Unlock()
	c.log.Warn("eventsub: conduit: subscription revoked", "id", sub.ID, "type", sub.Type, "reason", sub.Status)
	return ours
}

// tellRevoked hands a revocation to OnRevoked, and to OnError when the
// subscription was wanted.
func (c *Conduit) tellRevoked(sub helix.EventSubSubscription, ours bool) {
	if c.onRevoked != nil {
		c.callback(func() { c.onRevoked(sub) })
	}
	if ours {
		c.report(&RevokedError{Subscription: sub})
	}
}

// deliver hands a notification that arrived on a WebSocket shard to the
// handlers, unless another shard delivered it already.
func (c *Conduit) deliver(ctx context.Context, n *Notification, id string, now time.Time) {
	if repeat, open := c.in.remember(id, now); repeat || !open {
		return
	}
	c.handle(ctx, n)
}

// handle hands a notification to the handlers, one of at most WithWorkers
// at once.
func (c *Conduit) handle(ctx context.Context, n *Notification) {
	if n.Subscription.Type == shardDisabledType {
		// A shard was disabled: read the shards now. The condition says
		// which conduit's (the type's event is generated, and the runtime
		// does not depend on the schema's types); one without names all
		// the application's conduits.
		var cond struct {
			ConduitID string `json:"conduit_id"`
		}
		if err := ijson.Unmarshal(n.Subscription.Condition, &cond); err == nil && (cond.ConduitID == "" || cond.ConduitID == c.ID()) {
			select {
			case c.pollNow <- struct{}{}:
			default:
			}
		}
	}
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-c.slots }()
	if c.isClosed() {
		return
	}
	c.dispatch(ctx, n, func(v any, stack []byte) {
		c.report(&HandlerPanicError{Type: n.Subscription.Type, Version: n.Subscription.Version, Value: v, Stack: stack})
	}, c.isClosed)
}
