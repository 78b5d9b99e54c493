package e2e

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A configured job that never succeeded (its server is down) exports its
// last success as 0 from the daemon's start, so an alert on its age
// fires, since when the daemon schedules it, and the next run of its type;
// its server exports gosqlguard_server_info.
func TestServeExportsJobsThatNeverSucceeded(t *testing.T) {
	s := newSetup(t, []serverSpec{{name: "down", typ: "mysql", socket: filepath.Join(t.TempDir(), "no.sock"), user: "root", databases: []string{"shop"}}},
		options{types: "  daily: {schedule: \"30 2 * * *\"}\n"})
	d := startDaemon(t, s)
	d.waitLog("daemon started", 30*time.Second)
	d.waitLog(`msg="backup finished"`, 30*time.Second) // the catch-up run, which fails
	res, err := http.Get("http://" + s.listen + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{
		`gosqlguard_backup_last_success_timestamp_seconds{database="shop",server="down",type="daily"} 0` + "\n",
		`gosqlguard_job_next_run_timestamp_seconds{database="shop",server="down",type="daily"} `,
		`gosqlguard_job_scheduled_since_timestamp_seconds{database="shop",server="down",type="daily"} `,
		`gosqlguard_server_info{engine="mysql",server="down"} 1` + "\n",
		`gosqlguard_backup_runs_total{database="shop",server="down",status="failure",type="daily"} 1` + "\n",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(d.log(), `error=""`) {
		t.Errorf("the log has empty error attributes:\n%s", d.log())
	}
	if !strings.Contains(d.log(), `level=ERROR msg="backup finished"`) || !strings.Contains(d.log(), "status=failed") {
		t.Errorf("the failed backup is not logged at ERROR:\n%s", d.log())
	}
}

// A daemon on an SQLite catalog shows what one-shot commands beside it did
// within half a lease_ttl, without a restart: a CLI backup's last success
// and a CLI drill's proof. When that backup fails a later drill, its proof
// no longer counts and the drill gauge goes, as last_drill_success of
// GET /api/v1/jobs does: at once for a drill the daemon runs.
func TestServeMetricsFollowOneShotCommands(t *testing.T) {
	db := newMariaDB(t, "oneshotmetrics")
	execAll(t, mariadbAdmin(t, db), "CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1), (2), (3)")
	s := newSetup(t, []serverSpec{{name: "my", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{db}}},
		options{types: "  daily: {schedule: \"30 2 * * *\"}\n", extra: "daemon: {lease_ttl: 3s}\n"})
	s.mustRun(t, "backup", "--type", "daily", "--no-prune") // before the daemon starts: no catch-up run
	d := startDaemon(t, s)
	base := "http://" + s.listen
	waitReady(t, base, d)

	scrape := func() string {
		res, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return string(body)
	}
	labels := `{database="` + db + `",server="my",type="daily"}`
	drillSeries := "gosqlguard_restore_drill_last_success_timestamp_seconds" + labels
	wait := func(what string, ok func(string) bool) {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			if body := scrape(); ok(body) {
				return
			} else if time.Now().After(deadline) {
				t.Fatalf("%s: not in /metrics after 15 s:\n%s", what, body)
			}
		}
	}
	lastSuccess := func(body string) string {
		for _, l := range strings.Split(body, "\n") {
			if strings.HasPrefix(l, "gosqlguard_backup_last_success_timestamp_seconds"+labels+" ") {
				return l
			}
		}
		return ""
	}
	before := lastSuccess(scrape())

	second := backupID(t, s.mustRun(t, "backup", "--type", "daily", "--no-prune"))
	wait("the CLI backup's last success", func(b string) bool { l := lastSuccess(b); return l != "" && l != before })
	s.mustRun(t, "verify", "--restore", second)
	wait("the CLI drill's proof", func(b string) bool { return strings.Contains(b, drillSeries+" ") })

	// The proving backup's copy goes bad and its next drill fails: nothing
	// proves the job any more (the first backup was never drilled).
	obj := s.objectPath(s.show(t, second).Locations[0].Key)
	data, err := os.ReadFile(obj)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(obj, append(data, 0), 0o600); err != nil {
		t.Fatal(err)
	}
	// A drill the daemon runs updates the gauge as it answers, without
	// waiting for the next read of the catalog.
	res, err := http.Post(base+"/api/v1/backups/"+second+"/drill", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `"status":"failure"`) {
		t.Fatalf("drill of a damaged copy: %d %s", res.StatusCode, body)
	}
	if m := scrape(); strings.Contains(m, drillSeries+" ") {
		t.Errorf("the drill gauge still shows the proof the failed drill took back:\n%s", m)
	}
	// A CLI drill beside it: the periodic read.
	if res := s.run(t, "verify", "--restore", second); res.code != 1 {
		t.Fatalf("verify --restore of a damaged copy: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	wait("the drill gauge still gone", func(b string) bool { return !strings.Contains(b, drillSeries+" ") })
}
