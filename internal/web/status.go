package web

import (
	"net/http"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/redact"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

// statusData is the content of the status page.
type statusData struct {
	S      service.Status
	Uptime time.Duration
	Config string
}

func (u *UI) statusPage(w http.ResponseWriter, r *http.Request, rq *request) {
	st, err := u.svc.Status(r.Context())
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	d := &statusData{S: st, Config: redact.ConfigYAML(u.svc.ConfigSummary())}
	if !st.StartedAt.IsZero() {
		d.Uptime = max(0, u.now().Sub(st.StartedAt))
	}
	storages := make([]service.StorageStatus, len(st.Storages))
	for i, s := range st.Storages {
		s.Error = redact.Text(s.Error)
		storages[i] = s
	}
	d.S.Storages = storages
	u.render(w, r, rq, http.StatusOK, "status", u.newView(rq, "Status", "status", d))
}
