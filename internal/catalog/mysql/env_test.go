package mysql

import (
	"context"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/catalog/catalogtest/testdb"
)

func freshDatabase(t testing.TB) string { return testdb.MySQL(t) }

func openStore(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), freshDatabase(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
