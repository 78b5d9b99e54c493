package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/owner"
	"github.com/gosqlguard/gosqlguard/internal/pipeline"
)

// deadPID is above pid_max: no process has it.
const deadPID = 1<<22 + 12345

// openAs records a running backup of the fixture's job (database db) as
// process o would have opened it.
func openAs(t *testing.T, f *fixture, db string, o owner.Owner) *backup.Backup {
	t.Helper()
	now := time.Now().UTC()
	b := &backup.Backup{ID: backup.NewID(now), Server: "srv", Database: db, Type: "manual",
		Status: backup.StatusRunning, StartedAt: now, Compression: "zstd", OwnerHost: o.Record(), OwnerPID: o.PID}
	for _, s := range f.r.Storages {
		b.Locations = append(b.Locations, backup.Location{Storage: s.Name(), Key: backup.ObjectKey(b, "sql.zst"), Status: backup.LocationPending})
	}
	if err := f.r.Catalog.Insert(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	return b
}

func dead() owner.Owner {
	o := owner.Self()
	o.PID, o.Start = deadPID, ""
	return o
}

func foreign() owner.Owner {
	o := owner.Self()
	o.Host += "-elsewhere"
	return o
}

func status(t *testing.T, f *fixture, id string) *backup.Backup {
	t.Helper()
	b, err := f.r.Catalog.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A job that a live process runs is not started twice; the error names
// the running backup. Running rows of the job whose process is gone are
// ended on the way, and those of another host (or an older version, which
// recorded no process) do not lock the job out.
func TestOpenAlreadyRunning(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, pipeline.Options{Codec: "zstd"})
	live, err := f.r.Open(ctx, f.job(&fakeDumper{content: sample()}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.r.Open(ctx, f.job(&fakeDumper{content: sample()}))
	want := fmt.Sprintf("already running: backup %s of srv/db/manual started %s by pid %d",
		live.ID, live.StartedAt.UTC().Format(time.RFC3339), os.Getpid())
	if !errors.Is(err, ErrAlreadyRunning) || err.Error() != want {
		t.Fatalf("second Open = %v, want %q", err, want)
	}
	other := f.job(&fakeDumper{content: sample()})
	other.Database = "crm"
	if _, err := f.r.Open(ctx, other); err != nil {
		t.Errorf("Open of another database of the server = %v, want it to start", err)
	}
	if err := f.r.Run(ctx, live, f.job(&fakeDumper{content: sample()})); err != nil {
		t.Fatal(err)
	}
	// The job is free again; a dead run, a foreign one and a legacy one do not block it.
	killed := openAs(t, f, "db", dead())
	far := openAs(t, f, "db", foreign())
	legacy := openAs(t, f, "db", owner.Owner{})
	b, err := f.r.Open(ctx, f.job(&fakeDumper{content: sample()}))
	if err != nil {
		t.Fatalf("Open with dead, foreign and legacy rows = %v, want it to start", err)
	}
	if b.OwnerHost != owner.Self().Record() || b.OwnerPID != os.Getpid() {
		t.Errorf("owner = %q %d, want this process", b.OwnerHost, b.OwnerPID)
	}
	for _, id := range []string{killed.ID, legacy.ID} {
		got := status(t, f, id)
		if got.Status != backup.StatusInterrupted || !strings.HasPrefix(got.Error, InterruptedReason+" (") {
			t.Errorf("%s after Open: %s %q, want interrupted", id, got.Status, got.Error)
		}
	}
	if got := status(t, f, far.ID); got.Status != backup.StatusRunning {
		t.Errorf("another host's backup is %s, want left running", got.Status)
	}
}

// Reclaim ends only the running backups whose process is gone.
func TestReclaim(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, pipeline.Options{Codec: "zstd"})
	ids := map[string]string{}
	for name, o := range map[string]owner.Owner{
		"live": owner.Self(), "dead": dead(), "foreign": foreign(), "legacy": {},
	} {
		ids[name] = openAs(t, f, name, o).ID
	}
	rep, err := f.r.Reclaim(ctx)
	if err != nil {
		t.Fatal(err)
	}
	idsOf := func(bs []*backup.Backup) []string {
		var out []string
		for _, b := range bs {
			out = append(out, b.Database)
		}
		slices.Sort(out)
		return out
	}
	if got := idsOf(rep.Interrupted); !slices.Equal(got, []string{"dead", "legacy"}) {
		t.Errorf("interrupted %v, want dead and legacy", got)
	}
	if got := idsOf(rep.Live); !slices.Equal(got, []string{"live"}) {
		t.Errorf("live %v", got)
	}
	if got := idsOf(rep.Foreign); !slices.Equal(got, []string{"foreign"}) {
		t.Errorf("foreign %v", got)
	}
	for name, want := range map[string]backup.Status{
		"live": backup.StatusRunning, "dead": backup.StatusInterrupted, "foreign": backup.StatusRunning, "legacy": backup.StatusInterrupted,
	} {
		b := status(t, f, ids[name])
		if b.Status != want {
			t.Errorf("%s: %s, want %s", name, b.Status, want)
		}
		if want == backup.StatusInterrupted && (b.FinishedAt == nil || !strings.HasPrefix(b.Error, InterruptedReason)) {
			t.Errorf("%s: finished %v, error %q", name, b.FinishedAt, b.Error)
		}
	}
	if rep, _ := f.r.Reclaim(ctx); len(rep.Interrupted) != 0 {
		t.Errorf("second Reclaim ended %d more", len(rep.Interrupted))
	}
	ended, err := f.r.InterruptOwn(ctx, "interrupted: stopping")
	if err != nil || !slices.Equal(ended, []string{ids["live"]}) {
		t.Errorf("InterruptOwn = %v, %v; want the live one", ended, err)
	}
}

// What a run killed after storing its object (and maybe its manifest)
// leaves under the final names goes with the next sweep once its row is
// interrupted; a live run's files and finished backups are never touched.
func TestSweepLeftovers(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, pipeline.Options{Codec: "zstd"})
	kept, err := f.r.Backup(ctx, f.job(&fakeDumper{content: sample()}))
	if err != nil {
		t.Fatal(err)
	}
	killed := openAs(t, f, "db", dead())
	j := f.job(&fakeDumper{content: sample()})
	j.Database = "live"
	live, err := f.r.Open(ctx, j)
	if err != nil {
		t.Fatal(err)
	}
	plant := func(b *backup.Backup, stores int) []string {
		var paths []string
		for _, s := range f.stores[:stores] {
			for _, key := range []string{b.Locations[0].Key, backup.ManifestKey(b)} {
				if _, err := s.Put(ctx, key, strings.NewReader("leftover")); err != nil {
					t.Fatal(err)
				}
				paths = append(paths, s.Name()+":"+key)
			}
		}
		return paths
	}
	plant(killed, 2) // object and manifest in both storages
	plant(live, 1)
	// A temp file of the killed run's object, as a Put cut short leaves it.
	obj := storedFile(t, "one", killed.Locations[0].Key)
	tmp := filepath.Join(filepath.Dir(obj), ".tmp-"+filepath.Base(obj)+"-123")
	if err := os.WriteFile(tmp, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if rep, _ := f.r.Reclaim(ctx); len(rep.Interrupted) != 1 {
		t.Fatalf("reclaim = %+v", rep)
	}
	rep, err := f.r.SweepLeftovers(ctx, 24*time.Hour, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Removed["one"] != 3 || rep.Removed["two"] != 2 || !slices.Equal(rep.Cleaned, []string{killed.ID}) {
		t.Errorf("sweep = %+v, want 3 removed from one, 2 from two, %s cleaned", rep, killed.ID)
	}
	for i, s := range f.stores {
		for _, key := range []string{killed.Locations[0].Key, backup.ManifestKey(killed)} {
			if _, err := s.Stat(ctx, key); err == nil {
				t.Errorf("%s: %s is still there", s.Name(), key)
			}
		}
		if i == 0 {
			for _, key := range []string{live.Locations[0].Key, backup.ManifestKey(live)} {
				if _, err := s.Stat(ctx, key); err != nil {
					t.Errorf("the live run's %s went: %v", key, err)
				}
			}
		}
		for _, key := range []string{kept.Locations[0].Key, backup.ManifestKey(kept)} {
			if _, err := s.Stat(ctx, key); err != nil {
				t.Errorf("the finished backup's %s went: %v", key, err)
			}
		}
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("the temp file is still there: %v", err)
	}
	got := status(t, f, killed.ID)
	for _, l := range got.Locations {
		if l.Status != backup.LocationFailed || l.Error != leftoversRemoved {
			t.Errorf("location after the sweep = %+v", l)
		}
	}
	if rep, err := f.r.SweepLeftovers(ctx, 24*time.Hour, time.Minute); err != nil || len(rep.Cleaned) != 0 || rep.Removed["one"]+rep.Removed["two"] != 0 {
		t.Errorf("second sweep = %+v, %v; want nothing to do", rep, err)
	}
}

// storedFile finds the file of key in the fixture's local storage named
// store, under this test's temp dirs.
func storedFile(t *testing.T, store, key string) string {
	t.Helper()
	suffix := string(filepath.Separator) + filepath.Join(store, filepath.FromSlash(key))
	var found string
	filepath.WalkDir(filepath.Dir(t.TempDir()), func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, suffix) {
			found = p
		}
		return nil
	})
	if found == "" {
		t.Fatalf("no file for %s in %s", key, store)
	}
	return found
}
