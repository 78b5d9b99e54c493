package web

import (
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

func TestOperationView(t *testing.T) {
	const mib = 1 << 20
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	op := service.Operation{Kind: "restore", Target: "shop_copy", TotalBytes: 100 * mib, StartedAt: now.Add(-time.Minute)}
	for _, tc := range []struct {
		name       string
		phase      string
		read       int64
		since      time.Duration
		step, done string
		percent    int
	}{
		{name: "checking", phase: "", step: "checking the target", percent: -1},
		{name: "queued", phase: "queued", step: "waiting for a free drill slot", percent: -1},
		{name: "verify half", phase: "verify local", read: 50 * mib, since: 10 * time.Second, step: "verifying the copy in local", percent: 50, done: "50% of 100 MiB, ~10s left"},
		{name: "restore start", phase: "restore", step: "restoring", percent: 0, done: "0% of 100 MiB"},
		{name: "restore read all", phase: "restore", read: 100 * mib, since: 20 * time.Second, step: "restoring: all data read, finishing (indexes, constraints, swap)", percent: 100, done: "all of 100 MiB read"},
		{name: "verify read all", phase: "verify s3", read: 100 * mib, since: 20 * time.Second, step: "verifying the copy in s3", percent: 100, done: "all of 100 MiB read"},
		{name: "compare", phase: "compare", read: 100 * mib, step: "comparing with the backup's fingerprint", percent: -1},
	} {
		o := op
		o.Phase, o.ReadBytes, o.PhaseStartedAt = tc.phase, tc.read, now.Add(-tc.since)
		v := newOperationView(o, now)
		if v.Step() != tc.step || v.Percent != tc.percent || v.Done() != tc.done {
			t.Errorf("%s: step %q, percent %d, done %q; want %q, %d, %q", tc.name, v.Step(), v.Percent, v.Done(), tc.step, tc.percent, tc.done)
		}
	}
	if w := newOperationView(op, now).What(); w != "Restore into shop_copy" {
		t.Errorf("What() = %q", w)
	}
	op.Kind, op.Target = "drill", "pg-main"
	if w := newOperationView(op, now).What(); w != "Restore drill on pg-main" {
		t.Errorf("What() = %q", w)
	}
}

// Running restores and drills show on the dashboard, count as running, and
// show on their backup's page, which polls for them.
func TestRunningOperationsShown(t *testing.T) {
	e := newEnv(t, envOptions{})
	b := e.svc.Add("main-mysql", "crm", "daily", e.svc.Now().Add(-time.Hour), backup.StatusSuccess, "")
	other := e.svc.Add("main-mysql", "shop", "daily", e.svc.Now().Add(-time.Hour), backup.StatusSuccess, "")
	now := e.svc.Now()
	e.svc.RunningOps = []service.Operation{
		{Kind: "restore", BackupID: b.ID, Server: "main-mysql", Database: "crm", Type: "daily", Target: "crm_copy",
			StartedAt: now.Add(-time.Minute), Phase: "restore", PhaseStartedAt: now.Add(-10 * time.Second), ReadBytes: 25 << 20, TotalBytes: 100 << 20},
		{Kind: "drill", BackupID: other.ID, Server: "main-mysql", Database: "shop", Type: "daily", Target: "main-mysql",
			StartedAt: now.Add(-2 * time.Minute), Phase: "compare", PhaseStartedAt: now, TotalBytes: 1 << 20},
	}
	c := e.loggedIn(t, operatorToken)
	dash := c.get("/").body
	for _, want := range []string{`data-operation="restore/` + b.ID + `"`, "Restore into crm_copy", "25% of 100 MiB, ~30s left",
		`data-operation="drill/` + other.ID + `"`, "Restore drill on main-mysql", "comparing with the backup"} {
		if !strings.Contains(dash, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	page := c.get("/backups/" + b.ID).body
	if !strings.Contains(page, `data-live="/ui/live?operations=`+b.ID+`"`) || !strings.Contains(page, "Running on this backup") ||
		!strings.Contains(page, "Restore into crm_copy") || strings.Contains(page, "Restore drill on") {
		t.Errorf("the backup's page does not show just its own running restore:\n%s", page)
	}
	live := c.get("/ui/live?operations=" + other.ID).body
	if !strings.Contains(live, "Restore drill on main-mysql") || !strings.Contains(live, `"running":1`) {
		t.Errorf("live operations of %s: %s", other.ID, live)
	}
	if st := c.get("/status").body; !strings.Contains(st, "restore of <a class=\"mono\" href=\"/backups/"+b.ID+"\"") ||
		!strings.Contains(st, "drill of <a class=\"mono\" href=\"/backups/"+other.ID+"\"") {
		t.Errorf("the status page does not list the running restore and drill")
	}
	if r := c.get("/ui/live?operations=../x"); r.status != 400 {
		t.Errorf("live operations of a bad ID: status %d", r.status)
	}
}
