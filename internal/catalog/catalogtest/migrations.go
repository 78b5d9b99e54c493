package catalogtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/catalog/sqlstore"
)

// Migrations checks a driver's versioned migrations on the empty database
// dsn names: several processes opening it at once migrate it once, up to
// versions (schema_migrations has one row per version); a schema written by
// a newer build is refused with sqlstore.ErrSchemaTooNew and left alone.
func Migrations(t *testing.T, dsn string, versions int, open OpenFunc) {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := open(ctx, dsn)
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Open %d: %v", i, err)
		}
	}
	s, err := open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	var n, maxVersion int
	if err := s.DB().QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &maxVersion); err != nil {
		t.Fatal(err)
	}
	if n != versions || maxVersion != versions {
		t.Errorf("schema_migrations: %d rows up to %d, want %d", n, maxVersion, versions)
	}
	// The newest tables are there and usable (6: audit).
	if _, err := s.DB().Exec(`INSERT INTO audit ("at", actor, "action", target, outcome) VALUES ('2025-01-01T00:00:00.000000000Z', 'a', 'backup', 't', 'ok')`); err != nil {
		t.Errorf("audit table: %v", err)
	}
	// A number, not a parameter: the drivers' placeholders differ.
	if _, err := s.DB().Exec(fmt.Sprintf(`INSERT INTO schema_migrations (version, applied_at) VALUES (%d, 'later')`, versions+1)); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	if s, err := open(ctx, dsn); !errors.Is(err, sqlstore.ErrSchemaTooNew) {
		if err == nil {
			_ = s.Close()
		}
		t.Errorf("Open of a newer schema: %v, want ErrSchemaTooNew", err)
	}
}
