package postgres

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/dump/dumptest"
)

// Tables whose names hold dots or quotes get keys of their own, the same on
// the dump's side and the live side.
func TestFingerprintKeysOfDottedNames(t *testing.T) {
	admin := adminDB(t)
	db := dumptest.UniqueName("gsg_fpdot_")
	newDatabase(t, admin, db)
	conn := connectAt(t, adminConn(), db)
	mustExec(t, conn,
		`CREATE SCHEMA "a.b"`, `CREATE SCHEMA a`,
		`CREATE TABLE "a.b".c (i int)`, `INSERT INTO "a.b".c VALUES (1)`,
		`CREATE TABLE a."b.c" (i int)`, `INSERT INTO a."b.c" VALUES (1), (2)`,
		`CREATE TABLE a."q""t" (i int)`,
	)
	d := New(adminConn(), nil)
	ctx := context.Background()
	live, err := d.Fingerprint(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{`"a.b".c`: 1, `a."b.c"`: 2, `a."q""t"`: 0}
	for k, n := range want {
		if got, ok := live.Rows[k]; !ok || got != n {
			t.Errorf("live rows[%s] = %d (present %v), want %d; all: %v", k, got, ok, n, live.Rows)
		}
	}
	var out bytes.Buffer
	info, err := d.Dump(ctx, db, &out)
	if err != nil {
		t.Fatal(err)
	}
	if diff := live.Differences(*info.Fingerprint); len(diff) > 0 {
		t.Errorf("dump and live differ: %q", diff)
	}
}

func TestTableKey(t *testing.T) {
	for _, tc := range []struct{ schema, name, want string }{
		{"public", "orders", "public.orders"},
		{"a.b", "c", `"a.b".c`},
		{"a", "b.c", `a."b.c"`},
		{"a", `q"t`, `a."q""t"`},
	} {
		if got := tableKey(tc.schema, tc.name); got != tc.want {
			t.Errorf("tableKey(%q, %q) = %q, want %q", tc.schema, tc.name, got, tc.want)
		}
	}
}

// The maintenance databases are never replaced without --force, even empty;
// the refusal comes before any connection (the Dumper points at no server).
func TestCheckTargetMaintenanceDatabase(t *testing.T) {
	d := New(dump.Conn{Name: "none", Socket: "/nonexistent", User: "x"}, nil)
	for _, db := range []string{"postgres", "template1"} {
		err := d.CheckTarget(context.Background(), db, dump.RestoreOptions{})
		if err == nil || !errors.Is(err, dump.ErrTargetUnchanged) || !strings.Contains(err.Error(), "maintenance database") {
			t.Errorf("%s: got %v, want a refusal naming the maintenance database", db, err)
		}
	}
}
