package e2e

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	_ "modernc.org/sqlite" // the catalog's driver, to plant a killed drill's record

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// shownDrill is the drill object of `show -o json`.
type shownDrill struct {
	Drill *struct {
		At          time.Time `json:"at"`
		Seconds     float64   `json:"seconds"`
		Status      string    `json:"status"`
		Server      string    `json:"server"`
		Differences []string  `json:"differences"`
		Compared    bool      `json:"compared"`
		Error       string    `json:"error"`
	} `json:"drill"`
	Manifest *struct {
		Fingerprint *backup.Fingerprint `json:"fingerprint"`
	} `json:"manifest"`
}

func (s *setup) drillOf(t *testing.T, id string) shownDrill {
	t.Helper()
	var d shownDrill
	res := s.mustRun(t, "show", id, "-o", "json")
	if err := json.Unmarshal([]byte(res.stdout), &d); err != nil {
		t.Fatalf("show -o json: %v\n%s", err, res.stdout)
	}
	if !strings.Contains(res.stdout, `"drill":`) {
		t.Errorf("show -o json has no drill field:\n%s", res.stdout)
	}
	return d
}

// mariadbDrillDatabases and pgDrillDatabases list the drill-named
// databases on the shared servers.
func mariadbDrillDatabases(t *testing.T) []string {
	t.Helper()
	return queryStrings(t, mariadbAdmin(t, ""), `SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'gosqlguard\_drill\_%' ORDER BY 1`)
}

func pgDrillDatabases(t *testing.T) []string {
	t.Helper()
	return pgStrings(t, pgAdmin(t, "postgres"), `SELECT datname FROM pg_database WHERE datname LIKE 'gosqlguard\_drill\_%' ORDER BY 1`)
}

// assertNoNewDrillDatabases fails for a drill database that appeared
// since before was taken (other runs on the shared servers may hold theirs).
func assertNoNewDrillDatabases(t *testing.T, before, now []string) {
	t.Helper()
	for _, db := range now {
		if !slices.Contains(before, db) {
			t.Errorf("drill database %s was left behind", db)
		}
	}
}

func bothServers(myDB, pgDB string) []serverSpec {
	return []serverSpec{
		{name: "my", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{myDB}},
		{name: "pg", typ: "postgres", socket: postgresSocketDir, user: "postgres", databases: []string{pgDB}},
	}
}

// A good MariaDB backup and a good PostgreSQL backup restore into scratch
// databases that match their fingerprints; the drills are recorded and the
// scratch databases are gone. A drill database that the catalog records as
// running in a process that is gone (a killed run) is removed by the next
// run; one the catalog does not know (another installation's) and a
// database that only looks like one are not touched.
func TestDrillGoodBackups(t *testing.T) {
	my := newMariaDB(t, "drill")
	loadMariaDBFixture(t, my, 0)
	pg := newPostgresDB(t, "drill")
	pgExec(t, pgAdmin(t, pg),
		`CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)`,
		`CREATE VIEW item_names AS SELECT name FROM items`,
		`CREATE SEQUENCE tickets`,
		`INSERT INTO items VALUES (1, 'a'), (2, 'b'), (3, 'c')`)
	s := newSetup(t, bothServers(my, pg), options{})
	myID := backupID(t, s.mustRun(t, "backup", "--server", "my"))
	pgID := backupID(t, s.mustRun(t, "backup", "--server", "pg"))

	killed, foreign := dump.NewDrillName(), dump.NewDrillName()
	lookalike := dump.DrillPrefix + "x" + strings.TrimPrefix(uniqueName("keep"), "gsg_")
	admin := mariadbAdmin(t, "")
	execAll(t, admin, "CREATE DATABASE `"+killed+"`", "CREATE DATABASE `"+foreign+"`", "CREATE DATABASE `"+lookalike+"`")
	t.Cleanup(func() {
		for _, n := range []string{killed, foreign, lookalike} {
			admin.Exec("DROP DATABASE IF EXISTS `" + n + "`")
		}
	})
	recordKilledDrill(t, s, myID, "my", killed)
	myBefore, pgBefore := mariadbDrillDatabases(t), pgDrillDatabases(t)

	res := s.mustRun(t, "verify", "--restore", myID, pgID)
	for _, id := range []string{myID, pgID} {
		if !strings.Contains(res.stdout, id+"\tdrill\tOK\trestored on ") || !strings.Contains(res.stdout, "matches the fingerprint") {
			t.Errorf("verify --restore output lacks a matching drill of %s:\n%s", id, res.stdout)
		}
		d := s.drillOf(t, id)
		if d.Drill == nil || d.Drill.Status != "success" || !d.Drill.Compared || d.Drill.Differences == nil || len(d.Drill.Differences) != 0 ||
			d.Drill.Seconds <= 0 || d.Drill.Error != "" {
			t.Errorf("%s: drill = %+v", id, d.Drill)
		}
		if d.Manifest == nil || d.Manifest.Fingerprint == nil || len(d.Manifest.Fingerprint.Rows) == 0 {
			t.Errorf("%s: the manifest has no fingerprint", id)
		}
	}
	if d := s.drillOf(t, myID); d.Drill != nil && d.Drill.Server != "my" {
		t.Errorf("MariaDB drill ran on %q, want my", d.Drill.Server)
	}
	myAfter := mariadbDrillDatabases(t)
	if slices.Contains(myAfter, killed) {
		t.Errorf("the killed run's drill database %s is still there", killed)
	}
	if !slices.Contains(myAfter, foreign) {
		t.Errorf("a drill database this catalog does not know (%s) was dropped", foreign)
	}
	myAfter = slices.DeleteFunc(myAfter, func(n string) bool { return n == foreign })
	if !slices.Contains(queryStrings(t, admin, "SHOW DATABASES"), lookalike) {
		t.Errorf("a database that is not a drill name (%s) was dropped", lookalike)
	}
	assertNoNewDrillDatabases(t, myBefore, myAfter)
	assertNoNewDrillDatabases(t, pgBefore, pgDrillDatabases(t))

	// --latest: the newest successful backup of each matching job.
	res = s.mustRun(t, "verify", "--latest", "--restore", "--server", "pg")
	if !strings.Contains(res.stdout, pgID+"\tdrill\tOK") || strings.Contains(res.stdout, myID) {
		t.Errorf("verify --latest --restore --server pg:\n%s", res.stdout)
	}
	table := s.mustRun(t, "show", pgID).stdout
	if !strings.Contains(table, "Last drill:") || !strings.Contains(table, "success on pg") {
		t.Errorf("show lacks the last drill:\n%s", table)
	}
}

// A PostgreSQL backup that dumps cleanly but cannot be restored: a
// generated column calls a SQL function that calls pg_trgm's similarity
// without a schema; pg_dump clears search_path, so loading the table's
// data fails. The drill fails with the restore tool's error, exits 1 and
// leaves no scratch database.
func TestDrillUnrestorablePostgresBackup(t *testing.T) {
	pg := newPostgresDB(t, "drillbad")
	pgExec(t, pgAdmin(t, pg),
		`CREATE EXTENSION pg_trgm`,
		`CREATE FUNCTION likeness(a text) RETURNS real LANGUAGE sql IMMUTABLE AS $$ SELECT similarity(a, 'gosqlguard') $$`,
		`CREATE TABLE words (id int PRIMARY KEY, w text NOT NULL, score real GENERATED ALWAYS AS (likeness(w)) STORED)`,
		`INSERT INTO words (id, w) VALUES (1, 'gosql'), (2, 'guard')`)
	s := pgSetup(t, pg)
	id := backupID(t, s.mustRun(t, "backup", "--server", "pg"))
	before := pgDrillDatabases(t)

	res := s.run(t, "verify", "--restore", id)
	if res.code != 1 {
		t.Fatalf("verify --restore of an unrestorable backup exited %d, want 1:\n%s", res.code, res)
	}
	if !strings.Contains(res.stdout, id+"\tdrill\tFAILED") || !strings.Contains(res.stdout, "does not exist") {
		t.Errorf("output lacks the failed drill with the tool's error:\n%s", res)
	}
	d := s.drillOf(t, id)
	if d.Drill == nil || d.Drill.Status != "failure" || !strings.Contains(d.Drill.Error, "does not exist") {
		t.Errorf("recorded drill = %+v", d.Drill)
	}
	assertNoNewDrillDatabases(t, before, pgDrillDatabases(t))
}

// A stored MariaDB dump loses one row: the copy is stored as a new backup
// with the original's fingerprint (and its own size and checksum), so that
// it verifies, restores and then counts one row short.
func TestDrillReportsRemovedRow(t *testing.T) {
	my := newMariaDB(t, "drillrow")
	loadMariaDBFixture(t, my, 0)
	s := newSetup(t, rootMariaDB(my), options{})
	id := backupID(t, s.mustRun(t, "backup", "--server", "my"))

	var loc struct {
		Locations []struct{ Key string } `json:"locations"`
	}
	if err := json.Unmarshal([]byte(s.mustRun(t, "show", id, "-o", "json").stdout), &loc); err != nil || len(loc.Locations) != 1 {
		t.Fatalf("show: %v %+v", err, loc)
	}
	key := loc.Locations[0].Key
	raw := rawDump(t, s.objectPath(key))
	const row = "(2,1,99.99,'new'),"
	if strings.Count(raw, row) != 1 {
		t.Fatalf("the dump does not hold the row %s once", row)
	}
	edited := strings.Replace(raw, row, "", 1)
	var obj bytes.Buffer
	zw, _ := zstd.NewWriter(&obj)
	zw.Write([]byte(edited))
	zw.Close()

	newID := backup.NewID(time.Now())
	dir := path.Dir(key)
	newKey := path.Join(dir, newID+strings.TrimPrefix(path.Base(key), id))
	if err := os.WriteFile(s.objectPath(newKey), obj.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	manifestKey := path.Join(dir, id+".manifest.json")
	mj, err := os.ReadFile(s.objectPath(manifestKey))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(mj, &m); err != nil {
		t.Fatal(err)
	}
	if m["fingerprint"] == nil {
		t.Fatal("the manifest has no fingerprint")
	}
	sum := sha256.Sum256(obj.Bytes())
	m["id"], m["sha256"], m["stored_bytes"], m["raw_bytes"] = newID, hex.EncodeToString(sum[:]), obj.Len(), len(edited)
	if _, ok := m["object"]; ok {
		m["object"] = path.Base(newKey)
	}
	mj, _ = json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(s.objectPath(path.Join(dir, newID+".manifest.json")), mj, 0o600); err != nil {
		t.Fatal(err)
	}
	s.mustRun(t, "catalog", "rebuild")
	before := mariadbDrillDatabases(t)

	res := s.run(t, "verify", "--restore", newID)
	if res.code != 1 {
		t.Fatalf("verify --restore of a dump missing a row exited %d, want 1:\n%s", res.code, res)
	}
	if !strings.Contains(res.stdout, newID+"\tdrill\tDIFFERS") || !strings.Contains(res.stdout, "orders: 2 rows, want 3") {
		t.Errorf("output lacks the row difference:\n%s", res)
	}
	d := s.drillOf(t, newID)
	if d.Drill == nil || d.Drill.Status != "failure" || len(d.Drill.Differences) != 1 || !strings.Contains(d.Drill.Differences[0], "orders: 2 rows, want 3") {
		t.Errorf("recorded drill = %+v", d.Drill)
	}
	assertNoNewDrillDatabases(t, before, mariadbDrillDatabases(t))
}

// A daemon with a drills schedule drills the newest backup of each job and
// records it; the drill shows in `show -o json`.
func TestScheduledDrill(t *testing.T) {
	my := newMariaDB(t, "drillsched")
	execAll(t, mariadbAdmin(t, my), "CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1), (2)")
	s := newSetup(t, rootMariaDB(my), options{extra: "drills: {schedule: \"@every 5s\"}\n"})
	id := backupID(t, s.mustRun(t, "backup", "--server", "my"))
	before := mariadbDrillDatabases(t)

	d := startDaemon(t, s)
	d.waitLog("restore drill finished", time.Minute)
	if err, _ := d.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("daemon exit: %v\n%s", err, d.log())
	}
	got := s.drillOf(t, id)
	if got.Drill == nil || got.Drill.Status != "success" || got.Drill.Server != "my" {
		t.Errorf("scheduled drill = %+v\n%s", got.Drill, d.log())
	}
	assertNoNewDrillDatabases(t, before, mariadbDrillDatabases(t))
}

// recordKilledDrill writes into the catalog what a drill run killed
// mid-restore leaves: a running record of this host, by a process that is
// gone, for the drill database scratch.
func recordKilledDrill(t *testing.T, s *setup, backupID, server, scratch string) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(s.dir, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	host, _ := os.Hostname()
	_, err = db.Exec(`INSERT INTO drills (backup_id, started_at, status, server, scratch, host, pid)
		VALUES (?, ?, 'running', ?, ?, ?, ?)`, backupID, time.Now().UTC().Format("2006-01-02T15:04:05.000000000Z"), server, scratch, host, 1<<22+12345)
	if err != nil {
		t.Fatal(err)
	}
}
