package runner

import (
	"context"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog/catalogdb"
	"github.com/gosqlguard/gosqlguard/internal/catalog/catalogtest/testdb"
	"github.com/gosqlguard/gosqlguard/internal/pipeline"
)

// catalog rebuild works into a catalog on a shared server too: it only
// uses catalog.Store.
func TestRebuildIntoSharedCatalog(t *testing.T) {
	for _, tc := range []struct {
		driver string
		dsn    func(testing.TB) string
	}{
		{"postgres", testdb.Postgres},
		{"mysql", testdb.MySQL},
	} {
		t.Run(tc.driver, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, pipeline.Options{Codec: "zstd"})
			var want []*backup.Backup
			for range 2 {
				b, err := f.r.Backup(ctx, f.job(&fakeDumper{content: sample()}))
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, b)
			}
			fresh, err := catalogdb.Open(ctx, tc.driver, tc.dsn(t))
			if err != nil {
				t.Fatal(err)
			}
			defer fresh.Close()
			f.r.Catalog = fresh
			rep, err := f.r.RebuildCatalog(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Added != 2 || rep.Manifests != 4 || len(rep.Problems) != 0 {
				t.Fatalf("report = %+v, want 2 added from 4 manifests, no problems", rep)
			}
			for _, w := range want {
				got, err := fresh.Get(ctx, w.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.SHA256 != w.SHA256 || got.StoredBytes != w.StoredBytes || got.Status != backup.StatusSuccess ||
					len(got.Locations) != 2 || got.Manifest == nil || got.Manifest.ID != w.ID {
					t.Errorf("rebuilt %s = %+v", w.ID, got)
				}
				if _, err := f.r.Verify(ctx, got, ""); err != nil {
					t.Errorf("rebuilt %s does not verify: %v", w.ID, err)
				}
			}
			if rep, err := f.r.RebuildCatalog(ctx); err != nil || rep.Added != 0 || rep.Updated != 0 {
				t.Errorf("second rebuild = %+v, %v; want nothing added or updated", rep, err)
			}
		})
	}
}
