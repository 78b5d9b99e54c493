package postgres

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/klauspost/compress/zstd"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/dump/dumptest"
)

// archiveWithRows is synthArchive with table t's data replaced by rows,
// one chunk each, and the end-of-data lines, as pg_dump writes them.
func archiveWithRows(rows []string) []byte {
	a := synthArchive(15)
	i := bytes.Index(a, []byte("1\n2"))
	var b bytes.Buffer
	b.Write(a[:i-5])
	for _, r := range append(rows, string(copyEnd)) {
		b.Write([]byte{0, byte(len(r)), byte(len(r) >> 8), 0, 0})
		b.WriteString(r)
	}
	b.Write(a[i+3:])
	return b.Bytes()
}

func countArchive(t testing.TB, chunks ...[]byte) backup.Fingerprint {
	t.Helper()
	c := newArchiveCheck()
	c.countObjects()
	for _, p := range chunks {
		c.Write(p)
	}
	if err := c.Complete(); err != nil {
		t.Fatal(err)
	}
	return *c.fingerprint()
}

// COPY text rows: line breaks, tabs and backslashes in values are escaped,
// so each row is one line however it is chunked.
var copyRows = []string{"1\ta(b),c\tline1\\nline2\n", "2\t\\N\t\\\\.\n", "3\t\\r\\n\t\t\n"}

func wantSynth(rows int64) backup.Fingerprint {
	return backup.Fingerprint{
		Rows: map[string]int64{"public.t": rows},
		Objects: map[string]int64{"schemas": 0, "tables": 1, "sequences": 0, "views": 0, "materialized_views": 0,
			"functions": 0, "types": 0, "extensions": 0, "large_objects": 1},
	}
}

// The counts never depend on how the archive is split into writes.
func TestArchiveCountsAnySplit(t *testing.T) {
	a := archiveWithRows(copyRows)
	want := wantSynth(3)
	for cut := 0; cut <= len(a); cut++ {
		if got := countArchive(t, a[:cut], a[cut:]); !reflect.DeepEqual(got, want) {
			t.Fatalf("cut at %d: got %v, want %v", cut, got, want)
		}
	}
	var bytewise [][]byte
	for i := range a {
		bytewise = append(bytewise, a[i:i+1])
	}
	if got := countArchive(t, bytewise...); !reflect.DeepEqual(got, want) {
		t.Fatalf("byte by byte: got %v", got)
	}
}

// An archive that lost a row no longer matches.
func TestArchiveCountsLostRow(t *testing.T) {
	got := countArchive(t, archiveWithRows(slices.Delete(slices.Clone(copyRows), 1, 2)))
	want := []string{"table public.t: 2 rows, want 3"}
	if d := wantSynth(3).Differences(got); !reflect.DeepEqual(d, want) {
		t.Errorf("Differences = %q, want %q", d, want)
	}
}

// fingerprintFixture fills database name with every kind the fingerprint
// counts.
func fingerprintFixture(t *testing.T, name string) {
	t.Helper()
	conn := connectAt(t, adminConn(), name)
	mustExec(t, conn,
		`CREATE EXTENSION citext`,
		`CREATE SCHEMA shop`,
		`CREATE SCHEMA "Odd ""schema"""`,
		`CREATE TYPE shop.mood AS ENUM ('sad', 'ok', 'happy')`,
		`CREATE DOMAIN shop.posint AS int CHECK (VALUE > 0)`,
		`CREATE TYPE shop.pair AS (a int, b text)`,
		`CREATE TYPE shop.floatrange AS RANGE (subtype = float8)`,
		`CREATE SEQUENCE shop.counter`,
		`CREATE TABLE shop.customers (id serial PRIMARY KEY, name citext, note text, m shop.mood, n shop.posint, data bytea)`,
		`INSERT INTO shop.customers (name, note, m, n, data) VALUES
			('a(b),c', E'line1\nline2\ttab\\', 'ok', 1, '\x00ff0a'),
			(NULL, NULL, NULL, NULL, NULL),
			('x', E'\\.', 'sad', 2, ''),
			('Zoë 😀', E'\r\n', 'happy', 3, '\x5c0a')`,
		`CREATE TABLE public.empty_t (id int GENERATED ALWAYS AS IDENTITY)`,
		`CREATE TABLE shop.events (id int, at date) PARTITION BY RANGE (at)`,
		`CREATE TABLE shop.events_2026 PARTITION OF shop.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')`,
		`CREATE TABLE shop.events_2025 PARTITION OF shop.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')`,
		`INSERT INTO shop.events VALUES (1, '2026-02-01'), (2, '2025-02-01'), (3, '2026-03-01')`,
		`CREATE UNLOGGED TABLE shop.cache (k text)`,
		`INSERT INTO shop.cache VALUES ('k1')`,
		`CREATE TABLE "Odd ""schema"""."Weird ""name""" (x int)`,
		`INSERT INTO "Odd ""schema"""."Weird ""name""" SELECT generate_series(1, 1000)`,
		`CREATE FUNCTION shop.add1(int) RETURNS int LANGUAGE sql AS 'SELECT $1 + 1'`,
		`CREATE PROCEDURE shop.noop() LANGUAGE sql AS 'SELECT 1'`,
		`CREATE AGGREGATE shop.mysum(int) (sfunc = int4pl, stype = int)`,
		`CREATE MATERIALIZED VIEW shop.mv AS SELECT count(*) FROM shop.customers`,
		`CREATE VIEW shop.v AS SELECT 1 AS x`,
		`SELECT lo_from_bytea(0, 'hello')`,
		`SELECT lo_from_bytea(0, '')`,
	)
}

var fixtureFingerprint = backup.Fingerprint{
	Rows: map[string]int64{"shop.customers": 4, "public.empty_t": 0, "shop.events": 0, "shop.events_2025": 1,
		"shop.events_2026": 2, "shop.cache": 1, `"Odd ""schema"""."Weird ""name"""`: 1000},
	Objects: map[string]int64{"schemas": 2, "tables": 7, "sequences": 3, "views": 1, "materialized_views": 1,
		"functions": 3, "types": 4, "extensions": 1, "large_objects": 2},
}

// The dump's fingerprint, the source's and a restore's are one and the same.
func TestFingerprintDumpLiveRestore(t *testing.T) {
	admin := adminDB(t)
	src := dumptest.UniqueName("gsg_fp_")
	newDatabase(t, admin, src)
	fingerprintFixture(t, src)
	d := New(adminConn(), nil)
	info, raw := dumptest.CheckDumpMatchesLive(t, d, src, fixtureFingerprint)
	// Counted one byte at a time, the archive gives the same answer.
	var bytewise [][]byte
	for b := raw; len(b) > 0; b = b[1:] {
		bytewise = append(bytewise, b[:1])
	}
	if got := countArchive(t, bytewise...); !reflect.DeepEqual(got, *info.Fingerprint) {
		t.Errorf("byte by byte: %v", got)
	}

	dst := dumptest.UniqueName("gsg_fpr_")
	dropDatabaseAtCleanup(t, admin, dst)
	dumptest.CheckRestoreMatchesFingerprint(t, d, info, raw, dst)
}

// A drill database is a leftover until dropped, even with a session open
// on it, and never a database to back up.
func TestDropDrill(t *testing.T) {
	admin := adminDB(t)
	d := New(adminConn(), nil)
	ctx := context.Background()
	drill := dump.NewDrillName()
	newDatabase(t, admin, drill)
	var session *pgx.Conn
	dumptest.CheckDropDrill(t, d, drill, func() { session = connectAt(t, adminConn(), drill) })
	if session.Ping(ctx) == nil {
		t.Error("a session on the drill database survived DropDrill")
	}
}

func TestDropDrillRefusesOtherNames(t *testing.T) {
	d := New(adminConn(), nil)
	for _, name := range []string{"postgres", dump.DrillPrefix, dump.DrillPrefix + "0123456789AB", ScratchPrefix + "0123456789ab"} {
		if err := d.DropDrill(context.Background(), name); err == nil || !strings.Contains(err.Error(), "not a drill database") {
			t.Errorf("DropDrill(%q) = %v, want a refusal", name, err)
		}
	}
}

// BenchmarkArchiveCount measures the archive check with and without
// counting, and the pipeline's zstd encoder (klauspost, default level) for
// scale, on a 64 MiB archive of rows of about 70 bytes, one chunk each as pg_dump
// writes them, in 1 MiB writes:
//
//	go test -run '^$' -bench BenchmarkArchiveCount -benchtime 10x -count 3 ./internal/dump/postgres/
//
// Measured on a shared 2-core machine under load: check alone 4300-4500
// MB/s, check with counting 1800-1830 MB/s, zstd 140-210 MB/s.
func BenchmarkArchiveCount(b *testing.B) {
	var rows []string
	for n, size := 0, 0; size < 64<<20; n++ {
		r := fmt.Sprintf("%d\t%d\t2026-01-02 03:04:%02d+00\tcustomer %d\t\\N\t%d.%02d\tpaid\n", n, n%977, n%60, n*7, n%10000, n%100)
		rows, size = append(rows, r), size+len(r)+5
	}
	a := archiveWithRows(rows)
	run := func(b *testing.B, w func() io.Writer) {
		b.SetBytes(int64(len(a)))
		for b.Loop() {
			c := w()
			for p := a; len(p) > 0; p = p[min(1<<20, len(p)):] {
				c.Write(p[:min(1<<20, len(p))])
			}
		}
	}
	b.Run("check", func(b *testing.B) { run(b, func() io.Writer { return newArchiveCheck() }) })
	b.Run("check+count", func(b *testing.B) {
		run(b, func() io.Writer {
			c := newArchiveCheck()
			c.countObjects()
			return c
		})
	})
	b.Run("zstd", func(b *testing.B) {
		enc, err := zstd.NewWriter(io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		run(b, func() io.Writer { enc.Reset(io.Discard); return enc })
	})
}

// Limits a database sets for its sessions (a restore copies them onto the
// drill database) do not fail the count: here the count waits longer than
// them for a lock another session holds.
func TestFingerprintIgnoresDatabaseTimeouts(t *testing.T) {
	for _, setting := range []string{"statement_timeout = '50ms'", "lock_timeout = '50ms'"} {
		t.Run(strings.Fields(setting)[0], func(t *testing.T) {
			admin := adminDB(t)
			src := dumptest.UniqueName("gsg_fpt_")
			newDatabase(t, admin, src)
			mustExec(t, admin, "ALTER DATABASE "+ident(src)+" SET "+setting)
			holder := connectAt(t, adminConn(), src)
			mustExec(t, holder, "CREATE TABLE t (id int)", "INSERT INTO t SELECT generate_series(1, 100)",
				"BEGIN", "LOCK TABLE t IN ACCESS EXCLUSIVE MODE")
			// The lock goes after 500 ms; the test waits for that before the
			// holder's connection is closed at cleanup.
			released := make(chan struct{})
			go func() {
				defer close(released)
				time.Sleep(500 * time.Millisecond)
				_, _ = holder.Exec(context.Background(), "COMMIT")
			}()
			defer func() { <-released }()
			fp, err := New(adminConn(), nil).Fingerprint(context.Background(), src)
			if err != nil {
				t.Fatalf("Fingerprint with %s: %v", setting, err)
			}
			if got := fp.Rows["public.t"]; got != 100 {
				t.Errorf("rows of t = %d, want 100", got)
			}
		})
	}
}
