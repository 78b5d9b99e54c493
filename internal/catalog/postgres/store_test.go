package postgres

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// Errors from a malformed or unreachable DSN never carry its password.
func TestOpenErrorsHideThePassword(t *testing.T) {
	const pw = "s3cr3t-Pa55word"
	for _, dsn := range []string{
		"postgres://gsg:" + pw + "@127.0.0.1:notaport/catalog",
		"postgres://gsg:" + pw + "@127.0.0.1:1/catalog?connect_timeout=2",
		"host=127.0.0.1 port=1 user=gsg password=" + pw + " dbname=catalog connect_timeout=2",
		"host=127.0.0.1 port=1 user=gsg password='" + pw + " dbname=catalog",
		"postgres://gsg:" + pw + "@[::1/catalog",
		// An unencoded "@" in the password: its tail must not be named as the host.
		"postgres://gsg:tail@" + pw + "@127.0.0.1:1/catalog?connect_timeout=2",
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		s, err := Open(ctx, dsn)
		cancel()
		if err == nil {
			_ = s.Close()
			t.Errorf("Open of an unusable DSN succeeded")
			continue
		}
		if strings.Contains(err.Error(), pw) || strings.Contains(err.Error(), "tail") {
			t.Errorf("Open error shows the password: %v", err)
		}
		if !strings.HasPrefix(err.Error(), "catalog: postgres") {
			t.Errorf("Open error = %q, want it to start with catalog: postgres", err)
		}
	}
}

// A schema from a newer build is refused; several processes opening a new
// catalog at once migrate it once.
func TestMigrations(t *testing.T) {
	ctx := context.Background()
	dsn := freshDatabase(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(ctx, dsn)
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
	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	var n, max int
	if err := s.DB().QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &max); err != nil {
		t.Fatal(err)
	}
	if n != len(Migrations) || max != len(Migrations) {
		t.Errorf("schema_migrations: %d rows up to %d, want %d", n, max, len(Migrations))
	}
	if _, err := s.DB().Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 'later')`, len(Migrations)+1); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	if s, err := Open(ctx, dsn); !errors.Is(err, ErrSchemaTooNew) {
		if err == nil {
			_ = s.Close()
		}
		t.Errorf("Open of a newer schema: %v, want ErrSchemaTooNew", err)
	}
}
