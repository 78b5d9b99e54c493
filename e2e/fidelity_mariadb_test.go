package e2e

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// newMariaDBWith creates a database with the given CREATE DATABASE options
// and name, dropped when the test ends.
func newMariaDBWith(t *testing.T, name, options string) string {
	t.Helper()
	admin := mariadbAdmin(t, "")
	execAll(t, admin, "CREATE DATABASE "+quoteMariaDB(name)+" "+options)
	t.Cleanup(func() { admin.Exec("DROP DATABASE IF EXISTS " + quoteMariaDB(name)) })
	return name
}

func quoteMariaDB(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }

// mariadbDefaults returns a database's default character set and collation,
// or "missing".
func mariadbDefaults(t *testing.T, db string) string {
	t.Helper()
	got := queryStrings(t, mariadbAdmin(t, ""), `SELECT CONCAT(DEFAULT_CHARACTER_SET_NAME, ' ', DEFAULT_COLLATION_NAME)
		FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`, db)
	if len(got) == 0 {
		return "missing"
	}
	return got[0]
}

// objectCollations lists the database collation each routine and trigger was
// created under, which decides how they compare strings.
func objectCollations(t *testing.T, db string) []string {
	t.Helper()
	conn := mariadbAdmin(t, "")
	return append(
		queryStrings(t, conn, "SELECT CONCAT('routine ', ROUTINE_NAME, ' ', DATABASE_COLLATION) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? ORDER BY 1", db),
		queryStrings(t, conn, "SELECT CONCAT('trigger ', TRIGGER_NAME, ' ', DATABASE_COLLATION) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY 1", db)...)
}

// rawDump decompresses a stored zstd object.
func rawDump(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := zstd.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func rootMariaDB(dbs ...string) []serverSpec {
	return []serverSpec{{name: "my", typ: "mysql", socket: mariadbSocket, user: "root", databases: dbs}}
}

// The dump names the source database nowhere a restore would act on it: a
// database created latin1, given a function and a trigger, then switched to
// utf8mb4 restores into a new name after the source is gone, with the
// source's defaults and each object's own collation.
func TestMariaDBRestoreIntoNewNameWithoutSource(t *testing.T) {
	src := newMariaDBWith(t, uniqueName("fid"), "CHARACTER SET latin1")
	conn := mariadbAdmin(t, src)
	execAll(t, conn,
		"CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20)) DEFAULT CHARSET=utf8mb4",
		"CREATE TABLE log (n INT)",
		"CREATE FUNCTION f1(x INT) RETURNS INT DETERMINISTIC RETURN x + 1",
		"CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW INSERT INTO log VALUES (f1(NEW.id))",
		"CREATE VIEW v AS SELECT id, f1(id) AS next FROM t",
		"INSERT INTO t VALUES (1, 'ä'), (2, 'b')",
		"ALTER DATABASE "+quoteMariaDB(src)+" CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci",
	)
	want, wantDefaults, wantCollations := mariadbFingerprint(t, src), mariadbDefaults(t, src), objectCollations(t, src)

	s := newSetup(t, rootMariaDB(src), options{})
	id := backupID(t, s.mustRun(t, "backup"))
	b := s.show(t, id)
	if dump := rawDump(t, s.objectPath(b.Locations[0].Key)); strings.Contains(dump, "ALTER DATABASE `") || !strings.Contains(dump, "ALTER DATABASE CHARACTER SET latin1") {
		t.Errorf("the dump names a database in ALTER DATABASE, or lost the routines' character set switch")
	}

	execAll(t, mariadbAdmin(t, ""), "DROP DATABASE "+quoteMariaDB(src))
	dst := uniqueName("fid_dst")
	dropMariaDBLater(t, dst)
	s.mustRun(t, "restore", id, "--to-database", dst)

	compareFingerprints(t, want, mariadbFingerprint(t, dst))
	if got := mariadbDefaults(t, dst); got != wantDefaults {
		t.Errorf("restored defaults %q, source had %q", got, wantDefaults)
	}
	if got := objectCollations(t, dst); fmt.Sprint(got) != fmt.Sprint(wantCollations) {
		t.Errorf("restored object collations %q, source had %q", got, wantCollations)
	}
	if got := mariadbDefaults(t, src); got != "missing" {
		t.Errorf("the restore recreated the dropped source (%s)", got)
	}
	// The trigger and function work in their new home.
	execAll(t, mariadbAdmin(t, dst), "INSERT INTO t VALUES (41, 'x')")
	if got := queryStrings(t, mariadbAdmin(t, dst), "SELECT CAST(MAX(n) AS CHAR) FROM log"); len(got) != 1 || got[0] != "42" {
		t.Errorf("trigger wrote %q, want 42", got)
	}
}

// A database's default character set and collation come back, whatever
// they are, and are in the manifest.
func TestMariaDBDatabaseDefaultsComeBack(t *testing.T) {
	src := newMariaDBWith(t, uniqueName("cs"), "CHARACTER SET latin1 COLLATE latin1_german1_ci")
	execAll(t, mariadbAdmin(t, src), "CREATE TABLE t (v VARCHAR(10))", "INSERT INTO t VALUES ('Müller')")
	s := newSetup(t, rootMariaDB(src), options{})
	id := backupID(t, s.mustRun(t, "backup"))
	show := s.mustRun(t, "show", id, "-o", "json").stdout
	if !strings.Contains(show, `"collation": "latin1_german1_ci"`) {
		t.Errorf("manifest lacks the database collation:\n%s", show)
	}
	dst := uniqueName("cs_dst")
	dropMariaDBLater(t, dst)
	s.mustRun(t, "restore", id, "--to-database", dst)
	if got := mariadbDefaults(t, dst); got != "latin1 latin1_german1_ci" {
		t.Errorf("restored database defaults %q, want latin1 latin1_german1_ci", got)
	}
	compareFingerprints(t, mariadbFingerprint(t, src), mariadbFingerprint(t, dst))
}

// A system-versioned table keeps every row version.
func TestMariaDBSystemVersionedHistory(t *testing.T) {
	src := newMariaDB(t, "hist")
	execAll(t, mariadbAdmin(t, src),
		"CREATE TABLE h (id INT PRIMARY KEY, v INT) WITH SYSTEM VERSIONING",
		"INSERT INTO h VALUES (1, 1)", "UPDATE h SET v = 2", "UPDATE h SET v = 3", "UPDATE h SET v = 4")
	const all = "SELECT CONCAT(id, ':', v, ':', row_start, ':', row_end) FROM h FOR SYSTEM_TIME ALL ORDER BY row_start"
	want := queryStrings(t, mariadbAdmin(t, src), all)
	if len(want) != 4 {
		t.Fatalf("fixture has %d versions, want 4", len(want))
	}
	s := newSetup(t, rootMariaDB(src), options{})
	id := backupID(t, s.mustRun(t, "backup"))
	dst := uniqueName("hist_dst")
	dropMariaDBLater(t, dst)
	s.mustRun(t, "restore", id, "--to-database", dst)
	if got := queryStrings(t, mariadbAdmin(t, dst), all); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("restored versions %q, want %q", got, want)
	}
}

// A row close to the server's max_allowed_packet (16 MiB by default) backs
// up and restores into the same server: binary values are not doubled by
// hex encoding, and the manifest records the longest statement.
func TestMariaDBRowNearPacketLimit(t *testing.T) {
	admin := mariadbAdmin(t, "")
	var packet int64
	if err := admin.QueryRow("SELECT @@global.max_allowed_packet").Scan(&packet); err != nil {
		t.Fatal(err)
	}
	blob := make([]byte, 9<<20)
	rand.Read(blob)
	if int64(len(blob))*2 < packet {
		t.Skipf("max_allowed_packet is %d here; the test needs one below twice the %d-byte row", packet, len(blob))
	}
	src := newMariaDB(t, "pkt")
	conn := mariadbAdmin(t, src)
	execAll(t, conn, "CREATE TABLE b (id INT PRIMARY KEY, data LONGBLOB)")
	if _, err := conn.Exec("INSERT INTO b VALUES (1, ?), (2, ?)", blob, []byte("small\x00\n\\'")); err != nil {
		t.Fatal(err)
	}
	want := mariadbFingerprint(t, src)
	s := newSetup(t, rootMariaDB(src), options{})
	id := backupID(t, s.mustRun(t, "backup"))
	show := s.mustRun(t, "show", id, "-o", "json").stdout
	if !strings.Contains(show, `"warnings": []`) || !strings.Contains(show, `"max_statement_bytes"`) {
		t.Errorf("show -o json: want no warnings and a max_statement_bytes:\n%.2000s", show)
	}
	dst := uniqueName("pkt_dst")
	dropMariaDBLater(t, dst)
	s.mustRun(t, "restore", id, "--to-database", dst)
	compareFingerprints(t, want, mariadbFingerprint(t, dst))
}

// A backup user that cannot see triggers or routine bodies gets a failed
// backup naming the missing privilege and what would be lost, not a
// "success" without them; leaving them out on purpose with dump_options
// works, and privileges held through a role count.
func TestMariaDBMissingPrivilegesFailTheBackup(t *testing.T) {
	src := newMariaDB(t, "priv")
	execAll(t, mariadbAdmin(t, src),
		"CREATE TABLE orders (id INT PRIMARY KEY)",
		"CREATE TABLE audit (n INT)",
		"CREATE TRIGGER orders_audit AFTER INSERT ON orders FOR EACH ROW INSERT INTO audit VALUES (NEW.id)",
		"CREATE FUNCTION answer() RETURNS INT DETERMINISTIC RETURN 42",
	)
	admin := mariadbAdmin(t, "")
	user, role := uniqueName("lim"), uniqueName("role")
	quoted := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(nastyPassword)
	execAll(t, admin,
		fmt.Sprintf("CREATE USER '%s'@'localhost' IDENTIFIED BY '%s'", user, quoted),
		fmt.Sprintf("GRANT SELECT, SHOW VIEW, LOCK TABLES, EVENT ON %s.* TO '%s'@'localhost'", quoteMariaDB(src), user),
	)
	t.Cleanup(func() {
		admin.Exec(fmt.Sprintf("DROP USER IF EXISTS '%s'@'localhost'", user))
		admin.Exec("DROP ROLE IF EXISTS " + role)
	})
	spec := serverSpec{name: "lim", typ: "mysql", socket: mariadbSocket, user: user, passwordFile: writeSecret(t, nastyPassword), databases: []string{src}}
	adminSpec := serverSpec{name: "admin", typ: "mysql", socket: mariadbSocket, user: "root"}
	s := newSetup(t, []serverSpec{spec, adminSpec}, options{})

	res := s.run(t, "backup", "--server", "lim")
	if res.code != 1 {
		t.Fatalf("backup without TRIGGER and routine access: want exit 1, got %s", res)
	}
	for _, w := range []string{"TRIGGER", "`orders`", "mysql.proc", "--skip-triggers", "--skip-routines"} {
		if !strings.Contains(res.stdout+res.stderr, w) {
			t.Errorf("the failure does not mention %q:\n%s", w, res)
		}
	}
	if strings.Contains(res.stdout+res.stderr, "IDENTIFIED") || strings.Contains(res.stdout+res.stderr, "s$s; w>rd") {
		t.Errorf("the failure shows a grant line or the password:\n%s", res)
	}
	if files := storedFiles(t, s); len(files) != 0 {
		t.Errorf("a failed backup stored %q", files)
	}

	// Leaving them out on purpose.
	spec.dumpOptions = []string{"--skip-triggers", "--skip-routines"}
	skip := newSetup(t, []serverSpec{spec}, options{})
	skipID := backupID(t, skip.mustRun(t, "backup"))
	if b := skip.show(t, skipID); b.Status != "success" {
		t.Errorf("backup with --skip-triggers --skip-routines: %+v", b)
	}

	// The same privileges through a default role: the backup has everything.
	execAll(t, admin,
		"CREATE ROLE "+role,
		fmt.Sprintf("GRANT TRIGGER ON %s.* TO %s", quoteMariaDB(src), role),
		"GRANT SELECT ON mysql.proc TO "+role,
		fmt.Sprintf("GRANT %s TO '%s'@'localhost'", role, user),
		fmt.Sprintf("SET DEFAULT ROLE %s FOR '%s'@'localhost'", role, user),
	)
	id := backupID(t, s.mustRun(t, "backup", "--server", "lim"))
	dst := uniqueName("priv_dst")
	dropMariaDBLater(t, dst)
	s.mustRun(t, "restore", id, "--to-database", dst, "--server", "admin")
	compareFingerprints(t, mariadbFingerprint(t, src), mariadbFingerprint(t, dst))
}

// Keep as regression tests: generated and invisible columns, reserved-word
// identifiers, zero dates, BIT, ENUM and spatial columns, and a database
// name with a dash, a space, unicode and '='.
func TestMariaDBAwkwardSchemaRoundTrip(t *testing.T) {
	name := "gsg odd-Zoë=" + uniqueName("x")[4:]
	src := newMariaDBWith(t, name, "CHARACTER SET utf8mb4")
	conn := mariadbAdmin(t, src)
	execAll(t, conn,
		"SET SESSION sql_mode = ''",
		"CREATE TABLE `select` (`from` INT PRIMARY KEY, `order` VARCHAR(10), g INT AS (`from` * 2) VIRTUAL, s INT AS (`from` + 1) PERSISTENT, hidden INT INVISIBLE DEFAULT 7)",
		"INSERT INTO `select` (`from`, `order`) VALUES (1, 'a'), (2, NULL)",
		"CREATE TABLE odd (id INT PRIMARY KEY, z DATETIME, d DATE, b BIT(5), e ENUM('x','y z',''), p POINT NOT NULL, SPATIAL INDEX (p), bin VARBINARY(8))",
		"INSERT INTO odd VALUES (1, '0000-00-00 00:00:00', '0000-00-00', b'10101', 'y z', ST_GeomFromText('POINT(1 2)'), UNHEX('00FF0A0D5C27'))",
		"INSERT INTO odd VALUES (2, '2026-02-28 23:59:59', NULL, b'0', '', ST_GeomFromText('POINT(-3.5 4e10)'), '')",
		"SET SESSION sql_mode = DEFAULT",
	)
	want := mariadbFingerprint(t, src)
	hidden := "SELECT CONCAT(`from`, ':', hidden) FROM `select` ORDER BY 1"
	wantHidden := queryStrings(t, conn, hidden)
	s := newSetup(t, rootMariaDB(fmt.Sprintf("%q", src)), options{})
	id := backupID(t, s.mustRun(t, "backup"))
	dst := name + "-copy"
	dropMariaDBLater(t, dst)
	s.mustRun(t, "restore", id, "--to-database", dst)
	compareFingerprints(t, want, mariadbFingerprint(t, dst))
	if got := queryStrings(t, mariadbAdmin(t, dst), hidden); fmt.Sprint(got) != fmt.Sprint(wantHidden) {
		t.Errorf("invisible column restored as %q, want %q", got, wantHidden)
	}
	var create string
	if err := mariadbAdmin(t, dst).QueryRow("SELECT GENERATION_EXPRESSION FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND COLUMN_NAME = 'g'", dst).Scan(&create); err != nil || !bytes.Contains([]byte(create), []byte("from")) {
		t.Errorf("generated column lost its expression: %q, %v", create, err)
	}
}

// A user without SELECT on one table would get its CREATE TABLE and no rows
// from the dump tool, exit 0: the backup fails instead, naming the table;
// --ignore-table leaves it out on purpose.
func TestMariaDBMissingTableSelectFailsTheBackup(t *testing.T) {
	src := newMariaDB(t, "tsel")
	execAll(t, mariadbAdmin(t, src), "CREATE TABLE a (id INT PRIMARY KEY)", "CREATE TABLE secret (id INT PRIMARY KEY)", "INSERT INTO secret VALUES (1)")
	admin := mariadbAdmin(t, "")
	user := uniqueName("sel")
	execAll(t, admin,
		fmt.Sprintf("CREATE USER '%s'@'localhost' IDENTIFIED BY 'pw'", user),
		fmt.Sprintf("GRANT SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON %s.* TO '%s'@'localhost'", quoteMariaDB(src), user),
		fmt.Sprintf("GRANT SELECT ON %s.a TO '%s'@'localhost'", quoteMariaDB(src), user),
		fmt.Sprintf("GRANT SELECT ON mysql.proc TO '%s'@'localhost'", user),
	)
	t.Cleanup(func() { admin.Exec(fmt.Sprintf("DROP USER IF EXISTS '%s'@'localhost'", user)) })
	spec := serverSpec{name: "sel", typ: "mysql", socket: mariadbSocket, user: user, passwordFile: writeSecret(t, "pw"), databases: []string{src}}
	s := newSetup(t, []serverSpec{spec}, options{})
	res := s.run(t, "backup")
	if res.code != 1 || !strings.Contains(res.stdout+res.stderr, "SELECT on") || !strings.Contains(res.stdout+res.stderr, "`secret`") {
		t.Fatalf("backup without SELECT on a table: want exit 1 naming it, got %s", res)
	}
	spec.dumpOptions = []string{"--ignore-table=" + src + ".secret"}
	ok := newSetup(t, []serverSpec{spec}, options{})
	ok.mustRun(t, "backup")
}

// A trigger created with a qualified name restores into the new database,
// not the source, even while the source still has it; a routine whose body
// names the source is kept as written and the backup says so.
func TestMariaDBQualifiedTriggerRestoresIntoTheCopy(t *testing.T) {
	src := newMariaDB(t, "qt")
	q := quoteMariaDB(src)
	execAll(t, mariadbAdmin(t, ""),
		"CREATE TABLE "+q+".t (a INT)",
		"CREATE TRIGGER "+q+".tr BEFORE INSERT ON "+q+".t FOR EACH ROW SET NEW.a = NEW.a + 1",
		"CREATE PROCEDURE "+q+".p() SELECT COUNT(*) FROM "+q+".t",
	)
	s := newSetup(t, rootMariaDB(src), options{})
	id := backupID(t, s.mustRun(t, "backup"))
	show := s.mustRun(t, "show", id, "-o", "json").stdout
	if !strings.Contains(show, "name the database") {
		t.Errorf("no warning about the routine naming the source:\n%.3000s", show)
	}
	dst := uniqueName("qt_dst")
	dropMariaDBLater(t, dst)
	s.mustRun(t, "restore", id, "--to-database", dst)
	conn := mariadbAdmin(t, "")
	if got := queryStrings(t, conn, "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?", dst); fmt.Sprint(got) != "[tr]" {
		t.Errorf("triggers in the copy: %q, want [tr]", got)
	}
	execAll(t, conn, "INSERT INTO "+quoteMariaDB(dst)+".t VALUES (1)")
	if got := queryStrings(t, conn, "SELECT CAST(a AS CHAR) FROM "+quoteMariaDB(dst)+".t"); fmt.Sprint(got) != "[2]" {
		t.Errorf("the copy's trigger did not fire: %q", got)
	}
}

// --replace cannot go with --dump-history: a database with a
// system-versioned table still backs up, with a warning that its history
// is not in the dump.
func TestMariaDBReplaceLeavesHistoryOutWithAWarning(t *testing.T) {
	src := newMariaDB(t, "histrep")
	execAll(t, mariadbAdmin(t, src), "CREATE TABLE h (id INT PRIMARY KEY, v INT) WITH SYSTEM VERSIONING", "INSERT INTO h VALUES (1, 1)", "UPDATE h SET v = 2")
	spec := rootMariaDB(src)
	spec[0].dumpOptions = []string{"--replace"}
	s := newSetup(t, spec, options{})
	id := backupID(t, s.mustRun(t, "backup"))
	if show := s.mustRun(t, "show", id, "-o", "json").stdout; !strings.Contains(show, "cannot combine with --dump-history") {
		t.Errorf("no warning about the history left out:\n%.2000s", show)
	}
}
