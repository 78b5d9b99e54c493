package mysql

import (
	"bytes"
	"context"
	"database/sql"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/dump/dumptest"
)

// fingerprintFixture fills database name with every kind the fingerprint
// counts and data that would fool a naive counter.
func fingerprintFixture(t *testing.T, admin *sql.DB, name string) {
	t.Helper()
	ctx := context.Background()
	c, err := admin.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, q := range []string{
		"USE " + quoteIdent(name),
		"CREATE TABLE customers (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NULL, note TEXT NULL, avatar BLOB NULL, score DOUBLE NULL)",
		`INSERT INTO customers (name, note, avatar, score) VALUES
			('a(b),c', 'x''),(y', UNHEX('00FF275C28292C0A0D3B'), 1.5),
			('quote '' " \\ ; --', 'line1\nline2\ttab', NULL, NULL),
			(NULL, '', '', -1e300),
			('\\\\', '\\', NULL, 0),
			('Zoë 😀 (', '),(', UNHEX('27'), NULL)`,
		"CREATE TABLE empty_t (id INT)",
		"CREATE TABLE `we``ird (name)` (x INT)",
		"INSERT INTO `we``ird (name)` VALUES (1), (2), (3)",
		"CREATE TABLE h (id INT PRIMARY KEY, v INT) WITH SYSTEM VERSIONING",
		"INSERT INTO h VALUES (1, 1), (2, 2)",
		"UPDATE h SET v = 3 WHERE id = 1",
		"DELETE FROM h WHERE id = 2",
		"CREATE SEQUENCE s1",
		"CREATE VIEW v1 AS SELECT id, name FROM customers WHERE name <> ')'",
		"CREATE TRIGGER tr AFTER INSERT ON customers FOR EACH ROW INSERT INTO empty_t VALUES (NEW.id)",
		"CREATE FUNCTION f1(c INT) RETURNS INT DETERMINISTIC RETURN c + 1",
		"CREATE PROCEDURE p1()\nBEGIN\n  CREATE TABLE IF NOT EXISTS made_later (x INT);\n  SELECT ';;';\nEND",
		"CREATE EVENT e1 ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM empty_t",
	} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

var fixtureFingerprint = backup.Fingerprint{
	Rows: map[string]int64{"customers": 5, "empty_t": 0, "we`ird (name)": 3, "h": 3},
	Objects: map[string]int64{"tables": 4, "views": 1, "sequences": 1, "routines": 2,
		"triggers": 1, "events": 1},
}

// The dump's fingerprint, the source's and a restore's are one and the same.
func TestFingerprintDumpLiveRestore(t *testing.T) {
	admin := adminDB(t)
	src := dumptest.UniqueName("gsg_fp_")
	newDatabase(t, admin, src)
	fingerprintFixture(t, admin, src)
	d := New(adminConn(), nil)
	info, raw := dumptest.CheckDumpMatchesLive(t, d, src, fixtureFingerprint)

	dst := dumptest.UniqueName("gsg_fpr_")
	dropDatabaseAtCleanup(t, admin, dst)
	dumptest.CheckRestoreMatchesFingerprint(t, d, info, raw, dst)
}

// A drill database is a leftover until dropped, and never a database to
// back up.
func TestDropDrill(t *testing.T) {
	admin := adminDB(t)
	drill := dump.NewDrillName()
	newDatabase(t, admin, drill)
	dumptest.CheckDropDrill(t, New(adminConn(), nil), drill, nil)
}

// A dump that lost a row no longer matches the source.
func TestFingerprintShowsLostRow(t *testing.T) {
	admin := adminDB(t)
	src := dumptest.UniqueName("gsg_fp_")
	newDatabase(t, admin, src)
	fingerprintFixture(t, admin, src)
	d := New(adminConn(), nil)
	ctx := context.Background()
	var out bytes.Buffer
	if _, err := d.Dump(ctx, src, &out); err != nil {
		t.Fatal(err)
	}
	live, err := d.Fingerprint(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	// The quoted "(" row, whatever its neighbours' separators.
	lost, n := dropTuple(out.String(), "(5,'Zo")
	if n != 1 {
		t.Fatalf("row 5 found %d times in the dump", n)
	}
	c := newSQLCounter()
	c.Write([]byte(lost))
	want := []string{"table customers: 4 rows, want 5"}
	if diff := live.Differences(c.fingerprint()); !reflect.DeepEqual(diff, want) {
		t.Errorf("Differences = %q, want %q", diff, want)
	}
}

// dropTuple removes the tuple starting with prefix, and the separator
// before it, from an extended INSERT.
func dropTuple(dump, prefix string) (string, int) {
	i := strings.Index(dump, prefix)
	if i < 0 {
		return dump, 0
	}
	end := strings.Index(dump[i:], ");\n")
	start := strings.LastIndex(dump[:i], ",")
	return dump[:start] + dump[i+end+1:], strings.Count(dump, prefix)
}

func TestDropDrillRefusesOtherNames(t *testing.T) {
	d := New(adminConn(), nil)
	for _, name := range []string{"shop", dump.DrillPrefix, dump.DrillPrefix + "0123456789AB", scratchPrefix + "0123456789ab", "mysql"} {
		if err := d.DropDrill(context.Background(), name); err == nil || !strings.Contains(err.Error(), "not a drill database") {
			t.Errorf("DropDrill(%q) = %v, want a refusal", name, err)
		}
	}
}

func TestFingerprintUnknownDatabase(t *testing.T) {
	adminDB(t)
	_, err := New(adminConn(), nil).Fingerprint(context.Background(), dumptest.UniqueName("gsg_none_"))
	if err == nil || !strings.Contains(err.Error(), "no such database") {
		t.Errorf("got %v, want no such database", err)
	}
}

// A statement time limit the user has (a drill connects as the backup
// user) does not fail the count: here the count waits longer than it for a
// lock another session holds.
func TestFingerprintIgnoresStatementTimeLimit(t *testing.T) {
	admin := adminDB(t)
	src := dumptest.UniqueName("gsg_fpt_")
	newDatabase(t, admin, src)
	mustExec(t, admin, "CREATE TABLE "+quoteIdent(src)+".t (id INT) ENGINE=InnoDB",
		"INSERT INTO "+quoteIdent(src)+".t VALUES (1), (2), (3)")
	user := newBackupUser(t, admin, src)
	mustExec(t, admin, "ALTER USER '"+user.User+"'@'localhost' WITH MAX_STATEMENT_TIME 0.05")
	ctx := context.Background()
	holder, err := admin.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if _, err := holder.ExecContext(ctx, "LOCK TABLES "+quoteIdent(src)+".t WRITE"); err != nil {
		t.Fatal(err)
	}
	release := time.AfterFunc(500*time.Millisecond, func() { _, _ = holder.ExecContext(ctx, "UNLOCK TABLES") })
	defer release.Stop()
	fp, err := New(user, nil).Fingerprint(ctx, src)
	if err != nil {
		t.Fatalf("Fingerprint with a 50 ms statement limit: %v", err)
	}
	if got := fp.Rows["t"]; got != 3 {
		t.Errorf("rows of t = %d, want 3", got)
	}
}
