package lease

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/catalog/sqlite"
)

func openStore(t *testing.T) catalog.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func leaseOf(t *testing.T, s catalog.Store, name string) (catalog.Lease, bool) {
	t.Helper()
	ls, err := s.Leases(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.Name == name {
			return l, true
		}
	}
	return catalog.Lease{}, false
}

// The keeper takes this process's lease at once, pushes its expiry forward
// while it runs, and removes it on Stop.
func TestKeeperRenewsAndReleases(t *testing.T) {
	s := openStore(t)
	ttl := 600 * time.Millisecond
	k, err := Start(context.Background(), s, ttl, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if k.Name() != Self() {
		t.Fatalf("keeper holds %q, want this process's %q", k.Name(), Self())
	}
	first, ok := leaseOf(t, s, k.Name())
	if !ok || first.Holder != k.Name() {
		t.Fatalf("lease after Start = %+v, %v", first, ok)
	}
	time.Sleep(ttl) // about three renewals
	later, _ := leaseOf(t, s, k.Name())
	if !later.Expires.After(first.Expires) {
		t.Fatalf("lease not renewed: expires %v, then %v", first.Expires, later.Expires)
	}
	if err := k.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if l, ok := leaseOf(t, s, k.Name()); ok {
		t.Fatalf("lease after Stop = %+v, want it released", l)
	}
	if err := k.Stop(context.Background()); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}

// Of two holders, one runs a task at a time; the other is told who holds
// it, and gets it once the first returned.
func TestRunExclusive(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	ttl := 300 * time.Millisecond
	var running, overlaps atomic.Int32
	var wg sync.WaitGroup
	ranBy := make([]bool, 6)
	for i := range ranBy {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ran, cur, err := RunExclusive(ctx, s, "retention", OwnerName("host", i), ttl, nil, func(context.Context) {
				if running.Add(1) > 1 {
					overlaps.Add(1)
				}
				time.Sleep(2 * ttl) // outlives the TTL: renewals keep it
				running.Add(-1)
			})
			if err != nil {
				t.Errorf("RunExclusive: %v", err)
			}
			if !ran && cur.Holder == "" {
				t.Errorf("a refused RunExclusive did not say who holds the lease")
			}
			ranBy[i] = ran
		}()
	}
	wg.Wait()
	n := 0
	for _, r := range ranBy {
		if r {
			n++
		}
	}
	if n != 1 || overlaps.Load() != 0 {
		t.Fatalf("%d of 6 concurrent holders ran the task (%d overlaps), want exactly 1", n, overlaps.Load())
	}
	if _, ok := leaseOf(t, s, TaskPrefix+"retention"); ok {
		t.Fatal("task lease left after the task returned")
	}
	ran, _, err := RunExclusive(ctx, s, "retention", "other", ttl, nil, func(context.Context) {})
	if err != nil || !ran {
		t.Fatalf("RunExclusive after release = %v, %v; want it to run", ran, err)
	}
}
