package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite" // the catalog's driver, to make the audit table refuse writes

	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/catalog/sqlite"
)

// auditOf reads the audit trail of the setup's catalog, oldest first.
func (s *setup) auditOf(t *testing.T) []catalog.AuditEntry {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(s.dir, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	es, err := st.Audit(ctx, catalog.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(es)-1; i < j; i, j = i+1, j-1 {
		es[i], es[j] = es[j], es[i]
	}
	return es
}

// The commands that act on backups record each action in the catalog's
// audit trail, as the API does: the OS user as actor "cli:<name>", no
// address, the backup (or storage) as target, the outcome; a refused
// restore and a failed download are recorded too, a dry run is not; no
// password reaches an entry, while MariaDB's "(using password: YES)" stays.
func TestCLIActionsAreAudited(t *testing.T) {
	db := newMariaDB(t, "cliaudit")
	execAll(t, mariadbAdmin(t, db), "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))", "INSERT INTO t VALUES (1, 'a'), (2, 'b')")
	bk := newMariaDBUser(t)
	wrong := "wrong" + nastyPassword
	s := newSetup(t, []serverSpec{
		{name: "my", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{db}},
		// No databases: the backup discovers them, and the login fails.
		{name: "bad", typ: "mysql", socket: mariadbSocket, user: bk, passwordFile: writeSecret(t, wrong)},
	}, options{retention: "{manual: {keep: 1}}"})
	restored := uniqueName("cliaudit_to")
	dropMariaDBLater(t, restored)
	actor := "cli:" + currentUser(t)

	first := backupID(t, s.mustRun(t, "backup", "--server", "my", "--no-prune"))
	res := s.mustRun(t, "backup", "--server", "my") // its retention deletes first
	second := strings.Fields(res.stdout)[0]
	if !strings.Contains(res.stdout, "pruned\t"+first) {
		t.Fatalf("the second backup's retention did not delete the first: %s", res)
	}
	if res := s.run(t, "backup", "--server", "bad"); res.code != 1 {
		t.Fatalf("backup of a server that refuses the login: %s", res)
	}
	s.mustRun(t, "prune", "--dry-run")
	s.mustRun(t, "prune")
	s.mustRun(t, "verify", "--restore", second)
	if res := s.run(t, "restore", second); res.code != 1 {
		t.Fatalf("restore over the non-empty source: %s", res)
	}
	s.mustRun(t, "restore", second, "--to-database", restored)
	out := filepath.Join(t.TempDir(), "object")
	s.mustRun(t, "download", second, "-o", out)
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	s.mustRun(t, "delete", second)
	if res := s.run(t, "download", second, "-o", out+".2"); res.code != 1 {
		t.Fatalf("download of a deleted backup: %s", res)
	}

	es := s.auditOf(t)
	var got []string
	failedBackup := ""
	for _, e := range es {
		target := e.Target
		switch target {
		case first:
			target = "FIRST"
		case second:
			target = "SECOND"
		}
		if e.Action == catalog.AuditBackup && e.Outcome == catalog.AuditFailed {
			failedBackup, target = e.Target, "BAD"
		}
		got = append(got, fmt.Sprintf("%s %s %s %s", e.Actor, e.Action, target, e.Outcome))
	}
	a := actor
	want := []string{
		a + " backup FIRST ok",
		a + " backup SECOND ok",
		a + " retention local ok", // after the second backup: deleted the first
		a + " backup BAD failed",
		a + " retention local ok", // prune; the dry run is not recorded
		a + " verify SECOND ok",
		a + " drill SECOND ok",
		a + " restore SECOND refused",
		a + " restore SECOND ok",
		a + " download SECOND ok",
		a + " delete SECOND ok",
		a + " download SECOND failed",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit trail:\n%s\nwant:\n%s\nentries: %+v", strings.Join(got, "\n"), strings.Join(want, "\n"), es)
	}
	details := map[int]string{
		0: "my/" + db + "/manual: success",
		2: "deleted 1, kept 1",
		4: "deleted 0, kept 1",
		5: "1 copy checked",
		7: "into its own database: ",
		8: "into " + restored,
		9: fmt.Sprintf("%d bytes from local", fi.Size()),
	}
	for i, want := range details {
		if !strings.HasPrefix(es[i].Detail, want) {
			t.Errorf("entry %d (%s %s): detail %q, want it to start with %q", i, es[i].Action, es[i].Target, es[i].Detail, want)
		}
	}
	if d := es[3].Detail; !strings.HasPrefix(d, "bad/") || !strings.Contains(d, "Access denied") || !strings.Contains(d, "(using password: YES)") {
		t.Errorf("failed backup %s: detail %q, want the job and MariaDB's whole reason", failedBackup, d)
	}
	for _, e := range es {
		if e.Address != "" || e.At.IsZero() || e.ID == 0 {
			t.Errorf("entry %+v: want no address, a time and an ID", e)
		}
		for _, secret := range []string{nastyPassword, wrong} {
			if strings.Contains(e.Detail, secret) || strings.Contains(e.Target, secret) {
				t.Errorf("entry %+v holds a password", e)
			}
		}
	}
}

// A catalog that refuses the audit entry does not fail the action: the
// backup succeeds and is printed, and stderr says the entry was lost.
func TestCLIAuditFailureIsLoggedNotFatal(t *testing.T) {
	db := newMariaDB(t, "cliauditfail")
	execAll(t, mariadbAdmin(t, db), "CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1)")
	s := newSetup(t, []serverSpec{{name: "my", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{db}}}, options{})
	id := backupID(t, s.mustRun(t, "backup")) // creates the catalog
	conn, err := sql.Open("sqlite", filepath.Join(s.dir, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Exec(`CREATE TRIGGER refuse_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(FAIL, 'audit trail refused by the test'); END`); err != nil {
		t.Fatal(err)
	}
	conn.Close()

	res := s.run(t, "verify", id)
	if res.code != 0 || !strings.Contains(res.stdout, id+"\tlocal\tOK") {
		t.Fatalf("verify with an audit trail that refuses writes: %s", res)
	}
	for _, want := range []string{"cannot record an action in the audit trail", "action=verify", "target=" + id, "audit trail refused by the test"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
	}
	res = s.run(t, "backup")
	if res.code != 0 || !strings.Contains(res.stdout, "\tsuccess\t") || !strings.Contains(res.stderr, "cannot record an action in the audit trail") {
		t.Fatalf("backup with an audit trail that refuses writes: %s", res)
	}
	if es := s.auditOf(t); len(es) != 1 || es[0].Target != id || es[0].Action != catalog.AuditBackup {
		t.Errorf("audit trail %+v, want only the first backup", es)
	}
}

// currentUser is the name of the OS user running the tests, as the user
// database has it.
func currentUser(t *testing.T) string {
	t.Helper()
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	return u.Username
}
