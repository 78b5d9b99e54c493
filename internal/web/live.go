package web

import (
	"net/http"

	"github.com/gosqlguard/gosqlguard/internal/auth"
	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/httpserve"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

// liveResponse is the answer of GET /ui/live, which the pages' script polls
// every two seconds. Sections are HTML fragments rendered by the same
// templates as the page (so escaping is the templates'), keyed by the id of
// the element they replace without the "live-" prefix.
type liveResponse struct {
	Sections map[string]string `json:"sections,omitempty"`
	Running  int               `json:"running"`
	// Reload asks the page to reload itself: the backup it shows finished.
	Reload bool   `json:"reload,omitempty"`
	Error  string `json:"error,omitempty"`
}

// dashboardSections are the dashboard's live parts: template name by section.
var dashboardSections = map[string]string{
	"totals":   "dash-totals",
	"running":  "dash-running",
	"jobs":     "dash-jobs",
	"storages": "dash-storages",
}

// live serves GET /ui/live?view=dashboard and GET /ui/live?backup=ID. Without
// a session it answers 401 instead of redirecting, so the page's script can
// say that the session ended.
func (u *UI) live(min auth.Role) http.Handler {
	return u.wrap(func(w http.ResponseWriter, r *http.Request, rq *request) {
		httpserve.SetWriteDeadline(w, pageWriteTimeout)
		if u.auth.Unauthenticated() {
			p, err := u.auth.Check(r, "")
			if err != nil {
				writeJSON(w, http.StatusForbidden, liveResponse{Error: "forbidden"})
				return
			}
			rq.who = p
		} else if rq.sess == nil {
			writeJSON(w, http.StatusUnauthorized, liveResponse{Error: "Your session has ended. Log in again to keep this page up to date."})
			return
		}
		if !rq.who.Can(min) {
			writeJSON(w, http.StatusForbidden, liveResponse{Error: "forbidden"})
			return
		}
		if id := r.URL.Query().Get("backup"); id != "" {
			u.liveBackup(w, r, rq, id)
			return
		}
		if id := r.URL.Query().Get("operations"); id != "" {
			u.liveOperations(w, r, rq, id)
			return
		}
		u.liveDashboard(w, r, rq)
	})
}

func (u *UI) liveDashboard(w http.ResponseWriter, r *http.Request, rq *request) {
	d, err := u.dashboardData(r, rq)
	if err != nil {
		p := u.describe(r, rq, err)
		writeJSON(w, p.status, liveResponse{Error: p.message + " (request " + rq.id + ")"})
		return
	}
	resp := liveResponse{Sections: map[string]string{}, Running: d.Totals.Running}
	for section, tmpl := range dashboardSections {
		html, err := u.fragment("dashboard", tmpl, d)
		if err != nil {
			u.logger.Error("UI live fragment failed", "request_id", rq.id, "template", tmpl, "error", err)
			writeJSON(w, http.StatusInternalServerError, liveResponse{Error: "internal error (request " + rq.id + ")"})
			return
		}
		resp.Sections[section] = html
	}
	writeJSON(w, http.StatusOK, resp)
}

func (u *UI) liveBackup(w http.ResponseWriter, r *http.Request, rq *request, id string) {
	if !backup.ValidID(id) {
		writeJSON(w, http.StatusBadRequest, liveResponse{Error: "invalid backup ID"})
		return
	}
	b, err := u.svc.GetBackup(r.Context(), id)
	if err != nil {
		p := u.describe(r, rq, err)
		writeJSON(w, p.status, liveResponse{Error: p.message})
		return
	}
	if b.Status != backup.StatusRunning {
		writeJSON(w, http.StatusOK, liveResponse{Reload: true})
		return
	}
	u.writeSection(w, rq, "backup", "backup-progress", "progress", u.progressOf(r, b), 1)
}

// writeSection answers a live poll with one section: the page's template
// tmpl rendered with data, and how many things run.
func (u *UI) writeSection(w http.ResponseWriter, rq *request, page, tmpl, section string, data any, running int) {
	html, err := u.fragment(page, tmpl, data)
	if err != nil {
		u.logger.Error("UI live fragment failed", "request_id", rq.id, "template", tmpl, "error", err)
		writeJSON(w, http.StatusInternalServerError, liveResponse{Error: "internal error (request " + rq.id + ")"})
		return
	}
	writeJSON(w, http.StatusOK, liveResponse{Sections: map[string]string{section: html}, Running: running})
}

// liveOperations answers GET /ui/live?operations=ID: the restores and drills
// of backup ID that run now, for the page of a finished backup.
func (u *UI) liveOperations(w http.ResponseWriter, r *http.Request, rq *request, id string) {
	if !backup.ValidID(id) {
		writeJSON(w, http.StatusBadRequest, liveResponse{Error: "invalid backup ID"})
		return
	}
	ops := u.operationsOf(r, id)
	u.writeSection(w, rq, "backup", "backup-operations", "operations", ops, len(ops))
}

// operationsOf returns the restores and drills of backup id that run now.
func (u *UI) operationsOf(r *http.Request, id string) []operationView {
	var ops []service.Operation
	for _, op := range u.svc.Operations(r.Context()) {
		if op.BackupID == id {
			ops = append(ops, op)
		}
	}
	return operationViews(ops, u.now())
}

// progressOf returns the live progress of the running backup b.
func (u *UI) progressOf(r *http.Request, b *backup.Backup) *progressView {
	ps := u.svc.Progress(r.Context())
	rates := u.rates.observe(u.now(), ps)
	pv := &progressView{ID: b.ID, Server: b.Server, Database: b.Database, Type: b.Type, StartedAt: b.StartedAt}
	for _, p := range ps {
		if p.ID == b.ID {
			pv.Bytes, pv.Rate, pv.Expected = p.RawBytes, rates[p.ID], p.ExpectedBytes
		}
	}
	return pv
}
