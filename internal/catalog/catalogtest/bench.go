package catalogtest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

// BenchBackups is how many backups Bench seeds the catalog with.
const BenchBackups = 10000

// Bench measures catalog operations on a store of BenchBackups backups (40
// jobs, mixed outcomes, two storages), which open returns empty; it reports
// ops/s per operation. Each driver package calls it from BenchmarkCatalog.
// Rerun and record the figures in docs/performance.md ("Catalog") with:
//
//	go test -run '^$' -bench . -benchtime 2s ./internal/catalog/...
func Bench(b *testing.B, open func(b *testing.B) catalog.Store) {
	ctx := context.Background()
	s := open(b)
	b.Cleanup(func() { _ = s.Close() })
	start := time.Now()
	all := seed(b, s)
	b.Logf("seeded %d backups in %s", len(all), time.Since(start).Round(time.Millisecond))
	// What the server does on its own a little after many writes.
	if a, ok := s.(interface{ Analyze(context.Context) error }); ok {
		if err := a.Analyze(ctx); err != nil {
			b.Fatal(err)
		}
	}
	mid := all[len(all)/2].ID

	list := func(name string, f catalog.Filter) {
		b.Run("List/"+name, func(b *testing.B) {
			for b.Loop() {
				got, err := s.List(ctx, f)
				if err != nil || len(got) == 0 {
					b.Fatalf("List(%+v) = %d backups, %v", f, len(got), err)
				}
			}
			opsPerSecond(b)
		})
	}
	list("server+type", catalog.Filter{Server: "server-2", Type: "weekly", Limit: 50})
	list("status", catalog.Filter{Status: backup.StatusFailed, Limit: 50})
	list("storage", catalog.Filter{Storage: "offsite", Limit: 50})
	list("free-text", catalog.Filter{Query: "TIMEOUT", Limit: 50})
	list("page", catalog.Filter{Before: mid, Limit: 50})

	b.Run("Get", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := s.Get(ctx, all[i%len(all)].ID); err != nil {
				b.Fatal(err)
			}
			i += 7919
		}
		opsPerSecond(b)
	})
	b.Run("Update", func(b *testing.B) {
		i := 0
		for b.Loop() {
			u := *all[i%len(all)]
			u.StoredBytes++
			if err := s.Update(ctx, &u); err != nil {
				b.Fatal(err)
			}
			i += 7919
		}
		opsPerSecond(b)
	})
	b.Run("Insert", func(b *testing.B) {
		n := 0
		for b.Loop() {
			n++
			nb := NewBackup(t0.Add(time.Duration(BenchBackups+n)*time.Minute), 1_000_000+n, "bench", "shop", "daily", backup.StatusRunning)
			if err := s.Insert(ctx, nb); err != nil {
				b.Fatal(err)
			}
		}
		opsPerSecond(b)
	})
	b.Run("Jobs", func(b *testing.B) {
		for b.Loop() {
			if js, err := s.Jobs(ctx); err != nil || len(js) < 40 {
				b.Fatalf("Jobs = %d, %v", len(js), err)
			}
		}
		opsPerSecond(b)
	})
}

func opsPerSecond(b *testing.B) {
	if e := b.Elapsed().Seconds(); e > 0 {
		b.ReportMetric(float64(b.N)/e, "ops/s")
	}
}

// seed inserts BenchBackups backups through the Store, from 8 writers at
// once, and returns them oldest first.
func seed(b *testing.B, s catalog.Store) []*backup.Backup {
	ctx := context.Background()
	statuses := []backup.Status{backup.StatusSuccess, backup.StatusSuccess, backup.StatusSuccess,
		backup.StatusFailed, backup.StatusPartial, backup.StatusSuccess, backup.StatusInterrupted}
	all := make([]*backup.Backup, BenchBackups)
	for i := range all {
		job := i % 40
		nb := NewBackup(t0.Add(time.Duration(i)*time.Minute), i,
			fmt.Sprintf("server-%d", job%5), fmt.Sprintf("db%d", job/5%4), []string{"daily", "weekly"}[job/20],
			statuses[i%len(statuses)])
		if i%3 == 0 {
			nb.Locations = append(nb.Locations, backup.Location{Storage: "offsite", Key: "o/" + nb.ID, Status: backup.LocationSuccess})
		}
		if nb.Status == backup.StatusFailed {
			nb.Error = "mysqldump: Lost connection: timeout after 30s"
		}
		all[i] = nb
	}
	const writers = 8
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := w; i < len(all); i += writers {
				if err := s.Insert(ctx, all[i]); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatalf("seed: %v", err)
	}
	return all
}
