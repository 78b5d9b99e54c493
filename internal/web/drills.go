package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/duration"
	"github.com/gosqlguard/gosqlguard/internal/httpserve"
	"github.com/gosqlguard/gosqlguard/internal/redact"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

// Restore drills in the UI: each job's "last proven restorable" on the
// dashboard, a backup's drill history and its "Run drill now" button, and
// the list's badge for a backup whose last drill failed.

// maxDiffsShown is how many fingerprint differences a drill shows before
// folding the rest away.
const maxDiffsShown = 8

// jobDrill is a job's restore-drill state as the dashboard shows it.
type jobDrill struct {
	// ProvenBackupAt is when the backup of the last successful drill started.
	ProvenBackupAt time.Time
	// Warn: the job has something to drill but was never proven restorable,
	// or its latest drill failed.
	Warn bool
	// Failed: the job's latest drill failed; FailLabel and Failure say how.
	Failed    bool
	FailLabel string
	Failure   string
	// Nothing: the job has no successful backup and no drill (nothing to
	// prove yet, which its backup status already says).
	Nothing bool
	// State names it for scripts and tests: proven, failed, never or nothing.
	State string
}

// classifyDrill decides how a job's drills show. j's texts are redacted.
func classifyDrill(j service.Job) jobDrill {
	var d jobDrill
	if j.LastDrillSuccessID != "" {
		d.ProvenBackupAt = idTime(j.LastDrillSuccessID)
	}
	d.Failed = j.LastDrill != nil && j.LastDrillStatus == backup.DrillFailure
	if d.Failed {
		d.FailLabel = "Last drill failed"
		switch {
		case j.LastDrillError != "":
			d.Failure = j.LastDrillError
		case j.LastDrillDifferences > 0:
			d.FailLabel = "Last drill differs"
			d.Failure = fmt.Sprintf("restored, but differs from the backup in %s", plural(j.LastDrillDifferences, "place", "places"))
		default:
			d.Failure = "the drill failed"
		}
	}
	d.Nothing = j.LastDrill == nil && j.LastSuccess == nil
	d.Warn = d.Failed || (j.LastDrillSuccess == nil && !d.Nothing)
	switch {
	case d.Failed:
		d.State = "failed"
	case j.LastDrillSuccess != nil:
		d.State = "proven"
	case d.Nothing:
		d.State = "nothing"
	default:
		d.State = "never"
	}
	return d
}

// idTime is the start time a backup ID carries; zero when it has none.
func idTime(id string) time.Time {
	if !backup.ValidID(id) {
		return time.Time{}
	}
	t, err := time.Parse("20060102T150405.000Z", id[:20])
	if err != nil {
		return time.Time{}
	}
	return t
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// drillRow is one drill in a backup's history.
type drillRow struct {
	backup.Drill
	Result    badge
	Note      string   // what the result means, when not obvious
	Shown     []string // the first differences
	More      []string // the rest, folded
	Took      string
	IsRunning bool
}

func makeDrillRow(d backup.Drill) drillRow {
	d.Error = redact.Text(d.Error)
	r := drillRow{Drill: d}
	for i, s := range d.Differences {
		s = redact.Text(s)
		if i < maxDiffsShown {
			r.Shown = append(r.Shown, s)
		} else {
			r.More = append(r.More, s)
		}
	}
	if d.Seconds > 0 {
		r.Took = duration.Human(time.Duration(d.Seconds * float64(time.Second)))
	}
	switch {
	case d.Status == backup.DrillSuccess && d.Compared:
		r.Result, r.Note = badge{"ok", "Passed"}, "restored; matches the backup's fingerprint"
	case d.Status == backup.DrillSuccess:
		r.Result, r.Note = badge{"ok", "Restored"}, "not compared: the backup has no fingerprint"
	case d.Status == backup.DrillFailure && len(d.Differences) > 0:
		r.Result, r.Note = badge{"bad", "Differs"}, "restored, but the contents differ from the backup's fingerprint"
	case d.Status == backup.DrillFailure:
		r.Result = badge{"bad", "Failed"}
	case d.Status == backup.DrillInterrupted:
		r.Result, r.Note = badge{"muted", "Interrupted"}, "stopped before it finished (a shutdown, or the request that started it ended); proves nothing either way"
	case d.Status == "running":
		r.Result, r.IsRunning = badge{"info", "Running"}, true
	default:
		r.Result = badge{"muted", string(d.Status)}
	}
	return r
}

// drillable says why b cannot be drilled, or "".
func drillable(b *backup.Backup, copies int) string {
	if why := restorable(b); why != "" {
		return why
	}
	if copies == 0 {
		return "This backup has no complete copy to restore."
	}
	return ""
}

// drillSection fills the backup page's drill history.
func (u *UI) drillSection(r *http.Request, rq *request, d *detailData) {
	d.Drillable = drillable(d.B, d.Copies) == ""
	drills, err := u.svc.BackupDrills(r.Context(), d.B.ID)
	if err != nil {
		p := u.describe(r, rq, err)
		d.DrillsErr = "The drill history could not be read: " + p.message
		return
	}
	for _, dr := range drills {
		d.Drills = append(d.Drills, makeDrillRow(dr))
	}
}

// drill runs a restore drill of one backup now and reports its outcome on
// the backup's page, whose history then lists it first.
func (u *UI) drill(w http.ResponseWriter, r *http.Request, rq *request) {
	id, ok := u.backupID(w, r, rq)
	if !ok {
		return
	}
	back := "/backups/" + id + "#drills"
	u.logger.Info("restore drill started through the UI", "request_id", rq.id, "by", rq.who.Name, "id", id)
	httpserve.SetWriteDeadline(w, 0) // a drill restores the whole backup
	d, err := u.svc.DrillBackup(r.Context(), id)
	httpserve.SetWriteDeadline(w, pageWriteTimeout)
	if err != nil {
		u.flashError(r, rq, "The drill could not run: ", err)
		seeOther(w, r, back)
		return
	}
	u.logger.Info("restore drill finished through the UI", "request_id", rq.id, "by", rq.who.Name, "id", id,
		"status", d.Status, "differences", len(d.Differences))
	u.sessions.setFlash(rq.sess, drillFlash(d))
	seeOther(w, r, back)
}

// drillFlash says how a drill just run ended.
func drillFlash(d backup.Drill) *flash {
	took := duration.Human(time.Duration(d.Seconds * float64(time.Second)))
	switch {
	case d.Status == backup.DrillSuccess && d.Compared:
		return &flash{Kind: "ok", Message: fmt.Sprintf("Drill passed: restored onto %s in %s, and the restored database matches the backup's fingerprint.", d.Server, took)}
	case d.Status == backup.DrillSuccess:
		return &flash{Kind: "ok", Message: fmt.Sprintf("Drill passed: restored onto %s in %s. This backup has no fingerprint, so its contents were not compared.", d.Server, took)}
	case d.Status == backup.DrillInterrupted:
		return &flash{Kind: "info", Message: fmt.Sprintf("Drill interrupted on %s after %s before it could tell; it proves nothing either way. Run it again.", d.Server, took)}
	case len(d.Differences) > 0:
		return &flash{Kind: "error", Message: fmt.Sprintf("Drill failed: the database restored onto %s differs from the backup in %s; see the drill history below.",
			d.Server, plural(len(d.Differences), "place", "places"))}
	}
	msg := fmt.Sprintf("Drill failed on %s after %s", d.Server, took)
	if e := shorten(redact.Text(d.Error), 200); e != "" {
		msg += ": " + e
	}
	return &flash{Kind: "error", Message: msg}
}
