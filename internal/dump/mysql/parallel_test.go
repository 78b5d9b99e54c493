package mysql

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/dump/dumptest"
	"github.com/gosqlguard/gosqlguard/internal/logtest"
)

// parallelSource fills db with what a parallel load must keep in order: the
// round-trip fixture (a trigger that would add audit rows if it fired during
// the load, binary and 4-byte data), the fingerprint fixture (odd names,
// system versioning, a sequence, events, routines), a MyISAM table without
// a key whose row order shows, and an InnoDB table large enough for many
// INSERT statements with a small net buffer.
func parallelSource(t *testing.T, admin *sql.DB, db string) {
	t.Helper()
	fixture(t, admin, db)
	fingerprintFixture(t, admin, db)
	runIn(t, admin, db,
		"CREATE TABLE heap (n INT, s VARCHAR(40)) ENGINE=MyISAM",
		"INSERT INTO heap SELECT seq MOD 97, MD5(seq) FROM seq_1_to_600",
		"CREATE TABLE big (id INT PRIMARY KEY, g INT, body VARCHAR(200), UNIQUE KEY (g), KEY (body(10))) ENGINE=InnoDB",
		"INSERT INTO big SELECT seq, 100000 - seq, REPEAT(MD5(seq), 5) FROM seq_1_to_2000",
		"CREATE TABLE child (id INT PRIMARY KEY, big_id INT, FOREIGN KEY (big_id) REFERENCES big (id))",
		"INSERT INTO child SELECT seq, seq FROM seq_1_to_500")
}

// checksums returns CHECKSUM TABLE of every base table of db.
func checksums(t *testing.T, admin *sql.DB, db string) string {
	t.Helper()
	var b strings.Builder
	for _, tbl := range strings.Split(strings.TrimSpace(dumpRows(t, admin, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1", db)), "\n") {
		name := strings.TrimSuffix(tbl, "|")
		if name == "" {
			continue
		}
		var table string
		var sum sql.NullInt64
		if err := admin.QueryRow("CHECKSUM TABLE "+quoteIdent(db)+"."+quoteIdent(name)+" EXTENDED").Scan(&table, &sum); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s=%v\n", name, sum)
	}
	return b.String()
}

// heapOrder is the MyISAM table's rows in physical order, which a load
// that spread its INSERTs would change.
func heapOrder(t *testing.T, admin *sql.DB, db string) string {
	return dumpRows(t, admin, "SELECT n, s FROM "+quoteIdent(db)+".heap")
}

// A parallel load restores the same database as the stock client, row for
// row, object for object, and it really spreads the INSERTs over its
// connections.
func TestParallelRestoreMatchesSerial(t *testing.T) {
	admin := adminDB(t)
	src := dumptest.UniqueName("gsg_psrc_")
	serial, par := dumptest.UniqueName("gsg_pser_"), dumptest.UniqueName("gsg_ppar_")
	newDatabase(t, admin, src)
	dropDatabaseAtCleanup(t, admin, serial)
	dropDatabaseAtCleanup(t, admin, par)
	parallelSource(t, admin, src)

	conn := adminConn()
	conn.DumpOptions = []string{"--net-buffer-length=4096"} // many INSERT statements per table
	var out bytes.Buffer
	info, err := New(conn, nil).Dump(context.Background(), src, &out)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(out.Bytes(), []byte("\nINSERT INTO `big`")); n < 10 {
		t.Fatalf("the dump holds %d INSERT statements for big; the test needs many", n)
	}

	ctx := context.Background()
	if err := New(adminConn(), nil).Restore(ctx, serial, bytes.NewReader(out.Bytes()), dump.RestoreOptions{Jobs: 1}); err != nil {
		t.Fatal(err)
	}
	var logs logtest.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if err := New(adminConn(), logger).Restore(ctx, par, bytes.NewReader(out.Bytes()), dump.RestoreOptions{Jobs: 3}); err != nil {
		t.Fatal(err)
	}

	want := state(t, admin, src)
	if got := state(t, admin, par); got != want {
		t.Errorf("parallel restore differs from the source\n got:\n%s\nwant:\n%s", got, want)
	}
	if got, ser := checksums(t, admin, par), checksums(t, admin, serial); got != ser {
		t.Errorf("table checksums differ: parallel\n%s\nserial\n%s", got, ser)
	}
	if got, ser := heapOrder(t, admin, par), heapOrder(t, admin, serial); got != ser {
		t.Error("the MyISAM table's rows are in another order than a serial load gives")
	}
	restored, err := New(adminConn(), nil).Fingerprint(ctx, par)
	if err != nil {
		t.Fatal(err)
	}
	if diff := info.Fingerprint.Differences(restored); len(diff) > 0 {
		t.Errorf("fingerprint differences: %q", diff)
	}
	// Every connection applied some INSERTs.
	m := regexp.MustCompile(`parallel load finished.*applied_by_connection="?\[([0-9 ]+)\]`).FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("no parallel load in the log:\n%s", logs.String())
	}
	for _, n := range strings.Fields(m[1]) {
		if n == "0" {
			t.Errorf("a connection applied no INSERT: %s", m[1])
		}
	}
}

// A parallel load whose INSERT fails on a data connection, or whose dump
// ends inside an INSERT, leaves an existing target as it was and a new one
// absent, with no scratch database behind.
func TestParallelRestoreFailureChangesNothing(t *testing.T) {
	admin := adminDB(t)
	src, target, fresh := dumptest.UniqueName("gsg_pfs_"), dumptest.UniqueName("gsg_pft_"), dumptest.UniqueName("gsg_pfn_")
	newDatabase(t, admin, src)
	newDatabase(t, admin, target)
	dropDatabaseAtCleanup(t, admin, fresh)
	swapSource(t, admin, src)
	runIn(t, admin, src, "CREATE TABLE big (id INT PRIMARY KEY, body VARCHAR(200))",
		"INSERT INTO big SELECT seq, REPEAT(MD5(seq), 5) FROM seq_1_to_1000")
	swapTarget(t, admin, target)

	conn := adminConn()
	conn.DumpOptions = []string{"--net-buffer-length=4096"}
	var out bytes.Buffer
	if _, err := New(conn, nil).Dump(context.Background(), src, &out); err != nil {
		t.Fatal(err)
	}
	good := out.Bytes()
	// A duplicate key in a late INSERT of big: the connections fail.
	i := bytes.LastIndex(good, []byte("\nINSERT INTO `big`"))
	dup := append(append(append([]byte(nil), good[:i+1]...), "INSERT INTO `big` VALUES (1,'again');\n"...), good[i+1:]...)
	// The dump cut inside an INSERT.
	cut := good[:i+40]

	for name, bad := range map[string][]byte{"duplicate": dup, "cut": cut} {
		t.Run(name, func(t *testing.T) {
			scratchBefore := leftovers(t, admin, target, "")
			before := state(t, admin, target)
			err := New(adminConn(), nil).Restore(context.Background(), target, bytes.NewReader(bad), dump.RestoreOptions{Force: true, Jobs: 2})
			if err == nil || !errors.Is(err, dump.ErrTargetUnchanged) {
				t.Fatalf("err = %v, want a failure that left the target unchanged", err)
			}
			if name == "duplicate" && !strings.Contains(err.Error(), "Duplicate entry") {
				t.Errorf("err = %v, want the server's duplicate key error", err)
			}
			assertUnchanged(t, admin, target, scratchBefore, before)

			err = New(adminConn(), nil).Restore(context.Background(), fresh, bytes.NewReader(bad), dump.RestoreOptions{Jobs: 2})
			if err == nil {
				t.Fatal("restore into a new database succeeded")
			}
			var n int
			if err := admin.QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", fresh).Scan(&n); err != nil || n != 0 {
				t.Errorf("the new database is left behind (%d, %v)", n, err)
			}
		})
	}
}

// A reader that fails mid-dump stops a parallel load, and the error says so.
func TestParallelRestoreReadError(t *testing.T) {
	admin := adminDB(t)
	src, fresh := dumptest.UniqueName("gsg_pre_"), dumptest.UniqueName("gsg_prn_")
	newDatabase(t, admin, src)
	dropDatabaseAtCleanup(t, admin, fresh)
	runIn(t, admin, src, "CREATE TABLE big (id INT PRIMARY KEY, body VARCHAR(200))",
		"INSERT INTO big SELECT seq, REPEAT(MD5(seq), 5) FROM seq_1_to_1000")
	conn := adminConn()
	conn.DumpOptions = []string{"--net-buffer-length=4096"}
	var out bytes.Buffer
	if _, err := New(conn, nil).Dump(context.Background(), src, &out); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("storage went away")
	r := io.MultiReader(bytes.NewReader(out.Bytes()[:out.Len()/2]), errReader{boom})
	err := New(adminConn(), nil).Restore(context.Background(), fresh, r, dump.RestoreOptions{Jobs: 2})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the read error", err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// A dump taken with another character set (an allowed dump option) and
// non-ASCII table names restores in parallel as it does serially: every
// statement reaches the server under the settings the dump made for it,
// MyISAM's ENABLE KEYS included.
func TestParallelRestoreLatin1Dump(t *testing.T) {
	admin := adminDB(t)
	src, dst := dumptest.UniqueName("gsg_pl1_"), dumptest.UniqueName("gsg_pl1r_")
	newDatabase(t, admin, src)
	dropDatabaseAtCleanup(t, admin, dst)
	runIn(t, admin, src,
		"CREATE TABLE `ü` (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB",
		"INSERT INTO `ü` SELECT seq, CONCAT('é', seq) FROM seq_1_to_500",
		"CREATE TABLE `ö heap` (n INT, KEY (n)) ENGINE=MyISAM",
		"INSERT INTO `ö heap` SELECT seq MOD 7 FROM seq_1_to_500",
		"CREATE TABLE plain (id INT PRIMARY KEY)",
		"INSERT INTO plain SELECT seq FROM seq_1_to_300")
	conn := adminConn()
	conn.DumpOptions = []string{"--default-character-set=latin1", "--net-buffer-length=4096"}
	var out bytes.Buffer
	if _, err := New(conn, nil).Dump(context.Background(), src, &out); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out.Bytes(), []byte("ENABLE KEYS")) || !bytes.Contains(out.Bytes(), []byte("SET NAMES latin1")) {
		t.Fatal("the dump lacks what the test is about (ENABLE KEYS, SET NAMES latin1)")
	}
	if err := New(adminConn(), nil).Restore(context.Background(), dst, bytes.NewReader(out.Bytes()), dump.RestoreOptions{Jobs: 2}); err != nil {
		t.Fatal(err)
	}
	if got, want := state(t, admin, dst), state(t, admin, src); got != want {
		t.Errorf("restored database differs\n got:\n%s\nwant:\n%s", got, want)
	}
}
