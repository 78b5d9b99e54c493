package catalogdb

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpen(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "sqlite", filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Jobs(ctx); err != nil {
		t.Errorf("Jobs: %v", err)
	}
	_ = s.Close()

	if _, err := Open(ctx, "oracle", "x"); err == nil || !strings.Contains(err.Error(), `"oracle"`) {
		t.Errorf("Open(oracle) = %v, want an unknown driver error", err)
	}
	const pw = "hunter2-secret"
	for _, d := range []string{"postgres", "mysql"} {
		s, err := Open(ctx, d, "gsg:"+pw+"@@%%bad")
		if err == nil || strings.Contains(err.Error(), pw) {
			t.Errorf("Open(%s, malformed DSN) = %v, want an error without the password", d, err)
		}
		if s != nil {
			t.Errorf("Open(%s) failed but returned a non-nil store %#v", d, s)
		}
	}
}
