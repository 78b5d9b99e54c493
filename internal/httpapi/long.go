package httpapi

import (
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/auth"
	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/httpserve"
	"github.com/gosqlguard/gosqlguard/internal/redact"
	"github.com/gosqlguard/gosqlguard/internal/retention"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

// Long-running routes: download, verify, restore and retention. They run
// without a write deadline while they work; a download renews its deadline
// before each chunk, so a stalled client is dropped but a slow one is not.

func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeError(w, r, s.logger, err)
		return
	}
	var (
		body io.ReadCloser
		info service.DownloadInfo
	)
	q, err := query(r, "storage")
	if err == nil && q["storage"] != "" {
		err = checkName("storage", q["storage"])
	}
	if err != nil {
		writeError(w, r, s.logger, err)
		return
	}
	if id, err = s.resolveID(r, id); err == nil {
		body, info, err = s.svc.Download(r.Context(), id, q["storage"])
	}
	if err != nil {
		s.failBackup(w, r, id, err)
		return
	}
	defer body.Close()
	httpserve.StreamDownload(w, r, s.logger, id, body, info, "request_id", httpserve.RequestID(r.Context()), "by", principalName(r))
}

// verifyResponse is the answer of POST /backups/{id}/verify.
type verifyResponse struct {
	ID string `json:"id"`
	// OK is true when every copy checked out.
	OK      bool           `json:"ok"`
	Results []verifyResult `json:"results"`
}

// verifyResult is the outcome for one storage.
type verifyResult struct {
	Storage string `json:"storage"`
	Key     string `json:"key"`
	// Deep: the object was also decrypted and decompressed in full.
	Deep  bool   `json:"deep"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		err = decodeBody(w, r, &struct{}{})
	}
	if err != nil {
		writeError(w, r, s.logger, err)
		return
	}
	var results []backup.VerifyResult
	if id, err = s.resolveID(r, id); err == nil {
		results, err = s.svc.VerifyBackup(r.Context(), id)
	}
	httpserve.SetWriteDeadline(w, httpserve.WriteTimeout)
	if err != nil && len(results) == 0 {
		s.failBackup(w, r, id, err)
		return
	}
	resp := verifyResponse{ID: id, OK: err == nil, Results: make([]verifyResult, 0, len(results))}
	for _, res := range results {
		vr := verifyResult{Storage: res.Storage, Key: res.Key, Deep: res.Deep, OK: res.Err == nil}
		if res.Err != nil {
			vr.Error = redact.Text(res.Err.Error())
			resp.OK = false
		}
		resp.Results = append(resp.Results, vr)
	}
	attrs := []any{"request_id", httpserve.RequestID(r.Context()), "by", principalName(r), "id", id, "ok", resp.OK}
	if err != nil {
		attrs = append(attrs, "error", err)
	}
	s.logger.Info("backup verified through the API", attrs...)
	writeJSON(w, http.StatusOK, resp)
}

// restoreRequest is the body of POST /backups/{id}/restore.
type restoreRequest struct {
	// ToDatabase is the database to restore into; default: the backup's own.
	ToDatabase string `json:"to_database,omitempty"`
	// Force replaces an existing, non-empty database; without it such a
	// target is refused with 409 and left untouched.
	Force bool `json:"force,omitempty"`
	// NoOwner leaves PostgreSQL object ownership out.
	NoOwner bool `json:"no_owner,omitempty"`
}

type restoreResponse struct {
	ID         string `json:"id"`
	ToDatabase string `json:"to_database,omitempty"`
	Restored   bool   `json:"restored"`
}

func (s *Server) restore(w http.ResponseWriter, r *http.Request) {
	var req restoreRequest
	id, err := pathID(r)
	if err == nil {
		err = decodeBody(w, r, &req)
	}
	if err == nil && req.ToDatabase != "" {
		err = checkDatabase("to_database", req.ToDatabase)
	}
	if err == nil {
		id, err = s.resolveID(r, id)
	}
	if err != nil {
		s.failBackup(w, r, id, err)
		return
	}
	s.logger.Info("restore started through the API", "request_id", httpserve.RequestID(r.Context()), "by", principalName(r),
		"id", id, "to_database", req.ToDatabase, "force", req.Force, "no_owner", req.NoOwner)
	err = s.svc.RestoreBackup(r.Context(), id, service.RestoreOptions{ToDatabase: req.ToDatabase, Force: req.Force, NoOwner: req.NoOwner})
	httpserve.SetWriteDeadline(w, httpserve.WriteTimeout)
	if err != nil {
		s.failBackup(w, r, id, err)
		return
	}
	writeJSON(w, http.StatusOK, restoreResponse{ID: id, ToDatabase: req.ToDatabase, Restored: true})
}

// retentionResponse is the answer of POST /retention/run.
type retentionResponse struct {
	DryRun   bool            `json:"dry_run"`
	Storages []retentionPlan `json:"storages"`
}

type retentionPlan struct {
	Storage   string     `json:"storage"`
	Keep      int        `json:"keep"`
	Delete    int        `json:"delete"`
	Decisions []decision `json:"decisions"`
}

type decision struct {
	BackupID  string           `json:"backup_id"`
	Server    string           `json:"server"`
	Database  string           `json:"database"`
	Type      string           `json:"type"`
	StartedAt time.Time        `json:"started_at"`
	Key       string           `json:"key"`
	Action    retention.Action `json:"action"`
	Reason    string           `json:"reason"`
}

func (s *Server) retention(w http.ResponseWriter, r *http.Request) {
	q, err := query(r, "dry_run")
	dryRun := false
	if err == nil && q["dry_run"] != "" {
		if dryRun, err = strconv.ParseBool(q["dry_run"]); err != nil {
			err = badRequest("invalid dry_run: want true or false")
		}
	}
	if err == nil {
		err = decodeBody(w, r, &struct{}{})
	}
	if err == nil && !dryRun {
		if p, _ := auth.PrincipalFrom(r.Context()); !p.Can(auth.RoleOperator) {
			err = &httpError{http.StatusForbidden, "forbidden", "applying retention needs the operator role; viewers may only use dry_run=true"}
		}
	}
	if err != nil {
		writeError(w, r, s.logger, err)
		return
	}
	plans, err := s.svc.Retention(r.Context(), dryRun)
	httpserve.SetWriteDeadline(w, httpserve.WriteTimeout)
	if err != nil {
		writeError(w, r, s.logger, err)
		return
	}
	resp := retentionResponse{DryRun: dryRun, Storages: make([]retentionPlan, 0, len(plans))}
	for _, p := range plans {
		rp := retentionPlan{Storage: p.Storage, Decisions: make([]decision, 0, len(p.Decisions))}
		for _, d := range p.Decisions {
			if d.Action == retention.Delete {
				rp.Delete++
			} else {
				rp.Keep++
			}
			rp.Decisions = append(rp.Decisions, decision{BackupID: d.BackupID, Server: d.Server, Database: d.Database,
				Type: d.Type, StartedAt: d.StartedAt, Key: d.Key, Action: d.Action, Reason: d.Reason})
		}
		resp.Storages = append(resp.Storages, rp)
	}
	if !dryRun {
		s.logger.Info("retention applied through the API", "request_id", httpserve.RequestID(r.Context()), "by", principalName(r))
	}
	writeJSON(w, http.StatusOK, resp)
}
