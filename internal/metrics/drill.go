package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/runner"
)

var _ runner.DrillObserver = (*Metrics)(nil)

// drillMetrics are the restore drill collectors. Their labels are the
// drilled backup's job (server, database, type), not the server the drill
// restored onto.
type drillMetrics struct {
	runs        *prometheus.CounterVec
	lastSuccess *prometheus.GaugeVec
	restore     *prometheus.HistogramVec
}

func newDrillMetrics() *drillMetrics {
	return &drillMetrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "restore_drill_runs_total",
			Help: "Restore drills finished, by outcome: success (restored and matching the backup's fingerprint), failure, or interrupted (stopped by a shutdown before it could tell)."},
			append(append([]string{}, jobLabels...), "status")),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: "restore_drill_last_success_timestamp_seconds",
			Help: "Unix time at which the last successful restore drill of the job's backups finished."}, jobLabels),
		restore: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "restore_duration_seconds",
			Help:    "Time restore drills took to restore a backup into a scratch database (the measured recovery time), successful restores only.",
			Buckets: durationBuckets}, jobLabels),
	}
}

func (d *drillMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{d.runs, d.lastSuccess, d.restore}
}

// DrillFinished counts a restore drill of b and, when its restore
// succeeded, observes the restore's duration.
func (m *Metrics) DrillFinished(b *backup.Backup, d backup.Drill, restore time.Duration) {
	if b == nil {
		return
	}
	s := jobOf(b)
	status := statusFailure
	switch d.Status {
	case backup.DrillSuccess:
		status = statusSuccess
	case backup.DrillInterrupted:
		status = string(backup.DrillInterrupted)
	}
	m.drills.runs.WithLabelValues(append(s.job(), status)...).Inc()
	if restore > 0 {
		m.drills.restore.WithLabelValues(s.job()...).Observe(restore.Seconds())
	}
	if d.Status == backup.DrillSuccess {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.seedDrill(s, d)
	}
}

// seedDrill sets the job's last drill success from a drill that succeeded,
// unless a newer one is already recorded or the config no longer has the
// job (SetJobs). The caller holds m.mu.
func (m *Metrics) seedDrill(s series, d backup.Drill) {
	end := d.At.Add(time.Duration(d.Seconds * float64(time.Second)))
	if !m.kept(s, end) {
		return
	}
	m.setIfNewer(m.drills.lastSuccess, s, s.job(), end, float64(end.UnixNano())/1e9)
}
