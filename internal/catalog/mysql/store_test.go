package mysql

import (
	"context"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/catalog/catalogtest"
)

// Errors from a malformed or unreachable DSN never carry its password.
func TestOpenErrorsHideThePassword(t *testing.T) {
	const pw = "s3cr3t-Pa55word"
	catalogtest.OpenErrorsHide(t, "catalog: mysql", []string{pw}, []string{
		"gsg:" + pw + "@tcp(127.0.0.1:1)/catalog?timeout=2s",
		"gsg:" + pw + "@tcp(127.0.0.1:1/catalog",
		"gsg:" + pw + "@tcp(127.0.0.1:1)/catalog?parseTime=maybe" + pw,
		"gsg:" + pw + "@tcp(127.0.0.1:1)",
		"gsg:" + pw + "@unix(/nonexistent/mysqld.sock)/catalog",
	}, Open)
}

// Open overrides the DSN's sql_mode, and the tables compare byte for byte
// without padding.
func TestSessionAndCollation(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, freshDatabase(t)+"?sql_mode=%27%27&parseTime=true")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var mode string
	if err := s.DB().QueryRowContext(ctx, `SELECT @@SESSION.sql_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	for _, m := range strings.Split(SQLMode, ",") {
		if !strings.Contains(","+mode+",", ","+m+",") {
			t.Errorf("sql_mode %q lacks %s", mode, m)
		}
	}
	var less int
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO leases VALUES ('a', 'h', 'x', 'x'), ('A', 'h', 'x', 'x'), ('a ', 'h', 'x', 'x')`); err != nil {
		t.Fatalf("names differing in case or a trailing space are distinct keys: %v", err)
	}
	if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM leases WHERE name < 'a'`).Scan(&less); err != nil {
		t.Fatal(err)
	}
	if less != 1 { // 'A' only
		t.Errorf("%d names sort before 'a', want 1 ('A')", less)
	}
}

// A schema from a newer build is refused; several processes opening a new
// catalog at once migrate it once.
func TestMigrations(t *testing.T) {
	catalogtest.Migrations(t, freshDatabase(t), len(schema), Open)
}

// A value longer than its column allows is refused, not truncated.
func TestLongNamesRefused(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	b := newBackup(strings.Repeat("s", MaxNameLen+1))
	if err := s.Insert(ctx, b); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("Insert with a %d-character server name: %v, want a refusal", MaxNameLen+1, err)
	}
	b = newBackup(strings.Repeat("é", MaxNameLen))
	if err := s.Insert(ctx, b); err != nil {
		t.Errorf("Insert with a %d-character (non-ASCII) server name: %v", MaxNameLen, err)
	}
	got, err := s.Get(ctx, b.ID)
	if err != nil || got.Server != b.Server {
		t.Errorf("Get = %v, %v; want server %q", got, err, b.Server)
	}
}
