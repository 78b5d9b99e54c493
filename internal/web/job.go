package web

import (
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/duration"
	"github.com/gosqlguard/gosqlguard/internal/redact"
	"github.com/gosqlguard/gosqlguard/internal/service"
	"github.com/gosqlguard/gosqlguard/internal/web/svgchart"
)

const (
	// jobHistory is how many of a job's newest backups its page charts and lists.
	jobHistory = 30
	// sparkHistory is how many backups a dashboard row's sparkline shows.
	sparkHistory = 20
)

// jobURL is the path of a job's page: /jobs/{server}/{database}/{type},
// each segment path-escaped (database names may hold spaces, ?, #, %, …;
// never a slash).
func jobURL(server, database, typ string) string {
	return "/jobs/" + url.PathEscape(server) + "/" + url.PathEscape(database) + "/" + url.PathEscape(typ)
}

// backupsURL is the backup list filtered to one job.
func backupsURL(server, database, typ string) string {
	return "/backups?" + url.Values{"server": {server}, "database": {database}, "type": {typ}}.Encode()
}

// jobData is the job page's content.
type jobData struct {
	Server, Database, Type string
	ListURL                string // the backup list filtered to this job
	Rows                   []jobBackup
	// The charts, each drawn twice: for wide screens and for phones (the
	// stylesheet shows one).
	SizeChart, TimeChart             template.HTML
	SizeChartNarrow, TimeChartNarrow template.HTML
	Failures, Anomalies              int
	DrillsOK, DrillsBad              int
	Limit                            int
	// Removed: the config no longer has the job (service.Job.Removed); its
	// history stays.
	Removed bool
	// NoCopy says, instead of the charts, that no backup of the job has a
	// size or a duration to chart yet (none, or only failed or running
	// ones); "" when one has.
	NoCopy string
}

// jobBackup is one backup in the job page's table.
type jobBackup struct {
	*backup.Backup
	Duration string  // "" while running or when unknown
	Failure  errText // the run's error (redacted), short and in full on demand
}

// jobPage serves GET /jobs/{server}/{database}/{type}: the job's recent
// backups as charts and a table. Invalid names and jobs the Service does not
// list are 404.
func (u *UI) jobPage(w http.ResponseWriter, r *http.Request, rq *request) {
	server, database, typ := r.PathValue("server"), r.PathValue("database"), r.PathValue("type")
	if !namePattern.MatchString(server) || !namePattern.MatchString(typ) || backup.CheckDatabaseName(database) != nil {
		u.jobNotFound(w, r, rq)
		return
	}
	jobs, err := u.svc.Jobs(r.Context())
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	i := slices.IndexFunc(jobs, func(j service.Job) bool {
		return j.Server == server && j.Database == database && j.Type == typ
	})
	if i < 0 {
		u.jobNotFound(w, r, rq)
		return
	}
	list, err := u.svc.ListBackups(r.Context(), catalog.Filter{Server: server, Database: database, Type: typ, Limit: jobHistory}, "")
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	d := buildJobData(server, database, typ, list)
	d.Removed = jobs[i].Removed
	u.render(w, r, rq, http.StatusOK, "job", u.newView(rq, server+" / "+database+" / "+typ, "dashboard", d))
}

func (u *UI) jobNotFound(w http.ResponseWriter, r *http.Request, rq *request) {
	u.errorPage(w, r, rq, http.StatusNotFound, "Job not found",
		"No job has that server, database and backup type. The dashboard lists every job.")
}

// runSeconds is how long b ran, in seconds; NaN while it runs.
func runSeconds(b *backup.Backup) float64 {
	if b.FinishedAt == nil || b.FinishedAt.Before(b.StartedAt) {
		return math.NaN()
	}
	return b.FinishedAt.Sub(b.StartedAt).Seconds()
}

// failedStatus reports whether a backup of status s produced no usable copy.
func failedStatus(s backup.Status) bool {
	return s == backup.StatusFailed || s == backup.StatusInterrupted
}

// buildJobData makes the charts and rows of a job's backups (newest first,
// as the Service lists them; the charts run oldest to newest).
func buildJobData(server, database, typ string, list []*backup.Backup) *jobData {
	d := &jobData{Server: server, Database: database, Type: typ, ListURL: backupsURL(server, database, typ), Limit: jobHistory}
	var raw, stored, secs []svgchart.Point
	var sizeMarks, timeMarks []svgchart.Marker
	for i := len(list) - 1; i >= 0; i-- {
		b := list[i]
		at := b.StartedAt
		when := absTime(at)
		switch {
		case failedStatus(b.Status):
			d.Failures++
			label := fmt.Sprintf("%s: %s", backupBadge(b.Status).Label, when)
			if e := redact.Text(b.Error); e != "" {
				label += " — " + shorten(e, 120)
			}
			m := svgchart.Marker{T: at, Kind: svgchart.Failure, Label: label}
			sizeMarks, timeMarks = append(sizeMarks, m), append(timeMarks, m)
		case b.Status == backup.StatusRunning:
		default:
			raw = append(raw, svgchart.Point{T: at, V: float64(b.RawBytes)})
			stored = append(stored, svgchart.Point{T: at, V: float64(b.StoredBytes)})
			if s := runSeconds(b); !math.IsNaN(s) {
				secs = append(secs, svgchart.Point{T: at, V: s})
			}
			if b.Anomalous() {
				d.Anomalies++
				sizeMarks = append(sizeMarks, svgchart.Marker{T: at, V: float64(b.RawBytes), Kind: svgchart.Anomaly,
					Label: "Size anomaly: " + humanBytes(b.RawBytes) + " raw, " + when})
			}
		}
		if dr := b.Drill; dr != nil && (dr.Status == backup.DrillSuccess || dr.Status == backup.DrillFailure) {
			m := svgchart.Marker{T: at, Kind: svgchart.DrillOK, Label: "Restore drill passed " + absTime(dr.At) + " (backup of " + when + ")"}
			if dr.Status == backup.DrillSuccess {
				d.DrillsOK++
			} else {
				d.DrillsBad++
				m.Kind, m.Label = svgchart.DrillFail, "Restore drill failed "+absTime(dr.At)+" (backup of "+when+")"
			}
			sizeMarks = append(sizeMarks, m)
		}
	}
	for _, b := range list {
		row := jobBackup{Backup: b, Failure: newErrText(redact.Text(b.Error), errTextRunes)}
		if s := runSeconds(b); !math.IsNaN(s) {
			row.Duration = duration.Human(time.Duration(s * float64(time.Second)))
		}
		d.Rows = append(d.Rows, row)
	}
	switch {
	case len(list) == 0:
		d.NoCopy = "No backups of this job yet: nothing to chart."
	case len(raw) == 0:
		d.NoCopy = "No backup of this job produced a copy yet: no size or duration to chart."
		if d.Failures > 0 {
			d.NoCopy += " " + plural(d.Failures, "run", "runs") + " failed; see below."
		}
	}
	name := server + " / " + database + " / " + typ
	last, eachOfLast := "the last "+plural(len(list), "backup", "backups"), "each of the last "+plural(len(list), "backup", "backups")
	if len(list) == 1 {
		last, eachOfLast = "the last backup", "the last backup"
	}
	size := svgchart.Chart{
		ID: "chart-size", Class: "chart-wide", Unit: svgchart.Bytes, Width: 900, Height: 260,
		Title: "Backup size of " + name,
		Desc: fmt.Sprintf("Raw (dump) and stored (compressed) size of %s, oldest to newest; %s, %s, %s (%d passed, %d failed) marked.",
			last, plural(d.Failures, "failed run", "failed runs"), plural(d.Anomalies, "size anomaly", "size anomalies"),
			plural(d.DrillsOK+d.DrillsBad, "restore drill", "restore drills"), d.DrillsOK, d.DrillsBad),
		Series: []svgchart.Series{
			{Name: "Raw size", Class: "series-raw", Points: raw},
			{Name: "Stored size", Class: "series-stored", Points: stored},
		},
		Markers: sizeMarks,
	}
	dur := svgchart.Chart{
		ID: "chart-duration", Class: "chart-wide", Unit: svgchart.Seconds, Width: 900, Height: 200,
		Title: "Backup duration of " + name,
		Desc:  fmt.Sprintf("How long %s ran, oldest to newest; %s marked.", eachOfLast, plural(d.Failures, "failed run", "failed runs")),
		Series: []svgchart.Series{
			{Name: "Duration", Class: "series-duration", Points: secs},
		},
		Markers: timeMarks,
	}
	d.SizeChart, d.TimeChart = size.SVG(), dur.SVG()
	size.ID, size.Class, size.Width, size.Height = "chart-size-narrow", "chart-narrow", 420, 240
	dur.ID, dur.Class, dur.Width, dur.Height = "chart-duration-narrow", "chart-narrow", 420, 190
	d.SizeChartNarrow, d.TimeChartNarrow = size.SVG(), dur.SVG()
	return d
}

// jobSpark is what a dashboard row shows of its job's recent backups.
type jobSpark struct {
	Last      *backup.Backup // the newest backup with a size; nil when none
	Duration  string
	Anomalous bool // the newest backup was flagged with a size anomaly
	Spark     template.HTML
}

// sparkOf summarizes a job's backups (newest first).
func sparkOf(list []*backup.Backup) jobSpark {
	var s jobSpark
	var sizes []float64
	for i := len(list) - 1; i >= 0; i-- {
		b := list[i]
		if failedStatus(b.Status) || b.Status == backup.StatusRunning {
			continue
		}
		sizes = append(sizes, float64(b.StoredBytes))
		s.Last = b
	}
	if s.Last != nil {
		s.Anomalous = s.Last.Anomalous()
		if sec := runSeconds(s.Last); !math.IsNaN(sec) {
			s.Duration = duration.Human(time.Duration(sec * float64(time.Second)))
		}
		label := fmt.Sprintf("Stored size of the last %s, oldest to newest; the latest is %s", plural(len(sizes), "backup", "backups"), humanBytes(s.Last.StoredBytes))
		s.Spark = svgchart.Sparkline(sizes, 80, 22, label)
	}
	return s
}
