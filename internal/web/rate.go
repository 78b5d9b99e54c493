package web

import (
	"sync"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/service"
)

// rateWindow is the span over which a running backup's rate is measured.
const (
	rateWindow = 10 * time.Second
	maxSamples = 64
)

// rateTracker turns successive Progress readings into a current rate per
// running backup: bytes gained over about the last rateWindow. With only one
// reading it falls back to the average since the backup started.
type rateTracker struct {
	mu      sync.Mutex
	samples map[string][]sample // by backup ID, oldest first
}

type sample struct {
	at    time.Time
	bytes int64
}

func newRateTracker() *rateTracker { return &rateTracker{samples: map[string][]sample{}} }

// observe records the readings ps taken at now and returns each backup's
// rate in bytes per second (0 when unknown). Backups not in ps are forgotten.
func (rt *rateTracker) observe(now time.Time, ps []service.Progress) map[string]float64 {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rates := make(map[string]float64, len(ps))
	seen := make(map[string]bool, len(ps))
	for _, p := range ps {
		seen[p.ID] = true
		ss := rt.samples[p.ID]
		if n := len(ss); n > 0 && p.RawBytes < ss[n-1].bytes {
			ss = nil // the counter went back: start over
		}
		if n := len(ss); n == 0 || now.After(ss[n-1].at) {
			ss = append(ss, sample{now, p.RawBytes})
		}
		// Keep one sample at or before the window's start, so the rate
		// spans the whole window once there is enough history.
		cut := 0
		for cut+1 < len(ss) && !ss[cut+1].at.After(now.Add(-rateWindow)) {
			cut++
		}
		ss = ss[cut:]
		if len(ss) > maxSamples {
			ss = ss[len(ss)-maxSamples:]
		}
		rt.samples[p.ID] = ss
		first, last := ss[0], ss[len(ss)-1]
		switch span := last.at.Sub(first.at); {
		case span >= time.Second:
			rates[p.ID] = float64(last.bytes-first.bytes) / span.Seconds()
		case !p.StartedAt.IsZero() && now.Sub(p.StartedAt) >= time.Second:
			rates[p.ID] = float64(p.RawBytes) / now.Sub(p.StartedAt).Seconds()
		}
	}
	for id := range rt.samples {
		if !seen[id] {
			delete(rt.samples, id)
		}
	}
	return rates
}
