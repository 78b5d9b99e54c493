package local

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/storage"
)

// errAbandoned ends the work of an operation that its caller gave up on.
var errAbandoned = errors.New("abandoned after its idle timeout")

// watch tracks an operation's filesystem calls: whether one is under way
// and when it started or last made progress.
type watch struct {
	mu     sync.Mutex
	active bool
	since  time.Time
	gone   bool // the caller gave up
}

// enter marks the start of filesystem work.
func (w *watch) enter() {
	w.mu.Lock()
	w.active, w.since = true, time.Now()
	w.mu.Unlock()
}

// progress records progress within filesystem work.
func (w *watch) progress() { w.enter() }

// leave marks time that is not the filesystem's (waiting for data).
func (w *watch) leave() {
	w.mu.Lock()
	w.active = false
	w.mu.Unlock()
}

func (w *watch) abandoned() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.gone
}

// stuck reports, and then marks as abandoned, work without progress for d.
func (w *watch) stuck(d time.Duration) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.active && time.Since(w.since) >= d {
		w.gone = true
		return true
	}
	return false
}

func (w *watch) abandon() {
	w.mu.Lock()
	w.gone = true
	w.mu.Unlock()
}

// cancelGrace is how long filesystem work may go on without progress once
// the context is done.
const cancelGrace = 2 * time.Second

// guard runs fn in its own goroutine (counted as filesystem work from its
// start) and waits for it, but returns at once when a filesystem call makes
// no progress for b.idle (a *storage.IdleTimeoutError), or for cancelGrace
// after ctx is done (ctx's cause). fn then goes on in the background until
// its call returns, sees that it was abandoned and fails; when fn succeeded
// all the same, undo (if not nil) removes what it made. Once ctx is done, fn
// is told so (abandoned) and its own error is awaited as long as it is not
// stuck in a filesystem call.
func (b *Backend) guard(ctx context.Context, fn func(w *watch) error, undo func()) error {
	w := &watch{}
	w.enter()
	done := make(chan error, 1)
	go func() {
		err := fn(w)
		if err == nil && w.abandoned() && undo != nil {
			undo()
			err = errAbandoned
		}
		done <- err
	}()
	tick := time.NewTicker(min(b.idle/4, 250*time.Millisecond))
	defer tick.Stop()
	cancelled := ctx.Done()
	limit := b.idle
	for {
		select {
		case err := <-done:
			if errors.Is(err, errAbandoned) && ctx.Err() != nil {
				return context.Cause(ctx)
			}
			return err
		case <-tick.C:
			if w.stuck(limit) {
				if ctx.Err() != nil {
					return context.Cause(ctx)
				}
				return &storage.IdleTimeoutError{Timeout: b.idle}
			}
		case <-cancelled:
			cancelled = nil
			w.abandon()
			limit = min(b.idle, cancelGrace)
		}
	}
}
