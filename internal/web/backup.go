package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/duration"
	"github.com/gosqlguard/gosqlguard/internal/httpserve"
	"github.com/gosqlguard/gosqlguard/internal/redact"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

// logTailLines is how many lines of a backup's error output the page shows.
const logTailLines = 40

// detailData is the content of one backup's page.
type detailData struct {
	B        *backup.Backup
	Manifest string // pretty JSON; "" without one
	LogTail  string
	LogCut   bool          // LogTail is the end of a longer error; the page offers it all
	LogLines int           // lines of the whole error
	Progress *progressView // while running
	Verify   *verifyView   // results of a verify just run
	Ratio    string        // stored/raw
	Copies   int           // complete copies
	// The actions the backup's state allows (roles are checked apart).
	Restorable, Deletable, Drillable bool
	Drills                           []drillRow // newest first
	DrillsErr                        string     // the history could not be read
	// WatchOps marks a backup that can be restored or drilled: the page
	// shows the restores and drills of it that run now (Operations) and
	// keeps them up to date.
	WatchOps   bool
	Operations []operationView
}

// verifyView is the outcome of verifying one backup.
type verifyView struct {
	OK   bool
	Rows []verifyRow
}

type verifyRow struct {
	Storage, Key string
	Deep, OK     bool
	Error        string
}

// backupID returns the {id} path value when it is a backup's full ID. A
// unique start of one, as the CLI and the API take, sends a GET or HEAD to
// the same address with the full ID (302, the query kept): the backup's
// page, its download, its restore form. Another method (a form's POST) is
// refused with an error page naming the full ID, and so is a start that
// names no single backup (resolveBackup).
func (u *UI) backupID(w http.ResponseWriter, r *http.Request, rq *request) (string, bool) {
	id := r.PathValue("id")
	if backup.ValidID(id) {
		return id, true
	}
	b, ok := u.resolveBackup(w, r, rq, id)
	if !ok {
		return "", false
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		u.errorPage(w, r, rq, http.StatusBadRequest, "Not a full backup ID",
			fmt.Sprintf("Actions on a backup take its full ID; %q is the start of %s. Nothing was done: "+
				"run the action again from that backup's page.", id, b.ID))
		return "", false
	}
	http.Redirect(w, r, withBackupID(r, b.ID), http.StatusFound)
	return "", false
}

// resolveBackup looks up the backup whose ID starts with prefix, showing an
// error page when there is not exactly one: none (404), or, in the
// lookup's words, a prefix too short or shared by several IDs (400).
func (u *UI) resolveBackup(w http.ResponseWriter, r *http.Request, rq *request, prefix string) (*backup.Backup, bool) {
	var b *backup.Backup
	var err error
	if prefix != "" {
		b, err = u.svc.GetBackup(r.Context(), prefix)
	}
	if kind, _ := service.Classify(err); kind == service.NotFound || prefix == "" {
		u.errorPage(w, r, rq, http.StatusNotFound, "Backup not found",
			fmt.Sprintf("No backup's ID starts with %q. IDs look like 20240501T020304.000Z-0123456789ab; "+
				"any unique start of one (%d characters or more) will do.", prefix, catalog.MinIDPrefix))
		return nil, false
	}
	if err != nil {
		u.fail(w, r, rq, err)
		return nil, false
	}
	return b, true
}

// withBackupID is the address of r, under /backups/{id}, with id in place
// of the {id} r has, and r's query.
func withBackupID(r *http.Request, id string) string {
	to := "/backups/" + url.PathEscape(id)
	// "", "backups", {id}, the rest of the path.
	if parts := strings.SplitN(r.URL.EscapedPath(), "/", 4); len(parts) == 4 {
		to += "/" + parts[3]
	}
	if r.URL.RawQuery != "" {
		to += "?" + r.URL.RawQuery
	}
	return to
}

// loadBackup fetches the backup named by the path, showing an error page when
// it cannot.
func (u *UI) loadBackup(w http.ResponseWriter, r *http.Request, rq *request) (*backup.Backup, bool) {
	id, ok := u.backupID(w, r, rq)
	if !ok {
		return nil, false
	}
	b, err := u.svc.GetBackup(r.Context(), id)
	if err != nil {
		u.fail(w, r, rq, err)
		return nil, false
	}
	return presentBackup(b), true
}

func (u *UI) backupPage(w http.ResponseWriter, r *http.Request, rq *request) {
	// A unique start of an ID leads to the backup's own address (backupID).
	b, ok := u.loadBackup(w, r, rq)
	if !ok {
		return
	}
	d := &detailData{B: b}
	if b.Manifest != nil {
		if m, err := json.MarshalIndent(b.Manifest, "", "  "); err == nil {
			d.Manifest = string(m)
		}
	}
	d.LogTail, d.LogCut = tailLines(b.Error, logTailLines)
	if d.LogCut {
		d.LogLines = strings.Count(strings.TrimRight(b.Error, "\n"), "\n") + 1
	}
	if b.RawBytes > 0 && b.StoredBytes > 0 {
		d.Ratio = strconv.FormatFloat(float64(b.StoredBytes)/float64(b.RawBytes)*100, 'f', 1, 64) + " %"
	}
	for _, l := range b.Locations {
		if l.Status == backup.LocationSuccess {
			d.Copies++
		}
	}
	d.Restorable, d.Deletable = restorable(b) == "", deletable(b) == ""
	u.drillSection(r, rq, d)
	v := u.newView(rq, "Backup "+b.ID, "backups", d)
	if v.Flash != nil {
		d.Verify = v.Flash.Verify
	}
	if b.Status == backup.StatusRunning {
		d.Progress = u.progressOf(r, b)
		v.Live = "/ui/live?backup=" + b.ID
	} else if d.Restorable || d.Drillable {
		d.WatchOps, d.Operations = true, u.operationsOf(r, b.ID)
		v.Live = "/ui/live?operations=" + b.ID
	}
	u.render(w, r, rq, http.StatusOK, "backup", v)
}

// verify reads every copy back now and shows the results on the backup's page.
func (u *UI) verify(w http.ResponseWriter, r *http.Request, rq *request) {
	id, ok := u.backupID(w, r, rq)
	if !ok {
		return
	}
	httpserve.SetWriteDeadline(w, 0) // reading every copy back may take long
	results, err := u.svc.VerifyBackup(r.Context(), id)
	httpserve.SetWriteDeadline(w, pageWriteTimeout)
	back := "/backups/" + id
	if err != nil && len(results) == 0 {
		u.flashError(r, rq, "Verify could not run: ", err)
		seeOther(w, r, back)
		return
	}
	vv := &verifyView{OK: err == nil}
	for _, res := range results {
		row := verifyRow{Storage: res.Storage, Key: res.Key, Deep: res.Deep, OK: res.Err == nil}
		if res.Err != nil {
			row.Error, vv.OK = redact.Text(res.Err.Error()), false
		}
		vv.Rows = append(vv.Rows, row)
	}
	if err != nil {
		u.logger.Warn("verify reported an error besides its results", "request_id", rq.id, "id", id, "error", err)
	}
	u.logger.Info("backup verified through the UI", "request_id", rq.id, "by", rq.who.Name, "id", id, "ok", vv.OK)
	f := &flash{Kind: "ok", Verify: vv, Message: "Verified: every copy matches its size and SHA-256."}
	switch {
	case len(vv.Rows) == 0:
		f.Kind, f.Message = "error", "Verify found no complete copy to check."
	case !vv.OK:
		f.Kind, f.Message = "error", "Verify found a problem: see the results below."
	}
	u.sessions.setFlash(rq.sess, f)
	seeOther(w, r, back+"#verify")
}

// restoreData is the content of the restore form and its confirmation.
type restoreData struct {
	B       *backup.Backup
	To      string // the to_database field as given ("" = the backup's own)
	Target  string // the database that will be restored into
	Confirm bool   // the confirmation step
	Same    bool   // restoring over the database the backup came from
	Error   string
	Blocked string // why this backup cannot be restored
}

func restorable(b *backup.Backup) string {
	switch b.Status {
	case backup.StatusSuccess, backup.StatusPartial:
		return ""
	case backup.StatusRunning:
		return "This backup is still running; it can be restored once it has succeeded."
	}
	return "Only successful backups can be restored; this one is " + string(b.Status) + "."
}

// restoreForm asks which database to restore into and, with step=confirm,
// asks to confirm by typing that database's name.
func (u *UI) restoreForm(w http.ResponseWriter, r *http.Request, rq *request) {
	b, ok := u.loadBackup(w, r, rq)
	if !ok {
		return
	}
	q := r.URL.Query()
	d := &restoreData{B: b, To: strings.TrimSpace(q.Get("to_database")), Blocked: restorable(b)}
	status := http.StatusOK
	if q.Get("step") == "confirm" && d.Blocked == "" {
		if d.To != "" && backup.CheckDatabaseName(d.To) != nil {
			d.Error, status = "Invalid database name: 1–128 characters without slashes or control characters.", http.StatusBadRequest
		} else {
			d.Confirm = true
		}
	}
	d.Target, d.Same = targetOf(b, d.To)
	u.render(w, r, rq, status, "restore", u.newView(rq, "Restore "+b.ID, "backups", d))
}

func targetOf(b *backup.Backup, to string) (string, bool) {
	if to == "" || to == b.Database {
		return b.Database, true
	}
	return to, false
}

// restore runs a confirmed restore and reports on the backup's page.
func (u *UI) restore(w http.ResponseWriter, r *http.Request, rq *request) {
	b, ok := u.loadBackup(w, r, rq)
	if !ok {
		return
	}
	to := strings.TrimSpace(r.PostForm.Get("to_database"))
	d := &restoreData{B: b, To: to, Confirm: true, Blocked: restorable(b)}
	d.Target, d.Same = targetOf(b, to)
	status := http.StatusOK
	switch {
	case d.Blocked != "":
		status = http.StatusConflict
	case to != "" && backup.CheckDatabaseName(to) != nil:
		d.Confirm, d.Error, status = false, "Invalid database name.", http.StatusBadRequest
	case r.PostForm.Get("confirm") != d.Target:
		d.Error, status = "The name you typed does not match "+d.Target+". Nothing was restored.", http.StatusUnprocessableEntity
	}
	if status != http.StatusOK {
		u.render(w, r, rq, status, "restore", u.newView(rq, "Restore "+b.ID, "backups", d))
		return
	}
	u.logger.Info("restore started through the UI", "request_id", rq.id, "by", rq.who.Name, "id", b.ID, "to_database", d.Target)
	httpserve.SetWriteDeadline(w, 0) // a restore takes as long as it takes
	start := u.now()
	// The typed confirmation is the operator's consent to replace the target.
	err := u.svc.RestoreBackup(r.Context(), b.ID, service.RestoreOptions{ToDatabase: to, Force: true})
	httpserve.SetWriteDeadline(w, pageWriteTimeout)
	if err != nil {
		u.flashError(r, rq, "Restore into "+b.Server+"/"+d.Target+" failed: ", err)
	} else {
		u.flashOK(rq, fmt.Sprintf("Restored backup %s into %s/%s in %s.", b.ID, b.Server, d.Target, duration.Human(u.now().Sub(start))))
	}
	seeOther(w, r, "/backups/"+b.ID)
}

// deleteData is the content of the delete confirmation.
type deleteData struct {
	B       *backup.Backup
	Error   string
	Blocked string
}

func deletable(b *backup.Backup) string {
	switch b.Status {
	case backup.StatusRunning:
		return "This backup is still running; it can be deleted once it has finished."
	case backup.StatusDeleted:
		return "This backup is already deleted."
	}
	return ""
}

func (u *UI) deleteForm(w http.ResponseWriter, r *http.Request, rq *request) {
	b, ok := u.loadBackup(w, r, rq)
	if !ok {
		return
	}
	d := &deleteData{B: b, Blocked: deletable(b)}
	u.render(w, r, rq, http.StatusOK, "delete", u.newView(rq, "Delete "+b.ID, "backups", d))
}

func (u *UI) deleteBackup(w http.ResponseWriter, r *http.Request, rq *request) {
	b, ok := u.loadBackup(w, r, rq)
	if !ok {
		return
	}
	d := &deleteData{B: b, Blocked: deletable(b)}
	switch {
	case d.Blocked != "":
		u.render(w, r, rq, http.StatusConflict, "delete", u.newView(rq, "Delete "+b.ID, "backups", d))
		return
	case r.PostForm.Get("confirm") != "yes":
		d.Error = "Tick the box to confirm. Nothing was deleted."
		u.render(w, r, rq, http.StatusUnprocessableEntity, "delete", u.newView(rq, "Delete "+b.ID, "backups", d))
		return
	}
	if err := u.svc.DeleteBackup(r.Context(), b.ID); err != nil {
		u.flashError(r, rq, "Delete failed: ", err)
		seeOther(w, r, "/backups/"+b.ID)
		return
	}
	u.logger.Info("backup deleted through the UI", "request_id", rq.id, "by", rq.who.Name, "id", b.ID)
	u.flashOK(rq, "Deleted backup "+b.ID+" from every storage.")
	seeOther(w, r, "/backups/"+b.ID)
}

// download streams a stored object, from the storage named in the query or
// any complete copy.
func (u *UI) download(w http.ResponseWriter, r *http.Request, rq *request) {
	id, ok := u.backupID(w, r, rq)
	if !ok {
		return
	}
	storage := r.URL.Query().Get("storage")
	if storage != "" && !namePattern.MatchString(storage) {
		u.errorPage(w, r, rq, http.StatusBadRequest, "Invalid storage", "That is not a storage name.")
		return
	}
	body, info, err := u.svc.Download(r.Context(), id, storage)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	defer body.Close()
	w.Header().Del("Content-Security-Policy")
	httpserve.StreamDownload(w, r, u.logger, id, body, info, "request_id", rq.id, "by", rq.who.Name, "via", "web")
}
