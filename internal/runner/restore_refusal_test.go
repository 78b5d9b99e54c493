package runner

import (
	"context"
	"errors"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

// A restore refused before anything ran says why with errors.Is, its text
// unchanged: a backup that cannot be restored, a target name no database
// may have.
func TestRestoreRefusalsAreMarked(t *testing.T) {
	r := &Runner{}
	for _, tc := range []struct {
		req  RestoreRequest
		want error
		text string
	}{
		{RestoreRequest{Backup: &backup.Backup{ID: "x", Status: backup.StatusFailed}}, ErrNotRestorable,
			"restore x: backup status is failed, not restorable"},
		{RestoreRequest{Backup: &backup.Backup{ID: "x", Status: backup.StatusSuccess, Encrypted: true}}, ErrNotRestorable,
			"restore x: backup is encrypted and no identity_file is configured"},
		{RestoreRequest{Backup: &backup.Backup{ID: "x", Status: backup.StatusSuccess, Database: "shop"}, ToDatabase: "a/b"}, ErrBadTarget,
			`restore x: target: invalid database name "a/b": contains a slash`},
	} {
		err := r.Restore(context.Background(), tc.req)
		if !errors.Is(err, tc.want) || err.Error() != tc.text {
			t.Errorf("Restore(%+v) = %v, want %q marked %v", tc.req, err, tc.text, tc.want)
		}
	}
}
