package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/testenv"
)

// catalogRow is a catalog row as `list -o json` shows it.
type catalogRow struct {
	ID, Server, Database, Type, Status, Error string
	Locations                                 []struct{ Storage, Key, Status string }
}

func (s *setup) rows(t *testing.T, args ...string) []catalogRow {
	t.Helper()
	var out []catalogRow
	if err := json.Unmarshal([]byte(s.mustRun(t, append([]string{"list", "-o", "json"}, args...)...).stdout), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// lines splits stdout into its lines.
func lines(res result) []string {
	s := strings.TrimRight(res.stdout, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func TestBackupAppliesRetentionUnlessNoPrune(t *testing.T) {
	db := newMariaDB(t, "prune")
	execAll(t, mariadbAdmin(t, db), "CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1)")
	s := newSetup(t, []serverSpec{{name: "m", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{db}}},
		options{retention: "{manual: {keep: 1}}"})
	first := backupID(t, s.mustRun(t, "backup", "--no-prune"))
	second := backupID(t, s.mustRun(t, "backup", "--no-prune"))
	for _, b := range s.rows(t) {
		if b.Status != "success" {
			t.Fatalf("--no-prune deleted %s: %+v", b.ID, b)
		}
	}
	res := s.mustRun(t, "backup")
	out := lines(res)
	if len(out) != 3 || !strings.HasPrefix(out[0], "2") {
		t.Fatalf("want the backup line, then two pruned lines: %s", res)
	}
	third := strings.Fields(out[0])[0]
	for i, id := range []string{second, first} {
		if f := strings.Split(out[1+i], "\t"); len(f) != 4 || f[0] != "pruned" || f[1] != id || f[2] != "local" || f[3] == "" {
			t.Errorf("line %q, want pruned<TAB>%s<TAB>local<TAB>reason", out[1+i], id)
		}
	}
	statuses := map[string]string{}
	for _, b := range s.rows(t) {
		statuses[b.ID] = b.Status
	}
	if statuses[first] != "deleted" || statuses[second] != "deleted" || statuses[third] != "success" {
		t.Errorf("statuses after prune: %v", statuses)
	}
	if _, err := os.Stat(filepath.Join(s.storageDir, "m", db, "manual")); err != nil {
		t.Fatal(err)
	}
	if n := len(storedFiles(t, s)); n != 2 { // the newest object and its manifest
		t.Errorf("%d files stored after prune, want 2: %v", n, storedFiles(t, s))
	}
}

func TestBackupDatabaseOnEveryServerThatHasIt(t *testing.T) {
	my := newMariaDB(t, "both")
	execAll(t, mariadbAdmin(t, my), "CREATE TABLE t (id INT PRIMARY KEY)")
	pg := newPostgresDB(t, "both")
	s := newSetup(t, []serverSpec{
		{name: "m", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{my}},
		{name: "p", typ: "postgres", socket: postgresSocketDir, user: "postgres", databases: []string{pg}},
	}, options{})
	res := s.run(t, "backup", "--database", my)
	if res.code != 0 || len(lines(res)) != 1 || !strings.Contains(res.stdout, "\tm\t"+my+"\tmanual\tsuccess\t") {
		t.Fatalf("--database on the one server that has it: %s", res)
	}
	res = s.run(t, "backup", "--database", "gsg_nowhere")
	if res.code != 1 || res.stdout != "" || !strings.Contains(res.stderr, `database "gsg_nowhere" is not among the databases to back up of any server`) {
		t.Fatalf("--database that no server has: %s", res)
	}
	if res := s.run(t, "backup", "--server", "p", "--database", my); res.code != 1 || !strings.Contains(res.stderr, "server p") {
		t.Errorf("--server p --database of the other server: %s", res)
	}
}

func TestBackupRecordsAServerThatIsDown(t *testing.T) {
	dir := t.TempDir()
	_, port, _ := strings.Cut(freeAddr(t), ":")
	cfg := filepath.Join(dir, "gosqlguard.yaml")
	body := fmt.Sprintf(`catalog: {driver: sqlite, dsn: %q}
servers:
  - {name: down, type: mysql, host: 127.0.0.1, port: %s, user: root}
storages:
  - {name: local, type: local, path: %q}
`, filepath.Join(dir, "catalog.db"), port, filepath.Join(dir, "backups"))
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &setup{dir: dir, configPath: cfg, storageDir: filepath.Join(dir, "backups")}
	res := s.run(t, "backup")
	out := lines(res)
	if res.code != 1 || len(out) != 1 {
		t.Fatalf("backup of a server that is down: want exit 1 and its line: %s", res)
	}
	f := strings.Split(out[0], "\t")
	if len(f) < 7 || f[1] != "down" || f[2] != "*" || f[4] != "failed" || !strings.Contains(f[6], "list databases") {
		t.Errorf("line %q, want ID down * manual failed ... list databases", out[0])
	}
	rows := s.rows(t, "--status", "failed")
	if len(rows) != 1 || rows[0].ID != f[0] || rows[0].Database != "*" || !strings.Contains(rows[0].Error, "127.0.0.1") {
		t.Errorf("failed rows = %+v, want the one printed", rows)
	}
	if files := storedFiles(t, s); len(files) != 0 {
		t.Errorf("stored for a server that is down: %v", files)
	}
}

// refusedNames sets up a server whose backup user sees three databases: a
// good one and two whose names cannot be storage keys ("../x" and one with
// a newline). Discovery finds them and nothing else.
func refusedNames(t *testing.T, o options) (s *setup, good, dotted, newline string) {
	t.Helper()
	admin := mariadbAdmin(t, "")
	good = uniqueName("named")
	dotted = "../" + uniqueName("dots")
	newline = uniqueName("nl") + "\nx"
	user := uniqueName("bk")
	quoted := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(nastyPassword)
	execAll(t, admin, fmt.Sprintf("CREATE USER '%s'@'localhost' IDENTIFIED BY '%s'", user, quoted),
		fmt.Sprintf("GRANT PROCESS, RELOAD, BINLOG MONITOR ON *.* TO '%s'@'localhost'", user),
		fmt.Sprintf("GRANT SELECT ON mysql.proc TO '%s'@'localhost'", user))
	t.Cleanup(func() { admin.Exec(fmt.Sprintf("DROP USER IF EXISTS '%s'@'localhost'", user)) })
	for _, db := range []string{good, dotted, newline} {
		execAll(t, admin, "CREATE DATABASE "+quoteMariaDB(db),
			fmt.Sprintf("GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON %s.* TO '%s'@'localhost'", quoteMariaDB(db), user))
		t.Cleanup(func() { admin.Exec("DROP DATABASE IF EXISTS " + quoteMariaDB(db)) })
	}
	execAll(t, mariadbAdmin(t, good), "CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1)")
	s = newSetup(t, []serverSpec{{name: "m", typ: "mysql", socket: mariadbSocket, user: user, passwordFile: writeSecret(t, nastyPassword)}}, o)
	return s, good, dotted, newline
}

func TestBackupRecordsRefusedDatabaseNames(t *testing.T) {
	s, good, dotted, newline := refusedNames(t, options{})
	res := s.run(t, "backup")
	out := lines(res)
	if res.code != 1 || len(out) != 3 {
		t.Fatalf("want exit 1 and exactly one line per database, a newline in a name breaking none: %s", res)
	}
	byDB := map[string][]string{}
	for _, l := range out {
		f := strings.Split(l, "\t")
		if len(f) < 6 {
			t.Fatalf("short line %q", l)
		}
		byDB[f[2]] = f
	}
	if f := byDB[good]; f == nil || f[4] != "success" {
		t.Errorf("good database: %v", f)
	}
	for shown, raw := range map[string]string{dotted: dotted, strconv.Quote(newline): newline} {
		f := byDB[shown]
		if f == nil || f[4] != "failed" || len(f) < 7 || !strings.Contains(f[6], "invalid database name") {
			t.Errorf("refused %q: line %v, want it shown as %s, failed, saying why", raw, f, shown)
		}
	}
	rows := s.rows(t, "--status", "failed")
	got := map[string]catalogRow{}
	for _, r := range rows {
		got[r.Database] = r
	}
	for _, raw := range []string{dotted, newline} {
		r, ok := got[raw]
		if !ok || len(r.Locations) != 0 || !strings.Contains(r.Error, "storage key") {
			t.Errorf("catalog row for %q = %+v (ok %v), want a failed row with the raw name and no location", raw, r, ok)
		}
	}
	if len(rows) != 2 {
		t.Errorf("failed rows = %+v, want the two refused names", rows)
	}
	for _, f := range storedFiles(t, s) {
		if !strings.HasPrefix(f, filepath.Join("m", good)+string(filepath.Separator)) {
			t.Errorf("stored outside the good database's folder: %s", f)
		}
	}
	if entries, _ := os.ReadDir(s.dir); len(entries) > 3 {
		t.Errorf("something was written next to the storage: %v", entries)
	}
}

func TestIDPrefixesDownloadAndDelete(t *testing.T) {
	db := newMariaDB(t, "ids")
	execAll(t, mariadbAdmin(t, db), "CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1), (2)")
	s := newSetup(t, []serverSpec{{name: "m", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{db}}}, options{})
	first := backupID(t, s.mustRun(t, "backup"))
	execAll(t, mariadbAdmin(t, db), "INSERT INTO t VALUES (3)") // the second object differs
	second := backupID(t, s.mustRun(t, "backup"))

	// A unique prefix: the timestamp part, to the millisecond.
	if b := s.show(t, second[:len("20260101T000000.000Z")]); b.ID != second {
		t.Errorf("show by prefix found %s, want %s", b.ID, second)
	}
	s.mustRun(t, "verify", first[:len(first)-3])
	if res := s.run(t, "show", first[:8]); res.code != 1 || !strings.Contains(res.stderr, "matches 2 backups") {
		t.Errorf("ambiguous prefix: %s", res)
	}
	if res := s.run(t, "show", "19990101T"); res.code != 1 || !strings.Contains(res.stderr, "no backup") {
		t.Errorf("unknown prefix: %s", res)
	}
	if res := s.run(t, "show", "202"); res.code != 2 {
		t.Errorf("prefix too short: %s", res)
	}

	// download: byte for byte, the SHA-256 of the catalog and the manifest.
	b := s.show(t, first)
	object, err := os.ReadFile(s.objectPath(b.Locations[0].Key))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(object)
	if hex.EncodeToString(sum[:]) != b.Manifest.SHA256 || b.SHA256 != b.Manifest.SHA256 {
		t.Fatalf("stored object's SHA-256 differs from the manifest's: %x vs %s", sum, b.Manifest.SHA256)
	}
	res := s.mustRun(t, "download", first[:20], "--storage", "local")
	if !bytes.Equal([]byte(res.stdout), object) {
		t.Errorf("download to stdout: %d bytes, not the stored object (%d bytes)", len(res.stdout), len(object))
	}
	out := filepath.Join(t.TempDir(), "copy.sql.zst")
	s.mustRun(t, "download", first, "-o", out)
	if got, _ := os.ReadFile(out); !bytes.Equal(got, object) {
		t.Errorf("download -o wrote %d bytes, not the stored object", len(got))
	}
	if res := s.run(t, "download", second, "-o", out); res.code != 2 || !strings.Contains(res.stderr, "--force") {
		t.Errorf("download onto an existing file without --force: %s", res)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, object) {
		t.Errorf("the existing file changed")
	}
	s.mustRun(t, "download", second, "-o", out, "--force")
	if res := s.run(t, "download", second, "-o", t.TempDir(), "--force"); res.code != 2 || !strings.Contains(res.stderr, "is a directory") {
		t.Errorf("download -o DIR --force: %s; want exit 2 saying it is a directory", res)
	}
	if got, _ := os.ReadFile(out); bytes.Equal(got, object) {
		t.Errorf("--force did not replace the file")
	}
	if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	if res := s.run(t, "download", first, "--storage", "nope"); res.code != 2 {
		t.Errorf("unknown storage: %s", res)
	}

	// delete: the API's action, by prefix.
	res = s.mustRun(t, "delete", first[:len(first)-2])
	if strings.TrimSpace(res.stdout) != "deleted\t"+first+"\tlocal" {
		t.Errorf("delete printed %q", res.stdout)
	}
	if b := s.show(t, first); b.Status != "deleted" {
		t.Errorf("after delete: %s", b.Status)
	}
	if res := s.mustRun(t, "delete", first); strings.TrimSpace(res.stdout) != "deleted\t"+first+"\t-" {
		t.Errorf("a second delete, with no copy left, printed %q", res.stdout)
	}
	if _, err := os.Stat(s.objectPath(b.Locations[0].Key)); !os.IsNotExist(err) {
		t.Errorf("object still stored after delete: %v", err)
	}
	if res := s.run(t, "download", first); res.code != 1 || !strings.Contains(res.stderr, "no readable copy") {
		t.Errorf("download of a deleted backup: %s", res)
	}
	if res := s.run(t, "delete", "19990101T000000.000Z-000000000000"); res.code != 1 || !strings.Contains(res.stderr, "no backup") {
		t.Errorf("delete unknown: %s", res)
	}
	// The prefix that was ambiguous is now... still ambiguous: a deleted row stays in the catalog.
	if res := s.run(t, "delete", first[:8]); res.code != 1 || !strings.Contains(res.stderr, "matches 2") {
		t.Errorf("delete by ambiguous prefix: %s", res)
	}
	s.mustRun(t, "restore", "--latest", "--server", "m", "--database", db, "--force")
}

func TestBackupRefusesAJobAlreadyRunning(t *testing.T) {
	db := newMariaDB(t, "busy")
	conn := mariadbAdmin(t, db)
	execAll(t, conn, "CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1)")
	s := newSetup(t, []serverSpec{{name: "m", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{db}}}, options{})
	// The first backup's dump waits on this lock: its job runs until the lock goes.
	execAll(t, conn, "LOCK TABLES t WRITE")
	locked := true
	defer func() {
		if locked {
			conn.Exec("UNLOCK TABLES")
		}
	}()
	var stdout, stderr bytes.Buffer
	first := exec.Command(binary, "backup", "--config", s.configPath)
	first.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	first.Stdout, first.Stderr = &stdout, &stderr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer first.Process.Kill()
	deadline := time.Now().Add(30 * time.Second)
	for len(s.rows(t, "--status", "running")) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the first backup never showed as running\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	res := s.run(t, "backup")
	out := lines(res)
	if res.code != 1 || len(out) != 1 || !strings.HasPrefix(out[0], "-\tm\t"+db+"\tmanual\tskipped\t-\talready running: backup ") {
		t.Errorf("second backup of a running job: want exit 1 and a skipped line saying already running: %s", res)
	}
	execAll(t, conn, "UNLOCK TABLES")
	locked = false
	if err := first.Wait(); err != nil {
		t.Fatalf("the first backup: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "\tsuccess\t") {
		t.Errorf("the first backup: %s", stdout.String())
	}
}

func TestDownloadRefusesATerminal(t *testing.T) {
	scriptTool := testenv.Tool(t, "script") // util-linux: runs a command on a pseudo-terminal
	db := newMariaDB(t, "tty")
	execAll(t, mariadbAdmin(t, db), "CREATE TABLE t (id INT PRIMARY KEY)")
	s := newSetup(t, []serverSpec{{name: "m", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{db}}}, options{})
	id := backupID(t, s.mustRun(t, "backup"))
	cmd := exec.Command(scriptTool, "-qec", strconv.Quote(binary)+" download "+id+" --config "+strconv.Quote(s.configPath), "/dev/null")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "TERM=dumb"}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "refusing to write a backup object to a terminal") {
		t.Errorf("download onto a terminal: %v\n%s", err, out)
	}
}

// The daemon records the refused names of a scheduled run as failed backups
// too (its start-up catch-up runs the never-run schedule at once).
func TestServeRecordsRefusedDatabaseNames(t *testing.T) {
	s, good, dotted, newline := refusedNames(t, options{types: "  hourly: {schedule: \"@every 1h\"}\n"})
	d := startDaemon(t, s)
	want := map[string]string{good: "success", dotted: "failed", newline: "failed"}
	got := map[string]catalogRow{}
	for deadline := time.Now().Add(30 * time.Second); len(got) < len(want); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("rows after 30s: %+v\n%s", got, d.log())
		}
		for _, r := range s.rows(t) {
			if r.Status != "running" {
				got[r.Database] = r
			}
		}
	}
	for db, status := range want {
		if r := got[db]; r.Status != status || r.Type != "hourly" || (status == "failed" && (len(r.Locations) != 0 || !strings.Contains(r.Error, "storage key"))) {
			t.Errorf("%q: %+v, want %s", db, r, status)
		}
	}
	if err, _ := d.stop(syscall.SIGTERM); err != nil {
		t.Errorf("daemon exit: %v\n%s", err, d.log())
	}
	for _, f := range storedFiles(t, s) {
		if !strings.HasPrefix(f, filepath.Join("m", good)+string(filepath.Separator)) {
			t.Errorf("stored outside the good database's folder: %s", f)
		}
	}
}
