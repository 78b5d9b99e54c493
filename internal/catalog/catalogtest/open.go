package catalogtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/catalog/sqlstore"
)

// OpenFunc is a shared driver's Open.
type OpenFunc func(ctx context.Context, dsn string) (*sqlstore.Store, error)

// OpenStore opens the catalog at dsn with open, closing it when the test
// ends; it fails the test if it cannot.
func OpenStore(t testing.TB, dsn string, open OpenFunc) *sqlstore.Store {
	t.Helper()
	s, err := open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// OpenErrorsHide checks that open refuses each unusable DSN (malformed,
// unreachable) with an error that starts with prefix ("catalog: postgres")
// and holds none of secrets (the DSNs' passwords, or parts of them).
func OpenErrorsHide(t *testing.T, prefix string, secrets, dsns []string, open OpenFunc) {
	t.Helper()
	for _, dsn := range dsns {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		s, err := open(ctx, dsn)
		cancel()
		if err == nil {
			_ = s.Close()
			t.Errorf("Open of an unusable DSN succeeded")
			continue
		}
		for _, secret := range secrets {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("Open error shows the password (%q): %v", secret, err)
			}
		}
		if !strings.HasPrefix(err.Error(), prefix) {
			t.Errorf("Open error = %q, want it to start with %s", err, prefix)
		}
	}
}
