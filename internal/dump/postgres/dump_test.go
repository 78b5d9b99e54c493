package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/dump/dumptest"
)

// fixture fills database name with a schema, tables, a view, a function, a
// trigger, a sequence and awkward data.
func fixture(t *testing.T, name string) {
	t.Helper()
	conn := connectAt(t, adminConn(), name)
	mustExec(t, conn,
		`CREATE SCHEMA app`,
		`CREATE TABLE app.items (id serial PRIMARY KEY, label text, data bytea, doc jsonb, price numeric(10,2), at timestamptz)`,
		`CREATE TABLE app.audit (id serial PRIMARY KEY, item int)`,
		`CREATE VIEW app.cheap AS SELECT id, label FROM app.items WHERE price < 10`,
		`CREATE FUNCTION app.log_item() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO app.audit(item) VALUES (NEW.id); RETURN NEW; END $$`,
		`CREATE TRIGGER items_ai AFTER INSERT ON app.items FOR EACH ROW EXECUTE FUNCTION app.log_item()`,
		`COMMENT ON TABLE app.items IS 'the items'`,
	)
	rows := [][]any{
		{"plain", []byte("abc"), `{"a": 1}`, "1.50", time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)},
		{"emoji 🦀 and ü\r\nline\ttab", []byte{0, 1, 2, 0xff, 0, '\'', '\\'}, `{"s": "q\"uote"}`, "99.99", nil},
		{`quote ' back \ semi ; --`, nil, nil, nil, nil},
		{strings.Repeat("long ", 20000), bytes.Repeat([]byte{0xAB}, 200000), `[1,2,3]`, "0.01", time.Unix(1, 0)},
	}
	for _, r := range rows {
		if _, err := conn.Exec(context.Background(), `INSERT INTO app.items (label, data, doc, price, at) VALUES ($1, $2, $3, $4, $5)`, r...); err != nil {
			t.Fatal(err)
		}
	}
}

// snapshot returns everything in database name that a round trip must keep.
func snapshot(t *testing.T, name string) string {
	t.Helper()
	conn := connectAt(t, adminConn(), name)
	var b strings.Builder
	for _, q := range []string{
		`SELECT id::text, md5(label), md5(data), doc::text, price::text, at::text FROM app.items ORDER BY id`,
		`SELECT id::text, item::text FROM app.audit ORDER BY id`,
		`SELECT id::text, md5(label) FROM app.cheap ORDER BY id`,
		`SELECT last_value::text FROM app.items_id_seq`,
		`SELECT obj_description('app.items'::regclass)`,
		`SELECT tgname FROM pg_trigger WHERE NOT tgisinternal`,
		`SELECT md5(prosrc) FROM pg_proc WHERE proname = 'log_item'`,
	} {
		rows, err := conn.Query(context.Background(), q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		b.WriteString("--\n")
	}
	return b.String()
}

func TestDumpRestoreRoundTrip(t *testing.T) {
	admin := adminDB(t)
	src, dst := dumptest.UniqueName("gsg_src_"), dumptest.UniqueName("gsg dst=x ")
	newDatabase(t, admin, src)
	dropDatabaseAtCleanup(t, admin, dst)
	fixture(t, src)

	d := New(adminConn(), slog.Default())
	var out bytes.Buffer
	info, err := d.Dump(context.Background(), src, &out)
	if err != nil {
		t.Fatal(err)
	}
	if info.Engine != "postgres" || info.ServerVersion == "" || info.Tool != "pg_dump" || !strings.Contains(info.ToolVersion, "pg_dump") ||
		info.Format != "pg_custom" || info.Extension != "dump" || info.Position == nil || info.Position.LSN == "" {
		t.Errorf("info = %+v, position %+v", info, info.Position)
	}
	if p := info.Database; p == nil || p.CharacterSet == "" || p.Collation == "" || p.Owner != "postgres" {
		t.Errorf("database properties = %+v", p)
	}
	if !slices.Equal(info.Flags, []string{"--format=custom", "--compress=0"}) {
		t.Errorf("flags %q", info.Flags)
	}
	if err := d.Restore(context.Background(), dst, bytes.NewReader(out.Bytes()), dump.RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, want := snapshot(t, dst), snapshot(t, src); got != want {
		t.Errorf("restored database differs\n got:\n%s\nwant:\n%s", got, want)
	}
	// Restoring again over the restored, now non-empty database needs Force
	// and leaves it as it was without.
	err = d.Restore(context.Background(), dst, bytes.NewReader(out.Bytes()), dump.RestoreOptions{})
	if !errors.Is(err, dump.ErrTargetNotEmpty) || !errors.Is(err, dump.ErrTargetUnchanged) {
		t.Fatalf("second restore without force: got %v, want ErrTargetNotEmpty and ErrTargetUnchanged", err)
	}
	if err := d.Restore(context.Background(), dst, bytes.NewReader(out.Bytes()), dump.RestoreOptions{Force: true}); err != nil {
		t.Fatalf("second restore with force: %v", err)
	}
	if got, want := snapshot(t, dst), snapshot(t, src); got != want {
		t.Errorf("database replaced with force differs\n got:\n%s\nwant:\n%s", got, want)
	}
}

func TestRestoreBrokenArchiveIsAtomic(t *testing.T) {
	admin := adminDB(t)
	src, dst := dumptest.UniqueName("gsg_src_"), dumptest.UniqueName("gsg_dst_")
	newDatabase(t, admin, src)
	dropDatabaseAtCleanup(t, admin, dst)
	fixture(t, src)
	d := New(adminConn(), nil)
	var scratch []string
	d.onScratch = func(name string) { scratch = append(scratch, name) }
	var out bytes.Buffer
	if _, err := d.Dump(context.Background(), src, &out); err != nil {
		t.Fatal(err)
	}
	truncated := out.Bytes()[:out.Len()*3/4]
	err := d.Restore(context.Background(), dst, bytes.NewReader(truncated), dump.RestoreOptions{})
	if err == nil {
		t.Fatal("restore of a truncated archive succeeded")
	}
	if !errors.Is(err, dump.ErrTargetUnchanged) {
		t.Errorf("got %v, want ErrTargetUnchanged", err)
	}
	var n int
	if err := admin.QueryRow(context.Background(), `SELECT count(*) FROM pg_database WHERE datname = ANY($1)`, append(scratch, dst)).Scan(&n); err != nil || n != 0 {
		t.Errorf("a failed restore left %d databases behind (%v)", n, err)
	}
	if len(scratch) != 1 {
		t.Errorf("scratch databases %q, want one", scratch)
	}
	if err := d.Restore(context.Background(), dst, strings.NewReader("not an archive"), dump.RestoreOptions{}); err == nil {
		t.Error("restore of garbage succeeded")
	}
}

func TestRestoreInputErrorFails(t *testing.T) {
	admin := adminDB(t)
	dst := dumptest.UniqueName("gsg_dst_")
	dropDatabaseAtCleanup(t, admin, dst)
	boom := errors.New("hash mismatch")
	err := New(adminConn(), nil).Restore(context.Background(), dst, io.MultiReader(strings.NewReader("PGDMP"), errReader{boom}), dump.RestoreOptions{})
	if !errors.Is(err, boom) {
		t.Errorf("got %v, want %v", err, boom)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestDatabases(t *testing.T) {
	admin := adminDB(t)
	name := dumptest.UniqueName("gsg_list_")
	newDatabase(t, admin, name)
	dumptest.CheckDatabases(t, New(adminConn(), nil), name, "postgres", "template0", "template1")
}

func TestUnknownDatabase(t *testing.T) {
	adminDB(t)
	_, err := New(adminConn(), nil).Dump(context.Background(), dumptest.UniqueName("gsg_none_"), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("got %v, want does not exist", err)
	}
}

func TestMissingTool(t *testing.T) {
	d := New(adminConn(), nil)
	d.Tools.Dump = filepath.Join(t.TempDir(), "pg_dump")
	_, err := d.Dump(context.Background(), "test", io.Discard)
	if !errors.Is(err, dump.ErrToolNotFound) || !strings.HasPrefix(err.Error(), "dump tool not found: ") {
		t.Errorf("got %v", err)
	}
	d.Tools.Restore = filepath.Join(t.TempDir(), "pg_restore")
	err = d.Restore(context.Background(), "test", strings.NewReader(""), dump.RestoreOptions{})
	if !errors.Is(err, dump.ErrToolNotFound) || !strings.HasPrefix(err.Error(), "restore tool not found: ") {
		t.Errorf("got %v", err)
	}
}

// bigDatabase makes a database whose dump is tens of MiB.
func bigDatabase(t *testing.T, admin *pgx.Conn) string {
	t.Helper()
	name := dumptest.UniqueName("gsg_big_")
	newDatabase(t, admin, name)
	conn := connectAt(t, adminConn(), name)
	mustExec(t, conn, `CREATE TABLE big AS SELECT g AS id, md5(g::text) || repeat('x', 500) AS pad FROM generate_series(1, 60000) g`)
	return name
}

func TestDumpCancelledMidStream(t *testing.T) {
	admin := adminDB(t)
	dumptest.CheckDumpCancelled(t, New(adminConn(), nil), bigDatabase(t, admin))
}

func TestDumpKilledMidStream(t *testing.T) {
	admin := adminDB(t)
	d := New(adminConn(), nil)
	dumptest.CheckDumpKilled(t, d, &d.Process, bigDatabase(t, admin))
}

// checkChildHidesPassword checks that the running child's argv and
// environment hold neither password nor PGPASSWORD, and that the password
// file PGPASSFILE names is private.
func checkChildHidesPassword(t *testing.T, pid int, password string) {
	t.Helper()
	_, env := dumptest.CheckChildHides(t, pid, password, "PGPASSWORD")
	var passfile string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PGPASSFILE="); ok {
			passfile = v
		}
	}
	if passfile == "" {
		t.Fatalf("no PGPASSFILE in the child's environment %q", env)
	}
	dumptest.CheckPrivateFile(t, passfile)
}
