package scheduler

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestSubmit(t *testing.T) {
	started, release := make(chan string, 10), make(chan struct{})
	h := newHarness(t, epoch.Add(30*time.Second), Options{Total: 1}, func(string) []Task { return nil })

	if err := h.s.Submit(blockingTask("s/db/manual", "s", started, release), nil); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Submit before Run = %v, want ErrNotRunning", err)
	}
	h.start(entry(t, "daily", "30 2 * * *", time.UTC))

	prepared := 0
	prepare := func() error { prepared++; return nil }
	if err := h.s.Submit(blockingTask("s/db/manual", "s", started, release), prepare); err != nil {
		t.Fatal(err)
	}
	recv(t, started, "the submitted task")
	if err := h.s.Submit(blockingTask("s/db/manual", "s", started, release), prepare); !errors.Is(err, ErrBusy) {
		t.Errorf("second Submit of a running job = %v, want ErrBusy", err)
	}
	if prepared != 1 {
		t.Errorf("prepare ran %d times, want once (not for the busy job)", prepared)
	}
	boom := errors.New("catalog down")
	if err := h.s.Submit(blockingTask("s/other/manual", "s", started, release), func() error { return boom }); !errors.Is(err, boom) {
		t.Errorf("Submit with failing prepare = %v", err)
	}
	if h.s.Busy("s/other/manual") {
		t.Error("a task whose prepare failed was queued")
	}

	// A queued task that never gets its slot is told so when the scheduler stops.
	var gaveUp atomic.Bool
	queued := Task{Key: "s2/db/manual", Server: "s2", Run: func(context.Context) { t.Error("queued task ran") }, GaveUp: func() { gaveUp.Store(true) }}
	if err := h.s.Submit(queued, nil); err != nil {
		t.Fatal(err)
	}
	h.stop()
	release <- struct{}{}
	drain(t, h.s)
	if !gaveUp.Load() {
		t.Error("GaveUp not called for a task that never ran")
	}
}
