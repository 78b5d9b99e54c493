// Package catalogtest is the conformance suite of catalog.Store: every
// implementation's tests call Run with a function that opens an empty store,
// so that another catalog (a shared SQL server, say) is held to the same
// contract as the embedded one.
package catalogtest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

// Open returns a new, empty store; the suite closes it when the test ends.
type Open func(t *testing.T) catalog.Store

// Run runs the suite against the stores open returns, one per subtest.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s catalog.Store)
	}{
		{"InsertGetUpdate", testInsertGetUpdate},
		{"ListFilters", testListFilters},
		{"JobsEmpty", testJobsEmpty},
		{"JobsOutcomes", testJobsOutcomes},
		{"JobsDrills", testJobsDrills},
		{"JobsDrillCases", testJobsDrillCases},
		{"JobsMatchList", testJobsMatchList},
		{"Storages", testStorages},
		{"Progress", testProgress},
		{"Finish", testFinish},
		{"Claims", testClaims},
		{"Leases", testLeases},
		{"DeletedRows", testDeletedRows},
		{"CursorStableUnderInserts", testCursorStableUnderInserts},
		{"ConcurrentWriters", testConcurrentWriters},
		{"QueryFoldsCase", testQueryFoldsCase},
		{"NamesRoundTrip", testNamesRoundTrip},
		{"IDsWithPrefix", testIDsWithPrefix},
		{"Audit", testAudit},
		{"AuditCursorStableUnderInserts", testAuditCursorStableUnderInserts},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { _ = s.Close() })
			tc.fn(t, s)
		})
	}
}

// t0 is the start of the first fixture backup.
var t0 = time.Date(2025, 3, 1, 2, 30, 0, 123456789, time.UTC)

// ID returns a valid, time-sortable backup ID for a backup started at ts;
// n makes it unique among backups started in the same millisecond.
func ID(ts time.Time, n int) string {
	return ts.UTC().Format("20060102T150405.000Z") + fmt.Sprintf("-%012x", n)
}

// NewBackup returns a finished backup of server/database/typ started at
// started with status st and, unless st is running, a complete copy in
// storage "local" of 1000 stored bytes.
func NewBackup(started time.Time, n int, server, database, typ string, st backup.Status) *backup.Backup {
	b := &backup.Backup{
		ID: ID(started, n), Server: server, Database: database, Type: typ, Status: st,
		StartedAt: started, RawBytes: 4000, StoredBytes: 1000, Compression: "zstd",
		Locations: []backup.Location{},
	}
	if st != backup.StatusRunning {
		fin := started.Add(time.Minute)
		b.FinishedAt = &fin
		b.Locations = []backup.Location{{Storage: "local", Key: backup.ObjectKey(b, "sql.zst"), Status: backup.LocationSuccess}}
	}
	if st != backup.StatusSuccess && st != backup.StatusRunning {
		b.Error = "dump of " + database + " " + string(st)
	}
	return b
}

func mustInsert(t *testing.T, s catalog.Store, bs ...*backup.Backup) {
	t.Helper()
	for _, b := range bs {
		if err := s.Insert(context.Background(), b); err != nil {
			t.Fatalf("Insert(%s): %v", b.ID, err)
		}
	}
}

// drill records a drill of backupID started at at and, unless st is
// catalog.DrillRunning, finishes it with status st and diffs differences.
func drill(t *testing.T, s catalog.Store, backupID string, at time.Time, st backup.DrillStatus, diffs ...string) {
	t.Helper()
	ctx := context.Background()
	d := &catalog.DrillRecord{BackupID: backupID, Scratch: "gosqlguard_drill_" + fmt.Sprint(at.UnixNano()),
		Drill: backup.Drill{At: at, Server: "drill-target"}}
	if err := s.InsertDrill(ctx, d); err != nil {
		t.Fatalf("InsertDrill(%s): %v", backupID, err)
	}
	if st == catalog.DrillRunning {
		return
	}
	d.Status, d.Seconds, d.Compared, d.Differences = st, 2.5, true, append([]string{}, diffs...)
	if st == backup.DrillFailure && len(diffs) == 0 {
		d.Error = "restore failed"
	}
	if err := s.FinishDrill(ctx, d); err != nil {
		t.Fatalf("FinishDrill(%s): %v", backupID, err)
	}
}

func ids(bs []*backup.Backup) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.ID
	}
	return out
}

func testInsertGetUpdate(t *testing.T, s catalog.Store) {
	ctx := context.Background()
	b := NewBackup(t0, 1, "srv", "shop", "daily", backup.StatusRunning)
	mustInsert(t, s, b)
	if err := s.Insert(ctx, b); err == nil {
		t.Errorf("a second Insert of %s succeeded", b.ID)
	}
	got, err := s.Get(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != backup.StatusRunning || !got.StartedAt.Equal(t0) || len(got.Locations) != 0 {
		t.Errorf("Get = %+v, want running since %v, no locations", got, t0)
	}
	fin := *NewBackup(t0, 1, "srv", "shop", "daily", backup.StatusSuccess)
	if err := s.Update(ctx, &fin); err != nil {
		t.Fatal(err)
	}
	got, err = s.Get(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != backup.StatusSuccess || got.FinishedAt == nil || !reflect.DeepEqual(got.Locations, fin.Locations) {
		t.Errorf("after Update: %+v, want success with %+v", got, fin.Locations)
	}
	missing := NewBackup(t0, 2, "srv", "shop", "daily", backup.StatusSuccess)
	if err := s.Update(ctx, missing); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("Update of an unknown ID: %v, want ErrNotFound", err)
	}
	if _, err := s.Get(ctx, missing.ID); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("Get of an unknown ID: %v, want ErrNotFound", err)
	}
}

func testListFilters(t *testing.T, s catalog.Store) {
	ctx := context.Background()
	a := NewBackup(t0, 1, "srv", "shop", "daily", backup.StatusSuccess)
	b := NewBackup(t0.Add(time.Hour), 2, "srv", "crm", "daily", backup.StatusFailed)
	c := NewBackup(t0.Add(2*time.Hour), 3, "other", "Shop", "weekly", backup.StatusSuccess)
	c.Locations[0].Storage = "offsite"
	mustInsert(t, s, a, b, c)
	for _, tc := range []struct {
		name string
		f    catalog.Filter
		want []string
	}{
		{"all, newest first", catalog.Filter{}, []string{c.ID, b.ID, a.ID}},
		{"server", catalog.Filter{Server: "srv"}, []string{b.ID, a.ID}},
		{"status", catalog.Filter{Status: backup.StatusFailed}, []string{b.ID}},
		{"storage", catalog.Filter{Storage: "offsite"}, []string{c.ID}},
		{"query folds case", catalog.Filter{Query: "SHOP"}, []string{c.ID, a.ID}},
		{"before and limit", catalog.Filter{Before: c.ID, Limit: 1}, []string{b.ID}},
	} {
		got, err := s.List(ctx, tc.f)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !reflect.DeepEqual(ids(got), tc.want) {
			t.Errorf("%s: List = %v, want %v", tc.name, ids(got), tc.want)
		}
	}
}
