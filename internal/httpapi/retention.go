package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/auth"
	"github.com/gosqlguard/gosqlguard/internal/httpserve"
	"github.com/gosqlguard/gosqlguard/internal/retention"
)

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
