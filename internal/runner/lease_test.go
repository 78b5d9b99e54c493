package runner

import (
	"context"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/clock"
	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/lease"
	"github.com/gosqlguard/gosqlguard/internal/owner"
	"github.com/gosqlguard/gosqlguard/internal/pipeline"
)

// takeLease records o's owner lease as expiring at expires.
func takeLease(t *testing.T, f *fixture, o owner.Owner, expires time.Time) string {
	t.Helper()
	name := lease.OwnerName(o.Record(), o.PID)
	now := expires.Add(-30 * time.Second)
	if _, ok, err := f.r.Catalog.AcquireLease(context.Background(), name, name, now, expires); err != nil || !ok {
		t.Fatalf("AcquireLease(%s) = %v, %v", name, ok, err)
	}
	return name
}

// With a shared catalog, a process with an owner lease is judged by it
// alone: while it is alive, another host's running backup blocks its job
// (the error names the host) and recovery leaves it, even a local one whose
// PID is gone; once it lapsed, recovery ends its backups as interrupted
// with the reason, and removes the lease.
func TestReclaimJudgesByOwnerLease(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, pipeline.Options{Codec: "zstd"})
	now := time.Now()

	other := foreign()
	alive := openAs(t, f, "db", other)
	takeLease(t, f, other, now.Add(time.Minute))
	deadButLeased := dead()
	leasedLocal := openAs(t, f, "crm", deadButLeased)
	takeLease(t, f, deadButLeased, now.Add(time.Minute))

	_, err := f.r.Open(ctx, f.job(&fakeDumper{content: sample()}))
	if !errors.Is(err, ErrAlreadyRunning) || !strings.Contains(err.Error(), "on host "+other.Host) {
		t.Fatalf("Open of a job another host's live lease runs = %v, want already running on host %s", err, other.Host)
	}
	rep, err := f.r.Reclaim(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Interrupted) != 0 || len(rep.Leased) != 1 || rep.Leased[0].ID != alive.ID {
		t.Fatalf("Reclaim with live leases: interrupted %d, leased %v; want nothing interrupted, %s leased", len(rep.Interrupted), ids(rep.Leased), alive.ID)
	}
	if b := status(t, f, leasedLocal.ID); b.Status != backup.StatusRunning {
		t.Fatalf("a backup whose owner's lease is alive became %s (its PID is gone, but the lease decides)", b.Status)
	}

	// The leases lapse: the next recovery ends both and removes the leases;
	// but not while this process has not itself reached the catalog for a
	// whole TTL (after an outage every lease has lapsed, live ones too):
	// then it neither ends those backups nor waits for them.
	openAs(t, f, "erp", other) // same owner, same lease
	f.r.Clock = clock.NewFake(now.Add(2 * time.Minute))
	f.r.LeaseJudge = func() bool { return false }
	rep, err = f.r.Reclaim(ctx)
	if err != nil || len(rep.Interrupted) != 0 || len(rep.LeasesRemoved) != 0 {
		t.Fatalf("Reclaim that cannot judge lapsed leases = %+v, %v; want nothing ended or removed", rep, err)
	}
	unjudged := f.job(&fakeDumper{content: sample()})
	unjudged.Database = "crm"
	if _, err := f.r.Open(ctx, unjudged); err != nil {
		t.Fatalf("Open of a job whose runner's lease lapsed, unjudged = %v; want it to start, not to wait", err)
	}
	if b := status(t, f, leasedLocal.ID); b.Status != backup.StatusRunning {
		t.Fatalf("an unjudged lapsed lease's backup became %s", b.Status)
	}
	f.r.LeaseJudge = func() bool { return true }
	rep, err = f.r.Reclaim(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Interrupted) != 3 || len(rep.LeasesRemoved) != 2 {
		t.Fatalf("Reclaim after the leases lapsed: interrupted %v, leases removed %v; want 3 and 2", ids(rep.Interrupted), rep.LeasesRemoved)
	}
	b := status(t, f, alive.ID)
	if b.Status != backup.StatusInterrupted || !strings.HasPrefix(b.Error, InterruptedReason+" (its lease expired at ") {
		t.Fatalf("backup of a lapsed lease: %s, %q; want interrupted because its lease expired", b.Status, b.Error)
	}
	if ls, err := f.r.Catalog.Leases(ctx, lease.OwnerPrefix); err != nil || len(ls) != 0 {
		t.Fatalf("owner leases left = %v, %v; want none", ls, err)
	}
	if _, err := f.r.Open(ctx, f.job(&fakeDumper{content: sample()})); err != nil {
		t.Fatalf("Open once the blocking lease lapsed = %v, want it to start", err)
	}
}

func ids(bs []*backup.Backup) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.ID)
	}
	return out
}

// hookDumper calls hook in the middle of its dump.
type hookDumper struct {
	fakeDumper
	hook func()
}

func (h *hookDumper) Dump(ctx context.Context, db string, w io.Writer) (dump.Info, error) {
	h.hook()
	return h.fakeDumper.Dump(ctx, db, w)
}

// A backup that another process ended while it ran (its lease lapsed: a
// replica took this one for dead) does not overwrite that end with its own:
// the row stays interrupted, its copies pending for the leftover sweep, and
// Run says so.
func TestRunKeepsAnEndRecordedByAnotherProcess(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, pipeline.Options{Codec: "zstd"})
	var b *backup.Backup
	d := &hookDumper{fakeDumper: fakeDumper{content: sample()}}
	d.hook = func() {
		if ok, err := f.r.Catalog.MarkInterrupted(ctx, b.ID, time.Now(), InterruptedReason+" (its lease expired at ...)"); err != nil || !ok {
			t.Errorf("MarkInterrupted = %v, %v", ok, err)
		}
	}
	job := f.job(d)
	var err error
	if b, err = f.r.Open(ctx, job); err != nil {
		t.Fatal(err)
	}
	err = f.r.Run(ctx, b, job)
	if !errors.Is(err, ErrTakenOver) {
		t.Fatalf("Run = %v, want ErrTakenOver", err)
	}
	got := status(t, f, b.ID)
	if got.Status != backup.StatusInterrupted || !strings.Contains(got.Error, "its lease expired") {
		t.Fatalf("row after Run = %s %q, want the interrupted end the other process recorded", got.Status, got.Error)
	}
	for _, l := range got.Locations {
		if l.Status != backup.LocationPending {
			t.Fatalf("location %s = %s, want pending (the leftover sweep removes what was stored)", l.Storage, l.Status)
		}
	}
	// Its copies were complete (object and manifest, checksum right): the
	// sweep gives the backup back its end rather than delete them.
	rep, err := f.r.SweepLeftovers(ctx, time.Hour, 0)
	if err != nil || len(rep.Cleaned) != 0 {
		t.Fatalf("SweepLeftovers = %+v, %v; want nothing removed", rep, err)
	}
	got = status(t, f, b.ID)
	if got.Status != backup.StatusSuccess || got.Error != "" || got.SHA256 == "" || got.Manifest == nil {
		t.Fatalf("row after the sweep = %s %q (sha %q); want success, adopted from its manifest", got.Status, got.Error, got.SHA256)
	}
	for _, l := range got.Locations {
		if l.Status != backup.LocationSuccess {
			t.Fatalf("location %s = %s, want success", l.Storage, l.Status)
		}
	}
	res, err := f.r.Verify(ctx, got, "")
	if err != nil {
		t.Fatalf("verify of the adopted backup: %v", err)
	}
	for _, v := range res {
		if v.Err != nil {
			t.Fatalf("verify of the adopted backup's copy in %s: %v", v.Storage, v.Err)
		}
	}
}

// flakyCatalog fails the first failures calls of Finish, as a catalog
// server that restarts does.
type flakyCatalog struct {
	catalog.Store
	failures atomic.Int32
}

// Finish is the backup's final write.
func (c *flakyCatalog) Finish(ctx context.Context, b *backup.Backup) error {
	if c.failures.Add(-1) >= 0 {
		return errors.New("connection refused")
	}
	return c.Store.Finish(ctx, b)
}

// A backup that ends while the catalog does not answer records its end
// once the catalog is back, rather than leave its row running (to be taken
// for a dead run and its copies swept).
func TestRunRecordsItsEndOnceTheCatalogIsBack(t *testing.T) {
	old := finalUpdateBackoff
	finalUpdateBackoff = 10 * time.Millisecond
	t.Cleanup(func() { finalUpdateBackoff = old })
	ctx := context.Background()
	f := newFixture(t, pipeline.Options{Codec: "zstd"})
	flaky := &flakyCatalog{Store: f.r.Catalog}
	flaky.failures.Store(3)
	f.r.Catalog = flaky
	job := f.job(&fakeDumper{content: sample()})
	b, err := f.r.Open(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.r.Run(ctx, b, job); err != nil {
		t.Fatalf("Run = %v, want the end recorded once the catalog answers", err)
	}
	if got := status(t, f, b.ID); got.Status != backup.StatusSuccess || got.Locations[0].Status != backup.LocationSuccess {
		t.Fatalf("row = %s, location %s; want success", got.Status, got.Locations[0].Status)
	}
}

// A run killed after it stored a complete copy in one storage, before it
// recorded its end, comes back partial from the sweep (that copy adopted,
// the other storage's leftovers removed); a copy whose checksum is not its
// manifest's is removed, not adopted.
func TestSweepAdoptsOnlyVerifiedCopies(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, pipeline.Options{Codec: "zstd"})
	killed := func(db string) *backup.Backup {
		t.Helper()
		job := f.job(&fakeDumper{content: sample()})
		job.Database = db
		b, err := f.r.Backup(ctx, job)
		if err != nil {
			t.Fatal(err)
		}
		// As its process left it: running, owned by a dead process, no copy
		// recorded.
		b.Status, b.FinishedAt, b.Error = backup.StatusRunning, nil, ""
		b.OwnerHost, b.OwnerPID = dead().Record(), deadPID
		for i := range b.Locations {
			b.Locations[i].Status = backup.LocationPending
		}
		if err := f.r.Catalog.Update(ctx, b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	partial := killed("db")
	two := f.stores[1]
	for _, key := range []string{partial.Locations[1].Key, backup.ManifestKey(partial)} {
		if err := two.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	forged := killed("crm")
	// The object no longer has the checksum its manifest records, at the
	// same size.
	obj := storedFile(t, "one", forged.Locations[0].Key)
	data, err := os.ReadFile(obj)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(obj, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(storedFile(t, "two", forged.Locations[1].Key)); err != nil {
		t.Fatal(err)
	}

	if rep, err := f.r.Reclaim(ctx); err != nil || len(rep.Interrupted) != 2 {
		t.Fatalf("Reclaim = %+v, %v; want both interrupted", rep, err)
	}
	rep, err := f.r.SweepLeftovers(ctx, time.Hour, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	got := status(t, f, partial.ID)
	if got.Status != backup.StatusPartial || got.Locations[0].Status != backup.LocationSuccess || got.Locations[1].Status != backup.LocationFailed {
		t.Fatalf("the run with one complete copy: %s, locations %+v; want partial, one success, two failed", got.Status, got.Locations)
	}
	if _, err := f.stores[0].Stat(ctx, partial.Locations[0].Key); err != nil {
		t.Fatalf("the adopted copy went: %v", err)
	}
	got = status(t, f, forged.ID)
	if got.Status != backup.StatusInterrupted || !slices.Contains(rep.Cleaned, forged.ID) {
		t.Fatalf("the run whose copy fails its checksum: %s (cleaned %v); want interrupted and its files removed", got.Status, rep.Cleaned)
	}
	if _, err := f.stores[0].Stat(ctx, forged.Locations[0].Key); err == nil {
		t.Fatal("the copy that fails its checksum is still there")
	}
}

// A backup whose end cannot be recorded within finalUpdateWindow goes on
// trying in the background, so that its row does not stay running (and
// its job refused as running) for as long as the process lives.
func TestRunRecordsItsEndLaterAfterALongOutage(t *testing.T) {
	oldWindow, oldBackoff, oldLater := finalUpdateWindow, finalUpdateBackoff, laterRetry
	finalUpdateWindow, finalUpdateBackoff, laterRetry = 50*time.Millisecond, 10*time.Millisecond, 20*time.Millisecond
	t.Cleanup(func() { finalUpdateWindow, finalUpdateBackoff, laterRetry = oldWindow, oldBackoff, oldLater })
	ctx := context.Background()
	f := newFixture(t, pipeline.Options{Codec: "zstd"})
	flaky := &flakyCatalog{Store: f.r.Catalog}
	flaky.failures.Store(20)
	f.r.Catalog = flaky
	job := f.job(&fakeDumper{content: sample()})
	b, err := f.r.Open(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.r.Run(ctx, b, job); err == nil {
		t.Fatal("Run = nil while the catalog refused every update of its window")
	}
	deadline := time.Now().Add(5 * time.Second)
	for status(t, f, b.ID).Status == backup.StatusRunning {
		if time.Now().After(deadline) {
			t.Fatal("the backup's end was never recorded once the catalog answered again")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := status(t, f, b.ID); got.Status != backup.StatusSuccess {
		t.Fatalf("row = %s, want success", got.Status)
	}
	if _, err := f.r.Open(ctx, job); err != nil {
		t.Fatalf("the job after its end was recorded: %v", err)
	}
}
