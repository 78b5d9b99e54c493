package httpapi

import (
	"net/http"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/httpserve"
	"github.com/gosqlguard/gosqlguard/internal/redact"
)

// drill runs a restore drill of one backup now: POST /backups/{id}/drill.
// It answers with the drill when it ran, whatever its outcome (a failed
// drill is a result, with status failure), and 409 when a drill of that
// backup already runs.
func (s *Server) drill(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		err = decodeBody(w, r, &struct{}{})
	}
	if err == nil {
		id, err = s.resolveID(r, id)
	}
	if err != nil {
		s.failBackup(w, r, id, err)
		return
	}
	s.logger.Info("restore drill started through the API", "request_id", httpserve.RequestID(r.Context()), "by", principalName(r), "id", id)
	d, err := s.svc.DrillBackup(r.Context(), id)
	httpserve.SetWriteDeadline(w, httpserve.WriteTimeout)
	if err != nil {
		s.failBackup(w, r, id, err)
		return
	}
	writeJSON(w, http.StatusOK, presentDrill(&d))
}

type drillList struct {
	Drills []backup.Drill `json:"drills"`
}

// drills lists the restore drills of one backup: GET /backups/{id}/drills.
func (s *Server) drills(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeError(w, r, s.logger, err)
		return
	}
	ds, err := s.svc.BackupDrills(r.Context(), id)
	if err != nil {
		s.failBackup(w, r, id, err)
		return
	}
	out := drillList{Drills: make([]backup.Drill, len(ds))}
	for i := range ds {
		out.Drills[i] = *presentDrill(&ds[i])
	}
	writeJSON(w, http.StatusOK, out)
}

// presentDrill is a copy of d fit for a client: its error redacted, its
// differences never null.
func presentDrill(d *backup.Drill) *backup.Drill {
	if d == nil {
		return nil
	}
	c := *d
	c.Error = redact.Text(c.Error)
	c.Differences = append([]string{}, d.Differences...)
	return &c
}
