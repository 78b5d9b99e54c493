package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Job is one configured backup job: a database of a server that a
// scheduled backup type backs up.
type Job struct {
	Server, Database, Type string
}

func (j Job) series() series { return series{server: j.Server, database: j.Database, typ: j.Type} }

// SetJobs declares the configured jobs, replacing the set of an earlier
// call. Each job gets a gosqlguard_backup_last_success_timestamp_seconds
// series, 0 until its first full success (one from a backup or from Seed
// is kept), so that an alert on the age of the last success fires for a
// job that never succeeded; and a gosqlguard_job_next_run_timestamp_seconds
// series (see SetNextRuns). A job left out of a later call loses both,
// except a last success that a real backup set: that one stays, as Seed
// keeps the last success of jobs no longer configured.
func (m *Metrics) SetJobs(jobs []Job) {
	m.mu.Lock()
	defer m.mu.Unlock()
	next := make(map[Job]bool, len(jobs))
	for _, j := range jobs {
		next[j] = true
		s := j.series()
		if _, set := m.asOf[gaugeSeries{m.lastSuccess, s}]; !set {
			m.lastSuccess.WithLabelValues(s.job()...).Set(0)
		}
	}
	for j := range m.jobs {
		if next[j] {
			continue
		}
		s := j.series()
		if _, set := m.asOf[gaugeSeries{m.lastSuccess, s}]; !set {
			m.lastSuccess.DeleteLabelValues(s.job()...)
		}
	}
	m.jobs = next
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
