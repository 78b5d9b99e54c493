package runner

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/pipeline"
	"github.com/gosqlguard/gosqlguard/internal/storage"
)

// hangingManifests is a storage that takes objects but hangs on manifests
// and deletions until their context ends, as a stalled service would.
type hangingManifests struct {
	storage.Backend
	reached chan struct{}
}

func (h hangingManifests) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if !strings.HasSuffix(key, backup.ManifestSuffix) {
		return h.Backend.Put(ctx, key, r)
	}
	close(h.reached)
	<-ctx.Done()
	return 0, context.Cause(ctx)
}

func (h hangingManifests) Delete(ctx context.Context, key string) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestCancelWhileStorageHangsIsInterrupted: a backup cancelled while its
// only storage hangs on the manifest ends as interrupted at once (its
// cleanup waits only the short grace) and its row is written.
func TestCancelWhileStorageHangsIsInterrupted(t *testing.T) {
	defer func(g time.Duration) { cleanupGrace = g }(cleanupGrace)
	cleanupGrace = 100 * time.Millisecond
	f := newFixture(t, pipeline.Options{Codec: "none"})
	hang := hangingManifests{Backend: f.stores[0], reached: make(chan struct{})}
	f.r.Storages = []storage.Backend{hang}

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-hang.reached
		cancel()
	}()
	start := time.Now()
	b, err := f.r.Backup(ctx, f.job(&fakeDumper{content: []byte("SELECT 1;\n")}))
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Backup took %v after cancellation", took)
	}
	if err == nil || b.Status != backup.StatusInterrupted {
		t.Fatalf("status %s err %v; want interrupted", b.Status, err)
	}
	row, err := f.r.Catalog.Get(context.Background(), b.ID)
	if err != nil || row.Status != backup.StatusInterrupted {
		t.Fatalf("catalog row %+v, %v; want interrupted", row, err)
	}
}
