package auth

import (
	"sync"
	"time"
)

// Failed authentications allowed per client in a sliding window; each
// further failure within the window fails with a *RateLimitedError (429)
// instead of ErrBadCredentials (401). A valid token is never limited (see
// Authenticator.Check).
const (
	MaxFailures   = 10
	FailureWindow = time.Minute
	// maxClients bounds the limiter's memory; past it, new clients share one
	// record, so an attacker with many addresses is still limited.
	maxClients = 10000
	overflow   = "(many clients)"
)

// limiter counts each client's failures over a sliding window and blocks a
// client that has reached the limit until its oldest failure leaves the
// window.
type limiter struct {
	mu      sync.Mutex
	limit   int
	window  time.Duration
	clients map[string]*failures
}

type failures struct {
	at     []time.Time // oldest first, at most limit
	logged bool        // the current block has been logged
}

func newLimiter(limit int, window time.Duration) *limiter {
	return &limiter{limit: limit, window: window, clients: map[string]*failures{}}
}

// expire drops failures that have left the window.
func (l *limiter) expire(f *failures, now time.Time) {
	i := 0
	for i < len(f.at) && !f.at[i].After(now.Add(-l.window)) {
		i++
	}
	f.at = f.at[i:]
	if len(f.at) < l.limit {
		f.logged = false
	}
}

// fail records one failed authentication by key. It reports whether key was
// already blocked before this failure (it then stays blocked, the failure
// counting as the newest one), for how long, and whether this block is
// reported for the first time (to log it once).
func (l *limiter) fail(key string, now time.Time) (wait time.Duration, blocked, first bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.clients[key]
	if f == nil {
		if len(l.clients) >= maxClients {
			l.sweep(now)
		}
		if len(l.clients) >= maxClients {
			key = overflow
			f = l.clients[key]
		}
		if f == nil {
			f = &failures{}
			l.clients[key] = f
		}
	}
	l.expire(f, now)
	blocked = len(f.at) >= l.limit
	f.at = append(f.at, now)
	if len(f.at) > l.limit {
		f.at = f.at[len(f.at)-l.limit:]
	}
	if !blocked {
		return 0, false, false
	}
	first = !f.logged
	f.logged = true
	return f.at[0].Add(l.window).Sub(now), true, first
}

// sweep forgets clients whose failures have all left the window.
func (l *limiter) sweep(now time.Time) {
	for k, f := range l.clients {
		if l.expire(f, now); len(f.at) == 0 {
			delete(l.clients, k)
		}
	}
}
