package eventsub

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twitchify-go/twitch/helix"
)

// A Conduit's webhook shards (WithWebhookShards): each is assigned to the
// Conduit's callback URL, Twitch verifies the callback with a challenge
// that names the conduit and the shard, and then posts the shard's
// messages there, signed with the secret. The Conduit is the callback's
// http.Handler.

// ServeHTTP handles one request Twitch posts to the callback of the
// Conduit's webhook shards (WithWebhookShards): a shard's challenge, a
// revocation or a notification. It checks each request as a Webhook does
// (see Webhook: method, headers, size, the signature before anything
// else, the age), answers a challenge only for a shard of its conduit
// (one that another process runs too, should they share the callback's
// URL), and queues a notification for the handlers,
// answering at once; a message seen on any of the process's shards is
// acknowledged and not handled again. Every request refused is answered
// 4xx (503 when the queue is full, or before Run and after it) and
// reported to OnError as a *WebhookRequestError. Without
// WithWebhookShards, it answers 404.
func (c *Conduit) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if c.keys == nil {
		c.refuse(rw, &WebhookRequestError{StatusCode: http.StatusNotFound, MessageID: clip(r.Header.Get(headerMessageID)),
			MessageType: clip(r.Header.Get(headerMessageType)), Reason: "the Conduit has no webhook shards (WithWebhookShards)"})
		return
	}
	c.keys.serve(rw, r, c)
}

func (c *Conduit) name() string { return "Conduit" }

// refuse answers a request with e's status and reason, and reports it:
// to the logger at once, to OnError from a goroutine of Run's, so that no
// request waits for OnError (a flood of bad requests would otherwise hold
// as many). Reports beyond maxNotes waiting are dropped, and counted.
func (c *Conduit) refuse(rw http.ResponseWriter, e *WebhookRequestError) {
	http.Error(rw, e.Reason, e.StatusCode)
	c.log.Warn("eventsub", "err", e)
	c.mu.Lock()
	refusals, running := c.refusals, c.running
	c.mu.Unlock()
	if c.onError == nil || !running || refusals == nil {
		return
	}
	select {
	case refusals <- e:
	default:
		c.refusalsDropped.Add(1)
	}
}

// reportRefusals hands the reports of refused requests to OnError, and
// the revocations posted to the callback to OnRevoked and OnError, one at
// a time, until Run ends.
func (c *Conduit) reportRefusals(ctx context.Context) {
	defer c.goroutines.Done()
	c.enter()
	defer c.leave()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.revokedWake:
			for {
				c.mu.Lock()
				if len(c.revocations) == 0 {
					c.mu.Unlock()
					break
				}
				r := c.revocations[0]
				c.revocations[0] = revocationNote{}
				c.revocations = c.revocations[1:]
				c.mu.Unlock()
				c.tellRevoked(r.sub, r.ours)
			}
		case err := <-c.refusals:
			if n := c.refusalsDropped.Swap(0); n > 0 {
				c.callback(func() {
					c.onError(fmt.Errorf("eventsub: conduit: %d reports of refused requests were dropped: OnError did not keep up (the logger has them)", n))
				})
			}
			c.callback(func() { c.onError(err) })
		}
	}
}

// challenge answers the challenge of a webhook shard of the Conduit's
// conduit, and refuses any other.
func (c *Conduit) challenge(rw http.ResponseWriter, body []byte, refuse refuseFunc) {
	var v struct {
		Challenge string `json:"challenge"`
		Shard     *struct {
			ConduitID string `json:"conduit_id"`
			Shard     string `json:"shard"`
		} `json:"conduit_shard"`
	}
	if err := decodeStrict(body, &v); err != nil {
		refuse(http.StatusBadRequest, true, "the body: %v", err)
		return
	}
	if v.Challenge == "" || v.Shard == nil {
		refuse(http.StatusBadRequest, true, "the body has no challenge or no conduit_shard: a Conduit answers the challenges of its shards only")
		return
	}
	// A shard of the conduit that another process runs is answered too:
	// processes may share one callback URL behind a load balancer, which
	// sends a challenge to any of them (its owner sees the shard enabled).
	id, err := strconv.Atoi(v.Shard.Shard)
	c.mu.Lock()
	conduit := c.id
	s := c.shards[id]
	wanted := err == nil && strconv.Itoa(id) == v.Shard.Shard && id >= 0 && id < c.count && v.Shard.ConduitID == conduit && conduit != ""
	if wanted && s != nil && s.hook && s.verifiedAt.IsZero() {
		s.verifiedAt = time.Now()
	}
	c.mu.Unlock()
	if !wanted {
		refuse(http.StatusForbidden, true, "a challenge for shard %q of conduit %q, which this Conduit does not serve (it runs shards %s of conduit %q)",
			clip(v.Shard.Shard), clip(v.Shard.ConduitID), c.hookShardList(), conduit)
		return
	}
	c.log.Info("eventsub: conduit: answered a shard's challenge", "shard", id)
	answerChallenge(rw, v.Challenge)
	// Run's wait for the verification calls OnReady, on Run's goroutine:
	// not on the request's, which would wait for it.
	select {
	case c.verified <- struct{}{}:
	default:
	}
}

// hookShardList names the webhook shards the Conduit runs: "0-3, 7".
func (c *Conduit) hookShardList() string {
	c.mu.Lock()
	var ids []int
	for id, s := range c.shards {
		if s.hook {
			ids = append(ids, id)
		}
	}
	c.mu.Unlock()
	if len(ids) == 0 {
		return "none"
	}
	slices.Sort(ids)
	var parts []string
	for i := 0; i < len(ids); {
		j := i
		for j+1 < len(ids) && ids[j+1] == ids[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, strconv.Itoa(ids[i]))
		} else {
			parts = append(parts, strconv.Itoa(ids[i])+"-"+strconv.Itoa(ids[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

// revocationNote is a revocation posted to the callback, waiting for
// the callbacks; ours says whether the subscription was wanted.
type revocationNote struct {
	sub  helix.EventSubSubscription
	ours bool
}

// revocation takes a subscription Twitch ended out of those wanted, and
// queues it for OnRevoked and OnError, which run on a goroutine of Run's
// (reportRefusals): the request does not wait for them, and Close waits
// for them. Revocations are never dropped: Twitch sends one per
// subscription.
func (c *Conduit) revocation(sub *helix.EventSubSubscription) {
	ours := c.forget(*sub)
	c.mu.Lock()
	c.revocations = append(c.revocations, revocationNote{*sub, ours})
	c.mu.Unlock()
	select {
	case c.revokedWake <- struct{}{}:
	default:
	}
}

func (c *Conduit) messages() *inbox { return &c.in }

// work hands the notifications of one of the inbox's lanes to the
// handlers, until Run ends.
func (c *Conduit) work(ctx context.Context, lane <-chan *Notification) {
	defer c.goroutines.Done()
	c.enter()
	defer c.leave()
	drain(ctx, lane, c.isClosed, func(n *Notification) { c.handle(ctx, n) })
}

// hookTransport is the transport of a webhook shard: the callback.
func (c *Conduit) hookTransport(int) helix.ConduitShardTransportParams {
	return helix.ConduitShardTransportParams{Method: helix.ConduitShardTransportMethodWebhook, Callback: c.hookURL, Secret: c.hookSecret}
}

// startHookShards runs the webhook shards ids: it assigns them to the
// callback, the process's own (claimed false) or taken over. A shard of
// its own that could not be assigned is an error (Run's, at the start); a
// shard taken over that could not be is reported and given up.
func (c *Conduit) startHookShards(ctx context.Context, ids []int, claimed bool) error {
	if len(ids) == 0 {
		return nil
	}
	shards := map[int]*conduitShard{}
	c.mu.Lock()
	for _, id := range ids {
		// Before the assignment: its challenge may come before Update
		// Conduit Shards answers.
		s := &conduitShard{c: c, id: id, claimed: claimed, hook: true}
		shards[id] = s
		c.shards[id] = s
	}
	c.mu.Unlock()
	if claimed {
		c.log.Info("eventsub: conduit: taking over disabled shards", "shards", ids)
	}
	failed := c.assignShards(ctx, ids, c.hookTransport)
	now := time.Now()
	var errs []error
	c.mu.Lock()
	for _, id := range ids {
		s := shards[id]
		if err := failed[id]; err != nil {
			if claimed && c.shards[id] == s {
				delete(c.shards, id)
			}
			errs = append(errs, &ShardError{Shard: strconv.Itoa(id), Err: err})
			continue
		}
		s.session, s.assignedAt = c.hookURL, now
		if claimed {
			s.verifyAt = now.Add(verifyAfter + c.jitter(verifySpread))
		}
	}
	c.mu.Unlock()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	c.log.Info("eventsub: conduit: assigned webhook shards", "assigned", len(ids)-len(failed), "failed", len(failed), "taken_over", claimed)
	if claimed {
		for _, err := range errs {
			c.report(err)
		}
		select {
		case c.nudge <- struct{}{}:
		default:
		}
		return nil
	}
	c.readyIfDone()
	return errors.Join(errs...)
}

// verifiedAt records that Twitch lists the webhook shard enabled: its
// callback is verified, even if the challenge came to another process
// serving the same URL.
func (c *Conduit) verifiedAt(s *conduitShard, x helix.ConduitShard) {
	if !s.hook || x.Status != helix.ConduitShardStatusEnabled {
		return
	}
	c.mu.Lock()
	first := s.verifiedAt.IsZero()
	if first {
		s.verifiedAt = time.Now()
	}
	c.mu.Unlock()
	if first {
		c.readyIfDone()
	}
}

// awaitVerified waits until Twitch has verified the callback of each
// webhook shard of the process's own: its challenge answered, or the
// shard listed enabled. Twitch's list is read with a growing wait; a shard
// whose verification failed, or that is still waiting after
// verifyTimeout, is an error that matches ErrCallbackVerification.
func (c *Conduit) awaitVerified(ctx context.Context) error {
	if !c.hookShards {
		return nil
	}
	deadline := time.Now().Add(verifyTimeout)
	wait := verifyFirstWait
	for {
		waiting := c.unverified()
		if len(waiting) == 0 {
			return nil
		}
		t := time.NewTimer(min(wait, max(time.Until(deadline), 0)))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-c.verified:
			t.Stop()
			continue
		case <-t.C:
		}
		wait = min(2*wait, verifyMaxWait)
		var errs []error
		for x, err := range c.helix.GetConduitShardsAll(ctx, &helix.GetConduitShardsParams{ConduitID: c.ID()}) {
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				c.report(fmt.Errorf("eventsub: conduit %s: read its shards: %w", c.ID(), err))
				break
			}
			id, err := strconv.Atoi(x.ID)
			s := waiting[id]
			if err != nil || s == nil || x.Transport.Callback != c.hookURL {
				continue
			}
			switch x.Status {
			case helix.ConduitShardStatusEnabled:
				c.verifiedAt(s, x)
			case helix.ConduitShardStatusWebhookCallbackVerificationFailed:
				errs = append(errs, &ShardError{Shard: x.ID, Err: fmt.Errorf("%w: callback %s: Twitch's challenge did not reach the Conduit's ServeHTTP, or was not answered (mount the Conduit at the callback's path, served over https on port 443)",
					ErrCallbackVerification, c.hookURL)})
			}
		}
		if len(errs) > 0 {
			return errors.Join(errs...)
		}
		if !time.Now().Before(deadline) {
			waiting = c.unverified()
			for _, id := range slices.Sorted(maps.Keys(waiting)) {
				errs = append(errs, &ShardError{Shard: strconv.Itoa(id), Err: fmt.Errorf("%w: callback %s: still not verified after %v (does Twitch reach the URL?)",
					ErrCallbackVerification, c.hookURL, verifyTimeout)})
			}
			return errors.Join(errs...)
		}
	}
}

// unverified returns the webhook shards of the process's own whose
// callback Twitch has not verified yet.
func (c *Conduit) unverified() map[int]*conduitShard {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[int]*conduitShard{}
	for _, id := range c.owned {
		if s := c.shards[id]; s != nil && s.hook && s.verifiedAt.IsZero() {
			out[id] = s
		}
	}
	return out
}
