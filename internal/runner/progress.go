package runner

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/clock"
)

// DefaultProgressInterval is how often a running backup's progress is
// written to the catalog (Runner.ProgressInterval's default).
const DefaultProgressInterval = 3 * time.Second

// progressRecorder writes a running backup's raw byte count to the catalog
// every interval while it changes, so that every process sharing the
// catalog (the API and web UI of each replica) can show it. A write that
// fails is left for the next tick: progress is a display, not a record.
type progressRecorder struct {
	raw  atomic.Int64
	stop chan struct{}
	done chan struct{}
}

// recordProgress starts recording backup id's progress; the returned
// recorder's set is the dump's progress callback; end stops it.
func (r *Runner) recordProgress(ctx context.Context, id string) *progressRecorder {
	every := r.ProgressInterval
	if every <= 0 {
		every = DefaultProgressInterval
	}
	c := r.Clock
	if c == nil {
		c = clock.System{}
	}
	p := &progressRecorder{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		var written int64
		for {
			t := c.NewTimer(every)
			select {
			case <-p.stop:
				t.Stop()
				return
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C():
			}
			n := p.raw.Load()
			if n == written {
				continue
			}
			wctx, cancel := context.WithTimeout(ctx, every)
			if err := r.Catalog.SetProgress(wctx, id, n, r.Now()); err != nil {
				r.logger().Debug("cannot record backup progress", "id", id, "error", err)
			} else {
				written = n
			}
			cancel()
		}
	}()
	return p
}

func (p *progressRecorder) set(n int64) { p.raw.Store(n) }

// end stops the recorder and waits for a write in flight, so that none
// lands after the backup's final update.
func (p *progressRecorder) end() {
	close(p.stop)
	<-p.done
}
