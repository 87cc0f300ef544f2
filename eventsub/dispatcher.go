package eventsub

import (
	"context"
	"runtime/debug"
	"sync"
)

// Dispatcher hands notifications to the handlers registered for their type.
// The generated On<Type> methods register typed handlers; OnNotification
// registers one for every notification. The zero Dispatcher is ready to use,
// and handlers may be registered while others dispatch.
type Dispatcher struct {
	mu       sync.RWMutex
	handlers map[*typeEntry][]func(context.Context, *Notification)
	all      []func(context.Context, *Notification)
}

// on registers h for notifications of the type e; the generated On<Type>
// methods call it with a wrapper that gives h the typed event.
func (d *Dispatcher) on(e *typeEntry, h func(context.Context, *Notification)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.handlers == nil {
		d.handlers = map[*typeEntry][]func(context.Context, *Notification){}
	}
	d.handlers[e] = append(d.handlers[e], h)
}

// OnNotification registers h for every notification, including those of
// types the schema does not know (whose Event is a *RawEvent).
func (d *Dispatcher) OnNotification(h func(context.Context, *Notification)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.all = append(d.all, h)
}

// Dispatch runs, on the calling goroutine and in the order they were
// registered, the handlers of n's type and then those of OnNotification.
// A handler's panic is not recovered; the Client's dispatch recovers.
func (d *Dispatcher) Dispatch(ctx context.Context, n *Notification) {
	d.dispatch(ctx, n, nil, nil)
}

// dispatch is Dispatch; with onPanic set, a handler's panic is recovered,
// handed to onPanic, and the next handler runs; with stop set, no handler
// runs once it reports true (the Client was closed by one).
func (d *Dispatcher) dispatch(ctx context.Context, n *Notification, onPanic func(value any, stack []byte), stop func() bool) {
	d.mu.RLock()
	typed, all := d.handlers[n.entry], d.all
	d.mu.RUnlock()
	if n.entry == nil {
		typed = nil
	}
	for _, hs := range [][]func(context.Context, *Notification){typed, all} {
		for _, h := range hs {
			if stop != nil && stop() {
				return
			}
			call(ctx, n, h, onPanic)
		}
	}
}

func call(ctx context.Context, n *Notification, h func(context.Context, *Notification), onPanic func(any, []byte)) {
	if onPanic != nil {
		defer func() {
			if v := recover(); v != nil {
				onPanic(v, debug.Stack())
			}
		}()
	}
	h(ctx, n)
}
