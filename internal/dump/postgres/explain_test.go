package postgres

import (
	"errors"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// A missing role's error says what the restore can do about it: a restore
// takes --no-owner, a restore drill does not (it has no such flag), so a
// drill's error names what a drill can change instead.
func TestMissingRoleAdvice(t *testing.T) {
	tool := &dump.ExitError{Tool: "pg_restore", Status: "exit status 1",
		Stderr: `pg_restore: error: could not execute query: ERROR:  role "reporting" does not exist`}
	for _, tc := range []struct {
		name      string
		err       error
		want, not []string
	}{
		{"restore, owner", missingRolesError([]string{"app"}, false),
			[]string{`role "app" does not exist on the target server`, "restore with --no-owner"}, nil},
		{"drill, owner", missingRolesError([]string{"app", "etl"}, true),
			[]string{`roles "app", "etl" do not exist on the drill's server`, "drills.target_server"}, []string{"--no-owner"}},
		{"restore, grant", explainRestoreError(tool, false),
			[]string{`role "reporting" does not exist on the target server`, "--no-owner helps only", "pg_restore: exit status 1"}, nil},
		{"drill, grant", explainRestoreError(tool, true),
			[]string{`role "reporting" does not exist on the drill's server; create it there`, "pg_restore: exit status 1"}, []string{"--no-owner"}},
	} {
		if !errors.Is(tc.err, ErrMissingRole) {
			t.Errorf("%s: %v is not ErrMissingRole", tc.name, tc.err)
		}
		msg := tc.err.Error()
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: %q lacks %q", tc.name, msg, w)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(msg, n) {
				t.Errorf("%s: %q suggests %q, which a drill cannot take", tc.name, msg, n)
			}
		}
	}
}
