package scheduler

import (
	"context"
	"testing"
	"time"
)

func TestLimiterTryAcquire(t *testing.T) {
	l := NewLimiter(2, 1)
	relA, ok := l.TryAcquire("a")
	if !ok {
		t.Fatal("first slot of a refused")
	}
	if _, ok := l.TryAcquire("a"); ok {
		t.Fatal("second slot of a granted with per-server 1")
	}
	relB, ok := l.TryAcquire("b")
	if !ok {
		t.Fatal("slot of b refused")
	}
	if _, ok := l.TryAcquire("c"); ok {
		t.Fatal("third slot granted with total 2")
	}
	relA()
	// c's refusal above gave its server slot back: c gets one now.
	relC, ok := l.TryAcquire("c")
	if !ok {
		t.Fatal("slot of c refused after a released")
	}
	relB()
	relC()

	unlimited := NewLimiter(0, 0)
	for range 100 {
		if _, ok := unlimited.TryAcquire("a"); !ok {
			t.Fatal("a limiter without limits refused")
		}
	}
}

func TestLimiterAcquireWaitsAndGivesUp(t *testing.T) {
	l := NewLimiter(1, 0)
	rel, ok := l.Acquire(context.Background(), nil, "a")
	if !ok {
		t.Fatal("free slot refused")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, ok := l.Acquire(ctx, nil, "b"); ok {
		t.Fatal("slot granted beyond total 1")
	}
	got := make(chan bool)
	go func() {
		r, ok := l.Acquire(context.Background(), context.Background(), "b")
		if ok {
			r()
		}
		got <- ok
	}()
	rel()
	select {
	case ok := <-got:
		if !ok {
			t.Fatal("waiting Acquire gave up")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("waiting Acquire did not get the released slot")
	}
}
