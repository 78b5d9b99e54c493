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
	// seen is when this process last saw a drill of the job succeed:
	// SyncDrills keeps what it set when the catalog was read before.
	seen map[series]time.Time
}

func newDrillMetrics() *drillMetrics {
	return &drillMetrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "restore_drill_runs_total",
			Help: "Restore drills finished, by outcome: success (restored and matching the backup's fingerprint), failure, or interrupted (stopped by a shutdown before it could tell)."},
			append(append([]string{}, jobLabels...), "status")),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: "restore_drill_last_success_timestamp_seconds",
			Help: "Unix time at which the newest successful restore drill of the job's backups that still counts finished (a backup whose latest drill failed no longer counts)."}, jobLabels),
		restore: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "restore_duration_seconds",
			Help:    "Time restore drills took to restore a backup into a scratch database (the measured recovery time), successful restores only.",
			Buckets: durationBuckets}, jobLabels),
		seen: map[series]time.Time{},
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
		m.drills.seen[s] = time.Now()
		m.seedDrill(s, d)
	}
}

// SyncDrills sets each job's last drill success to what the catalog says
// (proven: per job, when its newest drill that still counts finished, as
// GET /api/v1/jobs counts them: a backup whose latest drill failed no
// longer counts), read at readAt; the series of a job absent from proven
// is deleted. So a later failed drill of the proving backup takes the
// value back, and drills of one-shot commands or other replicas show. A
// success this process saw after readAt is newer than what was read and
// is kept; jobs the config no longer has stay out (SetJobs).
func (m *Metrics) SyncDrills(proven map[Job]time.Time, readAt time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.drills.lastSuccess
	for k := range m.asOf {
		if k.gauge != g {
			continue
		}
		if _, ok := proven[k.jobKey()]; !ok && !m.drills.seen[k.series].After(readAt) {
			g.DeleteLabelValues(k.job()...)
			delete(m.asOf, k)
		}
	}
	for j, end := range proven {
		s := j.series()
		if m.drills.seen[s].After(readAt) || !m.kept(s, end) {
			continue
		}
		m.asOf[gaugeSeries{g, s}] = end
		g.WithLabelValues(s.job()...).Set(float64(end.UnixNano()) / 1e9)
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
