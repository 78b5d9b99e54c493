package catalogtest

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

// fullBackup returns a finished, encrypted backup of server/database with
// every field set, two locations and a manifest.
func fullBackup(started time.Time, n int, server, database string) *backup.Backup {
	b := NewBackup(started, n, server, database, "daily", backup.StatusSuccess)
	b.SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	b.Encrypted = true
	b.OwnerHost, b.OwnerPID = "db1 boot 5f0c2a8e start 4711", 31337
	b.Locations = append(b.Locations, backup.Location{Storage: "offsite", Key: "k/" + b.ID, Status: backup.LocationFailed, Error: "disk full"})
	b.Manifest = &backup.Manifest{FormatVersion: backup.ManifestFormatVersion, ID: b.ID, Server: server, Database: database, Type: "daily"}
	return b
}

// same reports the differences between a stored backup and what was written.
func same(t *testing.T, got, want *backup.Backup) {
	t.Helper()
	w := *want
	w.Warnings = w.Manifest.WarningList()
	g := *got
	g.Drill = nil
	if !reflect.DeepEqual(&g, &w) {
		t.Errorf("stored backup differs:\n got %+v\nwant %+v", g, w)
	}
}

// Deleted backups stay listed with when and why; they count as jobs' last
// backups but not as storage usage.
func testDeletedRows(t *testing.T, s catalog.Store) {
	ctx := context.Background()
	keep := fullBackup(t0, 1, "srv", "shop")
	del := fullBackup(t0.Add(time.Hour), 2, "srv", "shop")
	mustInsert(t, s, keep, del)
	at := t0.Add(15 * 24 * time.Hour)
	del.Status, del.DeletedAt, del.DeleteReason = backup.StatusDeleted, &at, "retention: older than 14d"
	for i := range del.Locations {
		del.Locations[i].Status = backup.LocationDeleted
	}
	if err := s.Update(ctx, del); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, del.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, got, del)
	list, err := s.List(ctx, catalog.Filter{Status: backup.StatusDeleted})
	if err != nil || len(list) != 1 || list[0].DeleteReason != del.DeleteReason || !list[0].DeletedAt.Equal(at) {
		t.Fatalf("List(deleted) = %+v, %v", list, err)
	}
	if all, err := s.List(ctx, catalog.Filter{Query: "shop"}); err != nil || !slices.Equal(ids(all), []string{del.ID, keep.ID}) {
		t.Errorf("List(shop) = %v, %v; want the deleted and the kept one", ids(all), err)
	}
	st, err := s.Storages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 1 || st[0].Storage != "local" || st[0].Backups != 1 || st[0].Bytes != keep.StoredBytes {
		t.Errorf("Storages = %+v, want local with the kept backup only", st)
	}
	js, err := s.Jobs(ctx)
	if err != nil || len(js) != 1 || js[0].Last == nil || js[0].Last.ID != del.ID ||
		js[0].LastSuccess == nil || js[0].LastSuccess.ID != keep.ID {
		t.Errorf("Jobs = %+v, %v; want last %s (deleted), last success %s", js, err, del.ID, keep.ID)
	}
}

// Paging with Before while newer backups arrive returns every older backup
// exactly once, in order.
func testCursorStableUnderInserts(t *testing.T, s catalog.Store) {
	ctx := context.Background()
	var old []string
	for i := range 23 {
		b := NewBackup(t0.Add(time.Duration(i)*time.Minute), i, "srv", "shop", "daily", backup.StatusSuccess)
		mustInsert(t, s, b)
		old = append(old, b.ID)
	}
	slices.Reverse(old)
	var seen []string
	before, n := "", 1000
	for page := 0; page < 10; page++ {
		got, err := s.List(ctx, catalog.Filter{Server: "srv", Before: before, Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			break
		}
		seen = append(seen, ids(got)...)
		before = got[len(got)-1].ID
		// Newer backups, and one of another job, arrive between pages.
		n++
		mustInsert(t, s, NewBackup(t0.Add(time.Duration(n)*time.Hour), n, "srv", "shop", "daily", backup.StatusRunning),
			NewBackup(t0.Add(time.Duration(n)*time.Hour), n+500, "srv", "crm", "daily", backup.StatusSuccess))
	}
	if !slices.Equal(seen, old) {
		t.Errorf("pages gave %v,\nwant %v", seen, old)
	}
}

// Writers of different backups do not get in each other's way, and of
// concurrent InsertUnlessRunning calls for one job exactly one passes.
func testConcurrentWriters(t *testing.T, s catalog.Store) {
	ctx := context.Background()
	const writers, each = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers+16)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				b := fullBackup(t0.Add(time.Duration(i)*time.Minute), w*1000+i, fmt.Sprintf("server-%d", w), "shop")
				b.Status = backup.StatusRunning
				if err := s.Insert(ctx, b); err != nil {
					errs <- fmt.Errorf("writer %d insert %d: %w", w, i, err)
					return
				}
				b.Status = backup.StatusSuccess
				b.Locations = b.Locations[:1]
				if err := s.Update(ctx, b); err != nil {
					errs <- fmt.Errorf("writer %d update %d: %w", w, i, err)
					return
				}
			}
		})
	}
	block := func(*backup.Backup) (string, bool) { return "", true }
	for round := range 3 {
		var passed atomic.Int32
		var rw sync.WaitGroup
		for c := range 8 {
			rw.Go(func() {
				b := NewBackup(t0.Add(time.Duration(round)*time.Hour), 10000+round*100+c, "race", "shop", "daily", backup.StatusRunning)
				blocker, _, err := s.InsertUnlessRunning(ctx, b, block)
				switch {
				case err != nil:
					errs <- fmt.Errorf("InsertUnlessRunning %d/%d: %w", round, c, err)
				case blocker == nil:
					passed.Add(1)
				}
			})
		}
		rw.Wait()
		if n := passed.Load(); n != 1 {
			t.Errorf("round %d: %d of 8 concurrent InsertUnlessRunning passed, want exactly 1", round, n)
		}
		// End the round's winner so that the next round can pass.
		running, err := s.List(ctx, catalog.Filter{Server: "race", Status: backup.StatusRunning})
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range running {
			if _, err := s.MarkInterrupted(ctx, b.ID, t0.Add(48*time.Hour), "test round over"); err != nil {
				t.Fatal(err)
			}
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for w := range writers {
		got, err := s.List(ctx, catalog.Filter{Server: fmt.Sprintf("server-%d", w)})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != each {
			t.Errorf("server-%d: %d backups, want %d", w, len(got), each)
		}
		for _, b := range got {
			if b.Status != backup.StatusSuccess || len(b.Locations) != 1 {
				t.Errorf("%s: %s with %d locations, want success with 1", b.ID, b.Status, len(b.Locations))
			}
		}
	}
	if got, err := s.List(ctx, catalog.Filter{Server: "race"}); err != nil || len(got) != 3 {
		t.Errorf("race job: %d backups, %v; want 3 (one per round)", len(got), err)
	}
}

// Free text matches ID, server, database, type and error whatever the case
// (ASCII at least), and its % and _ are plain characters.
func testQueryFoldsCase(t *testing.T, s catalog.Store) {
	ctx := context.Background()
	a := NewBackup(t0, 1, "Main-MySQL", "ShopEU", "Daily", backup.StatusSuccess)
	b := NewBackup(t0.Add(time.Hour), 2, "pg", "crm", "weekly", backup.StatusFailed)
	b.Error = "Access DENIED for user 'backup'@'%'"
	c := NewBackup(t0.Add(2*time.Hour), 3, "pg", "a%b_c", "weekly", backup.StatusSuccess)
	mustInsert(t, s, a, b, c)
	for q, want := range map[string][]string{
		"shopeu":        {a.ID},
		"SHOPeu":        {a.ID},
		"main-mysql":    {a.ID},
		"DAILY":         {a.ID},
		"access denied": {b.ID},
		"'%'":           {b.ID},
		"%b":            {c.ID},
		"b_c":           {c.ID},
		"a_b":           {},
		"WEEKLY":        {c.ID, b.ID},
		a.ID[:8]:        {c.ID, b.ID, a.ID},
		"nothing":       {},
	} {
		got, err := s.List(ctx, catalog.Filter{Query: q})
		if err != nil {
			t.Fatalf("Query %q: %v", q, err)
		}
		if !slices.Equal(ids(got), want) {
			t.Errorf("Query %q = %v, want %v", q, ids(got), want)
		}
	}
}

// Names with quotes, backslashes, wildcards and non-ASCII letters are
// stored and found as they are.
func testNamesRoundTrip(t *testing.T, s catalog.Store) {
	ctx := context.Background()
	server, database, typ, storage := `o'brien "q"`, `db\x %_ ünïcödé 日本`, "ty'pe", `st"or\age`
	b := fullBackup(t0, 1, server, database)
	b.Type = typ
	b.Manifest.Type = typ
	b.Locations[0].Storage = storage
	b.Error = `it said: 'no' "never" \n 100%`
	b.Locations[1].Key = `k/日本/'"\%_`
	// "P" sorts before "o" byte for byte, after it in a case-folding order.
	other := NewBackup(t0.Add(time.Hour), 2, "P", "db", "daily", backup.StatusSuccess)
	mustInsert(t, s, b, other)
	got, err := s.Get(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, got, b)
	for _, f := range []catalog.Filter{
		{Server: server}, {Database: database}, {Type: typ}, {Storage: storage},
		{Server: server, Database: database, Type: typ}, {Query: "ünïcödé"}, {Query: `\x %_`},
	} {
		got, err := s.List(ctx, f)
		if err != nil || !slices.Equal(ids(got), []string{b.ID}) {
			t.Errorf("List(%+v) = %v, %v; want %s", f, ids(got), err, b.ID)
		}
	}
	js, err := s.Jobs(ctx)
	if err != nil || len(js) != 2 || js[0].Server != "P" || js[1].Server != server || js[1].Database != database || js[1].Type != typ {
		t.Errorf("Jobs = %+v, %v; want P's job, then %q/%q/%q (byte order)", js, err, server, database, typ)
	}
	st, err := s.Storages(ctx)
	if err != nil || len(st) != 2 || st[1].Storage != storage {
		t.Errorf("Storages = %+v, %v; want local then %q", st, err, storage)
	}
}

// IDsWithPrefix compares byte for byte and limits as asked.
func testIDsWithPrefix(t *testing.T, s catalog.Store) {
	ctx := context.Background()
	var all []string
	for i := range 5 {
		b := NewBackup(t0.Add(time.Duration(i)*time.Second), i, "srv", "shop", "daily", backup.StatusSuccess)
		mustInsert(t, s, b)
		all = append(all, b.ID)
	}
	for _, tc := range []struct {
		prefix string
		limit  int
		want   []string
		total  int
	}{
		{all[0][:10], 0, all, 5},
		{all[0][:10], 2, all[:2], 5},
		{all[3], 0, all[3:4], 1},
		{"%", 0, []string{}, 0},
		{"_0250301", 0, []string{}, 0},
		{"2025030" + "%", 0, []string{}, 0},
	} {
		got, total, err := s.IDsWithPrefix(ctx, tc.prefix, tc.limit)
		if err != nil || !slices.Equal(got, tc.want) || total != tc.total {
			t.Errorf("IDsWithPrefix(%q, %d) = %v, %d, %v; want %v, %d", tc.prefix, tc.limit, got, total, err, tc.want, tc.total)
		}
	}
}
