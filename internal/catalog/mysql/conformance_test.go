package mysql

import (
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/catalog/catalogtest"
)

// TestConformance runs the catalog suite with a new database per subtest.
func TestConformance(t *testing.T) {
	catalogtest.Run(t, func(t *testing.T) catalog.Store { return openStore(t) })
}
