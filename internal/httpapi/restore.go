package httpapi

import (
	"net/http"

	"github.com/gosqlguard/gosqlguard/internal/httpserve"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

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
