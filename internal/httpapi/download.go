package httpapi

import (
	"io"
	"net/http"

	"github.com/gosqlguard/gosqlguard/internal/httpserve"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

// Download, verify, restore, drill and retention are long-running routes:
// they run without a write deadline while they work; a download renews its
// deadline before each chunk, so a stalled client is dropped but a slow one
// is not.

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
