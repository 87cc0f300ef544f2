package eventsub

import (
	"context"
	"sync"
)

// Dispatcher hands notifications to the handlers registered for their type.
// The generated On<Type> methods register typed handlers; OnNotification
// registers one for every notification. The zero Dispatcher is ready to use,
// and handlers may be registered while others dispatch.
type Dispatcher struct {
	mu       sync.RWMutex
	handlers map[*TypeInfo][]func(context.Context, *Notification)
	all      []func(context.Context, *Notification)
}

// on registers h for notifications of the type info; the generated On<Type>
// methods call it with a wrapper that gives h the typed event.
func (d *Dispatcher) on(info *TypeInfo, h func(context.Context, *Notification)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.handlers == nil {
		d.handlers = map[*TypeInfo][]func(context.Context, *Notification){}
	}
	d.handlers[info] = append(d.handlers[info], h)
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
func (d *Dispatcher) Dispatch(ctx context.Context, n *Notification) {
	d.mu.RLock()
	typed, all := d.handlers[n.info], d.all
	d.mu.RUnlock()
	if n.info != nil {
		for _, h := range typed {
			h(ctx, n)
		}
	}
	for _, h := range all {
		h(ctx, n)
	}
}
