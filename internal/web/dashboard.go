package web

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/duration"
	"github.com/gosqlguard/gosqlguard/internal/redact"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

// overdueGrace is how late a scheduled run may start before its job counts
// as overdue (the scheduler may be busy with other jobs).
const overdueGrace = 5 * time.Minute

// jobRow is one job as the dashboard shows it.
type jobRow struct {
	service.Job
	Key      string // server/database/type
	State    badge  // OK, Failed, Overdue, ...
	Reason   string // why the state is not OK
	Attn     bool   // the row needs a person's attention
	Progress *progressView
	Drill    jobDrill // last proven restorable
	URL      string   // the job's page (see jobURL)
	History  jobSpark // last size and duration, sparkline of recent sizes
	// Failure and DrillFailure are the last failure's and the last failed
	// drill's texts (redacted), short for the row and in full on demand.
	Failure, DrillFailure errText
}

// errTextRunes is how much of an error a job row shows before it offers the
// rest behind a disclosure.
const errTextRunes = 90

// errText is an error as a table cell shows it: Short in the row and, when
// Short had to cut it (Cut), Full behind a <details>.
type errText struct {
	Full, Short string
	Cut         bool
}

// errTextView is an errText with the key of its disclosure (job key and
// which error), for the "err-text" template.
type errTextView struct {
	Key  string
	Text errText
}

func newErrText(s string, n int) errText {
	short := shorten(s, n)
	return errText{Full: strings.TrimSpace(s), Short: short, Cut: strings.HasSuffix(short, "…") && short != s}
}

// manualType is the backup type of backups started by hand; it has no
// schedule and every server × database has it.
const manualType = "manual"

// idle reports whether the job is a manual one that never ran and does not
// run now: the dashboard leaves such rows out (every database has one; the
// "Back up now" form still offers them), while the API lists them.
func (r jobRow) idle() bool {
	return r.Type == manualType && r.NextRun == nil && !r.Running &&
		r.LastSuccess == nil && r.LastFailure == nil && r.LastDrill == nil
}

// Problem reports whether the job needs a look: its latest run failed
// (failed, partial or interrupted), it is overdue, its latest restore
// drill failed, or its latest backup was flagged with a size anomaly.
func (r jobRow) Problem() bool {
	return r.Attn || r.Drill.Failed || r.History.Anomalous
}

// removedIdle reports whether the config no longer has the job and it
// does not run now: the dashboard leaves it out (its backups stay under
// Backups and on its job page), as the metrics drop its series.
func (r jobRow) removedIdle() bool {
	return r.Removed && !r.Running
}

// visibleJobs leaves out idle manual jobs, jobs removed from the config
// that do not run and, with problemsOnly, every job without a problem. It
// keeps the order of rows.
func visibleJobs(rows []jobRow, problemsOnly bool) []jobRow {
	out := make([]jobRow, 0, len(rows))
	for _, r := range rows {
		if r.idle() || r.removedIdle() || (problemsOnly && !r.Problem()) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// progressView is one running backup's progress.
type progressView struct {
	ID, Server, Database, Type string
	StartedAt                  time.Time
	Bytes                      int64
	Rate                       float64 // bytes per second; 0 unknown
	Expected                   int64   // raw bytes expected at the end, from the job's last success; 0 unknown
}

// Estimate is the running backup's estimated progress, "~42% of ~1.2 GiB,
// ~1m3s left", from the job's last size: at most 99% while it runs, and
// "more than last time" once that size is passed; "" without an estimate.
func (p progressView) Estimate() string {
	if p.Expected <= 0 {
		return ""
	}
	if p.Bytes >= p.Expected {
		return "more than last time (" + humanBytes(p.Expected) + ")"
	}
	s := fmt.Sprintf("~%d%% of ~%s", min(p.Bytes*100/p.Expected, 99), humanBytes(p.Expected))
	if left, ok := duration.Left(p.Bytes, p.Expected, p.Rate); ok && p.Bytes > 0 {
		s += ", ~" + duration.Format(left) + " left"
	}
	return s
}

// classifyJobs decides each job's state. A job is Failed when its latest
// outcome is a failure, and Overdue when it is scheduled and its next run is
// more than overdueGrace in the past, or its last success is older than
// twice its type's period. A scheduled job that never ran, its first slot
// still ahead (added by a reload or since the daemon started), is not. The Service does not report
// periods; a type's period is estimated as the shortest gap between a job's
// last success and the type's next run, which is exact for any job of that
// type that succeeded at the latest tick.
func classifyJobs(jobs []service.Job, now time.Time) []jobRow {
	periods := map[string]time.Duration{}
	for _, j := range jobs {
		if j.NextRun != nil && j.LastSuccess != nil && j.NextRun.After(*j.LastSuccess) {
			d := j.NextRun.Sub(*j.LastSuccess)
			if p, ok := periods[j.Type]; !ok || d < p {
				periods[j.Type] = d
			}
		}
	}
	rows := make([]jobRow, 0, len(jobs))
	for _, j := range jobs {
		j.LastFailureError = redact.Text(j.LastFailureError)
		j.LastDrillError = redact.Text(j.LastDrillError)
		row := jobRow{Job: j, Key: j.Server + "/" + j.Database + "/" + j.Type, Drill: classifyDrill(j),
			URL: jobURL(j.Server, j.Database, j.Type)}
		row.Failure = newErrText(j.LastFailureError, errTextRunes)
		row.DrillFailure = newErrText(row.Drill.Failure, errTextRunes)
		scheduled := j.NextRun != nil
		failed := j.LastFailure != nil && (j.LastSuccess == nil || j.LastFailure.After(*j.LastSuccess))
		var overdue string
		if scheduled {
			period := periods[j.Type]
			switch {
			case now.Sub(*j.NextRun) > overdueGrace:
				overdue = fmt.Sprintf("the run due %s has not happened", relTime(*j.NextRun, now))
			case period > 0 && j.LastSuccess != nil && now.Sub(*j.LastSuccess) > 2*period:
				overdue = fmt.Sprintf("last success %s; it should run about every %s", relTime(*j.LastSuccess, now), duration.Human(period))
			}
		}
		switch {
		case failed:
			row.State, row.Attn, row.Reason = badge{"bad", "Failed"}, true, "the latest run failed"
			if overdue != "" {
				row.Reason += "; overdue: " + overdue
			}
		case overdue != "":
			row.State, row.Attn, row.Reason = badge{"warn", "Overdue"}, true, overdue
		case j.LastSuccess != nil:
			row.State = badge{"ok", "OK"}
		case scheduled:
			// A new job, its first slot still to come: nothing is late yet.
			row.State, row.Reason = badge{"muted", "No backup yet"}, "first run "+relTime(*j.NextRun, now)
		default:
			row.State, row.Reason = badge{"muted", "No backup yet"}, "runs only when triggered"
		}
		rows = append(rows, row)
	}
	return rows
}

// totals are the dashboard's summary figures.
type totals struct {
	Jobs, OK, Failed, Overdue, Running int
	Unproven                           int // jobs never proven restorable, or whose last drill failed
	Storages, Healthy                  int
	Copies                             int
	Bytes                              int64
	StatusKnown                        bool
}

// dashboardData is the dashboard's content.
type dashboardData struct {
	Jobs []jobRow // the rows shown: see visibleJobs
	// ProblemsOnly: the page shows only jobs with a problem (?problems=1);
	// Hidden is how many shown jobs that filter hides.
	ProblemsOnly bool
	Hidden       int
	// Removed is how many jobs the config no longer has are left out (see
	// jobRow.removedIdle).
	Removed    int
	Running    []progressView
	Operations []operationView // restores and drills running in this process
	Storages   []service.StorageStatus
	StatusErr  string
	Totals     totals
	Form       triggerForm
}

// triggerForm lists the choices of the "Back up now" form.
type triggerForm struct {
	Servers   []string
	Databases []dbChoice
	Types     []string
}

type dbChoice struct {
	Name    string
	Servers string // space-separated servers that have it, for the script's filter
}

func (u *UI) dashboardData(r *http.Request, rq *request) (*dashboardData, error) {
	ctx := r.Context()
	jobs, err := u.svc.Jobs(ctx)
	if err != nil {
		return nil, err
	}
	now := u.now()
	all := classifyJobs(jobs, now)
	d := &dashboardData{Jobs: visibleJobs(all, false), ProblemsOnly: problemsOnly(r)}
	for _, j := range all {
		if j.removedIdle() {
			d.Removed++
		}
	}
	progress := u.svc.Progress(ctx)
	rates := u.rates.observe(now, progress)
	byID := map[string]*progressView{}
	for _, p := range progress {
		pv := progressView{ID: p.ID, Server: p.Server, Database: p.Database, Type: p.Type,
			StartedAt: p.StartedAt, Bytes: p.RawBytes, Rate: rates[p.ID], Expected: p.ExpectedBytes}
		d.Running = append(d.Running, pv)
	}
	for i := range d.Running {
		byID[d.Running[i].ID] = &d.Running[i]
	}
	for i := range d.Jobs {
		j := &d.Jobs[i]
		if j.Running {
			j.Progress = byID[j.RunningID]
			if j.Progress == nil {
				// Running in the catalog, but the dump has not reported yet.
				d.Running = append(d.Running, progressView{ID: j.RunningID, Server: j.Server, Database: j.Database, Type: j.Type})
			}
		}
	}
	d.Operations = operationViews(u.svc.Operations(ctx), now)
	t := &d.Totals
	t.Jobs, t.Running = len(d.Jobs), len(d.Running)+len(d.Operations)
	for _, j := range d.Jobs {
		switch j.State.Label {
		case "OK":
			t.OK++
		case "Failed":
			t.Failed++
		case "Overdue":
			t.Overdue++
		}
		if j.Drill.Warn {
			t.Unproven++
		}
	}
	st, err := u.svc.Status(ctx)
	if err != nil {
		pr := u.describe(r, rq, err)
		d.StatusErr = pr.message
	} else {
		t.StatusKnown = true
		for _, s := range st.Storages {
			s.Error = redact.Text(s.Error)
			d.Storages = append(d.Storages, s)
			t.Storages++
			if s.Healthy {
				t.Healthy++
			}
			t.Copies += s.Backups
			t.Bytes += s.Bytes
		}
	}
	d.Form = buildTriggerForm(jobs)
	u.addHistory(r, rq, d.Jobs) // before the filter: a size anomaly is a problem
	if d.ProblemsOnly {
		shown := visibleJobs(d.Jobs, true)
		d.Hidden = len(d.Jobs) - len(shown)
		d.Jobs = shown
	}
	return d, nil
}

// addHistory fills in each row's recent backups: of at most sparkHistory
// backups, read with one catalog query per row whose job changed since the
// last refresh (see historyCache). A failed query leaves that row without
// history (the rest of the dashboard still shows) and is logged.
func (u *UI) addHistory(r *http.Request, rq *request, rows []jobRow) {
	now := u.now()
	keep := make(map[string]bool, len(rows))
	for i := range rows {
		j := &rows[i]
		keep[j.Key] = true
		if s, ok := u.history.get(j.Key, j.Job, now); ok {
			j.History = s
			continue
		}
		list, err := u.svc.ListBackups(r.Context(), catalog.Filter{Server: j.Server, Database: j.Database, Type: j.Type, Limit: sparkHistory}, "")
		if err != nil {
			u.logger.Warn("UI job history failed", "request_id", rq.id, "job", j.Key, "error", err)
			continue
		}
		j.History = sparkOf(list)
		u.history.put(j.Key, j.Job, now, j.History)
	}
	u.history.forget(keep)
}

// problemsOnly reports whether the request asks for jobs with a problem
// only: the query parameter problems=1 (or true, yes, on), on the page and
// its live updates.
func problemsOnly(r *http.Request) bool {
	switch strings.ToLower(strings.TrimSpace(r.URL.Query().Get("problems"))) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

func buildTriggerForm(jobs []service.Job) triggerForm {
	var f triggerForm
	dbs := map[string][]string{}
	types := []string{manualType}
	for _, j := range jobs {
		if j.Removed {
			continue // the config no longer has it: a backup of it is refused
		}
		if !slices.Contains(f.Servers, j.Server) {
			f.Servers = append(f.Servers, j.Server)
		}
		if j.Database == "*" {
			continue // the failed listing of a server that did not answer, not a database
		}
		if !slices.Contains(dbs[j.Database], j.Server) {
			dbs[j.Database] = append(dbs[j.Database], j.Server)
		}
		if !slices.Contains(types, j.Type) {
			types = append(types, j.Type)
		}
	}
	slices.Sort(f.Servers)
	for name, servers := range dbs {
		f.Databases = append(f.Databases, dbChoice{Name: name, Servers: strings.Join(servers, " ")})
	}
	slices.SortFunc(f.Databases, func(a, b dbChoice) int { return strings.Compare(a.Name, b.Name) })
	slices.Sort(types[1:])
	f.Types = types
	return f
}

func (u *UI) dashboard(w http.ResponseWriter, r *http.Request, rq *request) {
	d, err := u.dashboardData(r, rq)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	v := u.newView(rq, "Dashboard", "dashboard", d)
	v.Live = "/ui/live?view=dashboard"
	if d.ProblemsOnly {
		v.Live += "&problems=1"
	}
	u.render(w, r, rq, http.StatusOK, "dashboard", v)
}

// namePattern is what server, backup type and storage names look like (the
// config and the API enforce the same).
var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// trigger starts backups now (the dashboard's "Back up now" form).
func (u *UI) trigger(w http.ResponseWriter, r *http.Request, rq *request) {
	server := strings.TrimSpace(r.PostForm.Get("server"))
	database := strings.TrimSpace(r.PostForm.Get("database"))
	typ := strings.TrimSpace(r.PostForm.Get("type"))
	if typ == "" {
		typ = manualType
	}
	var bad string
	switch {
	case server != "" && !namePattern.MatchString(server):
		bad = "server"
	case database != "" && backup.CheckDatabaseName(database) != nil:
		bad = "database"
	case !namePattern.MatchString(typ):
		bad = "type"
	}
	if bad != "" {
		u.sessions.setFlash(rq.sess, &flash{Kind: "error", Message: "Could not start the backup: invalid " + bad + " name."})
		seeOther(w, r, "/")
		return
	}
	ids, err := u.svc.StartBackups(r.Context(), server, database, typ)
	if err != nil {
		u.flashError(r, rq, "Could not start the backup: ", err)
		seeOther(w, r, "/")
		return
	}
	u.logger.Info("backups started through the UI", "request_id", rq.id, "by", rq.who.Name,
		"server", server, "database", database, "type", typ, "ids", ids)
	switch len(ids) {
	case 0:
		u.sessions.setFlash(rq.sess, &flash{Kind: "info", Message: "Nothing was started: no job matches."})
	case 1:
		u.flashOK(rq, "Started backup "+ids[0]+". Its progress shows below.")
	default:
		u.flashOK(rq, fmt.Sprintf("Started %d backups. Their progress shows below.", len(ids)))
	}
	seeOther(w, r, "/")
}
