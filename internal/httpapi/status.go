package httpapi

import (
	"net/http"

	"github.com/gosqlguard/gosqlguard/internal/redact"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

type jobList struct {
	Jobs []service.Job `json:"jobs"`
}

func (s *Server) jobs(w http.ResponseWriter, r *http.Request) {
	jobs, err := s.svc.Jobs(r.Context())
	if err != nil {
		writeError(w, r, s.logger, err)
		return
	}
	out := jobList{Jobs: make([]service.Job, len(jobs))}
	for i, j := range jobs {
		j.LastFailureError = redact.Text(j.LastFailureError)
		j.LastDrillError = redact.Text(j.LastDrillError)
		out.Jobs[i] = j
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	st, err := s.svc.Status(r.Context())
	if err != nil {
		writeError(w, r, s.logger, err)
		return
	}
	if !st.StartedAt.IsZero() {
		st.UptimeSeconds = max(0, s.clock.Now().Sub(st.StartedAt).Seconds())
	}
	if st.Running == nil {
		st.Running = []string{}
	}
	storages := make([]service.StorageStatus, len(st.Storages))
	for i, ss := range st.Storages {
		ss.Error = redact.Text(ss.Error)
		storages[i] = ss
	}
	st.Storages = storages
	writeJSON(w, http.StatusOK, st)
}
