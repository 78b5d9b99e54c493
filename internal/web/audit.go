package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gosqlguard/gosqlguard/internal/audit"
	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

const (
	// auditPageSize is how many audit entries a page shows.
	auditPageSize = 50
	// auditDetailRunes is how much of a detail a row shows before it offers
	// the rest behind a disclosure.
	auditDetailRunes = 120
)

// auditForm is the audit page's filter form, as given.
type auditForm struct {
	Action, Actor, Target, Since, Until string
}

func (af auditForm) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"action": af.Action, "actor": af.Actor, "target": af.Target,
		"since": af.Since, "until": af.Until} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// auditData is the audit page's content.
type auditData struct {
	Filter   auditForm
	Actions  []string
	Rows     []auditRow
	Filtered bool
	Error    string // an invalid filter or page link
	Paged    bool   // not the first page
	Newest   string // URL of the first page; "" on it
	Older    string // URL of the next, older page; "" on the last
}

// auditRow is one audit entry as the table shows it.
type auditRow struct {
	catalog.AuditEntry
	BackupID bool    // Target is a backup ID: link to its page
	Badge    badge   // the outcome
	Detail   errText // redacted
}

// parseAuditForm turns the query into a catalog filter, or says what is
// wrong with it. Actor and target match exactly (1-255 characters of UTF-8
// without control characters); since and until are dates (YYYY-MM-DD, UTC;
// until includes its day) or RFC 3339 times; cursor (or before) is the page
// cursor.
func parseAuditForm(q url.Values) (auditForm, catalog.AuditFilter, string) {
	af := auditForm{
		Action: strings.TrimSpace(q.Get("action")), Actor: strings.TrimSpace(q.Get("actor")),
		Target: strings.TrimSpace(q.Get("target")), Since: strings.TrimSpace(q.Get("since")),
		Until: strings.TrimSpace(q.Get("until")),
	}
	var f catalog.AuditFilter
	if af.Action != "" {
		if !slices.Contains(catalog.AuditActions, af.Action) {
			return af, f, "Invalid action: choose one from the list."
		}
		f.Action = af.Action
	}
	for _, p := range []struct {
		name, v string
		dst     *string
	}{{"actor", af.Actor, &f.Actor}, {"target", af.Target, &f.Target}} {
		if p.v == "" {
			continue
		}
		if !catalog.ValidAuditName(p.v) {
			return af, f, "Invalid " + p.name + ": use at most " + strconv.Itoa(catalog.MaxAuditName) +
				" characters, without control characters."
		}
		*p.dst = p.v
	}
	var msg string
	if f.Since, f.Until, msg = parseDates(af.Since, af.Until); msg != "" {
		return af, f, msg
	}
	// The page cursor is the API's (catalog.EncodeAuditCursor): a
	// next_cursor of GET /api/v1/audit opens the same page here. before is
	// its older name, as in the API.
	c := q.Get("cursor")
	if c == "" {
		c = q.Get("before")
	}
	if c != "" {
		id, ok := catalog.DecodeAuditCursor(c)
		if n, err := strconv.ParseInt(c, 10, 64); !ok && c == q.Get("before") && err == nil && n > 0 {
			// The page's older links carried the entry number itself
			// (before=123); a cursor is never all digits.
			id, ok = n, true
		}
		if !ok {
			return af, f, "Invalid page link: the cursor must be the one of an Older link or of the API's next_cursor, unchanged. Start again from the first page."
		}
		f.Before = id
	}
	return af, f, ""
}

// auditURL is the audit page with filter and, when before > 0, the page of
// the entries older than entry before.
func auditURL(filter url.Values, before int64) string {
	v := url.Values{}
	for k, vs := range filter {
		v[k] = vs
	}
	if before > 0 {
		v.Set("cursor", catalog.EncodeAuditCursor(before))
	}
	if len(v) == 0 {
		return "/audit"
	}
	return "/audit?" + v.Encode()
}

func auditBadge(outcome string) badge {
	switch outcome {
	case catalog.AuditOK:
		return badge{"ok", "OK"}
	case catalog.AuditFailed:
		return badge{"bad", "Failed"}
	case catalog.AuditRefused:
		return badge{"warn", "Refused"}
	case catalog.AuditCanceled:
		return badge{"muted", "Cancelled"}
	case catalog.AuditStarted:
		return badge{"info", "Started"}
	}
	return badge{"muted", outcome}
}

// auditPage lists the audit trail, newest first, filtered and paged
// (GET /audit, admin).
func (u *UI) auditPage(w http.ResponseWriter, r *http.Request, rq *request) {
	af, f, bad := parseAuditForm(r.URL.Query())
	d := &auditData{Filter: af, Actions: catalog.AuditActions, Paged: f.Before > 0}
	base := af.values()
	d.Filtered = len(base) > 0
	if bad != "" {
		d.Error = bad
		u.render(w, r, rq, http.StatusBadRequest, "audit", u.newView(rq, "Audit", "audit", d))
		return
	}
	f.Limit = auditPageSize + 1
	list, err := u.svc.AuditLog(r.Context(), f)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	if len(list) > auditPageSize {
		list = list[:auditPageSize]
		d.Older = auditURL(base, list[len(list)-1].ID)
	}
	if d.Paged {
		d.Newest = auditURL(base, 0)
	}
	for _, e := range list {
		d.Rows = append(d.Rows, auditRow{
			AuditEntry: e,
			BackupID:   backup.ValidID(e.Target),
			Badge:      auditBadge(e.Outcome),
			// Recorded redacted; redacted again as every free text
			// shown, the name of the job it is about kept whole.
			Detail: newErrText(audit.ShownDetail(e), auditDetailRunes),
		})
	}
	u.render(w, r, rq, http.StatusOK, "audit", u.newView(rq, "Audit", "audit", d))
}
