package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenCreatesPrivateFiles(t *testing.T) {
	root := t.TempDir()
	path := filepath.Join(root, "a", "b", "catalog.db")
	openAt(t, path)

	for _, dir := range []string{filepath.Join(root, "a"), filepath.Join(root, "a", "b")} {
		fi, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o700 {
			t.Errorf("%s mode = %o, want 700", filepath.Base(dir), got)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("database file mode = %o, want 600", got)
	}
}

func TestOpenPathNeedingEscapes(t *testing.T) {
	for _, name := range []string{"cat?log.db", "cat#log.db", "100%.db", "with space.db", "a&_pragma=query_only(1).db"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			s := openAt(t, path)
			mustInsert(t, s, fullBackup(t0, 1))
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatalf("database not created under its own name: %v", err)
			}
			if fi.Size() == 0 {
				t.Errorf("database file %q is empty; data went elsewhere", name)
			}
			entries, err := os.ReadDir(filepath.Dir(path))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if n := e.Name(); n != name && n != name+"-wal" && n != name+"-shm" {
					t.Errorf("unexpected file %q next to the catalog", n)
				}
			}
		})
	}
}

func TestOpenEmptyPath(t *testing.T) {
	if _, err := Open(context.Background(), ""); err == nil {
		t.Fatal("Open(\"\") succeeded, want error")
	}
}

func TestPragmas(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	// Hold several connections at once so that pragmas are checked on more
	// than the one that ran the migrations.
	conns := make([]interface{ Close() error }, 0, 3)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for i := range 3 {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		for _, tc := range []struct{ pragma, want string }{
			{"journal_mode", "wal"},
			{"busy_timeout", "5000"},
			{"foreign_keys", "1"},
			{"synchronous", "1"}, // NORMAL
		} {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
				t.Fatalf("conn %d: PRAGMA %s: %v", i, tc.pragma, err)
			}
			if got != tc.want {
				t.Errorf("conn %d: PRAGMA %s = %s, want %s", i, tc.pragma, got, tc.want)
			}
		}
	}
}

func TestReopenKeepsDataAndMigratesOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "catalog.db")
	want := fullBackup(t0, 1)

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	mustInsert(t, s, want)
	before := migrationRows(t, s)
	if len(before) != len(migrations) {
		t.Fatalf("schema_migrations has %d rows, want %d", len(before), len(migrations))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	for i := range 2 {
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("reopen %d: %v", i, err)
		}
		got, err := s.Get(ctx, want.ID)
		if err != nil {
			t.Fatalf("reopen %d: Get: %v", i, err)
		}
		assertBackup(t, got, want)
		after := migrationRows(t, s)
		if len(after) != len(before) {
			t.Errorf("reopen %d: schema_migrations rows = %v, want %v", i, after, before)
		}
		for v, at := range before {
			if after[v] != at {
				t.Errorf("reopen %d: version %d applied_at = %q, want %q (re-run)", i, v, after[v], at)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func migrationRows(t *testing.T, s *Store) map[int]string {
	t.Helper()
	rows, err := s.db.Query(`SELECT version, applied_at FROM schema_migrations`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := map[int]string{}
	for rows.Next() {
		var v int
		var at string
		if err := rows.Scan(&v, &at); err != nil {
			t.Fatal(err)
		}
		m[v] = at
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "catalog.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, 'later')`,
		len(migrations)+1); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(ctx, path)
	if err == nil {
		_ = s.Close()
		t.Fatal("Open succeeded on a newer schema, want error")
	}
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("Open error = %v, want ErrSchemaTooNew", err)
	}
}

func TestMigrationStatementsAreSingle(t *testing.T) {
	// Each entry must be one statement: our DDL has no ';' inside strings,
	// so any ';' before the end means a second statement.
	for i, m := range migrations {
		for j, stmt := range m {
			if strings.Contains(strings.TrimRight(strings.TrimSpace(stmt), ";"), ";") {
				t.Errorf("migration %d statement %d holds more than one statement", i+1, j)
			}
		}
	}
}

func TestDeletingBackupCascadesToLocations(t *testing.T) {
	s := openStore(t)
	b := fullBackup(t0, 1)
	mustInsert(t, s, b)
	if _, err := s.db.Exec(`DELETE FROM backups WHERE id = ?`, b.ID); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM locations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d locations left after deleting their backup, want 0", n)
	}
}
