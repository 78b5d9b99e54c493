package postgres

import (
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/catalog/catalogtest"
)

func BenchmarkCatalog(b *testing.B) {
	catalogtest.Bench(b, func(b *testing.B) catalog.Store { return openStore(b) })
}
