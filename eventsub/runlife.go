package eventsub

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/twitchify-go/twitch/internal/goid"
)

// runLife is the life of the Run of a Webhook or a Conduit, which both
// embed it: Run may be called once, and Close returns from anywhere, a
// handler or callback included. Its fields are guarded by mu, the owner's
// mutex, which guards the owner's state beside them.
type runLife struct {
	mu      *sync.Mutex
	running bool // Run runs: the callback takes messages
	ended   bool // Run has returned
	closed  bool
	cancel  context.CancelFunc
	runCtx  context.Context
	done    chan struct{} // closed when Run has returned
	// inside are the IDs of Run's goroutines, where handlers and
	// callbacks run: a Close called there cannot wait for Run.
	inside map[uint64]bool
	// goroutines are Run's: they end when runCtx does.
	goroutines sync.WaitGroup
}

func newRunLife(mu *sync.Mutex) runLife {
	return runLife{mu: mu, inside: map[uint64]bool{}}
}

// beginLocked starts a Run, and returns the context that Close cancels;
// or ErrClosed after Close, or an error for a second Run. mu is held.
func (l *runLife) beginLocked(ctx context.Context) (context.Context, error) {
	switch {
	case l.closed:
		return nil, ErrClosed
	case l.running || l.ended:
		return nil, errors.New("eventsub: Run called twice")
	}
	ctx, cancel := context.WithCancel(ctx)
	l.running, l.cancel, l.runCtx, l.done = true, cancel, ctx, make(chan struct{})
	l.inside[goid.Current()] = true
	return ctx, nil
}

// end ends a Run that returns err: the callback takes nothing more (in
// shut; stop, called with mu held, ends the owner's state that lives
// with Run), Run's goroutines are stopped and waited for, and what was
// acknowledged but not handled is logged. It returns ErrClosed after
// Close, else err.
func (l *runLife) end(err error, in *inbox, stop func(), log *slog.Logger, who string) error {
	l.mu.Lock()
	l.running, l.ended = false, true
	stop()
	closed := l.closed
	l.mu.Unlock()
	in.shut()
	l.cancel()
	l.goroutines.Wait()
	if unhandled := in.queued(); unhandled > 0 {
		log.Warn("eventsub: "+who+": notifications acknowledged but not handled when Run returned", "count", unhandled)
	}
	close(l.done)
	if closed {
		return ErrClosed
	}
	return err
}

// close stops Run and waits until it has returned, unless called from
// one of Run's goroutines: it then returns at once, and Run as soon as
// that goroutine's handler or callback does.
func (l *runLife) close() error {
	l.mu.Lock()
	l.closed = true
	cancel, done := l.cancel, l.done
	inside := cancel != nil && !l.ended && l.inside[goid.Current()]
	l.mu.Unlock()
	if cancel == nil {
		return nil // Run has not started
	}
	cancel()
	if !inside {
		<-done
	}
	return nil
}

func (l *runLife) isRunning() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.running
}

func (l *runLife) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// over reports whether Close was called or Run has returned, and Run's
// context. mu is held.
func (l *runLife) over() (bool, context.Context) { return l.closed || l.ended, l.runCtx }

// enter records the calling goroutine as one of Run's; leave forgets it.
func (l *runLife) enter() {
	id := goid.Current()
	l.mu.Lock()
	l.inside[id] = true
	l.mu.Unlock()
}

func (l *runLife) leave() {
	id := goid.Current()
	l.mu.Lock()
	delete(l.inside, id)
	l.mu.Unlock()
}
