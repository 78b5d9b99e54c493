package web

import (
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/service"
)

func TestRateTracker(t *testing.T) {
	rt := newRateTracker()
	t0 := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	start := t0.Add(-10 * time.Second)
	// One reading: the average since the start.
	r := rt.observe(t0, []service.Progress{{ID: "a", StartedAt: start, RawBytes: 100 << 20}})
	if got := r["a"]; got != float64(10<<20) {
		t.Errorf("first reading: %v B/s, want the average 10 MiB/s", got)
	}
	// Later readings: the recent rate, not the average.
	for i := 1; i <= 20; i++ {
		r = rt.observe(t0.Add(time.Duration(i)*time.Second), []service.Progress{{ID: "a", StartedAt: start, RawBytes: (100 + int64(i)*50) << 20}})
	}
	if got := r["a"]; got != float64(50<<20) {
		t.Errorf("steady state: %v B/s, want 50 MiB/s", got)
	}
	// Finished backups are forgotten.
	rt.observe(t0.Add(time.Minute), nil)
	if len(rt.samples) != 0 {
		t.Errorf("samples kept for finished backups: %v", rt.samples)
	}
	// A counter that goes back starts over instead of showing a negative rate.
	rt.observe(t0, []service.Progress{{ID: "b", RawBytes: 500}})
	if got := rt.observe(t0.Add(2*time.Second), []service.Progress{{ID: "b", RawBytes: 100}})["b"]; got < 0 {
		t.Errorf("rate %v after the counter went back", got)
	}
}
