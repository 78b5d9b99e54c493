package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/catalog/catalogtest"
)

func BenchmarkCatalog(b *testing.B) {
	catalogtest.Bench(b, func(b *testing.B) catalog.Store {
		s, err := Open(context.Background(), filepath.Join(b.TempDir(), "catalog.db"))
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}
