package local

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/storage"
	"github.com/gosqlguard/gosqlguard/internal/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		b, err := New("local", filepath.Join(t.TempDir(), "root"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { assertNoTempFiles(t, b.Root()) })
		return b
	}, storagetest.Options{})
}

// A failed or cancelled Put must not leave its temp file behind either.
func assertNoTempFiles(t *testing.T, root string) {
	t.Helper()
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && strings.HasPrefix(fi.Name(), tempPrefix) {
			t.Errorf("temp file left behind: %s", p)
		}
		return nil
	})
}

func TestSweep(t *testing.T) {
	b, err := New("local", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(b.Root(), "srv", "db", "daily")
	os.MkdirAll(dir, 0o700)
	write := func(name string, age time.Duration) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte("x"), 0o600)
		os.Chtimes(p, time.Now().Add(-age), time.Now().Add(-age))
		return p
	}
	deadTemp := write(".tmp-A.sql.zst-123", time.Minute) // of a run known to be dead
	liveTemp := write(".tmp-B.sql.zst-456", time.Minute) // maybe another live process
	oldTemp := write(".tmp-C.sql.zst-789", 48*time.Hour) // abandoned long ago
	object := write("D.sql.zst", 48*time.Hour)           // a real backup: never swept
	n, err := b.Sweep(context.Background(), []string{"srv/db/daily/A.sql.zst"}, 24*time.Hour)
	if err != nil || n != 2 {
		t.Fatalf("Sweep = %d, %v; want 2", n, err)
	}
	for p, want := range map[string]bool{deadTemp: false, liveTemp: true, oldTemp: false, object: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s: exists %v, want %v", filepath.Base(p), err == nil, want)
		}
	}
}
