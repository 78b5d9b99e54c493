package e2e

import (
	"io"
	"net/http"
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
