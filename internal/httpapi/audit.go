package httpapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gosqlguard/gosqlguard/internal/audit"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

// auditList is the answer of GET /audit.
type auditList struct {
	Entries []catalog.AuditEntry `json:"entries"`
	// NextCursor fetches the next (older) page, passed back as cursor (or
	// its older name, before); "" on the last page.
	NextCursor string `json:"next_cursor"`
}

// The page cursor is cursor, as for GET /backups; before is its older
// name, still accepted.
var auditParams = []string{"action", "actor", "target", "since", "until", "limit", "cursor", "before"}

// decodeAuditCursor decodes c, the value of the query parameter param (see
// catalog.EncodeAuditCursor).
func decodeAuditCursor(param, c string) (int64, error) {
	if id, ok := catalog.DecodeAuditCursor(c); ok {
		return id, nil
	}
	return 0, badRequest("invalid %s: want the next_cursor of a previous page of the audit trail, passed back unchanged", param)
}

// checkAuditText validates an actor or target filter: 1-255 characters of
// UTF-8 without control characters (what the trail holds).
func checkAuditText(field, v string) error {
	if !catalog.ValidAuditName(v) {
		return badRequest("invalid %s: want at most %d characters of UTF-8 without control characters", field, catalog.MaxAuditName)
	}
	return nil
}

// auditFilter parses and validates the query of GET /audit.
func auditFilter(r *http.Request) (catalog.AuditFilter, error) {
	var f catalog.AuditFilter
	q, err := query(r, auditParams...)
	if err != nil {
		return f, err
	}
	if v, ok := q["action"]; ok {
		if !slices.Contains(catalog.AuditActions, v) {
			return f, badRequest("invalid action: want one of %s", strings.Join(catalog.AuditActions, ", "))
		}
		f.Action = v
	}
	for _, p := range []struct {
		key string
		dst *string
	}{{"actor", &f.Actor}, {"target", &f.Target}} {
		if v, ok := q[p.key]; ok {
			if err := checkAuditText(p.key, v); err != nil {
				return f, err
			}
			*p.dst = v
		}
	}
	if err := timeRange(q, &f.Since, &f.Until); err != nil {
		return f, err
	}
	if f.Limit, err = pageLimit(q); err != nil {
		return f, err
	}
	_, hasCursor := q["cursor"]
	_, hasBefore := q["before"]
	if hasCursor && hasBefore {
		return f, badRequest("cursor and before are the same parameter (before is its older name): give one")
	}
	for _, p := range []string{"cursor", "before"} {
		if v, ok := q[p]; ok {
			if f.Before, err = decodeAuditCursor(p, v); err != nil {
				return f, err
			}
		}
	}
	return f, nil
}

// auditLog lists the audit trail, newest first: GET /audit (admin).
func (s *Server) auditLog(w http.ResponseWriter, r *http.Request) {
	f, err := auditFilter(r)
	if err != nil {
		writeError(w, r, s.logger, err)
		return
	}
	limit := f.Limit
	f.Limit = limit + 1 // one more tells whether there is a next page
	es, err := s.svc.AuditLog(r.Context(), f)
	if err != nil {
		writeError(w, r, s.logger, err)
		return
	}
	out := auditList{Entries: make([]catalog.AuditEntry, 0, min(len(es), limit))}
	for _, e := range es {
		if len(out.Entries) == limit {
			out.NextCursor = catalog.EncodeAuditCursor(out.Entries[limit-1].ID)
			break
		}
		// Recorded redacted; redacted again as every free text shown,
		// the name of the job it is about kept whole as recorded.
		e.Detail = audit.ShownDetail(e)
		out.Entries = append(out.Entries, e)
	}
	writeJSON(w, http.StatusOK, out)
}
