package main

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// The first SIGINT cancels the command's context; the second ends the one
// forceStop returns, which the daemon's shutdown heeds.
func TestNotifyStopTwoSignals(t *testing.T) {
	ctx, stop := notifyStop(context.Background())
	defer stop()
	force := forceStop(ctx)
	wait := func(c context.Context, what string) {
		t.Helper()
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			t.Fatalf("%s did not end", what)
		}
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	wait(ctx, "the command context after the first SIGINT")
	time.Sleep(50 * time.Millisecond)
	if force.Err() != nil {
		t.Fatal("one SIGINT ended the force context")
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	wait(force, "the force context after a second signal")
	if forceStop(context.Background()).Done() != nil {
		t.Error("a context notifyStop did not make has a force context that can end")
	}
}
