package httpapi

import (
	"net/http"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/httpserve"
	"github.com/gosqlguard/gosqlguard/internal/redact"
)

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
