package web

import (
	"fmt"
	"net/http"

	"github.com/gosqlguard/gosqlguard/internal/httpserve"
	"github.com/gosqlguard/gosqlguard/internal/redact"
	"github.com/gosqlguard/gosqlguard/internal/retention"
)

// retentionData is the content of the retention page.
type retentionData struct {
	Storages    []storagePlan
	OnlyDeletes bool
	Deletes     int
	Keeps       int
}

type storagePlan struct {
	Storage   string
	Deletes   int
	Keeps     int
	Decisions []retention.Decision // as shown (all, or only deletions)
}

func summarizePlans(plans []retention.StoragePlan, onlyDeletes bool) *retentionData {
	d := &retentionData{OnlyDeletes: onlyDeletes}
	for _, p := range plans {
		sp := storagePlan{Storage: p.Storage}
		for _, dec := range p.Decisions {
			if dec.Action == retention.Delete {
				sp.Deletes++
			} else {
				sp.Keeps++
			}
			if !onlyDeletes || dec.Action == retention.Delete {
				dec.Reason = redact.Text(dec.Reason)
				sp.Decisions = append(sp.Decisions, dec)
			}
		}
		d.Deletes += sp.Deletes
		d.Keeps += sp.Keeps
		d.Storages = append(d.Storages, sp)
	}
	return d
}

// retentionPage shows the dry-run plan: what retention would delete now, and
// why each backup stays or goes.
func (u *UI) retentionPage(w http.ResponseWriter, r *http.Request, rq *request) {
	httpserve.SetWriteDeadline(w, 0) // planning reads the whole catalog
	plans, err := u.svc.Retention(r.Context(), true)
	httpserve.SetWriteDeadline(w, pageWriteTimeout)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	d := summarizePlans(plans, r.URL.Query().Get("only") == "delete")
	u.render(w, r, rq, http.StatusOK, "retention", u.newView(rq, "Retention", "retention", d))
}

// applyRetention applies retention now.
func (u *UI) applyRetention(w http.ResponseWriter, r *http.Request, rq *request) {
	if r.PostForm.Get("confirm") != "yes" {
		u.sessions.setFlash(rq.sess, &flash{Kind: "error", Message: "Tick the box to confirm that you reviewed the plan. Nothing was deleted."})
		seeOther(w, r, "/retention")
		return
	}
	httpserve.SetWriteDeadline(w, 0)
	plans, err := u.svc.Retention(r.Context(), false)
	httpserve.SetWriteDeadline(w, pageWriteTimeout)
	deleted := 0
	for _, p := range plans {
		for _, d := range p.Decisions {
			if d.Action == retention.Delete {
				deleted++
			}
		}
	}
	if err != nil {
		u.logger.Warn("retention applied through the UI, with errors", "request_id", rq.id, "by", rq.who.Name, "planned_deletions", deleted, "error", err)
		u.flashError(r, rq, fmt.Sprintf("Retention ran, but not every deletion succeeded (%d planned): ", deleted), err)
	} else {
		u.logger.Info("retention applied through the UI", "request_id", rq.id, "by", rq.who.Name, "planned_deletions", deleted)
		u.flashOK(rq, fmt.Sprintf("Retention applied: %d backup copies deleted.", deleted))
	}
	seeOther(w, r, "/retention")
}
