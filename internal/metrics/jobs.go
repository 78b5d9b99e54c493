package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Job is one backup job: a database of a server that a backup type backs up.
type Job struct {
	Server, Database, Type string
}

func (j Job) series() series { return series{server: j.Server, database: j.Database, typ: j.Type} }

func (s series) jobKey() Job { return Job{Server: s.server, Database: s.database, Type: s.typ} }

// Server is a configured database server.
type Server struct {
	Name   string
	Engine string // the server's type in the config: mysql or postgres
}

// JobConfig is what the daemon's config makes of the jobs, for SetJobs.
type JobConfig struct {
	// At is when this set took effect (the daemon's start, a reload, a
	// scheduled listing of a server's databases): a job of Scheduled that
	// the previous SetJobs did not have is scheduled since At.
	At time.Time
	// Servers are the configured servers.
	Servers []Server
	// Scheduled are the jobs of the scheduled backup types.
	Scheduled []Job
	// Keep tells whether an outcome of job j that happened at at (a
	// backup's or a drill's end) belongs to a job the config still has,
	// scheduled or not (a manual backup of a configured database). The
	// "last" gauges of an outcome it refuses are not exported. Nil keeps
	// every outcome; jobs of Scheduled are always kept.
	Keep func(j Job, at time.Time) bool
}

// SetJobs declares the configured servers and jobs, replacing the set of an
// earlier call.
//
// Each configured server exports gosqlguard_server_info. Each scheduled job
// gets a gosqlguard_backup_last_success_timestamp_seconds series, 0 until
// its first full success (one from a backup or from Seed is kept), so that
// an alert on the age of the last success fires for a job that never
// succeeded; a gosqlguard_job_scheduled_since_timestamp_seconds series,
// c.At for a job the previous call did not have, so that such an alert can
// wait for a new job's first slots; and a
// gosqlguard_job_next_run_timestamp_seconds series (see SetNextRuns). A
// job left out of a later call loses the last two, and its last success if
// it never had one.
//
// The "last" gauges (last success and failure, sizes, last drill success)
// and the idle running gauge of jobs that c.Keep no longer keeps are
// deleted (a running one's when its backup ends), and Seed and the live
// outcomes of such jobs no longer set them: a job removed from the config
// does not keep its last failure (an alert on it) for good.
func (m *Metrics) SetJobs(c JobConfig) {
	m.mu.Lock()
	defer m.mu.Unlock()
	next := make(map[Job]bool, len(c.Scheduled))
	for _, j := range c.Scheduled {
		next[j] = true
		s := j.series()
		if !m.jobs[j] {
			m.scheduledSince.WithLabelValues(s.job()...).Set(float64(c.At.UnixNano()) / 1e9)
		}
		if _, set := m.asOf[gaugeSeries{m.lastSuccess, s}]; !set {
			m.lastSuccess.WithLabelValues(s.job()...).Set(0)
		}
	}
	for j := range m.jobs {
		if next[j] {
			continue
		}
		s := j.series()
		m.scheduledSince.DeleteLabelValues(s.job()...)
		if _, set := m.asOf[gaugeSeries{m.lastSuccess, s}]; !set {
			m.lastSuccess.DeleteLabelValues(s.job()...)
		}
	}
	m.jobs, m.keep = next, c.Keep
	for k, at := range m.asOf {
		if m.kept(k.series, at) {
			continue
		}
		labels := k.job()
		if k.gauge == m.size {
			labels = k.storaged()
		}
		k.gauge.DeleteLabelValues(labels...)
		delete(m.asOf, k)
	}
	for s, n := range m.runningCount {
		if n == 0 && !m.kept(s, c.At) {
			m.dropRunning(s)
		}
	}
	m.serverInfo.Reset()
	for _, srv := range c.Servers {
		m.serverInfo.WithLabelValues(srv.Name, srv.Engine).Set(1)
	}
}

// kept tells whether the "last" gauges of job s take an outcome at at (see
// JobConfig.Keep). The caller holds m.mu.
func (m *Metrics) kept(s series, at time.Time) bool {
	j := s.jobKey()
	return m.keep == nil || m.jobs[j] || m.keep(j, at)
}

// SetNextRuns sets where the next run of each backup type is read from:
// nextRuns returns, per backup type, the time of its next scheduled run
// (a type that never runs again is absent). It is called at each scrape,
// so the series follows the scheduler (ticks, reloads) without being told.
func (m *Metrics) SetNextRuns(nextRuns func() map[string]time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nextRuns = nextRuns
}

// nextRunCollector exports gosqlguard_job_next_run_timestamp_seconds: for
// each job of SetJobs whose type has a next run, its Unix time.
type nextRunCollector struct {
	m    *Metrics
	desc *prometheus.Desc
}

func newNextRunCollector(m *Metrics) *nextRunCollector {
	return &nextRunCollector{m: m, desc: prometheus.NewDesc(
		prometheus.BuildFQName(namespace, "", "job_next_run_timestamp_seconds"),
		"Unix time of the next scheduled run of the job's backup type; absent for a type that has no next run.",
		jobLabels, nil)}
}

func (c *nextRunCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *nextRunCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.Lock()
	jobs := make([]Job, 0, len(c.m.jobs))
	for j := range c.m.jobs {
		jobs = append(jobs, j)
	}
	nextRuns := c.m.nextRuns
	c.m.mu.Unlock()
	if nextRuns == nil || len(jobs) == 0 {
		return
	}
	next := nextRuns() // outside m.mu: it takes the scheduler's lock
	for _, j := range jobs {
		t, ok := next[j.Type]
		if !ok || t.IsZero() {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue,
			float64(t.UnixNano())/1e9, j.Server, j.Database, j.Type)
	}
}
