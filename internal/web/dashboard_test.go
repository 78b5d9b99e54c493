package web

import (
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

func TestClassifyJobs(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	h := time.Hour
	for _, tc := range []struct {
		name  string
		jobs  []service.Job
		want  string // label of the last job
		attn  bool
		cause string // part of the reason
	}{
		{"recent success", []service.Job{{Type: "hourly", LastSuccess: at(-30 * time.Minute), NextRun: at(30 * time.Minute)}}, "OK", false, ""},
		{"latest run failed", []service.Job{{Type: "daily", LastSuccess: at(-48 * h), LastFailure: at(-24 * h), NextRun: at(h)}}, "Failed", true, "latest run failed"},
		{"failure older than success", []service.Job{{Type: "daily", LastSuccess: at(-2 * h), LastFailure: at(-24 * h), NextRun: at(22 * h)}}, "OK", false, ""},
		{"new job, first slot ahead", []service.Job{{Type: "daily", NextRun: at(h)}}, "No backup yet", false, "first run in 60 min"},
		{"never succeeded, slot missed", []service.Job{{Type: "daily", NextRun: at(-h)}}, "Overdue", true, "has not happened"},
		{"never succeeded, first run failed", []service.Job{{Type: "daily", LastFailure: at(-h), NextRun: at(23 * h)}}, "Failed", true, "latest run failed"},
		{"next run in the past", []service.Job{{Type: "daily", LastSuccess: at(-25 * h), NextRun: at(-30 * time.Minute)}}, "Overdue", true, "has not happened"},
		{"next run just due", []service.Job{{Type: "daily", LastSuccess: at(-24 * h), NextRun: at(-time.Minute)}}, "OK", false, ""},
		{
			"older than twice its type's period",
			[]service.Job{
				{Server: "a", Type: "hourly", LastSuccess: at(-10 * time.Minute), NextRun: at(50 * time.Minute)},
				{Server: "b", Type: "hourly", LastSuccess: at(-3 * h), NextRun: at(50 * time.Minute)},
			},
			"Overdue", true, "should run about every 1 h",
		},
		{
			"within twice the period",
			[]service.Job{
				{Server: "a", Type: "hourly", LastSuccess: at(-10 * time.Minute), NextRun: at(50 * time.Minute)},
				{Server: "b", Type: "hourly", LastSuccess: at(-70 * time.Minute), NextRun: at(50 * time.Minute)},
			},
			"OK", false, "",
		},
		{"manual job with a success", []service.Job{{Type: "manual", LastSuccess: at(-100 * h)}}, "OK", false, ""},
		{"manual job never run", []service.Job{{Type: "manual"}}, "No backup yet", false, ""},
		{"secret in the failure", []service.Job{{Type: "manual", LastFailure: at(-h), LastFailureError: "password=" + leakedSecret}}, "Failed", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows := classifyJobs(tc.jobs, now)
			got := rows[len(rows)-1]
			if got.State.Label != tc.want || got.Attn != tc.attn || !strings.Contains(got.Reason, tc.cause) {
				t.Errorf("got %q (attention %v, reason %q), want %q (attention %v, reason with %q)",
					got.State.Label, got.Attn, got.Reason, tc.want, tc.attn, tc.cause)
			}
			if strings.Contains(got.LastFailureError, leakedSecret) {
				t.Errorf("failure text not redacted: %q", got.LastFailureError)
			}
		})
	}
}

func TestVisibleJobs(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	h := time.Hour
	jobs := []service.Job{
		{Server: "s", Database: "idle", Type: "manual"},
		{Server: "s", Database: "manual-ok", Type: "manual", LastSuccess: at(-h), LastSuccessID: "x"},
		{Server: "s", Database: "manual-partial", Type: "manual", LastFailure: at(-h), LastFailureError: "upload failed"},
		{Server: "s", Database: "manual-running", Type: "manual", Running: true, RunningID: "r"},
		{Server: "s", Database: "manual-drilled", Type: "manual", LastDrill: at(-h), LastDrillStatus: backup.DrillSuccess},
		{Server: "s", Database: "healthy", Type: "daily", LastSuccess: at(-h), NextRun: at(23 * h), LastDrillSuccess: at(-h), LastDrill: at(-h), LastDrillStatus: backup.DrillSuccess},
		{Server: "s", Database: "unproven", Type: "daily", LastSuccess: at(-h), NextRun: at(23 * h)},
		{Server: "s", Database: "never", Type: "daily", NextRun: at(h)},
		{Server: "s", Database: "failed", Type: "daily", LastSuccess: at(-48 * h), LastFailure: at(-h), NextRun: at(23 * h)},
		{Server: "s", Database: "drill-failed", Type: "daily", LastSuccess: at(-h), NextRun: at(23 * h), LastDrill: at(-h), LastDrillStatus: backup.DrillFailure, LastDrillError: "restore failed"},
		{Server: "s", Database: "overdue", Type: "daily", LastSuccess: at(-30 * h), NextRun: at(-6 * h)},
		{Server: "s", Database: "empty-scheduled-manual", Type: "manual", NextRun: at(h)},
		{Server: "s", Database: "removed-failed", Type: "daily", LastFailure: at(-h), Removed: true},
		{Server: "s", Database: "removed-running", Type: "daily", Running: true, RunningID: "q", Removed: true},
	}
	names := func(rows []jobRow) string {
		var out []string
		for _, r := range rows {
			out = append(out, r.Database)
		}
		return strings.Join(out, ",")
	}
	rows := classifyJobs(jobs, now)
	rows[6].History.Anomalous = true // "unproven": its last backup is suspiciously small
	if got, want := names(visibleJobs(rows, false)), "manual-ok,manual-partial,manual-running,manual-drilled,healthy,unproven,never,failed,drill-failed,overdue,empty-scheduled-manual,removed-running"; got != want {
		t.Errorf("shown jobs:\n got %s\nwant %s", got, want)
	}
	if got, want := names(visibleJobs(rows, true)), "manual-partial,unproven,failed,drill-failed,overdue"; got != want {
		t.Errorf("jobs with a problem:\n got %s\nwant %s", got, want)
	}
}

func TestErrText(t *testing.T) {
	long := `pg_dump: error: connection to server at "db.example.net" (10.0.0.7), port 5432 failed: FATAL:  database "billing_archive" does not exist`
	e := newErrText(long, errTextRunes)
	if !e.Cut || strings.Contains(e.Short, "does not exist") || e.Full != long {
		t.Errorf("long error: %+v", e)
	}
	short := newErrText("upload failed: connection reset", errTextRunes)
	if short.Cut || short.Short != "upload failed: connection reset" {
		t.Errorf("short error: %+v", short)
	}
	if empty := newErrText("", errTextRunes); empty.Cut || empty.Short != "" {
		t.Errorf("no error: %+v", empty)
	}
}

// The "Back up now" form offers the servers and databases of the jobs, not
// the "*" of a server whose databases could not be listed.
func TestTriggerFormLeavesOutFailedListings(t *testing.T) {
	f := buildTriggerForm([]service.Job{
		{Server: "down", Database: "*", Type: "hourly"},
		{Server: "up", Database: "shop", Type: "hourly"},
		{Server: "down", Database: "shop", Type: "manual"},
	})
	if strings.Join(f.Servers, ",") != "down,up" || len(f.Databases) != 1 || f.Databases[0] != (dbChoice{Name: "shop", Servers: "up down"}) {
		t.Errorf("form = %+v", f)
	}
}

// Nor does it offer a job the config no longer has: a backup of it is
// refused.
func TestTriggerFormLeavesOutRemovedJobs(t *testing.T) {
	f := buildTriggerForm([]service.Job{
		{Server: "gone", Database: "old", Type: "manual", Removed: true},
		{Server: "up", Database: "old", Type: "weekly", Removed: true},
		{Server: "up", Database: "shop", Type: "hourly"},
	})
	if strings.Join(f.Servers, ",") != "up" || len(f.Databases) != 1 || f.Databases[0].Name != "shop" || strings.Join(f.Types, ",") != "manual,hourly" {
		t.Errorf("form = %+v", f)
	}
}
