package e2e

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", to read the catalog as it is stored

	"github.com/gosqlguard/gosqlguard/internal/lease"
	"github.com/gosqlguard/gosqlguard/internal/testenv"
)

// Three `serve` replicas share one PostgreSQL catalog; see testReplicas.
func TestReplicasPostgresCatalog(t *testing.T) {
	t.Parallel()
	testReplicas(t, "postgres")
}

// Three `serve` replicas share one MariaDB catalog; see testReplicas.
func TestReplicasMariaDBCatalog(t *testing.T) {
	t.Parallel()
	testReplicas(t, "mysql")
}

// Replica timing: the job runs every slotLen, leases last leaseTTL, and the
// replicas run for at least runFor (over 30 slots), one of them being killed
// mid-backup after about killAfter (some 10 slots).
const (
	slotLen   = 2 * time.Second
	leaseTTL  = 3 * time.Second
	runFor    = 64 * time.Second
	killAfter = 20 * time.Second
)

// catalogTimeLayout is how the SQL catalogs store times (fixed-width UTC text).
const catalogTimeLayout = "2006-01-02T15:04:05.000000000Z"

// replica is one running `serve` of a shared catalog.
type replica struct {
	name string
	d    *daemon
	api  apiClient
	pid  int
	dead bool // killed or stopped
}

// sharedCatalog is a scratch catalog database on the shared server.
type sharedCatalog struct {
	driver string  // the config's catalog.driver
	dsn    string  // what the replicas are given, in a dsn_file
	secret string  // the password in dsn, which no log may show
	db     *sql.DB // the test's own view of it
}

// newSharedCatalog creates an empty catalog database, reachable with a DSN
// that holds a password, and drops it (and its user) when the test ends.
func newSharedCatalog(t *testing.T, driver string) *sharedCatalog {
	t.Helper()
	name := uniqueName("cat")
	secret := "cat-" + uniqueName("pw")
	c := &sharedCatalog{driver: driver, secret: secret}
	switch driver {
	case "postgres":
		pgExec(t, pgAdmin(t, "postgres"), "CREATE DATABASE "+name)
		dropPostgresDBLater(t, name)
		// The socket's trust authentication ignores the password; it is
		// there to prove the DSN never reaches a log.
		c.dsn = fmt.Sprintf("host=%s user=postgres password=%s dbname=%s", postgresSocketDir, secret, name)
		db, err := sql.Open("pgx", c.dsn)
		if err != nil {
			t.Fatal(err)
		}
		c.db = db
	case "mysql":
		user := uniqueName("catu")
		admin := mariadbAdmin(t, "")
		execAll(t, admin,
			"CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4",
			fmt.Sprintf("CREATE USER '%s'@'localhost' IDENTIFIED BY '%s'", user, secret),
			fmt.Sprintf("GRANT ALL ON `%s`.* TO '%s'@'localhost'", name, user))
		t.Cleanup(func() {
			admin.Exec("DROP DATABASE IF EXISTS `" + name + "`")
			admin.Exec(fmt.Sprintf("DROP USER IF EXISTS '%s'@'localhost'", user))
		})
		cfg := mysql.NewConfig()
		cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = user, secret, "unix", mariadbSocket, name
		c.dsn = cfg.FormatDSN()
		db, err := sql.Open("mysql", c.dsn)
		if err != nil {
			t.Fatal(err)
		}
		c.db = db
	default:
		t.Fatalf("unknown catalog driver %q", driver)
	}
	t.Cleanup(func() { c.db.Close() })
	if err := c.db.Ping(); err != nil {
		testenv.Require(t, driver+" catalog", err)
	}
	return c
}

// storedBackup is a backups row of the job, as stored.
type storedBackup struct {
	id, status, ownerHost, err string
	ownerPID                   int
	started, finished          time.Time // finished zero while running
}

func (r storedBackup) holder() string { return lease.OwnerName(r.ownerHost, r.ownerPID) }

func (r storedBackup) String() string {
	fin := "-"
	if !r.finished.IsZero() {
		fin = r.finished.Format("15:04:05.000")
	}
	return fmt.Sprintf("%s %s pid %d %s..%s %q", r.id, r.status, r.ownerPID, r.started.Format("15:04:05.000"), fin, r.err)
}

func parseCatalogTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(catalogTimeLayout, s)
	if err != nil {
		t.Fatalf("catalog time %q: %v", s, err)
	}
	return tm
}

// backups reads the backups of type typ (on the test's only server); where
// is an extra SQL condition ("" for none). Errors are returned, not fatal,
// so that it can be polled.
func (c *sharedCatalog) backups(typ, where string) ([]storedBackup, error) {
	q := "SELECT id, status, started_at, COALESCE(finished_at, ''), owner_host, owner_pid, error FROM backups WHERE type = '" + typ + "'"
	if where != "" {
		q += " AND " + where
	}
	rows, err := c.db.Query(q + " ORDER BY started_at, id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storedBackup
	for rows.Next() {
		var r storedBackup
		var started, finished string
		if err := rows.Scan(&r.id, &r.status, &started, &finished, &r.ownerHost, &r.ownerPID, &r.err); err != nil {
			return nil, err
		}
		if r.started, err = time.Parse(catalogTimeLayout, started); err != nil {
			return nil, err
		}
		if finished != "" {
			if r.finished, err = time.Parse(catalogTimeLayout, finished); err != nil {
				return nil, err
			}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// slotClaim is a slot_claims row.
type slotClaim struct {
	slot, claimed time.Time
	holder        string
}

func (c *sharedCatalog) claims(t *testing.T, job string) []slotClaim {
	t.Helper()
	rows, err := c.db.Query("SELECT slot, holder, claimed_at FROM slot_claims WHERE job = '" + job + "' ORDER BY slot")
	if err != nil {
		t.Fatalf("slot claims: %v", err)
	}
	defer rows.Close()
	var out []slotClaim
	for rows.Next() {
		var slot, claimed string
		var c slotClaim
		if err := rows.Scan(&slot, &c.holder, &claimed); err != nil {
			t.Fatal(err)
		}
		c.slot, c.claimed = parseCatalogTime(t, slot), parseCatalogTime(t, claimed)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// replicaSource is a small MariaDB database whose dump, compressed with
// gzip at level 9, takes some tenths of a second: long enough to catch a
// replica mid-backup, short enough for a backup to end well within its 2 s
// slot.
func replicaSource(t *testing.T) string {
	t.Helper()
	db := newMariaDB(t, "repl")
	execAll(t, mariadbAdmin(t, db),
		"CREATE TABLE t (id INT PRIMARY KEY, a CHAR(64), b VARCHAR(200))",
		"INSERT INTO t SELECT seq, SHA2(seq, 256), REPEAT(MD5(seq), 3) FROM seq_1_to_60000") // about 10 MB of SQL
	return db
}

// testReplicas runs three `serve` replicas on one shared catalog for over
// 30 slots of a job scheduled every 2 s, SIGKILLs one of them mid-backup
// after some 10 slots, and checks from the catalog that:
//
//   - every slot was claimed, by exactly one replica, and ran at most once:
//     each backup is the run of a claim of its own replica, made just
//     before it started, and no two backups share a claim or overlap;
//   - a claim without a backup is one whose replica found the job running
//     (the previous run, or the dead replica's until its lease lapsed), or
//     one made as the replicas were stopped;
//   - the killed replica's backup is ended interrupted, saying its lease
//     expired; every other one succeeded; none is left running;
//   - once the killed replica's lease lapsed, the survivors ran every slot;
//   - each replica's API lists the backups another replica runs, and
//     refuses (409) to start a job another replica runs;
//   - no log shows the catalog's DSN or its password.
func testReplicas(t *testing.T, driver string) {
	cat := newSharedCatalog(t, driver)
	src := replicaSource(t)
	const typ = "every2s"
	job := "src/" + src + "/" + typ
	dsnFile := writeSecret(t, cat.dsn)

	s := newSetup(t, []serverSpec{{name: "src", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{src}}},
		options{types: "  " + typ + ": {schedule: \"@every 2s\"}\n",
			extra: "compression: {codec: gzip, level: 9}\n" +
				"daemon: {lease_ttl: " + leaseTTL.String() + "}\n" +
				"http:\n  listen: \"@LISTEN@\"\n  auth:\n    tokens:\n" + tokenLine("ops", "operator", "replica-token")})
	base, err := os.ReadFile(s.configPath)
	if err != nil {
		t.Fatal(err)
	}
	first, rest, _ := strings.Cut(string(base), "\n")
	if !strings.HasPrefix(first, "catalog:") {
		t.Fatalf("config does not start with the catalog: %q", first)
	}
	cfg := fmt.Sprintf("catalog: {driver: %s, dsn_file: %q}\n", driver, dsnFile) + rest

	var replicas []*replica
	launched := time.Now()
	for i := range 3 {
		r := *s
		r.listen = freeAddr(t)
		r.configPath = filepath.Join(s.dir, fmt.Sprintf("replica%d.yaml", i+1))
		if err := os.WriteFile(r.configPath, []byte(strings.Replace(cfg, "@LISTEN@", r.listen, 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		d := startDaemon(t, &r)
		replicas = append(replicas, &replica{name: fmt.Sprintf("replica%d", i+1), d: d, pid: d.cmd.Process.Pid,
			api: apiClient{t, "http://" + r.listen + "/api/v1", "replica-token"}})
	}
	start := time.Now()
	for _, r := range replicas {
		waitReady(t, strings.TrimSuffix(r.api.base, "/api/v1"), r.d)
	}
	byPID := map[int]*replica{}
	for _, r := range replicas {
		byPID[r.pid] = r
	}
	logs := func() string {
		var b strings.Builder
		for _, r := range replicas {
			fmt.Fprintf(&b, "--- %s (pid %d):\n%s", r.name, r.pid, r.d.log())
		}
		return b.String()
	}

	var (
		victim     *replica
		victimRow  storedBackup
		killedAt   time.Time
		apiStarted = map[string]bool{} // backups a POST started after all: not of a slot
		seenRemote int                 // times a replica's /status listed another one's running backup
		conflicts  int                 // 409s to a POST for a job another replica ran
		posts      int
	)
	body := fmt.Sprintf(`{"server":"src","database":%q,"type":%q}`, src, typ)
	for time.Since(start) < runFor {
		running, err := cat.backups(typ, "status = 'running'")
		if err != nil {
			t.Fatalf("poll the catalog: %v", err)
		}
		if len(running) > 1 {
			t.Errorf("two backups of one job run at once: %v", running)
		}
		var run *storedBackup
		var owner *replica
		if len(running) == 1 {
			run, owner = &running[0], byPID[running[0].ownerPID]
		}
		// A run that started within the last 100 ms has some tenths of a
		// second to go: the moment to act on it.
		fresh := run != nil && owner != nil && !owner.dead && time.Since(run.started) < 100*time.Millisecond
		switch {
		case !fresh:
		case victim == nil && time.Since(start) >= killAfter:
			victim, victimRow = owner, *run
			victim.d.stop(syscall.SIGKILL)
			victim.dead, killedAt = true, time.Now()
			t.Logf("killed %s (pid %d) running backup %s", victim.name, victim.pid, run.id)
		case seenRemote < 3 || conflicts < 1:
			// Every other live replica lists the run in its status.
			var other *replica
			for _, r := range replicas {
				if r == owner || r.dead {
					continue
				}
				other = r
				if seenRemote >= 3 {
					continue
				}
				code, out := r.api.do("GET", "/status", "")
				var st struct{ Running []string }
				if code != 200 || json.Unmarshal([]byte(out), &st) != nil {
					t.Fatalf("%s GET /status: %d %s", r.name, code, out)
				}
				if !slices.Contains(st.Running, run.id) {
					// It may have just ended: only a listing without it
					// while the catalog still says it runs is wrong.
					if again, err := cat.backups(typ, "id = '"+run.id+"' AND status = 'running'"); err == nil && len(again) == 1 {
						t.Errorf("%s's /status lists %v, not %s's running backup %s", r.name, st.Running, owner.name, run.id)
					}
					continue
				}
				seenRemote++
			}
			if conflicts < 1 && posts < 10 {
				posts++
				code, out := other.api.do("POST", "/backups", body)
				switch code {
				case 409:
					conflicts++
					if !strings.Contains(out, "already running") {
						t.Errorf("409 of %s does not say the job runs: %s", other.name, out)
					}
				case 202: // the run had ended by then: this one is not of a slot
					var started struct{ IDs []string }
					json.Unmarshal([]byte(out), &started)
					for _, id := range started.IDs {
						apiStarted[id] = true
					}
					t.Logf("POST to %s for a job %s was running answered 202 (it had just ended): %v", other.name, owner.name, started.IDs)
				default:
					t.Errorf("POST to %s for a job %s runs: %d %s", other.name, owner.name, code, out)
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if victim == nil {
		t.Fatalf("never caught a replica mid-backup:\n%s", logs())
	}
	if st, err := cat.backups(typ, "id = '"+victimRow.id+"'"); err != nil || len(st) != 1 || st[0].status == "success" {
		t.Fatalf("the killed replica's backup %s had finished before the kill, the test proves nothing: %v %v", victimRow.id, st, err)
	}

	// Stop the survivors together, in the middle of a slot with the job
	// idle, so that no claim is made as they stop; they finish what they run.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the job never idled mid-slot:\n%s", logs())
		}
		running, err := cat.backups(typ, "status = 'running'")
		if off := time.Since(time.Now().Truncate(slotLen)); err == nil && len(running) == 0 && off > slotLen/2 && off < slotLen*3/4 {
			break
		}
	}
	stopAt := time.Now()
	var wg sync.WaitGroup
	for _, r := range replicas {
		if r.dead {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err, _ := r.d.stop(syscall.SIGTERM); err != nil {
				t.Errorf("%s exited with %v after SIGTERM", r.name, err)
			}
		}()
		r.dead = true
	}
	wg.Wait()

	all, err := cat.backups(typ, "")
	if err != nil {
		t.Fatal(err)
	}
	claims := cat.claims(t, job)
	checkReplicaRun(t, replicaRun{all: all, claims: claims, victim: victim, victimRow: victimRow,
		killedAt: killedAt, launched: launched, stopAt: stopAt, apiStarted: apiStarted})

	if seenRemote == 0 {
		t.Errorf("no replica's /api/v1/status listed a backup another replica ran")
	}
	if conflicts == 0 {
		t.Errorf("no POST for a job another replica ran answered 409 (%d POSTs)", posts)
	}
	var leases int
	if err := cat.db.QueryRow("SELECT COUNT(*) FROM leases WHERE name LIKE 'owner/%'").Scan(&leases); err != nil {
		t.Fatal(err)
	}
	if leases != 0 {
		t.Errorf("%d owner leases left after the survivors stopped and the dead one's lapsed", leases)
	}
	for _, r := range replicas {
		l := r.d.log()
		if !strings.Contains(l, "daemon started") {
			t.Errorf("%s never logged its start: the log check below would prove nothing", r.name)
		}
		for _, secret := range []string{cat.dsn, cat.secret, url.QueryEscape(cat.secret)} {
			if strings.Contains(l, secret) {
				t.Errorf("%s logged the catalog DSN or its password", r.name)
			}
		}
	}
	t.Logf("%d slots claimed, %d backups, %d POSTs (%d refused with 409), %d remote runs seen in /status",
		len(claims), len(all), posts, conflicts, seenRemote)
	if t.Failed() {
		t.Logf("backups:\n%s\nclaims:\n%s\nlogs:\n%s", rowsText(all), claimsText(claims), logs())
	}
}

// replicaRun is what testReplicas found once the replicas stopped.
type replicaRun struct {
	all        []storedBackup
	claims     []slotClaim
	victim     *replica
	victimRow  storedBackup // its backup when it was killed
	killedAt   time.Time
	launched   time.Time // just before the first replica was started
	stopAt     time.Time // the survivors were sent SIGTERM
	apiStarted map[string]bool
}

var leaseExpiredAt = regexp.MustCompile(`^interrupted: the process running this backup stopped before it finished \(its lease expired at (\S+): `)

func checkReplicaRun(t *testing.T, run replicaRun) {
	t.Helper()
	victimHolder := lease.OwnerName(run.victimRow.ownerHost, run.victimRow.ownerPID)

	// Every backup ended: the killed one interrupted for its lease, the
	// others successful.
	var lapsed time.Time
	for _, b := range run.all {
		switch {
		case b.id == run.victimRow.id:
			m := leaseExpiredAt.FindStringSubmatch(b.err)
			if b.status != "interrupted" || m == nil {
				t.Errorf("the killed replica's backup: %v, want interrupted for its lapsed lease", b)
				continue
			}
			expired, err := time.Parse(time.RFC3339, m[1])
			if err != nil {
				t.Errorf("lease expiry %q: %v", m[1], err)
				continue
			}
			lapsed = expired
			if d := expired.Sub(run.killedAt); d < -time.Second || d > leaseTTL+time.Second {
				t.Errorf("the killed replica's lease expired at %s, %s after the kill; want within the lease TTL %s", expired, d, leaseTTL)
			}
			// Recovery ends it within a reclaim period (TTL/2) or the next
			// slot after the lease lapsed; allow for scheduling delays.
			if late := b.finished.Sub(expired); late < 0 || late > slotLen+2*time.Second {
				t.Errorf("the killed replica's backup was ended %s after its lease expired (%s)", late, b.finished)
			}
		case b.status != "success":
			t.Errorf("backup %v, want success", b)
		}
	}
	if lapsed.IsZero() {
		t.Fatalf("the killed replica's backup %s is not interrupted for its lapsed lease", run.victimRow.id)
	}

	// No two backups of the job overlap.
	for i := 1; i < len(run.all); i++ {
		if prev, b := run.all[i-1], run.all[i]; b.started.Before(prev.finished) {
			t.Errorf("backups overlap: %v and %v", prev, b)
		}
	}

	// A backup's finished_at is stamped before its manifests are written
	// and its row updated: the catalog shows it running a little longer
	// (a few ms, more under load), and a claim in that gap finds the job
	// running.
	const endRecorded = 500 * time.Millisecond
	runningAt := func(at time.Time) (storedBackup, bool) {
		for _, b := range run.all {
			if !b.started.After(at.Add(500*time.Millisecond)) && (b.finished.IsZero() || b.finished.Add(endRecorded).After(at)) {
				return b, true
			}
		}
		return storedBackup{}, false
	}

	// Every slot from the first to the last was claimed, once (the
	// primary key sees to that), on the 2 s grid of "@every 2s". The one
	// exception is at start: each replica's catch-up run claims the slot
	// before its start, and a replica whose catch-up is still under way at
	// the next slot skips that slot without a claim (its scheduler runs one
	// task per job). When all of them start just before a slot boundary,
	// nobody claims it; the catch-up backup, running then, stands for it.
	firstAfterLaunch := run.launched.Truncate(slotLen).Add(slotLen)
	catchUp := len(run.claims) > 0 && run.claims[0].slot.Before(run.launched)
	if len(run.claims) < 30 {
		t.Errorf("%d slots claimed, want at least 30", len(run.claims))
	}
	for i, c := range run.claims {
		if !c.slot.Equal(c.slot.Truncate(slotLen)) {
			t.Errorf("slot %s is off the %s grid", c.slot, slotLen)
		}
		if i == 0 {
			continue
		}
		for missing := run.claims[i-1].slot.Add(slotLen); missing.Before(c.slot); missing = missing.Add(slotLen) {
			if b, busy := runningAt(missing); i == 1 && catchUp && !missing.After(firstAfterLaunch) && busy {
				t.Logf("slot %s was not claimed: every replica was still in its catch-up run (%v)", missing, b)
				continue
			}
			t.Errorf("slot %s was not claimed", missing)
		}
		if c.holder == victimHolder && c.claimed.After(run.killedAt) {
			t.Errorf("the killed replica claimed slot %s after it was killed", c.slot)
		}
	}

	// Each backup of a slot is the run of a claim its replica made just
	// before it started: the latest claim of that replica before its
	// start, in the same slot, and no other backup's.
	runOf := map[int]storedBackup{} // claim index → its backup
	for _, b := range run.all {
		if run.apiStarted[b.id] {
			continue
		}
		ci := -1
		for i, c := range run.claims {
			if c.holder == b.holder() && !c.claimed.After(b.started) {
				ci = i
			}
		}
		if ci < 0 {
			t.Errorf("backup %v was run without a claim of its replica", b)
			continue
		}
		c := run.claims[ci]
		if d := b.started.Sub(c.claimed); d > time.Second {
			t.Errorf("backup %v started %s after its replica's last claim (slot %s): not the run of a claim", b, d, c.slot)
		}
		if b.started.Before(c.slot) {
			t.Errorf("backup %v started before its slot %s", b, c.slot)
		}
		if other, dup := runOf[ci]; dup {
			t.Errorf("slot %s ran twice: %v and %v", c.slot, other, b)
			continue
		}
		runOf[ci] = b
	}

	// A claim without a backup is one whose replica found the job running
	// (the previous run, or the killed replica's until its lease lapsed),
	// or one the survivors made as they were told to stop (see endRecorded).
	skipped, skippedAfterLapse := 0, 0
	for i, c := range run.claims {
		if _, ok := runOf[i]; ok || !c.claimed.Before(run.stopAt) {
			continue
		}
		b, busy := runningAt(c.claimed)
		if !busy {
			t.Errorf("slot %s was claimed by %s at %s and never ran, though the job was not running", c.slot, c.holder, c.claimed)
			continue
		}
		skipped++
		if c.slot.After(lapsed.Add(slotLen)) {
			skippedAfterLapse++
			t.Logf("slot %s skipped after the killed replica's lease lapsed: %v was still running", c.slot, b)
		}
	}

	// Once the killed replica's lease lapsed (and one slot more, in which
	// its backup is ended), the survivors ran every slot until they were
	// stopped, bar those the previous run of the job overran.
	survivorRuns := 0
	for i, c := range run.claims {
		if c.slot.After(lapsed.Add(slotLen)) && c.claimed.Before(run.stopAt) {
			if c.holder == victimHolder {
				t.Errorf("slot %s after the kill was claimed by the killed replica", c.slot)
			}
			if _, ok := runOf[i]; ok {
				survivorRuns++
			}
		}
	}
	if want := int(run.stopAt.Sub(lapsed)/slotLen) - 3 - skippedAfterLapse; survivorRuns < want {
		t.Errorf("the survivors ran %d slots after the killed replica's lease lapsed, want at least %d", survivorRuns, want)
	}
	t.Logf("%d slots ran, %d skipped while the job ran (%d after the lease lapsed), %d run by the survivors after the lease lapsed at %s (kill at %s)",
		len(runOf), skipped, skippedAfterLapse, survivorRuns, lapsed.Format("15:04:05"), run.killedAt.Format("15:04:05.000"))
	var took []time.Duration
	for _, b := range run.all {
		if b.status == "success" {
			took = append(took, b.finished.Sub(b.started))
		}
	}
	if len(took) > 0 {
		sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
		t.Logf("backup durations: min %s, median %s, max %s", took[0], took[len(took)/2], took[len(took)-1])
	}
}

func rowsText(rows []storedBackup) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(r.String() + "\n")
	}
	return b.String()
}

func claimsText(claims []slotClaim) string {
	var b strings.Builder
	for _, c := range claims {
		fmt.Fprintf(&b, "%s %s at %s\n", c.slot.Format("15:04:05"), c.holder, c.claimed.Format("15:04:05.000"))
	}
	return b.String()
}
