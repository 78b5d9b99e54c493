package mysql

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/dump/dumptest"
)

// runIn runs queries on one connection with db as its current database.
func runIn(t *testing.T, admin *sql.DB, db string, queries ...string) {
	t.Helper()
	c, err := admin.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, q := range append([]string{"USE " + quoteIdent(db)}, queries...) {
		if _, err := c.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	c.Raw(func(any) error { return driver.ErrBadConn }) // the session's settings go with it
}

// swapSource fills db with one of each kind of object, a view on a view,
// and a function written under latin1 whose body holds a non-ASCII byte.
func swapSource(t *testing.T, admin *sql.DB, db string) {
	runIn(t, admin, db,
		"CREATE TABLE items (id INT PRIMARY KEY, v VARCHAR(20))",
		"CREATE TABLE log (id INT AUTO_INCREMENT PRIMARY KEY, msg VARCHAR(50))",
		"CREATE TRIGGER items_ai AFTER INSERT ON items FOR EACH ROW INSERT INTO log (msg) VALUES (CONCAT('new ', NEW.id))",
		"CREATE VIEW v_items AS SELECT id, v FROM items",
		"CREATE VIEW v_count AS SELECT COUNT(*) AS n FROM v_items",
		"CREATE PROCEDURE p_touch(IN x INT) UPDATE items SET v = 'touched' WHERE id = x",
		"CREATE EVENT e_purge ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM log WHERE id < 0",
		"INSERT INTO items VALUES (1, 'a'), (2, 'b')",
		"SET NAMES latin1",
		"CREATE FUNCTION f_e() RETURNS VARCHAR(5) CHARSET utf8mb4 RETURN '\xe9'")
}

// swapTarget fills db with other objects, some of the same names.
func swapTarget(t *testing.T, admin *sql.DB, db string) {
	runIn(t, admin, db,
		"ALTER DATABASE "+quoteIdent(db)+" CHARACTER SET latin1",
		"CREATE TABLE items (id INT PRIMARY KEY, other INT)",
		"CREATE TABLE extra (id INT)",
		"CREATE TABLE log (n INT)",
		"CREATE TRIGGER items_ai BEFORE INSERT ON items FOR EACH ROW SET NEW.other = 7",
		"CREATE TRIGGER extra_ai AFTER INSERT ON extra FOR EACH ROW INSERT INTO log VALUES (NEW.id)",
		"CREATE VIEW v_items AS SELECT other FROM items",
		"CREATE FUNCTION f_e() RETURNS INT RETURN 1",
		"CREATE PROCEDURE p_old() SELECT 1",
		"INSERT INTO items VALUES (10, 1), (11, 2)")
}

// state describes db: its defaults, every table's rows, and every view,
// trigger, routine and event with its definition (db's name taken out).
func state(t *testing.T, admin *sql.DB, db string) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		"SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
		"SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY 1",
		"SELECT TABLE_NAME, VIEW_DEFINITION, DEFINER FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? ORDER BY 1",
		"SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING, ACTION_STATEMENT, DEFINER, SQL_MODE FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY 1",
		"SELECT ROUTINE_TYPE, ROUTINE_NAME, HEX(ROUTINE_DEFINITION), DEFINER, SQL_MODE, CHARACTER_SET_CLIENT FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? ORDER BY 2",
		"SELECT EVENT_NAME, EVENT_DEFINITION, STATUS, DEFINER FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY 1",
	} {
		b.WriteString(dumpRows(t, admin, q, db))
	}
	for _, tbl := range strings.Split(strings.TrimSpace(dumpRows(t, admin, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1", db)), "\n") {
		if tbl != "" {
			b.WriteString(dumpRows(t, admin, "SELECT * FROM "+quoteIdent(db)+"."+quoteIdent(strings.TrimSuffix(tbl, "|"))+" ORDER BY 1"))
		}
	}
	return strings.ReplaceAll(b.String(), "`"+db+"`.", "")
}

// dumpRows renders every row of query q, NULL as \N.
func dumpRows(t *testing.T, admin *sql.DB, q string, args ...any) string {
	t.Helper()
	rows, err := admin.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if !v.Valid {
				v.String = `\N` // NULL, told from ''
			}
			fmt.Fprintf(&b, "%s|", v.String)
		}
		b.WriteString("\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return b.String()
}

func dumpOf(t *testing.T, db string) []byte {
	t.Helper()
	var out bytes.Buffer
	if _, err := New(adminConn(), nil).Dump(context.Background(), db, &out); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// assertUnchanged fails unless db is as state said before and the restore
// left no scratch database or hold table behind.
func assertUnchanged(t *testing.T, admin *sql.DB, db, scratchBefore, before string) {
	t.Helper()
	if after := state(t, admin, db); after != before {
		t.Errorf("target changed\nafter:\n%s\nbefore:\n%s", after, before)
	}
	if l := leftovers(t, admin, db, scratchBefore); l != "" {
		t.Errorf("left behind: %s", l)
	}
}

// leftovers lists the scratch databases that were not there before and
// the hold tables in db that a restore left behind. A scratch database
// whose named lock a live session holds is another restore's, running now
// (other packages' tests share the server), not a leftover.
func leftovers(t *testing.T, admin *sql.DB, db, scratchBefore string) string {
	t.Helper()
	var out string
	for _, name := range strings.Fields(scratchDatabases(t, admin)) {
		if strings.Contains(scratchBefore, name) {
			continue
		}
		var holder sql.NullInt64
		if err := admin.QueryRow("SELECT IS_USED_LOCK(?)", name).Scan(&holder); err != nil {
			t.Fatal(err)
		}
		if !holder.Valid {
			out += name + " "
		}
	}
	return out + dumpRows(t, admin, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE 'gosqlguard\\_hold\\_%'", db)
}

// swapPair makes a source database (swapSource) and an existing target
// (swapTarget) for a restore that replaces it.
func swapPair(t *testing.T, admin *sql.DB) (src, dst string) {
	t.Helper()
	src, dst = dumptest.UniqueName("gsg_src_"), dumptest.UniqueName("gsg_dst_")
	newDatabase(t, admin, src)
	newDatabase(t, admin, dst)
	swapSource(t, admin, src)
	swapTarget(t, admin, dst)
	return src, dst
}

// scratchDatabases lists them all: other tests may run restores meanwhile.
func scratchDatabases(t *testing.T, admin *sql.DB) string {
	return dumpRows(t, admin, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'gosqlguard\\_scratch\\_%'")
}

func TestRestoreReplacesWhole(t *testing.T) {
	admin := adminDB(t)
	src, dst := swapPair(t, admin)
	d := New(adminConn(), nil)
	ctx := context.Background()
	data := dumpOf(t, src)
	scratch := scratchDatabases(t, admin)

	err := d.Restore(ctx, dst, bytes.NewReader(data), dump.RestoreOptions{})
	if !errors.Is(err, dump.ErrTargetNotEmpty) || !errors.Is(err, dump.ErrTargetUnchanged) {
		t.Fatalf("restore without Force: %v, want ErrTargetNotEmpty", err)
	}
	if err := d.Restore(ctx, dst, bytes.NewReader(data), dump.RestoreOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if got, want := state(t, admin, dst), state(t, admin, src); got != want {
		t.Errorf("restored database differs\n got:\n%s\nwant:\n%s", got, want)
	}
	if l := leftovers(t, admin, dst, scratch); l != "" {
		t.Errorf("left behind: %s", l)
	}
	// The objects work on the target's own tables.
	runIn(t, admin, dst, "INSERT INTO items VALUES (3, 'c')", "CALL p_touch(3)")
	if got := dumpRows(t, admin, "SELECT (SELECT n FROM "+quoteIdent(dst)+".v_count), (SELECT v FROM "+quoteIdent(dst)+".items WHERE id = 3), (SELECT msg FROM "+quoteIdent(dst)+".log ORDER BY id DESC LIMIT 1), HEX("+quoteIdent(dst)+".f_e())"); got != "3|touched|new 3|C3A9|\n" {
		t.Errorf("view, procedure, trigger, function in the target: %q", got)
	}
	if defs := dumpRows(t, admin, "SELECT VIEW_DEFINITION FROM information_schema.VIEWS WHERE VIEW_DEFINITION LIKE '%gosqlguard%'"); defs != "" {
		t.Errorf("a view names the scratch database: %s", defs)
	}
}

// A swap the restoring user could not finish (it may create events in
// scratch databases but not in the target) is refused before it changes
// anything, naming what is missing.
func TestRestoreSwapRefusedWithoutPrivilege(t *testing.T) {
	admin := adminDB(t)
	src, dst := swapPair(t, admin)
	conn := newBackupUser(t, admin, src)
	user := "'" + conn.User + "'@'localhost'"
	mustExec(t, admin,
		"GRANT ALL ON `gosqlguard\\_scratch\\_%`.* TO "+user,
		"GRANT SET USER, SELECT ON *.* TO "+user, // the dump's objects are root's
		"GRANT ALL ON "+quoteIdent(dst)+".* TO "+user,
		"REVOKE EVENT ON "+quoteIdent(dst)+".* FROM "+user)
	before, scratch := state(t, admin, dst), scratchDatabases(t, admin)

	err := New(conn, nil).Restore(context.Background(), dst, bytes.NewReader(dumpOf(t, src)), dump.RestoreOptions{Force: true})
	if !errors.Is(err, dump.ErrTargetUnchanged) || !strings.Contains(err.Error(), "lacks EVENT on "+quoteIdent(dst)+" (event `e_purge`)") {
		t.Fatalf("got %v, want a refusal naming EVENT and the event, target unchanged", err)
	}
	assertUnchanged(t, admin, dst, scratch, before)
}

// A user who may not create scratch databases learns which grant it needs.
func TestRestoreScratchPrivilege(t *testing.T) {
	admin := adminDB(t)
	dst := dumptest.UniqueName("gsg_dst_")
	newDatabase(t, admin, dst)
	conn := newBackupUser(t, admin, dst)
	err := New(conn, nil).Restore(context.Background(), dst, strings.NewReader("SELECT 1;\n"), dump.RestoreOptions{})
	if !errors.Is(err, dump.ErrTargetUnchanged) || !strings.Contains(err.Error(), "`gosqlguard\\_scratch\\_%`") {
		t.Errorf("got %v, want the scratch grant named, target unchanged", err)
	}
}

// A failed load into a database the restore created leaves no database.
func TestRestoreNewDroppedOnFailure(t *testing.T) {
	admin := adminDB(t)
	dst := dumptest.UniqueName("gsg_dst_")
	dropDatabaseAtCleanup(t, admin, dst)
	err := New(adminConn(), nil).Restore(context.Background(), dst, strings.NewReader("CREATE TABLE t (a INT);\nINSERT INTO t VALUES (1);\nNOT SQL;\n"), dump.RestoreOptions{})
	if !errors.Is(err, dump.ErrTargetUnchanged) {
		t.Errorf("got %v, want ErrTargetUnchanged", err)
	}
	if n := dumpRows(t, admin, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", dst); n != "" {
		t.Errorf("database %s left behind", dst)
	}
}

// A swap that fails at its last step, after the RENAME and every new
// object, puts every object back as it was.
func TestRestoreSwapRollsBack(t *testing.T) {
	admin := adminDB(t)
	src, dst := swapPair(t, admin)
	before, scratch := state(t, admin, dst), scratchDatabases(t, admin)
	swapFault = func() error { return errors.New("injected fault") }
	t.Cleanup(func() { swapFault = nil })

	err := New(adminConn(), nil).Restore(context.Background(), dst, bytes.NewReader(dumpOf(t, src)), dump.RestoreOptions{Force: true})
	if !errors.Is(err, dump.ErrTargetUnchanged) || !strings.Contains(err.Error(), "injected fault") {
		t.Fatalf("got %v, want the fault, target put back", err)
	}
	assertUnchanged(t, admin, dst, scratch, before)
}

// A transaction that holds a lock on a target table makes the swap give up
// after swapLockWait, name the table, and leave the target as it was.
func TestRestoreSwapLockWait(t *testing.T) {
	admin := adminDB(t)
	src, dst := swapPair(t, admin)
	before, scratch := state(t, admin, dst), scratchDatabases(t, admin)
	ctx := context.Background()
	holder, err := admin.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	for _, q := range []string{"BEGIN", "SELECT COUNT(*) FROM " + quoteIdent(dst) + ".extra"} {
		if _, err := holder.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	swapLockWait = time.Second
	t.Cleanup(func() { swapLockWait = swapLockWaitDefault })

	err = New(adminConn(), nil).Restore(ctx, dst, bytes.NewReader(dumpOf(t, src)), dump.RestoreOptions{Force: true})
	want := "another session holds a lock on " + quoteIdent(dst) + ".`extra`"
	if !errors.Is(err, dump.ErrTargetUnchanged) || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want %q, target unchanged", err, want)
	}
	holder.ExecContext(ctx, "COMMIT")
	assertUnchanged(t, admin, dst, scratch, before)
}

// A client that goes away at the last step, once the restored database is
// in place, does not turn the restore into a failure that left the old
// tables behind as holds: the step runs to its end and the restore is done.
func TestRestoreSwapFinishesPastItsCommit(t *testing.T) {
	admin := adminDB(t)
	src, dst := swapPair(t, admin)
	scratch := scratchDatabases(t, admin)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	swapFault = func() error { cancel(); return nil }
	t.Cleanup(func() { swapFault = nil })

	if err := New(adminConn(), nil).Restore(ctx, dst, bytes.NewReader(dumpOf(t, src)), dump.RestoreOptions{Force: true}); err != nil {
		t.Fatalf("restore canceled past its commit: %v", err)
	}
	if got, want := state(t, admin, dst), state(t, admin, src); got != want {
		t.Errorf("restored database differs\n got:\n%s\nwant:\n%s", got, want)
	}
	if l := leftovers(t, admin, dst, scratch); l != "" {
		t.Errorf("left behind: %s", l)
	}
}
