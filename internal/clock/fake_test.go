package clock

import (
	"context"
	"errors"
	"testing"
	"time"
)

var epoch = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func fired(tm Timer) bool {
	select {
	case <-tm.C():
		return true
	default:
		return false
	}
}

func TestFakeTimers(t *testing.T) {
	c := NewFake(epoch)
	a := c.NewTimer(time.Minute)
	b := c.NewTimer(time.Hour)
	if got := c.Pending(); got != 2 {
		t.Fatalf("Pending() = %d, want 2", got)
	}

	c.Advance(59 * time.Second)
	if fired(a) || fired(b) {
		t.Fatal("a timer fired early")
	}
	c.Advance(time.Second)
	if !fired(a) {
		t.Fatal("the 1m timer did not fire at 1m")
	}
	if fired(b) {
		t.Fatal("the 1h timer fired at 1m")
	}
	if got, want := c.Now(), epoch.Add(time.Minute); !got.Equal(want) {
		t.Errorf("Now() = %v, want %v", got, want)
	}
	if a.Stop() {
		t.Error("Stop of a fired timer = true, want false")
	}
	if !b.Stop() {
		t.Error("Stop of a pending timer = false, want true")
	}
	c.Advance(2 * time.Hour)
	if fired(b) {
		t.Error("a stopped timer fired")
	}
	if got := c.Pending(); got != 0 {
		t.Errorf("Pending() = %d, want 0", got)
	}
}

func TestFakeSet(t *testing.T) {
	c := NewFake(epoch)
	tm := c.NewTimer(time.Hour)
	c.Set(epoch.Add(-time.Hour))
	if fired(tm) {
		t.Fatal("timer fired when the clock went back")
	}
	c.Set(epoch.Add(time.Hour))
	if !fired(tm) {
		t.Fatal("timer did not fire at its deadline")
	}
}

func TestFakeZeroTimerFiresAtOnce(t *testing.T) {
	c := NewFake(epoch)
	if tm := c.NewTimer(0); !fired(tm) {
		t.Error("a zero-duration timer did not fire at once")
	}
	if got := c.Pending(); got != 0 {
		t.Errorf("Pending() = %d, want 0", got)
	}
}

func TestFakeBlockUntil(t *testing.T) {
	c := NewFake(epoch)
	done := make(chan struct{})
	go func() {
		c.BlockUntil(2)
		close(done)
	}()
	c.NewTimer(time.Second)
	select {
	case <-done:
		t.Fatal("BlockUntil(2) returned with one timer pending")
	default:
	}
	c.NewTimer(time.Second)
	<-done

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.BlockUntilContext(ctx, 3); !errors.Is(err, context.Canceled) {
		t.Errorf("BlockUntilContext on a cancelled ctx = %v, want context.Canceled", err)
	}
	if err := c.BlockUntilContext(context.Background(), 2); err != nil {
		t.Errorf("BlockUntilContext(2) with 2 pending = %v", err)
	}
}
