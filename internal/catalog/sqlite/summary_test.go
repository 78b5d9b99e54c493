package sqlite

import (
	"context"
	"testing"

	sqlite "modernc.org/sqlite"

	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/catalog/catalogtest"
)

// fillJobs adds n backups spread over 4 jobs of one server (success,
// failed and partial in turn), each with a complete copy in storage local
// and a long error text, and a successful drill of 4 of them: in one
// statement each, as a catalog of years of backups would be slow to build
// one Insert at a time.
func fillJobs(tb testing.TB, s *Store, n int) {
	tb.Helper()
	ctx := context.Background()
	for _, q := range []string{
		`WITH RECURSIVE i(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n + 1 < ?)
		INSERT INTO backups (id, server, "database", type, status, started_at, finished_at, stored_bytes, error)
		SELECT printf('20250301T000000.000Z-%012x', n), 'srv', 'db' || (n % 4), 'daily',
			CASE n % 3 WHEN 0 THEN 'success' WHEN 1 THEN 'failed' ELSE 'partial' END,
			'2025-03-01T00:00:00.000000000Z', '2025-03-01T00:01:00.000000000Z', 1000,
			CASE n % 3 WHEN 0 THEN '' ELSE printf('dump failed: %0100d', n) END
		FROM i`,
		`INSERT INTO locations (backup_id, storage, position, "key", status)
		SELECT id, 'local', 0, 'srv/' || "database" || '/' || id || '.sql.zst', 'success' FROM backups`,
		`INSERT INTO drills (backup_id, started_at, status, server, scratch)
		SELECT id, '2025-03-02T00:00:00.000000000Z', 'success', 'srv', 'gosqlguard_drill_' || id
		FROM backups WHERE id IN (SELECT MAX(id) FROM backups GROUP BY "database")`,
	} {
		if _, err := s.db.ExecContext(ctx, q, n); err != nil {
			tb.Fatalf("fill %d backups: %v", n, err)
		}
	}
}

// pagesFetched returns how many database pages fn made the store's one
// connection fetch (from its cache or the file): a measure of the rows and
// index entries a query reads that does not depend on timing.
func pagesFetched(t *testing.T, s *Store, fn func()) int {
	t.Helper()
	ctx := context.Background()
	read := func(reset bool) int {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		n := 0
		err = c.Raw(func(dc any) error {
			st, ok := dc.(sqlite.DBStatus)
			if !ok {
				t.Skip("the driver does not expose sqlite3_db_status")
			}
			for _, op := range []sqlite.DBStatusOp{sqlite.DBStatusCacheHit, sqlite.DBStatusCacheMiss} {
				cur, _, err := st.Status(op, reset)
				if err != nil {
					return err
				}
				n += cur
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	read(true)
	fn()
	return read(false)
}

// TestJobsDoesNotReadEveryBackup: the job list reads a few index entries
// per job, so a catalog 50 times larger costs it a few more pages (the
// index grows a level), where listing every backup costs 50 times more.
func TestJobsDoesNotReadEveryBackup(t *testing.T) {
	ctx := context.Background()
	measure := func(n int) (jobs, list int) {
		s := openStore(t)
		s.db.SetMaxOpenConns(1) // one connection, whose counters we read
		fillJobs(t, s, n)
		jobs = pagesFetched(t, s, func() {
			js, err := s.Jobs(ctx)
			if err != nil || len(js) != 4 || js[0].LastDrillSuccess == nil {
				t.Fatalf("Jobs = %+v, %v; want 4 jobs with a drill", js, err)
			}
		})
		list = pagesFetched(t, s, func() {
			if _, err := s.List(ctx, catalog.Filter{}); err != nil {
				t.Fatal(err)
			}
		})
		t.Logf("%d backups: Jobs fetched %d pages, List %d", n, jobs, list)
		return jobs, list
	}
	smallJobs, smallList := measure(200)
	bigJobs, bigList := measure(10000)
	if bigList < 10*smallList {
		t.Fatalf("List fetched %d pages for 10000 backups, %d for 200: the measure does not see rows read", bigList, smallList)
	}
	if bigJobs > 2*smallJobs {
		t.Errorf("Jobs fetched %d pages for 10000 backups, %d for 200: it reads every backup", bigJobs, smallJobs)
	}
}

// BenchmarkJobs compares the job list read from the catalog (Jobs) with the
// way it was computed before, by folding every backup List returns, on a
// catalog of 10,000 backups of 4 jobs. Run it with
//
//	go test -run '^$' -bench BenchmarkJobs -benchmem ./internal/catalog/sqlite/
func BenchmarkJobs(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, b.TempDir()+"/catalog.db")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	fillJobs(b, s, 10000)
	b.Run("Jobs", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Jobs(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ListAndFold", func(b *testing.B) {
		for b.Loop() {
			all, err := s.List(ctx, catalog.Filter{})
			if err != nil {
				b.Fatal(err)
			}
			catalogtest.FoldJobs(all)
		}
	})
}
