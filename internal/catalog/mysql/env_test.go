package mysql

import (
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/catalog/catalogtest"
	"github.com/gosqlguard/gosqlguard/internal/catalog/catalogtest/testdb"
)

func freshDatabase(t testing.TB) string { return testdb.MySQL(t) }

func openStore(t testing.TB) *Store {
	t.Helper()
	return catalogtest.OpenStore(t, freshDatabase(t), Open)
}
