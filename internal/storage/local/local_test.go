package local

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
