package clock

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Fake is a Clock whose time moves only when told to, for tests of
// code that schedules. It is safe for
// concurrent use.
//
// A typical test starts the code under test, calls BlockUntil(1) to know it
// is waiting on a timer, then Advance to fire that timer.
type Fake struct {
	mu      sync.Mutex
	changed *sync.Cond // signalled when timers are added, fired or stopped
	now     time.Time
	timers  []*fakeTimer // pending, in no particular order
}

// NewFake returns a Fake reading start.
func NewFake(start time.Time) *Fake {
	c := &Fake{now: start}
	c.changed = sync.NewCond(&c.mu)
	return c
}

// Now returns the fake time.
func (c *Fake) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer returns a timer that fires when the fake time reaches Now()+d.
func (c *Fake) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{clock: c, c: make(chan time.Time, 1), at: c.now.Add(d)}
	if d <= 0 {
		t.c <- c.now
		return t
	}
	c.timers = append(c.timers, t)
	c.changed.Broadcast()
	return t
}

// Advance moves the time forward by d and fires, earliest first, every
// timer that is due.
func (c *Fake) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setLocked(c.now.Add(d))
}

// Set moves the time to t, backwards or forwards, and fires every timer
// that is due at t.
func (c *Fake) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setLocked(t)
}

func (c *Fake) setLocked(t time.Time) {
	c.now = t
	slices.SortFunc(c.timers, func(a, b *fakeTimer) int { return a.at.Compare(b.at) })
	fired := 0
	for _, tm := range c.timers {
		if tm.at.After(t) {
			break
		}
		tm.c <- t // buffered, and each timer fires once
		fired++
	}
	if fired > 0 {
		c.timers = slices.Delete(c.timers, 0, fired)
		c.changed.Broadcast()
	}
}

// Pending returns the number of timers that have neither fired nor been
// stopped.
func (c *Fake) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// BlockUntil waits until at least n timers are pending.
func (c *Fake) BlockUntil(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.timers) < n {
		c.changed.Wait()
	}
}

// BlockUntilContext is BlockUntil that gives up with ctx's error when ctx
// is done first, so that a test fails instead of hanging.
func (c *Fake) BlockUntilContext(ctx context.Context, n int) error {
	stop := context.AfterFunc(ctx, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.changed.Broadcast()
	})
	defer stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.timers) < n {
		if err := ctx.Err(); err != nil {
			return err
		}
		c.changed.Wait()
	}
	return nil
}

type fakeTimer struct {
	clock *Fake
	c     chan time.Time
	at    time.Time
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	i := slices.Index(c.timers, t)
	if i < 0 {
		return false
	}
	c.timers = slices.Delete(c.timers, i, i+1)
	c.changed.Broadcast()
	return true
}

var _ Clock = (*Fake)(nil)
