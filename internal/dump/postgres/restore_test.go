package postgres

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/dump/dumptest"
	"github.com/jackc/pgx/v5"
)

func TestParseACLItem(t *testing.T) {
	tests := []struct {
		in   string
		want aclItem
	}{
		{"=Tc/postgres", aclItem{Grantee: "", Privs: []string{"TEMPORARY", "CONNECT"}}},
		{"app=C*c/owner", aclItem{Grantee: "app", Privs: []string{"CREATE", "CONNECT"}, Grantable: []string{"CREATE"}}},
		{`"we ""ird"=c/"o/wner"`, aclItem{Grantee: `we "ird`, Privs: []string{"CONNECT"}}},
	}
	for _, tt := range tests {
		got, err := parseACLItem(tt.in)
		if err != nil || got.Grantee != tt.want.Grantee || !slices.Equal(got.Privs, tt.want.Privs) || !slices.Equal(got.Grantable, tt.want.Grantable) {
			t.Errorf("parseACLItem(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "app", "app=c", "app=r/owner", `app=c/"owner`, "app=c; DROP/owner", `"unterminated=c/o`} {
		if _, err := parseACLItem(bad); err == nil {
			t.Errorf("parseACLItem(%q) accepted", bad)
		}
	}
}

func TestSettingValues(t *testing.T) {
	tests := []struct {
		name, value string
		want        []string
	}{
		{"work_mem", "12MB", []string{"12MB"}},
		{"application_name", `a, "b"`, []string{`a, "b"`}},
		{"search_path", `app, "$user", public`, []string{"app", "$user", "public"}},
		{"search_path", `"We ""Ird", x`, []string{`We "Ird`, "x"}},
		{"search_path", "", []string{""}},
		{"temp_tablespaces", "fast", []string{"fast"}},
	}
	for _, tt := range tests {
		if got := settingValues(tt.name, tt.value); !slices.Equal(got, tt.want) {
			t.Errorf("settingValues(%s, %q) = %q, want %q", tt.name, tt.value, got, tt.want)
		}
	}
}

func TestValidateProps(t *testing.T) {
	good := &backup.DatabaseProps{CharacterSet: "UTF8", Collation: "en_US.UTF-8", CType: "C", LocaleProvider: "icu", ICULocale: "und-u-ks-level2",
		Owner: "app", Comment: "it's ok", ACL: []string{"=c/app"}, Settings: []backup.Setting{{Name: "myapp.flag", Value: "x'y"}}}
	if err := validateProps(good); err != nil {
		t.Error(err)
	}
	for name, mutate := range map[string]func(p *backup.DatabaseProps){
		"encoding":      func(p *backup.DatabaseProps) { p.CharacterSet = "UTF8' TEMPLATE x" },
		"collation":     func(p *backup.DatabaseProps) { p.Collation = "C'; DROP" },
		"provider":      func(p *backup.DatabaseProps) { p.LocaleProvider = "magic" },
		"setting name":  func(p *backup.DatabaseProps) { p.Settings[0].Name = "work_mem TO 1; DROP" },
		"acl privilege": func(p *backup.DatabaseProps) { p.ACL = []string{"app=X/app"} },
		"owner":         func(p *backup.DatabaseProps) { p.Owner = strings.Repeat("x", 64) },
	} {
		p := *good
		p.Settings = slices.Clone(good.Settings)
		mutate(&p)
		if validateProps(&p) == nil {
			t.Errorf("%s: accepted %+v", name, p)
		}
	}
}

// What counts as empty: see CheckTarget.
func TestCheckTargetEmptiness(t *testing.T) {
	admin := adminDB(t)
	d := New(adminConn(), nil)
	ctx := context.Background()
	if err := d.CheckTarget(ctx, dumptest.UniqueName("gsg_none_"), dump.RestoreOptions{}); err != nil {
		t.Errorf("missing database: %v", err)
	}
	tests := []struct {
		name  string
		setup []string
		empty bool
	}{
		{"fresh", nil, true},
		{"public dropped", []string{`DROP SCHEMA public`}, true},
		{"table", []string{`CREATE TABLE t (x int)`}, false},
		{"function", []string{`CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'`}, false},
		{"type", []string{`CREATE TYPE e AS ENUM ('a')`}, false},
		{"schema", []string{`CREATE SCHEMA s`}, false},
		{"extension", []string{`CREATE EXTENSION citext`}, false},
		{"large object", []string{`SELECT lo_from_bytea(0, 'x')`}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := dumptest.UniqueName("gsg_empty_")
			newDatabase(t, admin, db)
			conn := connectAt(t, adminConn(), db)
			mustExec(t, conn, tt.setup...)
			conn.Close(ctx)
			err := d.CheckTarget(ctx, db, dump.RestoreOptions{})
			if tt.empty && err != nil {
				t.Errorf("got %v, want empty", err)
			}
			if !tt.empty && (!errors.Is(err, dump.ErrTargetNotEmpty) || !errors.Is(err, dump.ErrTargetUnchanged)) {
				t.Errorf("got %v, want ErrTargetNotEmpty and ErrTargetUnchanged", err)
			}
			if err := d.CheckTarget(ctx, db, dump.RestoreOptions{Force: true}); err != nil {
				t.Errorf("with force: %v", err)
			}
		})
	}
	if err := d.CheckTarget(ctx, "template1", dump.RestoreOptions{Force: true}); err == nil {
		t.Error("template1 accepted as a target")
	}
	if err := d.CheckTarget(ctx, ScratchPrefix+"0123456789ab", dump.RestoreOptions{}); err == nil {
		t.Error("a scratch name accepted as a target")
	}
}

// newGrantee creates a role for a GRANT in a fixture, dropped at cleanup.
func newGrantee(t *testing.T, admin *pgx.Conn) string {
	t.Helper()
	role := dumptest.UniqueName("gsg_grantee_")
	mustExec(t, admin, "CREATE ROLE "+ident(role))
	t.Cleanup(func() { admin.Exec(context.Background(), "DROP ROLE IF EXISTS "+ident(role)) })
	return role
}

// A GRANT to a role missing on the target fails the restore with a message
// naming the role; nothing is left behind.
func TestRestoreGrantToMissingRole(t *testing.T) {
	admin := adminDB(t)
	role := newGrantee(t, admin)
	src, dst := dumptest.UniqueName("gsg_src_"), dumptest.UniqueName("gsg_dst_")
	newDatabase(t, admin, src)
	dropDatabaseAtCleanup(t, admin, dst)
	conn := connectAt(t, adminConn(), src)
	mustExec(t, conn, `CREATE TABLE t (x int)`, `GRANT SELECT ON t TO `+ident(role))
	d := New(adminConn(), nil)
	var out bytes.Buffer
	if _, err := d.Dump(context.Background(), src, &out); err != nil {
		t.Fatal(err)
	}
	mustExec(t, conn, `REVOKE SELECT ON t FROM `+ident(role))
	mustExec(t, admin, `DROP ROLE `+ident(role))

	var scratch string
	d.onScratch = func(name string) { scratch = name }
	err := d.Restore(context.Background(), dst, &out, dump.RestoreOptions{})
	if !errors.Is(err, ErrMissingRole) || !errors.Is(err, dump.ErrTargetUnchanged) || !strings.Contains(err.Error(), role) {
		t.Fatalf("got %v, want ErrMissingRole naming %s", err, role)
	}
	var n int
	if err := admin.QueryRow(context.Background(), `SELECT count(*) FROM pg_database WHERE datname IN ($1, $2)`, dst, scratch).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d databases left behind (%v)", n, err)
	}
}

// An existing empty database is replaced without force, unless a session
// holds it: then the restore says so and leaves it as it was.
func TestRestoreIntoExistingEmpty(t *testing.T) {
	admin := adminDB(t)
	src, free, held := dumptest.UniqueName("gsg_src_"), dumptest.UniqueName("gsg_free_"), dumptest.UniqueName("gsg_held_")
	newDatabase(t, admin, src)
	newDatabase(t, admin, free)
	newDatabase(t, admin, held)
	fixture(t, src)
	d := New(adminConn(), nil)
	var out bytes.Buffer
	if _, err := d.Dump(context.Background(), src, &out); err != nil {
		t.Fatal(err)
	}
	if err := d.Restore(context.Background(), free, bytes.NewReader(out.Bytes()), dump.RestoreOptions{}); err != nil {
		t.Fatalf("into an existing empty database: %v", err)
	}
	if got, want := snapshot(t, free), snapshot(t, src); got != want {
		t.Errorf("restored database differs\n got:\n%s\nwant:\n%s", got, want)
	}

	session := connectAt(t, adminConn(), held)
	err := d.Restore(context.Background(), held, bytes.NewReader(out.Bytes()), dump.RestoreOptions{})
	if !errors.Is(err, dump.ErrTargetUnchanged) || !strings.Contains(err.Error(), "open sessions") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("into an empty database with a session: got %v", err)
	}
	var n int
	if err := session.QueryRow(context.Background(), `SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the held database changed: %d relations, %v", n, err)
	}
}
