package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// A non-empty target is refused without --force and left alone; with
// --force it is replaced by exactly what was backed up.
func TestMariaDBRestoreNonEmptyTarget(t *testing.T) {
	src := newMariaDB(t, "rsrc")
	loadMariaDBFixture(t, src, 0)
	s := newSetup(t, []serverSpec{{name: "admin", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{src}}}, options{})
	id := backupID(t, s.mustRun(t, "backup"))
	backedUp := mariadbFingerprint(t, src)
	execAll(t, mariadbAdmin(t, src), "INSERT INTO audit (msg) VALUES ('newer')")
	live := mariadbFingerprint(t, src)

	// Each kind of object alone makes a database not empty.
	routineOnly, eventOnly := newMariaDB(t, "rro"), newMariaDB(t, "reo")
	execAll(t, mariadbAdmin(t, routineOnly), "CREATE PROCEDURE p() SELECT 1")
	execAll(t, mariadbAdmin(t, eventOnly), "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DISABLE DO SELECT 1")
	for _, target := range []string{src, routineOnly, eventOnly} {
		before := mariadbFingerprint(t, target)
		res := s.run(t, "restore", id, "--to-database", target)
		if res.code != 1 || !strings.Contains(res.stderr, "not empty") || !strings.Contains(res.stderr, "unchanged") {
			t.Errorf("restore into non-empty %s: want exit 1 saying it is not empty and unchanged: %s", target, res)
		}
		if len(before) == 0 {
			t.Fatalf("%s: empty fingerprint", target)
		}
		compareFingerprints(t, before, mariadbFingerprint(t, target))
	}
	compareFingerprints(t, live, mariadbFingerprint(t, src))

	scratch := scratchDatabases(t)
	s.mustRun(t, "restore", id, "--force")
	compareFingerprints(t, backedUp, mariadbFingerprint(t, src))
	assertNoLeftovers(t, src, scratch)
}

// The case that once lost data: restore --force by a user who may not
// create objects owned by the dump's definer. The load fails in the
// scratch database; the live database keeps its newer row and its trigger.
func TestMariaDBRestoreForceDefinerPrivilege(t *testing.T) {
	src := newMariaDB(t, "rdef")
	loadMariaDBFixture(t, src, 0)
	restorer := newMariaDBUser(t)
	execAll(t, mariadbAdmin(t, ""),
		fmt.Sprintf("GRANT ALL ON `%s`.* TO '%s'@'localhost'", src, restorer),
		fmt.Sprintf("GRANT ALL ON `gosqlguard\\_scratch\\_%%`.* TO '%s'@'localhost'", restorer))
	s := newSetup(t, []serverSpec{
		{name: "admin", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{src}},
		{name: "rs", typ: "mysql", socket: mariadbSocket, user: restorer, passwordFile: writeSecret(t, nastyPassword), databases: []string{src}},
	}, options{})
	id := backupID(t, s.mustRun(t, "backup", "--server", "admin"))
	execAll(t, mariadbAdmin(t, src), "INSERT INTO orders (id, customer_id, total) VALUES (99, 1, 5.00)") // fires the trigger
	live := mariadbFingerprint(t, src)
	scratch := scratchDatabases(t)

	res := s.run(t, "restore", id, "--server", "rs", "--force")
	want := "definer `root`@`localhost`: the restoring user lacks SET USER (or SUPER)"
	if res.code != 1 || !strings.Contains(res.stderr, want) || !strings.Contains(res.stderr, "unchanged") {
		t.Errorf("want exit 1 saying %q and that the target is unchanged: %s", want, res)
	}
	compareFingerprints(t, live, mariadbFingerprint(t, src))
	if !strings.Contains(live["table orders"], "4 rows") || live["trigger orders_audit"] == "" {
		t.Errorf("fixture: want the newer order and the trigger, got %q %q", live["table orders"], live["trigger orders_audit"])
	}
	assertNoLeftovers(t, src, scratch)
}

// A restore into a new database that fails halfway (tables loaded, then a
// trigger refused) leaves no database behind.
func TestMariaDBRestoreNewDatabaseFailsClean(t *testing.T) {
	src := newMariaDB(t, "rnew")
	loadMariaDBFixture(t, src, 0)
	dst := uniqueName("rnewdst")
	dropMariaDBLater(t, dst)
	restorer := newMariaDBUser(t)
	execAll(t, mariadbAdmin(t, ""), fmt.Sprintf("GRANT ALL ON `%s`.* TO '%s'@'localhost'", strings.ReplaceAll(dst, "_", `\_`), restorer))
	s := newSetup(t, []serverSpec{
		{name: "admin", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{src}},
		{name: "rs", typ: "mysql", socket: mariadbSocket, user: restorer, passwordFile: writeSecret(t, nastyPassword), databases: []string{src}},
	}, options{})
	id := backupID(t, s.mustRun(t, "backup", "--server", "admin"))

	res := s.run(t, "restore", id, "--server", "rs", "--to-database", dst)
	if res.code != 1 || !strings.Contains(res.stderr, "SET USER") || !strings.Contains(res.stderr, "unchanged") {
		t.Errorf("want exit 1 naming SET USER, target unchanged: %s", res)
	}
	if n := queryStrings(t, mariadbAdmin(t, ""), "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", dst); len(n) != 0 {
		t.Errorf("database %s left behind", dst)
	}
}

// A restore interrupted while it loads (SIGINT) drops its scratch database
// and leaves the target as it was.
func TestMariaDBRestoreInterrupted(t *testing.T) {
	src := newMariaDB(t, "rint")
	loadMariaDBFixture(t, src, 200000)
	s := newSetup(t, []serverSpec{{name: "admin", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{src}}}, options{})
	id := backupID(t, s.mustRun(t, "backup"))
	execAll(t, mariadbAdmin(t, src), "INSERT INTO audit (msg) VALUES ('newer')")
	live := mariadbFingerprint(t, src)
	before := scratchDatabases(t)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "restore", id, "--force", "--config", s.configPath)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, s.env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	loading := func() bool { // a new scratch database holds a table
		for _, name := range scratchDatabases(t) {
			if !strings.Contains(strings.Join(before, " "), name) &&
				len(queryStrings(t, mariadbAdmin(t, ""), "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", name)) > 0 {
				return true
			}
		}
		return false
	}
	var err error
wait:
	for {
		select {
		case err = <-done:
			t.Fatalf("restore ended before it could be interrupted (%v); the fixture is too small: %s", err, stderr.String())
		case <-time.After(10 * time.Millisecond):
			if loading() {
				cmd.Process.Signal(os.Interrupt)
				err = <-done
				break wait
			}
		}
	}
	if err == nil {
		t.Errorf("interrupted restore exited 0: %s", stderr.String())
	}
	compareFingerprints(t, live, mariadbFingerprint(t, src))
	assertNoLeftovers(t, src, before)
}

// scratchDatabases lists every scratch database now; other tests may be
// restoring at the same time, so a test compares against its own start.
func scratchDatabases(t *testing.T) []string {
	t.Helper()
	return queryStrings(t, mariadbAdmin(t, ""), `SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'gosqlguard\_scratch\_%'`)
}

// assertNoLeftovers fails on scratch databases that appeared since before
// and on hold tables in db.
func assertNoLeftovers(t *testing.T, db string, before []string) {
	t.Helper()
	for _, name := range scratchDatabases(t) {
		if !strings.Contains(strings.Join(before, " "), name) {
			t.Errorf("scratch database %s left behind", name)
		}
	}
	holds := queryStrings(t, mariadbAdmin(t, ""), `SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE 'gosqlguard\_hold\_%'`, db)
	if len(holds) > 0 {
		t.Errorf("hold tables left in %s: %v", db, holds)
	}
}
