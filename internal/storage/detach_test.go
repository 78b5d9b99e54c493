package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/storage"
)

func TestDetach(t *testing.T) {
	t.Run("outlives the cancellation by the grace", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		d, release := storage.Detach(ctx, time.Hour, 100*time.Millisecond)
		defer release()
		cancel()
		if d.Err() != nil {
			t.Fatal("detached context ended with its parent")
		}
		start := time.Now()
		<-d.Done()
		if took := time.Since(start); took < 80*time.Millisecond || took > 2*time.Second {
			t.Errorf("ended %v after the cancellation; want the grace", took)
		}
	})
	t.Run("ends at its limit", func(t *testing.T) {
		d, release := storage.Detach(context.Background(), 50*time.Millisecond, time.Hour)
		defer release()
		<-d.Done()
		if !errors.Is(d.Err(), context.DeadlineExceeded) {
			t.Errorf("err = %v", d.Err())
		}
	})
	t.Run("parent done already", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		d, release := storage.Detach(ctx, time.Hour, 50*time.Millisecond)
		defer release()
		select {
		case <-d.Done():
		case <-time.After(2 * time.Second):
			t.Fatal("not ended after the grace")
		}
	})
	t.Run("release ends it", func(t *testing.T) {
		d, release := storage.Detach(context.Background(), time.Hour, time.Hour)
		release()
		if d.Err() == nil {
			t.Error("still live after release")
		}
	})
}

func TestIdleTimeoutError(t *testing.T) {
	err := error(&storage.IdleTimeoutError{Timeout: 1500 * time.Millisecond})
	if !errors.Is(err, storage.ErrIdleTimeout) || err.Error() != "no byte moved for 1.5s (idle_timeout)" {
		t.Errorf("%v", err)
	}
}
