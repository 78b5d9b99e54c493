package runner

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/catalog/sqlite"
	"github.com/gosqlguard/gosqlguard/internal/pipeline"
)

// A rebuilt catalog never turns a run that did not finish into a success:
// what a killed run leaves (objects without manifests, a manifest in one
// storage only, an object cut short) is reported or partial, and a backup
// the catalog knows as interrupted stays so.
func TestRebuildUnfinishedRuns(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, pipeline.Options{Codec: "zstd"})
	take := func() *backup.Backup {
		t.Helper()
		b, err := f.r.Backup(ctx, f.job(&fakeDumper{content: sample()}))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	drop := func(b *backup.Backup, store int, key string) {
		t.Helper()
		if err := f.stores[store].Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	whole := take()
	noManifest := take() // killed before any manifest
	drop(noManifest, 0, backup.ManifestKey(noManifest))
	drop(noManifest, 1, backup.ManifestKey(noManifest))
	oneManifest := take() // killed between the manifests
	drop(oneManifest, 1, backup.ManifestKey(oneManifest))
	cutShort := take() // the object is not what its manifest describes
	if _, err := f.stores[0].Put(ctx, cutShort.Locations[0].Key, strings.NewReader("short")); err != nil {
		t.Fatal(err)
	}
	known := take() // the old catalog had it interrupted

	fresh, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "new.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	k := *known
	k.Status, k.Error = backup.StatusInterrupted, InterruptedReason
	k.Locations = []backup.Location{{Storage: "one", Key: known.Locations[0].Key, Status: backup.LocationPending}}
	if err := fresh.Insert(ctx, &k); err != nil {
		t.Fatal(err)
	}
	f.r.Catalog = fresh
	rep, err := f.r.RebuildCatalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	problems := strings.Join(rep.Problems, "\n")
	t.Logf("problems:\n%s", problems)

	for _, tc := range []struct {
		name   string
		b      *backup.Backup
		status backup.Status // "" : not in the catalog
		locs   []backup.LocationStatus
		said   string
	}{
		{"whole", whole, backup.StatusSuccess, []backup.LocationStatus{backup.LocationSuccess, backup.LocationSuccess}, ""},
		{"no manifest", noManifest, "", nil, "one: " + noManifest.Locations[0].Key + ": " + unfinishedObject},
		{"one manifest", oneManifest, backup.StatusPartial, []backup.LocationStatus{backup.LocationSuccess, backup.LocationFailed}, "two: " + oneManifest.Locations[0].Key + ": " + unfinishedObject},
		{"cut short", cutShort, backup.StatusSuccess, []backup.LocationStatus{backup.LocationSuccess}, "is 5 bytes, its manifest says"},
		{"interrupted", known, backup.StatusInterrupted, []backup.LocationStatus{backup.LocationPending}, "backup " + known.ID + " is interrupted in the catalog"},
	} {
		got, err := fresh.Get(ctx, tc.b.ID)
		if tc.status == "" {
			if !errors.Is(err, catalog.ErrNotFound) {
				t.Errorf("%s: in the rebuilt catalog as %s, want it left out", tc.name, got.Status)
			}
		} else if err != nil {
			t.Errorf("%s: %v", tc.name, err)
		} else {
			if got.Status != tc.status {
				t.Errorf("%s: status %s, want %s", tc.name, got.Status, tc.status)
			}
			var locs []backup.LocationStatus
			for _, l := range got.Locations {
				locs = append(locs, l.Status)
			}
			if len(locs) != len(tc.locs) || strings.Join(statusStrings(locs), ",") != strings.Join(statusStrings(tc.locs), ",") {
				t.Errorf("%s: locations %v, want %v", tc.name, locs, tc.locs)
			}
		}
		if tc.said != "" && !strings.Contains(problems, tc.said) {
			t.Errorf("%s: no problem says %q", tc.name, tc.said)
		}
	}
	if got, _ := fresh.Get(ctx, cutShort.ID); got != nil && got.Location("one") != nil {
		t.Errorf("the copy cut short was adopted: %+v", got.Locations)
	}
}

func statusStrings(s []backup.LocationStatus) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = string(v)
	}
	return out
}
