package eventsub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twitchify-go/twitch/helix"
	ijson "github.com/twitchify-go/twitch/internal/json"
	"github.com/twitchify-go/twitch/oauth"
)

// How long Run and Subscribe follow a subscription that waits for the
// verification of its callback. Twitch sends the challenge as it creates
// the subscription and decides within seconds; the list is read again
// after 500 ms, then twice as long each time up to 8 s (at most 12 reads
// in all), for at most a minute. When every challenge has been answered,
// it is read at once, and 250 ms later if Twitch had not taken the answer
// in yet.
const (
	verifyFirstWait = 500 * time.Millisecond
	verifyMaxWait   = 8 * time.Second
	verifySettle    = 250 * time.Millisecond
	verifyTimeout   = time.Minute
)

// hook is one subscription a Webhook wants, and how it stands at Twitch:
// pending (to create), creating, active (it exists at Twitch, and
// created.Status says whether it is enabled yet), failed.
type hook struct {
	*subscription
	match      string // matchKey
	challenged bool   // ServeHTTP answered its challenge
}

// newHook returns what a webhook subscription to cond is made of.
func newHook(cond Condition) (*hook, TypeInfo, error) {
	s, info, err := newSubscription(cond)
	if err != nil {
		return nil, info, err
	}
	match, err := matchKey(info.Type, info.Version, s.body())
	if err != nil {
		return nil, info, fmt.Errorf("eventsub: subscribe to %s version %s: the condition: %w", info.Type, info.Version, err)
	}
	return &hook{subscription: s, match: match}, info, nil
}

// matchKey is what a subscription to typ and version with the condition
// raw is matched by, whoever wrote the condition: the program, or Twitch
// in its list and its challenges, whatever the order of the fields and
// the empty ones it adds. A condition of a type the schema knows is
// decoded into its generated struct and encoded again; another is
// encoded again with sorted keys and without empty values.
func matchKey(typ, version string, raw json.RawMessage) (string, error) {
	var v any
	if e := registry[typ][version]; e != nil {
		v = e.newCondition()
	} else {
		v = new(map[string]any)
	}
	if err := ijson.Unmarshal(raw, v); err != nil {
		return "", err
	}
	if m, ok := v.(*map[string]any); ok {
		for k, x := range *m {
			if x == nil || x == "" {
				delete(*m, k)
			}
		}
	}
	body, err := ijson.Marshal(v)
	if err != nil {
		return "", err
	}
	return typ + " " + version + " " + string(body), nil
}

// Subscribe asks for the notifications cond selects, delivered to the
// Webhook's callback URL. It first checks cond as Twitch would: a
// required condition field left empty, or a type that Twitch does not
// deliver to webhooks, is an *InvalidSubscriptionError and nothing is
// sent. Types that Twitch delivers to webhooks only (drop entitlements,
// extension Bits transactions, user authorization grants and revocations)
// work here.
//
// Before Run, Subscribe records what is wanted, and Run creates it. Once
// Run has started, Subscribe creates the subscription and returns when
// Twitch has verified the callback: nil, or a *SubscriptionError (Twitch
// refused it, the request failed, or the callback was not verified:
// ErrCallbackVerification); the subscription is then not retried (call
// Subscribe again). Subscribing again to what is already wanted does
// nothing; after Close, or once Run has returned, Subscribe returns
// ErrClosed.
func (w *Webhook) Subscribe(ctx context.Context, cond Condition) error {
	if w.err != nil {
		return w.err
	}
	return w.hooks.subscribe(ctx, cond, TransportWebhook, w.over, w.awaitEnabled)
}

// Unsubscribe stops the notifications cond selects, deleting the
// subscription at Twitch when it exists there. When its creation is on
// its way, it is deleted as soon as it is created.
func (w *Webhook) Unsubscribe(ctx context.Context, cond Condition) error {
	if w.err != nil {
		return w.err
	}
	return w.hooks.unsubscribe(ctx, cond)
}

// Subscriptions returns how every subscription asked for stands. One is
// Active once Twitch has enabled it: its callback is verified.
func (w *Webhook) Subscriptions() []SubscriptionStatus { return w.hooks.statuses() }

// hookSet is a set of subscriptions that outlive connections: those to a
// Webhook's callback URL, or to a Conduit. It matches what the program
// wants with Twitch's list, and creates and deletes at Twitch. Its owner
// holds the subscriptions, and the mutex that guards them.
type hookSet struct {
	helix       *helix.Client
	mu          *sync.Mutex      // the owner's: it guards subs and live
	subs        map[string]*hook // what the program subscribed to, by matchKey
	live        *bool            // the first reconcile is done: Subscribe creates at once
	log         *slog.Logger
	report      func(error)
	deleteStale bool
	who         string // "webhook" or "conduit", for logs and errors
	// transport is where the subscriptions deliver: a callback URL and
	// its secret, or a conduit (set once its ID is known).
	transport helix.EventSubTransportParams
}

// subscribe records what cond selects, after checking it for transport.
// Once the set is live (Run has reconciled it), it also creates it at
// Twitch, and then runs then (when not nil) on it, both within Run's
// context too. state, called under the owner's lock, says whether the
// owner is closed or has ended, and gives Run's context.
func (s *hookSet) subscribe(ctx context.Context, cond Condition, transport TransportMethod,
	state func() (over bool, runCtx context.Context), then func(context.Context, *hook) error) error {
	h, info, err := newHook(cond)
	if err != nil {
		return err
	}
	if err := h.check(info, transport); err != nil {
		return err
	}
	s.mu.Lock()
	over, runCtx := state()
	if over {
		s.mu.Unlock()
		return ErrClosed
	}
	if old, ok := s.subs[h.match]; ok && old.state != failed {
		s.mu.Unlock()
		return nil
	}
	s.subs[h.match] = h
	if !*s.live {
		s.mu.Unlock()
		return nil
	}
	h.state = creating
	s.mu.Unlock()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(runCtx, cancel)()
	if err := s.create(ctx, h); err != nil || then == nil {
		return err
	}
	return then(ctx, h)
}

// unsubscribe forgets what cond selects, and deletes its subscription at
// Twitch when it exists there (one on its way is deleted once created).
func (s *hookSet) unsubscribe(ctx context.Context, cond Condition) error {
	want, _, err := newHook(cond)
	if err != nil {
		return err
	}
	s.mu.Lock()
	h, ok := s.subs[want.match]
	delete(s.subs, want.match)
	var id string
	if ok && h.state == active {
		id = h.created.ID
	}
	s.mu.Unlock()
	if id == "" {
		return nil
	}
	return s.delete(ctx, h.subscription, id, "unsubscribed")
}

// statuses returns how every subscription asked for stands, in the order
// of their keys. One is Active once it exists at Twitch, enabled.
func (s *hookSet) statuses() []SubscriptionStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := slices.Sorted(maps.Keys(s.subs))
	out := make([]SubscriptionStatus, 0, len(keys))
	for _, k := range keys {
		h := s.subs[k]
		out = append(out, SubscriptionStatus{
			Condition:    h.cond,
			Active:       h.state == active && h.created.Status == helix.EventSubSubscriptionStatusEnabled,
			Subscription: h.created,
			Err:          h.err,
		})
	}
	return out
}

// owns reports whether a subscription at Twitch delivers to the set's
// transport.
func (s *hookSet) owns(t helix.EventSubTransport) bool {
	switch s.transport.Method {
	case helix.EventSubTransportMethodWebhook:
		return t.Method == helix.EventSubTransportMethodWebhook && t.Callback == s.transport.Callback
	case helix.EventSubTransportMethodConduit:
		return t.Method == helix.EventSubTransportMethodConduit && t.ConduitID == s.transport.ConduitID
	}
	return false
}

// listOwn returns the subscriptions at Twitch whose notifications go to
// the set's transport, reading every page of the list.
func (s *hookSet) listOwn(ctx context.Context, params *helix.GetEventSubSubscriptionsParams) ([]helix.EventSubSubscription, error) {
	var own []helix.EventSubSubscription
	for x, err := range s.helix.GetEventSubSubscriptionsAll(ctx, params) {
		if err != nil {
			return nil, fmt.Errorf("eventsub: %s: list the subscriptions at Twitch: %w", s.who, err)
		}
		if s.owns(x.Transport) {
			own = append(own, x)
		}
	}
	return own, nil
}

// usable reports whether a subscription at Twitch delivers, or will once
// its callback is verified.
func usable(x *helix.EventSubSubscription) bool {
	return x.Status == helix.EventSubSubscriptionStatusEnabled ||
		x.Status == helix.EventSubSubscriptionStatusWebhookCallbackVerificationPending
}

// reconcile matches what exists at Twitch for the transport (a callback
// URL, a conduit) with what is wanted: a match that is enabled or pending
// is kept; another copy of a wanted subscription (one that failed, or a
// second one) is deleted, to be made again; the others are stale:
// deleted with WithDeleteStale, left alone without.
func (w *hookSet) reconcile(ctx context.Context) error {
	own, err := w.listOwn(ctx, nil)
	if err != nil {
		return err
	}
	var broken, stale []helix.EventSubSubscription
	w.mu.Lock()
	for _, x := range own {
		var h *hook
		if key, err := matchKey(x.Type, x.Version, x.Condition); err == nil {
			h = w.subs[key]
		}
		switch {
		case h != nil && h.state == pending && usable(&x):
			h.state, h.created = active, x
		case h != nil:
			broken = append(broken, x)
		default:
			stale = append(stale, x)
		}
	}
	w.mu.Unlock()
	for _, x := range broken {
		if err := w.deleteListed(ctx, x, "made again"); err != nil {
			w.report(err) // its creation says the rest
		}
	}
	for _, x := range stale {
		if !w.deleteStale {
			w.log.Info("eventsub: "+w.who+": left alone a subscription the program does not want (see WithDeleteStale)",
				"type", x.Type, "version", x.Version, "id", x.ID, "status", x.Status)
			continue
		}
		if err := w.deleteListed(ctx, x, "stale"); err != nil {
			w.report(err)
		}
	}
	return ctx.Err()
}

// deleteListed deletes a subscription from Twitch's list.
func (w *hookSet) deleteListed(ctx context.Context, x helix.EventSubSubscription, why string) error {
	w.log.Info("eventsub: "+w.who+": deleting a subscription", "why", why, "type", x.Type, "version", x.Version, "id", x.ID, "status", x.Status)
	err := w.helix.DeleteEventSubSubscription(ctx, &helix.DeleteEventSubSubscriptionParams{ID: x.ID})
	if err != nil {
		return fmt.Errorf("eventsub: %s: delete the %s subscription to %s version %s (%s): %w", w.who, why, x.Type, x.Version, x.ID, err)
	}
	return nil
}

// delete deletes a subscription of the set's from Twitch.
func (w *hookSet) delete(ctx context.Context, s *subscription, id, why string) error {
	typ, version := s.typeAndVersion()
	return w.deleteListed(ctx, helix.EventSubSubscription{ID: id, Type: typ, Version: version}, why)
}

// createAll creates every subscription still to create, those subscribed
// to meanwhile included, and then lets Subscribe create its own. It
// returns every refusal.
func (w *hookSet) createAll(ctx context.Context) error {
	var refused []error
	for {
		w.mu.Lock()
		var todo []*hook
		for _, h := range w.subs {
			if h.state == pending {
				h.state = creating
				todo = append(todo, h)
			}
		}
		if len(todo) == 0 {
			*w.live = true
			w.mu.Unlock()
			return errors.Join(refused...)
		}
		w.mu.Unlock()
		slices.SortFunc(todo, func(a, b *hook) int { return strings.Compare(a.match, b.match) })
		for _, h := range todo {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := w.create(ctx, h); err != nil {
				refused = append(refused, err)
			}
		}
	}
}

// create makes h at Twitch. A subscription that Twitch says exists
// already (made meanwhile by another instance of the program, say) is
// taken as it is.
func (w *hookSet) create(ctx context.Context, h *hook) error {
	typ, version := h.typeAndVersion()
	params := &helix.CreateEventSubSubscriptionParams{
		Type:      typ,
		Version:   version,
		Condition: h.body(),
		Transport: w.transport,
	}
	if h.entry != nil && h.entry.info.Batched {
		params.IsBatchingEnabled = new(bool)
		*params.IsBatchingEnabled = true
	}
	var created helix.EventSubSubscription
	res, err := w.helix.CreateEventSubSubscription(ctx, params)
	var api *helix.APIError
	switch {
	case err == nil && len(res.Data) > 0:
		created = res.Data[0]
	case err == nil:
		err = errors.New("Twitch answered without the subscription")
	case errors.As(err, &api) && api.StatusCode == http.StatusConflict:
		if x, ok := w.existing(ctx, h); ok {
			created, err = x, nil
		}
	}
	w.mu.Lock()
	if w.subs[h.match] != h {
		// Unsubscribed meanwhile: created anyway, it must go.
		w.mu.Unlock()
		if err == nil {
			return w.delete(ctx, h.subscription, created.ID, "unsubscribed while it was created")
		}
		return nil
	}
	if err != nil {
		se := newSubscriptionErrorWith(h.subscription, err, oauth.TokenApp)
		h.state, h.err = failed, se
		w.mu.Unlock()
		return se
	}
	h.state = active
	if h.created.ID == "" || h.created.ID == created.ID {
		// A challenge answered meanwhile may have named it already.
		h.created = created
	}
	w.mu.Unlock()
	return nil
}

// existing finds h at Twitch, for a creation Twitch refused as a copy.
func (w *hookSet) existing(ctx context.Context, h *hook) (helix.EventSubSubscription, bool) {
	typ, _ := h.typeAndVersion()
	own, err := w.listOwn(ctx, &helix.GetEventSubSubscriptionsParams{Type: typ})
	if err != nil {
		return helix.EventSubSubscription{}, false
	}
	for _, x := range own {
		if key, err := matchKey(x.Type, x.Version, x.Condition); err == nil && key == h.match && usable(&x) {
			return x, true
		}
	}
	return helix.EventSubSubscription{}, false
}

// awaitEnabled follows the subscriptions that wait for the verification
// of their callback (only, or all of them when only is nil) until Twitch
// enables them, reading its list with a growing wait (see verifyTimeout).
// One that fails, or is still pending after verifyTimeout, is deleted
// from Twitch and given up; it returns every such failure.
func (w *Webhook) awaitEnabled(ctx context.Context, only *hook) error {
	began := time.Now()
	deadline := began.Add(verifyTimeout)
	wait := verifyFirstWait
	settle := false // the last read came at once after the answers
	var failures []error
	for {
		waiting := w.unverified(only)
		if len(waiting) == 0 {
			return errors.Join(failures...)
		}
		if !time.Now().Before(deadline) {
			for _, u := range waiting {
				failures = append(failures, w.giveUp(ctx, u.h, u.status, time.Since(began)))
			}
			return errors.Join(failures...)
		}
		d := wait
		if settle {
			d = verifySettle
		}
		t := time.NewTimer(min(d, time.Until(deadline)))
		answered := false
		for woke := false; !woke; {
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
				woke = true
			case <-w.verified:
				answered = !settle && w.allChallenged(waiting)
				woke = answered
			}
		}
		t.Stop()
		switch {
		case answered:
			settle = true
		case settle:
			settle = false
		default:
			wait = min(2*wait, verifyMaxWait)
		}
		own, err := w.hooks.listOwn(ctx, nil)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			w.report(err) // read again after the next wait
			continue
		}
		byID := make(map[string]helix.EventSubSubscription, len(own))
		for _, x := range own {
			byID[x.ID] = x
		}
		for _, u := range waiting {
			x, ok := byID[u.id]
			switch {
			case ok && x.Status == helix.EventSubSubscriptionStatusEnabled:
				w.mu.Lock()
				if u.h.state == active && u.h.created.ID == x.ID {
					u.h.created = x
				}
				w.mu.Unlock()
			case ok && x.Status == helix.EventSubSubscriptionStatusWebhookCallbackVerificationPending:
			default:
				failures = append(failures, w.giveUp(ctx, u.h, x.Status, 0))
			}
		}
	}
}

// unverifiedSub is a subscription that waits for the verification of its
// callback, and its ID and status at Twitch when it was seen waiting.
type unverifiedSub struct {
	h      *hook
	id     string
	status helix.EventSubSubscriptionStatus
}

// unverified returns the subscriptions that exist at Twitch and wait for
// the verification of their callback: only, or all of them.
func (w *Webhook) unverified(only *hook) []unverifiedSub {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []unverifiedSub
	for _, h := range w.subs {
		if (only == nil || h == only) && h.state == active && h.created.Status != helix.EventSubSubscriptionStatusEnabled {
			out = append(out, unverifiedSub{h, h.created.ID, h.created.Status})
		}
	}
	slices.SortFunc(out, func(a, b unverifiedSub) int { return strings.Compare(a.h.match, b.h.match) })
	return out
}

// allChallenged reports whether ServeHTTP answered the challenge of each
// of us.
func (w *Webhook) allChallenged(us []unverifiedSub) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, u := range us {
		if !u.h.challenged {
			return false
		}
	}
	return true
}

// giveUp marks h failed, its callback not verified: it stayed pending for
// waited, or took status ("" when it was gone). It is deleted from Twitch,
// so that the next Run makes it again rather than waiting for it again.
func (w *Webhook) giveUp(ctx context.Context, h *hook, status helix.EventSubSubscriptionStatus, waited time.Duration) error {
	se := unverifiedError(h.subscription, w.callback, status, waited)
	w.mu.Lock()
	id := h.created.ID
	if w.subs[h.match] == h {
		h.state, h.err = failed, se
	}
	w.mu.Unlock()
	if status != "" {
		if err := w.hooks.delete(ctx, h.subscription, id, "not verified"); err != nil && ctx.Err() == nil {
			w.report(err)
		}
	}
	return se
}
