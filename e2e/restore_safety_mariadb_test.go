package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

// A --force restore of a database that another database's foreign key
// references is refused: replacing the parent tables would leave the
// child's key pointing at a dropped table.
func TestMariaDBRestoreRefusesForeignKeysFromOtherDatabases(t *testing.T) {
	parent, child := newMariaDB(t, "fkp"), newMariaDB(t, "fkc")
	execAll(t, mariadbAdmin(t, parent),
		"CREATE TABLE parent (id INT PRIMARY KEY) ENGINE=InnoDB",
		"INSERT INTO parent VALUES (1), (2)")
	execAll(t, mariadbAdmin(t, child),
		fmt.Sprintf("CREATE TABLE child (id INT PRIMARY KEY, pid INT, CONSTRAINT child_parent FOREIGN KEY (pid) REFERENCES `%s`.parent(id)) ENGINE=InnoDB", parent))
	s := newSetup(t, []serverSpec{{name: "admin", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{parent}}}, options{})
	id := backupID(t, s.mustRun(t, "backup"))
	before, scratch := mariadbFingerprint(t, parent), scratchDatabases(t)

	res := s.run(t, "restore", id, "--to-database", parent, "--force")
	want := fmt.Sprintf("`%s`.`child` (constraint `child_parent`) references `%s`.`parent`", child, parent)
	if res.code != 1 || !strings.Contains(res.stderr, want) || !strings.Contains(res.stderr, "unchanged") {
		t.Errorf("want exit 1 naming %s, target unchanged: %s", want, res)
	}
	compareFingerprints(t, before, mariadbFingerprint(t, parent))
	execAll(t, mariadbAdmin(t, child), "INSERT INTO child VALUES (1, 2)") // the key still works
	assertNoLeftovers(t, parent, scratch)
}

// The trial's case: the target holds a procedure of another definer, and
// the restoring user lacks SET USER and CREATE VIEW on the target. The swap
// would drop the procedure, fail on the view and be unable to put the
// procedure back; it is refused before it changes anything.
func TestMariaDBRestoreForceChecksPrivilegesFirst(t *testing.T) {
	src := newMariaDB(t, "rpre")
	restorer := newMariaDBUser(t)
	user := fmt.Sprintf("'%s'@'localhost'", restorer)
	execAll(t, mariadbAdmin(t, src),
		"CREATE TABLE t (id INT PRIMARY KEY)",
		"INSERT INTO t VALUES (1)",
		"CREATE DEFINER = "+user+" VIEW v AS SELECT id FROM t")
	execAll(t, mariadbAdmin(t, ""),
		fmt.Sprintf("GRANT ALL ON `%s`.* TO %s", src, user),
		fmt.Sprintf("REVOKE CREATE VIEW ON `%s`.* FROM %s", src, user),
		fmt.Sprintf("GRANT ALL ON `gosqlguard\\_scratch\\_%%`.* TO %s", user))
	s := newSetup(t, []serverSpec{
		{name: "admin", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{src}},
		{name: "rs", typ: "mysql", socket: mariadbSocket, user: restorer, passwordFile: writeSecret(t, nastyPassword), databases: []string{src}},
	}, options{})
	id := backupID(t, s.mustRun(t, "backup", "--server", "admin"))
	execAll(t, mariadbAdmin(t, src), "CREATE DEFINER = 'root'@'localhost' PROCEDURE p() SELECT 1")
	live, scratch := mariadbFingerprint(t, src), scratchDatabases(t)

	res := s.run(t, "restore", id, "--server", "rs", "--force")
	for _, want := range []string{"CREATE VIEW on `" + src + "` (view `v`)", "SET USER (or SUPER), to create objects owned by other users: procedure `p` (definer `root`@`localhost`)", "unchanged"} {
		if res.code != 1 || !strings.Contains(res.stderr, want) {
			t.Errorf("want exit 1 saying %q: %s", want, res)
		}
	}
	compareFingerprints(t, live, mariadbFingerprint(t, src))
	assertNoLeftovers(t, src, scratch)
}

// A restore drops the scratch databases of killed restores (their named
// lock is free) and keeps those of running ones (their lock is held).
func TestMariaDBRestoreSweepsLeftovers(t *testing.T) {
	hexTag := func() string { var b [6]byte; rand.Read(b[:]); return hex.EncodeToString(b[:]) }
	orphan, live := "gosqlguard_scratch_"+hexTag(), "gosqlguard_scratch_"+hexTag()
	holder, err := mariadbAdmin(t, "").Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	// Both look alive until the restore under test starts: restores that
	// other tests run at the same time sweep too.
	for _, name := range []string{orphan, live} {
		if _, err := holder.ExecContext(context.Background(), "DO GET_LOCK(?, 0)", name); err != nil {
			t.Fatal(err)
		}
		execAll(t, mariadbAdmin(t, ""), "CREATE DATABASE `"+name+"`")
		dropMariaDBLater(t, name)
	}
	src := newMariaDB(t, "rswp")
	execAll(t, mariadbAdmin(t, src), "CREATE TABLE t (id INT PRIMARY KEY)")
	s := newSetup(t, []serverSpec{{name: "admin", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{src}}}, options{})
	id := backupID(t, s.mustRun(t, "backup"))

	if _, err := holder.ExecContext(context.Background(), "DO RELEASE_LOCK(?)", orphan); err != nil {
		t.Fatal(err)
	}
	res := s.mustRun(t, "restore", id, "--force")
	now := strings.Join(scratchDatabases(t), " ")
	if strings.Contains(now, orphan) || !strings.Contains(now, live) {
		t.Errorf("scratch databases now %q: want %s dropped and %s kept", now, orphan, live)
	}
	if !strings.Contains(res.stderr, orphan) {
		t.Errorf("the restore's log does not name the dropped %s: %s", orphan, res)
	}
}
