package httpapi

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/httpserve"
	"github.com/gosqlguard/gosqlguard/internal/redact"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

// Page sizes of GET /backups.
const (
	defaultLimit = 50
	maxLimit     = 1000
	maxQueryLen  = 256
)

// backupList is the answer of GET /backups.
type backupList struct {
	Backups []*backup.Backup `json:"backups"`
	// NextCursor fetches the next (older) page; "" on the last page.
	NextCursor string `json:"next_cursor"`
}

// The cursor is the last ID of a page; the next page holds the IDs below it.
// IDs sort by time and new backups get larger IDs, so pages neither overlap
// nor skip while backups are added. It is opaque to clients.
const cursorPrefix = "v1:"

func encodeCursor(id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + id))
}

func decodeCursor(c string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	id, ok := string(raw), false
	if err == nil && len(id) > len(cursorPrefix) && id[:len(cursorPrefix)] == cursorPrefix {
		id, ok = id[len(cursorPrefix):], true
	}
	if !ok || !backup.ValidID(id) {
		return "", badRequest("invalid cursor: pass back the next_cursor of a previous page unchanged")
	}
	return id, nil
}

var listParams = []string{"server", "database", "type", "status", "storage", "since", "until", "q", "limit", "cursor"}

// listFilter parses and validates the query of GET /backups.
func listFilter(r *http.Request) (catalog.Filter, string, error) {
	var f catalog.Filter
	q, err := query(r, listParams...)
	if err != nil {
		return f, "", err
	}
	for _, p := range []struct {
		key string
		dst *string
	}{{"server", &f.Server}, {"type", &f.Type}, {"storage", &f.Storage}} {
		if v, ok := q[p.key]; ok {
			if err := checkName(p.key, v); err != nil {
				return f, "", err
			}
			*p.dst = v
		}
	}
	if v, ok := q["database"]; ok {
		if err := checkDatabase("database", v); err != nil {
			return f, "", err
		}
		f.Database = v
	}
	if v, ok := q["status"]; ok {
		if !backup.Status(v).Valid() {
			names := make([]string, len(backup.Statuses))
			for i, st := range backup.Statuses {
				names[i] = string(st)
			}
			return f, "", badRequest("invalid status: want one of %s", strings.Join(names, ", "))
		}
		f.Status = backup.Status(v)
	}
	if err := timeRange(q, &f.Since, &f.Until); err != nil {
		return f, "", err
	}
	if f.Limit, err = pageLimit(q); err != nil {
		return f, "", err
	}
	if v, ok := q["cursor"]; ok {
		id, err := decodeCursor(v)
		if err != nil {
			return f, "", err
		}
		f.Before = id
	}
	text := q["q"]
	if len(text) > maxQueryLen {
		return f, "", badRequest("invalid q: longer than %d bytes", maxQueryLen)
	}
	return f, text, nil
}

func (s *Server) listBackups(w http.ResponseWriter, r *http.Request) {
	f, text, err := listFilter(r)
	if err != nil {
		writeError(w, r, s.logger, err)
		return
	}
	limit := f.Limit
	f.Limit = limit + 1 // one more tells whether there is a next page
	bs, err := s.svc.ListBackups(r.Context(), f, text)
	if err != nil {
		writeError(w, r, s.logger, err)
		return
	}
	out := backupList{Backups: make([]*backup.Backup, 0, min(len(bs), limit))}
	for _, b := range bs {
		if len(out.Backups) == limit {
			out.NextCursor = encodeCursor(out.Backups[limit-1].ID)
			break
		}
		out.Backups = append(out.Backups, present(b))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getBackup(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeError(w, r, s.logger, err)
		return
	}
	b, err := s.svc.GetBackup(r.Context(), id)
	if err != nil {
		s.failBackup(w, r, id, err)
		return
	}
	writeJSON(w, http.StatusOK, present(b))
}

// startRequest is the body of POST /backups; every field is optional.
// A field given empty is refused, not taken for "every": a caller whose
// variable came out empty must not start a backup of everything.
type startRequest struct {
	Server   *string `json:"server,omitempty"`
	Database *string `json:"database,omitempty"`
	Type     *string `json:"type,omitempty"` // default manual
}

type startResponse struct {
	IDs []string `json:"ids"`
}

func (s *Server) startBackups(w http.ResponseWriter, r *http.Request) {
	var body startRequest
	err := decodeBody(w, r, &body)
	for _, f := range []struct {
		name, absent string
		v            *string
	}{{"server", "for every server", body.Server}, {"database", "for every database", body.Database}, {"type", "for manual", body.Type}} {
		if err == nil && f.v != nil && *f.v == "" {
			err = badRequest("field %q is empty: leave it out %s", f.name, f.absent)
		}
	}
	req := struct{ Server, Database, Type string }{deref(body.Server), deref(body.Database), cmp.Or(deref(body.Type), "manual")}
	if err == nil && req.Server != "" {
		err = checkName("server", req.Server)
	}
	if err == nil && req.Database != "" {
		err = checkDatabase("database", req.Database)
	}
	if err == nil {
		err = checkName("type", req.Type)
	}
	if err != nil {
		writeError(w, r, s.logger, err)
		return
	}
	ids, err := s.svc.StartBackups(r.Context(), req.Server, req.Database, req.Type)
	if err != nil {
		writeError(w, r, s.logger, err)
		return
	}
	if ids == nil {
		ids = []string{}
	}
	s.logger.Info("backups started through the API", "request_id", httpserve.RequestID(r.Context()), "by", principalName(r),
		"server", req.Server, "database", req.Database, "type", req.Type, "ids", ids)
	writeJSON(w, http.StatusAccepted, startResponse{IDs: ids})
}

func (s *Server) deleteBackup(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeError(w, r, s.logger, err)
		return
	}
	if id, err = s.resolveID(r, id); err == nil {
		err = s.svc.DeleteBackup(r.Context(), id)
	}
	if err != nil {
		s.failBackup(w, r, id, err)
		return
	}
	s.logger.Info("backup deleted through the API", "request_id", httpserve.RequestID(r.Context()), "by", principalName(r), "id", id)
	w.WriteHeader(http.StatusNoContent)
}

// present returns b as the API shows it: free-text error fields are
// redacted. b itself is not modified.
func present(b *backup.Backup) *backup.Backup {
	if b == nil {
		return nil
	}
	c := *b
	c.Error = redact.Text(c.Error)
	c.Drill = presentDrill(b.Drill)
	c.Locations = make([]backup.Location, len(b.Locations))
	for i, l := range b.Locations {
		l.Error = redact.Text(l.Error)
		c.Locations[i] = l
	}
	return &c
}

// resolveID returns the full ID of the backup id names: id itself when it is
// a full ID, else the ID of the one backup it is a prefix of (GetBackup
// resolves prefixes), so that responses and logs carry full IDs.
func (s *Server) resolveID(r *http.Request, id string) (string, error) {
	if backup.ValidID(id) {
		return id, nil
	}
	b, err := s.svc.GetBackup(r.Context(), id)
	if err != nil {
		return id, err
	}
	return b.ID, nil
}

// failBackup answers err from a request about the backup id names (a full
// ID or a prefix). A 404 names the backup: the Service's own words when it
// has some (e.g. no readable copy, or no ID with that prefix), else
// "backup <id> not found".
func (s *Server) failBackup(w http.ResponseWriter, r *http.Request, id string, err error) {
	if kind, text := service.Classify(err); kind == service.NotFound {
		if !strings.HasPrefix(err.Error(), service.ErrNotFound.Error()+": ") ||
			(backup.ValidID(id) && strings.HasPrefix(text, "no backup has an ID starting with")) {
			text = fmt.Sprintf("backup %s not found", id)
		}
		err = &httpError{http.StatusNotFound, "not_found", text}
	}
	writeError(w, r, s.logger, err)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// timeRange parses the "since" and "until" parameters of q into since and
// until (see catalog.ParseBound: an RFC 3339 time or a date, until
// including its day), leaving each zero when absent. A bad time, one before
// 1970, or since not before until, is a 400.
func timeRange(q map[string]string, since, until *time.Time) error {
	for _, p := range []struct {
		key string
		dst *time.Time
	}{{"since", since}, {"until", until}} {
		v, ok := q[p.key]
		if !ok {
			continue
		}
		t, err := catalog.ParseBound(v, p.key == "until")
		if err != nil {
			return badRequest("invalid %s: %s", p.key, strings.TrimPrefix(err.Error(), catalog.ErrBadBound.Error()+": "))
		}
		*p.dst = t
	}
	if !since.IsZero() && !until.IsZero() && !since.Before(*until) {
		return badRequest("invalid since and until: since must be before until")
	}
	return nil
}

// pageLimit is the "limit" parameter of q: defaultLimit when absent, else an
// integer from 1 to maxLimit; anything else is a 400.
func pageLimit(q map[string]string) (int, error) {
	v, ok := q["limit"]
	if !ok {
		return defaultLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxLimit {
		return 0, badRequest("invalid limit: want an integer from 1 to %d", maxLimit)
	}
	return n, nil
}
