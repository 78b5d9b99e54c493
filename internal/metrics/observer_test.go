package metrics

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

var t0 = time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)

// finished returns a finished backup of db1 on srv1 (type daily) stored in
// local and s3, with the locations in the given statuses.
func finished(id string, status backup.Status, start time.Time, took time.Duration, locs ...backup.LocationStatus) *backup.Backup {
	end := start.Add(took)
	b := &backup.Backup{
		ID: id, Server: "srv1", Database: "db1", Type: "daily",
		Status: status, StartedAt: start, FinishedAt: &end,
		RawBytes: 1000, StoredBytes: 250,
	}
	for i, s := range []string{"local", "s3"} {
		ls := backup.LocationSuccess
		if i < len(locs) {
			ls = locs[i]
		}
		b.Locations = append(b.Locations, backup.Location{Storage: s, Key: "k/" + id, Status: ls})
	}
	return b
}

func running(id, server, database string) *backup.Backup {
	return &backup.Backup{ID: id, Server: server, Database: database, Type: "daily", Status: backup.StatusRunning, StartedAt: t0}
}

func compare(t *testing.T, m *Metrics, want string, names ...string) {
	t.Helper()
	if err := testutil.GatherAndCompare(m.reg, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
}

func TestSuccessAndFailure(t *testing.T) {
	m := New()
	ok := finished("b1", backup.StatusSuccess, t0, 90*time.Second)
	bad := finished("b2", backup.StatusFailed, t0.Add(time.Hour), 3*time.Second, backup.LocationFailed, backup.LocationFailed)
	bad.StoredBytes, bad.RawBytes = 0, 10
	for _, b := range []*backup.Backup{ok, bad} {
		m.BackupStarted(b)
		m.BackupFinished(b)
	}

	compare(t, m, `
# HELP gosqlguard_backup_runs_total Backup runs finished, by outcome: success, or failure (failed, interrupted or partial).
# TYPE gosqlguard_backup_runs_total counter
gosqlguard_backup_runs_total{database="db1",server="srv1",status="failure",type="daily"} 1
gosqlguard_backup_runs_total{database="db1",server="srv1",status="success",type="daily"} 1
# HELP gosqlguard_backup_last_success_timestamp_seconds Unix time at which the last fully successful backup finished; 0 for a configured job that never succeeded.
# TYPE gosqlguard_backup_last_success_timestamp_seconds gauge
gosqlguard_backup_last_success_timestamp_seconds{database="db1",server="srv1",type="daily"} 1.74079449e+09
# HELP gosqlguard_backup_last_failure_timestamp_seconds Unix time at which the last failed, interrupted or partial backup finished.
# TYPE gosqlguard_backup_last_failure_timestamp_seconds gauge
gosqlguard_backup_last_failure_timestamp_seconds{database="db1",server="srv1",type="daily"} 1.740798003e+09
# HELP gosqlguard_backup_size_bytes Stored (compressed, encrypted) size of the last backup stored successfully in this storage.
# TYPE gosqlguard_backup_size_bytes gauge
gosqlguard_backup_size_bytes{database="db1",server="srv1",storage="local",type="daily"} 250
gosqlguard_backup_size_bytes{database="db1",server="srv1",storage="s3",type="daily"} 250
# HELP gosqlguard_backup_raw_size_bytes Raw dump size, before compression and encryption, of the last backup stored in at least one storage.
# TYPE gosqlguard_backup_raw_size_bytes gauge
gosqlguard_backup_raw_size_bytes{database="db1",server="srv1",type="daily"} 1000
# HELP gosqlguard_backups_running Backups currently running.
# TYPE gosqlguard_backups_running gauge
gosqlguard_backups_running{database="db1",server="srv1",type="daily"} 0
`, "gosqlguard_backup_runs_total", "gosqlguard_backup_last_success_timestamp_seconds",
		"gosqlguard_backup_last_failure_timestamp_seconds", "gosqlguard_backup_size_bytes",
		"gosqlguard_backup_raw_size_bytes", "gosqlguard_backups_running")

	if got := testutil.CollectAndCount(m.partial); got != 0 {
		t.Errorf("partial series = %d, want 0", got)
	}
	// One run of 90 s, one of 3 s.
	compare(t, m, `
# HELP gosqlguard_backup_duration_seconds Wall-clock time of finished backup runs, whatever their outcome.
# TYPE gosqlguard_backup_duration_seconds histogram
gosqlguard_backup_duration_seconds_bucket{database="db1",server="srv1",type="daily",le="1"} 0
gosqlguard_backup_duration_seconds_bucket{database="db1",server="srv1",type="daily",le="5"} 1
gosqlguard_backup_duration_seconds_bucket{database="db1",server="srv1",type="daily",le="15"} 1
gosqlguard_backup_duration_seconds_bucket{database="db1",server="srv1",type="daily",le="30"} 1
gosqlguard_backup_duration_seconds_bucket{database="db1",server="srv1",type="daily",le="60"} 1
gosqlguard_backup_duration_seconds_bucket{database="db1",server="srv1",type="daily",le="120"} 2
gosqlguard_backup_duration_seconds_bucket{database="db1",server="srv1",type="daily",le="300"} 2
gosqlguard_backup_duration_seconds_bucket{database="db1",server="srv1",type="daily",le="600"} 2
gosqlguard_backup_duration_seconds_bucket{database="db1",server="srv1",type="daily",le="1200"} 2
gosqlguard_backup_duration_seconds_bucket{database="db1",server="srv1",type="daily",le="1800"} 2
gosqlguard_backup_duration_seconds_bucket{database="db1",server="srv1",type="daily",le="3600"} 2
gosqlguard_backup_duration_seconds_bucket{database="db1",server="srv1",type="daily",le="7200"} 2
gosqlguard_backup_duration_seconds_bucket{database="db1",server="srv1",type="daily",le="10800"} 2
gosqlguard_backup_duration_seconds_bucket{database="db1",server="srv1",type="daily",le="14400"} 2
gosqlguard_backup_duration_seconds_bucket{database="db1",server="srv1",type="daily",le="21600"} 2
gosqlguard_backup_duration_seconds_bucket{database="db1",server="srv1",type="daily",le="+Inf"} 2
gosqlguard_backup_duration_seconds_sum{database="db1",server="srv1",type="daily"} 93
gosqlguard_backup_duration_seconds_count{database="db1",server="srv1",type="daily"} 2
`, "gosqlguard_backup_duration_seconds")
}

func TestPartial(t *testing.T) {
	m := New()
	old := finished("b1", backup.StatusSuccess, t0, time.Minute)
	old.StoredBytes = 100
	m.BackupFinished(old)
	p := finished("b2", backup.StatusPartial, t0.Add(24*time.Hour), time.Minute, backup.LocationSuccess, backup.LocationFailed)
	m.BackupFinished(p)

	tests := []struct {
		name   string
		metric string
		labels map[string]string
		want   float64
	}{
		{"runs failure", "gosqlguard_backup_runs_total", job("srv1", "db1", "daily", "", "failure"), 1},
		{"runs success", "gosqlguard_backup_runs_total", job("srv1", "db1", "daily", "", "success"), 1},
		{"partial", "gosqlguard_backup_partial_total", job("srv1", "db1", "daily", "", ""), 1},
		{"last success stays on the full success", "gosqlguard_backup_last_success_timestamp_seconds",
			job("srv1", "db1", "daily", "", ""), float64(old.FinishedAt.Unix())},
		{"last failure is the partial", "gosqlguard_backup_last_failure_timestamp_seconds",
			job("srv1", "db1", "daily", "", ""), float64(p.FinishedAt.Unix())},
		{"size where it landed", "gosqlguard_backup_size_bytes", job("srv1", "db1", "daily", "local", ""), 250},
		{"size where it failed keeps the older backup", "gosqlguard_backup_size_bytes",
			job("srv1", "db1", "daily", "s3", ""), 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := value(t, m, tt.metric, tt.labels)
			if !ok || got != tt.want {
				t.Errorf("%s%v = %v (present %v), want %v", tt.metric, tt.labels, got, ok, tt.want)
			}
		})
	}
}

func TestRunningGauge(t *testing.T) {
	m := New()
	g := func(server, database string) float64 {
		t.Helper()
		return testutil.ToFloat64(m.running.WithLabelValues(server, database, "daily"))
	}
	a, b, c := running("a", "srv1", "db1"), running("b", "srv1", "db1"), running("c", "srv2", "db9")
	m.BackupStarted(a)
	m.BackupStarted(b)
	m.BackupStarted(b) // told twice: counted once
	m.BackupStarted(c)
	if got := g("srv1", "db1"); got != 2 {
		t.Fatalf("running srv1/db1 = %v, want 2", got)
	}
	if got := g("srv2", "db9"); got != 1 {
		t.Fatalf("running srv2/db9 = %v, want 1", got)
	}

	for _, x := range []*backup.Backup{a, a, running("never-started", "srv1", "db1")} {
		x.Status = backup.StatusFailed
		m.BackupFinished(x)
	}
	if got := g("srv1", "db1"); got != 1 {
		t.Errorf("running srv1/db1 after a finished (twice) and a stranger = %v, want 1", got)
	}
	b.Status, c.Status = backup.StatusSuccess, backup.StatusInterrupted
	m.BackupFinished(b)
	m.BackupFinished(c)
	m.BackupFinished(b)
	if got, got2 := g("srv1", "db1"), g("srv2", "db9"); got != 0 || got2 != 0 {
		t.Errorf("running after all finished = %v, %v, want 0, 0", got, got2)
	}

	// Without IDs the count still never goes negative.
	anon := running("", "srv3", "db1")
	m.BackupFinished(anon)
	m.BackupStarted(anon)
	if got := g("srv3", "db1"); got != 1 {
		t.Errorf("running srv3 = %v, want 1", got)
	}
	m.BackupFinished(anon)
	m.BackupFinished(anon)
	if got := g("srv3", "db1"); got != 0 {
		t.Errorf("running srv3 = %v, want 0", got)
	}
}

func TestVerifyDeleteAndStorageErrors(t *testing.T) {
	m := New()
	b := finished("b1", backup.StatusSuccess, t0, time.Minute)
	m.VerifyFinished(b, "local", nil)
	m.VerifyFinished(b, "local", nil)
	m.VerifyFinished(b, "s3", errors.New("checksum mismatch"))
	m.CopyDeleted(b, "local", "retention: beyond keep_last 7")
	m.CopyDeleted(b, "s3", "deleted on request")
	m.StorageError(b, "s3", "put", errors.New("boom"))
	m.StorageError(nil, "s3", "put", errors.New("boom"))
	m.StorageError(b, "s3", "delete", errors.New("boom"))
	m.JobSkipped("srv1", "db1", "daily")

	compare(t, m, `
# HELP gosqlguard_verify_runs_total Stored copies read back and checked against the catalog, by outcome: success or failure.
# TYPE gosqlguard_verify_runs_total counter
gosqlguard_verify_runs_total{database="db1",server="srv1",status="success",storage="local",type="daily"} 2
gosqlguard_verify_runs_total{database="db1",server="srv1",status="failure",storage="s3",type="daily"} 1
# HELP gosqlguard_retention_deleted_total Backup copies deleted from a storage by the retention policy.
# TYPE gosqlguard_retention_deleted_total counter
gosqlguard_retention_deleted_total{database="db1",server="srv1",storage="local",type="daily"} 1
# HELP gosqlguard_backup_copies_deleted_total Backup copies deleted from a storage for any reason (retention or on request).
# TYPE gosqlguard_backup_copies_deleted_total counter
gosqlguard_backup_copies_deleted_total{database="db1",server="srv1",storage="local",type="daily"} 1
gosqlguard_backup_copies_deleted_total{database="db1",server="srv1",storage="s3",type="daily"} 1
# HELP gosqlguard_storage_errors_total Failed operations on a storage, by operation (put, delete, ...).
# TYPE gosqlguard_storage_errors_total counter
gosqlguard_storage_errors_total{operation="delete",storage="s3"} 1
gosqlguard_storage_errors_total{operation="put",storage="s3"} 2
# HELP gosqlguard_scheduler_skipped_total Scheduled backups skipped because the previous run of the same job was still queued or running.
# TYPE gosqlguard_scheduler_skipped_total counter
gosqlguard_scheduler_skipped_total{database="db1",server="srv1",type="daily"} 1
`, "gosqlguard_verify_runs_total", "gosqlguard_retention_deleted_total", "gosqlguard_backup_copies_deleted_total",
		"gosqlguard_storage_errors_total", "gosqlguard_scheduler_skipped_total")
}

func TestBuildInfo(t *testing.T) {
	m := New()
	m.SetBuildInfo("v0.1.0", "abc")
	m.SetBuildInfo("v1.2.3", "def123")
	if got := testutil.CollectAndCount(m.buildInfo); got != 1 {
		t.Fatalf("build_info series = %d, want 1", got)
	}
	if got := testutil.ToFloat64(m.buildInfo); got != 1 {
		t.Errorf("build_info = %v, want 1", got)
	}
	const want = `# HELP gosqlguard_build_info Always 1; the labels give the version, commit and Go version of the running binary.
# TYPE gosqlguard_build_info gauge
gosqlguard_build_info{commit="def123",goversion="GOVERSION",version="v1.2.3"} 1
`
	compare(t, m, strings.Replace(want, "GOVERSION", runtime.Version(), 1), "gosqlguard_build_info")
}

func TestNilBackupIsIgnored(t *testing.T) {
	m := New()
	m.BackupStarted(nil)
	m.BackupFinished(nil)
	m.VerifyFinished(nil, "local", nil)
	m.CopyDeleted(nil, "local", "retention")
	if got := testutil.CollectAndCount(m.runs) + testutil.CollectAndCount(m.running) +
		testutil.CollectAndCount(m.verifies) + testutil.CollectAndCount(m.copiesDeleted); got != 0 {
		t.Errorf("series after nil backups = %d, want 0", got)
	}
}

func TestRegistriesAreIndependent(t *testing.T) {
	a, b := New(), New() // would panic on a shared registry
	a.JobSkipped("s", "d", "t")
	if got := testutil.CollectAndCount(b.skipped); got != 0 {
		t.Errorf("second Metrics sees %d skipped series, want 0", got)
	}
}

func TestConcurrentUse(t *testing.T) {
	m := New()
	const workers, each = 8, 50
	done := make(chan struct{})
	for w := range workers {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range each {
				b := finished(fmt.Sprintf("w%d-%d", w, i), backup.StatusSuccess, t0.Add(time.Duration(i)*time.Minute), time.Second)
				m.BackupStarted(b)
				m.VerifyFinished(b, "local", nil)
				m.BackupFinished(b)
				m.JobSkipped("srv1", "db1", "daily")
				m.Seed([]*backup.Backup{b})
			}
		}()
	}
	for range workers {
		<-done
	}
	if got, _ := value(t, m, "gosqlguard_backup_runs_total", job("srv1", "db1", "daily", "", "success")); got != workers*each {
		t.Errorf("runs success = %v, want %d", got, workers*each)
	}
	if got, _ := value(t, m, "gosqlguard_backups_running", job("srv1", "db1", "daily", "", "")); got != 0 {
		t.Errorf("running = %v, want 0", got)
	}
	want := float64(t0.Add((each-1)*time.Minute + time.Second).Unix())
	if got, _ := value(t, m, "gosqlguard_backup_last_success_timestamp_seconds", job("srv1", "db1", "daily", "", "")); got != want {
		t.Errorf("last success = %v, want %v (the newest)", got, want)
	}
}

func TestAnomalies(t *testing.T) {
	m := New()
	m.BackupFinished(finished("b1", backup.StatusSuccess, t0, time.Minute))
	odd := finished("b2", backup.StatusSuccess, t0.Add(time.Hour), time.Minute)
	odd.Manifest = &backup.Manifest{SizeAnomaly: &backup.SizeAnomaly{RawBytes: 10, MedianRawBytes: 1000}}
	m.BackupFinished(odd)
	failed := finished("b3", backup.StatusFailed, t0.Add(2*time.Hour), time.Minute)
	failed.Manifest = odd.Manifest // a failed run is no anomaly, whatever it carries
	m.BackupFinished(failed)
	if got, ok := value(t, m, "gosqlguard_backup_anomalies_total", job("srv1", "db1", "daily", "", "")); !ok || got != 1 {
		t.Errorf("gosqlguard_backup_anomalies_total = %v (present %v), want 1", got, ok)
	}
}
