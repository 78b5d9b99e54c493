package metrics

import (
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

func TestSeed(t *testing.T) {
	day := 24 * time.Hour
	newest := finished("b3", backup.StatusSuccess, t0.Add(2*day), time.Minute)
	newest.StoredBytes, newest.RawBytes = 300, 3000
	older := finished("b1", backup.StatusSuccess, t0, time.Minute, backup.LocationSuccess, backup.LocationDeleted)
	older.StoredBytes = 100
	failed := finished("b2", backup.StatusFailed, t0.Add(day), time.Minute, backup.LocationFailed, backup.LocationFailed)
	deleted := finished("b0", backup.StatusDeleted, t0.Add(3*day), time.Minute, backup.LocationDeleted, backup.LocationDeleted)
	stillRunning := running("b9", "srv1", "db1")
	stillRunning.StartedAt = t0.Add(4 * day)
	other := finished("c1", backup.StatusPartial, t0, time.Minute, backup.LocationFailed, backup.LocationSuccess)
	other.Server, other.StoredBytes = "srv2", 42

	m := New()
	// Catalog order is no promise: newest first here.
	m.Seed([]*backup.Backup{stillRunning, deleted, newest, failed, older, other, nil})

	tests := []struct {
		name   string
		metric string
		labels map[string]string
		want   float64
	}{
		{"last success is the newest success", "gosqlguard_backup_last_success_timestamp_seconds",
			job("srv1", "db1", "daily", "", ""), float64(newest.FinishedAt.Unix())},
		{"last failure", "gosqlguard_backup_last_failure_timestamp_seconds",
			job("srv1", "db1", "daily", "", ""), float64(failed.FinishedAt.Unix())},
		{"size local", "gosqlguard_backup_size_bytes", job("srv1", "db1", "daily", "local", ""), 300},
		{"size s3", "gosqlguard_backup_size_bytes", job("srv1", "db1", "daily", "s3", ""), 300},
		{"raw size", "gosqlguard_backup_raw_size_bytes", job("srv1", "db1", "daily", "", ""), 3000},
		{"partial: failure time", "gosqlguard_backup_last_failure_timestamp_seconds",
			job("srv2", "db1", "daily", "", ""), float64(other.FinishedAt.Unix())},
		{"partial: size where it landed", "gosqlguard_backup_size_bytes", job("srv2", "db1", "daily", "s3", ""), 42},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := value(t, m, tt.metric, tt.labels)
			if !ok || got != tt.want {
				t.Errorf("%s%v = %v (present %v), want %v", tt.metric, tt.labels, got, ok, tt.want)
			}
		})
	}

	// Seed sets gauges only, and only where the catalog has a value: a
	// partial is no success, a failed storage holds no size.
	counts := []struct {
		metric string
		want   int
	}{
		{"gosqlguard_backup_last_success_timestamp_seconds", 1},
		{"gosqlguard_backup_last_failure_timestamp_seconds", 2},
		{"gosqlguard_backup_size_bytes", 3},
		{"gosqlguard_backup_raw_size_bytes", 2},
		{"gosqlguard_backup_runs_total", 0},
		{"gosqlguard_backup_partial_total", 0},
		{"gosqlguard_backup_duration_seconds", 0},
		{"gosqlguard_backups_running", 0},
	}
	for _, c := range counts {
		if got := countSeries(t, m, c.metric); got != c.want {
			t.Errorf("%s: %d series, want %d", c.metric, got, c.want)
		}
	}
}

func TestSeedKeepsNewerLiveValues(t *testing.T) {
	m := New()
	live := finished("b2", backup.StatusSuccess, t0.Add(time.Hour), time.Minute)
	live.StoredBytes = 999
	m.BackupStarted(live)
	m.BackupFinished(live)

	m.Seed([]*backup.Backup{finished("b1", backup.StatusSuccess, t0, time.Minute)})

	tests := []struct {
		metric string
		labels map[string]string
		want   float64
	}{
		{"gosqlguard_backup_last_success_timestamp_seconds", job("srv1", "db1", "daily", "", ""), float64(live.FinishedAt.Unix())},
		{"gosqlguard_backup_size_bytes", job("srv1", "db1", "daily", "local", ""), 999},
		{"gosqlguard_backup_runs_total", job("srv1", "db1", "daily", "", "success"), 1}, // Seed counts nothing
	}
	for _, tt := range tests {
		if got, ok := value(t, m, tt.metric, tt.labels); !ok || got != tt.want {
			t.Errorf("%s%v = %v (present %v), want %v", tt.metric, tt.labels, got, ok, tt.want)
		}
	}
}
