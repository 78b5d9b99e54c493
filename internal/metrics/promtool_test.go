package metrics

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/testenv"
)

// populate feeds m one of every event, so that every metric family has a series.
func populate(m *Metrics) {
	m.SetBuildInfo("v1.0.0", "0123abc")
	ok := finished("b1", backup.StatusSuccess, t0, 90*time.Second)
	p := finished("b2", backup.StatusPartial, t0.Add(time.Hour), time.Minute, backup.LocationSuccess, backup.LocationFailed)
	bad := finished("b3", backup.StatusFailed, t0.Add(2*time.Hour), time.Second, backup.LocationFailed, backup.LocationFailed)
	for _, b := range []*backup.Backup{ok, p, bad} {
		m.BackupStarted(b)
		m.BackupFinished(b)
	}
	m.BackupStarted(running("b4", "srv1", "db1"))
	m.VerifyFinished(ok, "local", nil)
	m.VerifyFinished(ok, "s3", errors.New("bad"))
	m.CopyDeleted(ok, "local", "retention: too old")
	m.StorageError(p, "s3", "put", errors.New("bad"))
	m.JobSkipped("srv1", "db1", "daily")
	m.DrillFinished(ok, backup.Drill{At: t0, Seconds: 3, Status: backup.DrillSuccess}, 2*time.Second)
	m.DrillFinished(p, backup.Drill{At: t0, Seconds: 1, Status: backup.DrillFailure}, 0)
	m.DrillFinished(p, backup.Drill{At: t0, Seconds: 1, Status: backup.DrillInterrupted}, 0)
	small := finished("b6", backup.StatusSuccess, t0.Add(3*time.Hour), time.Second)
	small.Manifest = &backup.Manifest{SizeAnomaly: &backup.SizeAnomaly{RawBytes: 1, MedianRawBytes: 1000, Compared: 5, MinPercent: 50}}
	m.BackupStarted(small)
	m.BackupFinished(small)
	m.SetJobs(JobConfig{At: t0, Servers: []Server{{"srv1", "mysql"}},
		Scheduled: []Job{{"srv1", "db1", "daily"}, {"srv1", "db2", "daily"}}})
	m.SetNextRuns(func() map[string]time.Time { return map[string]time.Time{"daily": t0.Add(24 * time.Hour)} })
}

// populatedExposition is the text GET /metrics serves for a Metrics fed
// one of every event (populate).
func populatedExposition(t *testing.T) string {
	t.Helper()
	m := New()
	populate(m)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: status %d, want 200", rec.Code)
	}
	return rec.Body.String()
}

func TestExpositionPassesPromtool(t *testing.T) {
	promtool := testenv.Tool(t, "promtool")
	body := populatedExposition(t)
	for _, name := range []string{
		"gosqlguard_backup_runs_total", "gosqlguard_backup_partial_total", "gosqlguard_backup_duration_seconds_bucket",
		"gosqlguard_backup_size_bytes", "gosqlguard_backup_raw_size_bytes",
		"gosqlguard_backup_last_success_timestamp_seconds", "gosqlguard_backup_last_failure_timestamp_seconds",
		"gosqlguard_backups_running", "gosqlguard_retention_deleted_total", "gosqlguard_backup_copies_deleted_total",
		"gosqlguard_storage_errors_total", "gosqlguard_verify_runs_total", "gosqlguard_scheduler_skipped_total",
		"gosqlguard_build_info", "go_goroutines", "process_start_time_seconds",
		"gosqlguard_restore_drill_runs_total", "gosqlguard_restore_drill_last_success_timestamp_seconds",
		"gosqlguard_restore_duration_seconds_bucket", "gosqlguard_job_next_run_timestamp_seconds",
		"gosqlguard_backup_anomalies_total", "gosqlguard_job_scheduled_since_timestamp_seconds", "gosqlguard_server_info",
	} {
		if !strings.Contains(body, "\n"+name+"{") && !strings.Contains(body, "\n"+name+" ") {
			t.Errorf("exposition lacks %s", name)
		}
	}

	file := filepath.Join(t.TempDir(), "metrics.txt")
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = f
	out, err := cmd.CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		head, _ := io.ReadAll(io.LimitReader(strings.NewReader(body), 2000))
		t.Errorf("promtool check metrics: %v\n%s\nexposition starts:\n%s", err, out, head)
	}
}
