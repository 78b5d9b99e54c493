package httpapi

import (
	"net/http"

	"github.com/gosqlguard/gosqlguard/internal/httpserve"
)

// healthz says the process is up; it checks nothing else.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// readyz is 200 when the Service is ready, else 503. It is open to anyone,
// so the reason goes to the log only.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.Ready(r.Context()); err != nil {
		s.logger.Warn("not ready", "request_id", httpserve.RequestID(r.Context()), "error", err)
		writeError(w, r, s.logger, &httpError{http.StatusServiceUnavailable, "unavailable",
			"not ready (request " + httpserve.RequestID(r.Context()) + ")"})
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}
