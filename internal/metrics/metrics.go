// Package metrics exposes GoSQLGuard's Prometheus metrics (docs/metrics.md). It is
// fed as a runner.Observer, plus JobSkipped from the scheduler, and serves its
// own private registry: nothing is registered on the process-wide default
// registry, so two Metrics never clash (tests, embedding).
//
// Backup metrics carry the labels server, database and type, and storage
// where a value belongs to one storage. Outcomes map to the two values of
// the status label as follows: a success is "success"; partial (some storage
// failed), failed and interrupted are "failure". Partial runs are also
// counted in gosqlguard_backup_partial_total, since the copies that did land
// are usable: they update the per-storage sizes, but only a full success
// moves gosqlguard_backup_last_success_timestamp_seconds, so an alert on its
// age fires when a storage keeps failing.
//
// The daemon declares its configured servers and jobs (SetJobs): each
// server exports gosqlguard_server_info; each scheduled job its last
// success, 0 until the first one, since when the daemon schedules it, and
// the next run of its backup type (gosqlguard_job_next_run_timestamp_seconds,
// read from the scheduler at each scrape through SetNextRuns). The "last"
// gauges of jobs the config no longer has are deleted.
package metrics

import (
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const namespace = "gosqlguard"

// Label values of status.
const (
	statusSuccess = "success"
	statusFailure = "failure"
)

// durationBuckets span a tiny database dumped in a second to a large one
// taking six hours; past that everything lands in +Inf.
var durationBuckets = []float64{
	1, 5, 15, 30, // seconds
	60, 2 * 60, 5 * 60, 10 * 60, 20 * 60, 30 * 60, // minutes
	3600, 2 * 3600, 3 * 3600, 4 * 3600, 6 * 3600, // hours
}

var (
	jobLabels     = []string{"server", "database", "type"}
	storageLabels = []string{"server", "database", "type", "storage"}
)

// Metrics holds GoSQLGuard's collectors and the registry serving them.
// Its methods are safe for concurrent use.
type Metrics struct {
	reg     *prometheus.Registry
	handler http.Handler

	runs          *prometheus.CounterVec
	partial       *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	size          *prometheus.GaugeVec
	rawSize       *prometheus.GaugeVec
	lastSuccess   *prometheus.GaugeVec
	lastFailure   *prometheus.GaugeVec
	running       *prometheus.GaugeVec
	retention     *prometheus.CounterVec
	copiesDeleted *prometheus.CounterVec
	storageErrors *prometheus.CounterVec
	verifies      *prometheus.CounterVec
	skipped       *prometheus.CounterVec
	anomalies     *prometheus.CounterVec
	buildInfo     *prometheus.GaugeVec
	// scheduledSince and serverInfo follow SetJobs.
	scheduledSince *prometheus.GaugeVec
	serverInfo     *prometheus.GaugeVec
	drills         *drillMetrics

	mu sync.Mutex
	// runningIDs holds the backups counted in running, so that a repeated
	// or unmatched BackupFinished never drives the gauge below zero.
	runningIDs   map[string]bool
	runningCount map[series]int
	// asOf records, per gauge series, the time of the backup its value
	// came from: an older backup (Seed after live events) never
	// overwrites a newer one.
	asOf map[gaugeSeries]time.Time
	// jobs are the scheduled jobs and keep the config's test for the
	// others (SetJobs); nextRuns gives their types' next runs (SetNextRuns).
	jobs     map[Job]bool
	keep     func(Job, time.Time) bool
	nextRuns func() map[string]time.Time
}

// series identifies one labelled series: a job, and the storage where it applies.
type series struct {
	server, database, typ, storage string
}

func (s series) job() []string      { return []string{s.server, s.database, s.typ} }
func (s series) storaged() []string { return []string{s.server, s.database, s.typ, s.storage} }

// gaugeSeries is one series of one of the "last backup" gauges.
type gaugeSeries struct {
	gauge *prometheus.GaugeVec
	series
}

// New returns Metrics on a fresh private registry that also holds the Go
// runtime and process collectors.
func New() *Metrics {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, labels)
	}
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help}, labels)
	}
	withStatus := func(labels []string) []string { return append(append([]string{}, labels...), "status") }

	m := &Metrics{
		reg: prometheus.NewRegistry(),
		runs: counter("backup_runs_total",
			"Backup runs finished, by outcome: success, or failure (failed, interrupted or partial).",
			withStatus(jobLabels)...),
		partial: counter("backup_partial_total",
			"Backup runs that stored their dump in some storages but not all (also counted as failure in gosqlguard_backup_runs_total).",
			jobLabels...),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "backup_duration_seconds",
			Help:    "Wall-clock time of finished backup runs, whatever their outcome.",
			Buckets: durationBuckets,
		}, jobLabels),
		size: gauge("backup_size_bytes",
			"Stored (compressed, encrypted) size of the last backup stored successfully in this storage.",
			storageLabels...),
		rawSize: gauge("backup_raw_size_bytes",
			"Raw dump size, before compression and encryption, of the last backup stored in at least one storage.",
			jobLabels...),
		lastSuccess: gauge("backup_last_success_timestamp_seconds",
			"Unix time at which the last fully successful backup finished; 0 for a configured job that never succeeded.",
			jobLabels...),
		lastFailure: gauge("backup_last_failure_timestamp_seconds",
			"Unix time at which the last failed, interrupted or partial backup finished.",
			jobLabels...),
		running: gauge("backups_running",
			"Backups currently running.",
			jobLabels...),
		retention: counter("retention_deleted_total",
			"Backup copies deleted from a storage by the retention policy.",
			storageLabels...),
		copiesDeleted: counter("backup_copies_deleted_total",
			"Backup copies deleted from a storage for any reason (retention or on request).",
			storageLabels...),
		storageErrors: counter("storage_errors_total",
			"Failed operations on a storage, by operation (put, delete, ...).",
			"storage", "operation"),
		verifies: counter("verify_runs_total",
			"Stored copies read back and checked against the catalog, by outcome: success or failure.",
			withStatus(storageLabels)...),
		skipped: counter("scheduler_skipped_total",
			"Scheduled backups skipped because the previous run of the same job was still queued or running.",
			jobLabels...),
		anomalies: counter("backup_anomalies_total",
			"Successful backups whose raw size was far below the median of their job's recent successes (anomalies.min_percent).",
			jobLabels...),
		buildInfo: gauge("build_info",
			"Always 1; the labels give the version, commit and Go version of the running binary.",
			"version", "commit", "goversion"),
		scheduledSince: gauge("job_scheduled_since_timestamp_seconds",
			"Unix time since which this process schedules the job: its start, or the reload or database listing that added the job.",
			jobLabels...),
		serverInfo: gauge("server_info",
			"Always 1, for each configured server; engine is its type in the config.",
			"server", "engine"),

		runningIDs:   map[string]bool{},
		runningCount: map[series]int{},
		asOf:         map[gaugeSeries]time.Time{},
		drills:       newDrillMetrics(),
	}
	m.reg.MustRegister(m.drills.collectors()...)
	m.reg.MustRegister(newNextRunCollector(m))
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.runs, m.partial, m.duration, m.size, m.rawSize, m.lastSuccess, m.lastFailure,
		m.running, m.retention, m.copiesDeleted, m.storageErrors, m.verifies, m.skipped, m.anomalies, m.buildInfo,
		m.scheduledSince, m.serverInfo,
	)
	m.handler = promhttp.InstrumentMetricHandler(m.reg,
		promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg}))
	return m
}

// Handler serves the registry in the Prometheus exposition formats, for GET /metrics.
func (m *Metrics) Handler() http.Handler { return m.handler }

// SetBuildInfo publishes gosqlguard_build_info for this binary; a later call
// replaces the earlier labels.
func (m *Metrics) SetBuildInfo(version, commit string) {
	m.buildInfo.Reset()
	m.buildInfo.WithLabelValues(version, commit, runtime.Version()).Set(1)
}

// JobSkipped counts a scheduled run of the job that was skipped because its
// previous run was still queued or running.
func (m *Metrics) JobSkipped(server, database, typ string) {
	m.skipped.WithLabelValues(server, database, typ).Inc()
}

// setIfNewer sets the series of g to v unless it already holds a value from
// a backup newer than at. The caller holds m.mu.
func (m *Metrics) setIfNewer(g *prometheus.GaugeVec, s series, labels []string, at time.Time, v float64) {
	k := gaugeSeries{g, s}
	if prev, ok := m.asOf[k]; ok && at.Before(prev) {
		return
	}
	m.asOf[k] = at
	g.WithLabelValues(labels...).Set(v)
}
