package scheduler

import (
	"context"
	"sync"
)

// Limiter bounds how many tasks run at once: at most total overall and at
// most perServer for each server name. It is the Scheduler's own limit
// (Options.Total and PerServer), and serves whoever runs backups outside a
// schedule (the one-shot backup command) under the same rules. Safe for
// concurrent use; the zero value is not usable, build it with NewLimiter.
type Limiter struct {
	total     chan struct{} // nil: no limit
	perServer int           // 0 or less: no limit

	mu      sync.Mutex
	servers map[string]chan struct{} // server → its slots
}

// NewLimiter returns a Limiter of total slots overall and perServer slots
// per server; 0 or less means no limit.
func NewLimiter(total, perServer int) *Limiter {
	l := &Limiter{perServer: perServer, servers: map[string]chan struct{}{}}
	if total > 0 {
		l.total = make(chan struct{}, total)
	}
	return l
}

// serverSlots returns server's slots (nil: no per-server limit).
func (l *Limiter) serverSlots(server string) chan struct{} {
	if l.perServer <= 0 {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	slots := l.servers[server]
	if slots == nil {
		slots = make(chan struct{}, l.perServer)
		l.servers[server] = slots
	}
	return slots
}

// Acquire waits for a slot of server, then for one of the total (in that
// order, so that a task waiting for its busy server holds no slot another
// server could use). It returns the function that gives both back (call it
// once), and true; or, when ctx or abort (nil: none) is done first, nil and
// false, holding nothing.
func (l *Limiter) Acquire(ctx, abort context.Context, server string) (release func(), ok bool) {
	if abort == nil {
		abort = context.Background()
	}
	srv := l.serverSlots(server)
	if !acquire(ctx, abort, srv) {
		return nil, false
	}
	if !acquire(ctx, abort, l.total) {
		releaseSlot(srv)
		return nil, false
	}
	return func() { releaseSlot(l.total); releaseSlot(srv) }, true
}

// TryAcquire takes a slot of server and one of the total if both are free
// now, without waiting. It returns the function that gives both back (call
// it once) and true, or nil and false, holding nothing.
func (l *Limiter) TryAcquire(server string) (release func(), ok bool) {
	srv := l.serverSlots(server)
	if !tryAcquire(srv) {
		return nil, false
	}
	if !tryAcquire(l.total) {
		releaseSlot(srv)
		return nil, false
	}
	return func() { releaseSlot(l.total); releaseSlot(srv) }, true
}

// acquire takes a slot of sem (nil: unlimited), waiting until ctx or abort
// is done.
func acquire(ctx, abort context.Context, sem chan struct{}) bool {
	if sem == nil {
		return true
	}
	select {
	case sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	case <-abort.Done():
		return false
	}
}

// tryAcquire takes a slot of sem (nil: unlimited) if one is free now.
func tryAcquire(sem chan struct{}) bool {
	if sem == nil {
		return true
	}
	select {
	case sem <- struct{}{}:
		return true
	default:
		return false
	}
}

func releaseSlot(sem chan struct{}) {
	if sem != nil {
		<-sem
	}
}
