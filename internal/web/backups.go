package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/redact"
)

const (
	// pageSize is how many backups a list page shows.
	pageSize = 50
	// maxTrail bounds how many pages "← Newer" can walk back through.
	maxTrail = 40
	// trailTop stands for the first page in the trail.
	trailTop = "top"
	maxQuery = 256
)

// listFilter is the list's filter form, as given.
type listFilter struct {
	Server, Database, Type, Status, Storage, Since, Until, Q string
}

// listData is the backups list's content.
type listData struct {
	Filter    listFilter
	Rows      []listRow
	Servers   []string
	Databases []string
	Types     []string
	Storages  []string
	Statuses  []string
	Filtered  bool
	Error     string // an invalid filter
	Page      int
	Newer     string // URL of the newer page; "" on the first
	Older     string // URL of the older page; "" on the last
}

// listRow is one backup in the list.
type listRow struct {
	*backup.Backup
	ErrorShort string
}

// parseListFilter turns the query into a catalog filter. Dates are days in
// UTC (the form's date fields); "until" includes its day. RFC 3339 times are
// accepted too.
func parseListFilter(q url.Values) (listFilter, catalog.Filter, string) {
	lf := listFilter{
		Server: strings.TrimSpace(q.Get("server")), Database: strings.TrimSpace(q.Get("database")),
		Type: strings.TrimSpace(q.Get("type")), Status: strings.TrimSpace(q.Get("status")),
		Storage: strings.TrimSpace(q.Get("storage")), Since: strings.TrimSpace(q.Get("since")),
		Until: strings.TrimSpace(q.Get("until")), Q: strings.TrimSpace(q.Get("q")),
	}
	var f catalog.Filter
	for _, p := range []struct {
		name, v string
		dst     *string
	}{{"server", lf.Server, &f.Server}, {"type", lf.Type, &f.Type}, {"storage", lf.Storage, &f.Storage}} {
		if p.v == "" {
			continue
		}
		if !namePattern.MatchString(p.v) {
			return lf, f, "Invalid " + p.name + " name: use lower-case letters, digits, - and _."
		}
		*p.dst = p.v
	}
	if lf.Database != "" {
		if backup.CheckDatabaseName(lf.Database) != nil {
			return lf, f, "Invalid database name."
		}
		f.Database = lf.Database
	}
	if lf.Status != "" {
		if !backup.Status(lf.Status).Valid() {
			return lf, f, "Invalid status."
		}
		f.Status = backup.Status(lf.Status)
	}
	var msg string
	if f.Since, f.Until, msg = parseDates(lf.Since, lf.Until); msg != "" {
		return lf, f, msg
	}
	if len(lf.Q) > maxQuery {
		return lf, f, "The search text is too long."
	}
	return lf, f, ""
}

// parseDates parses the start and end dates of a filter form (see
// catalog.ParseBound: a date, YYYY-MM-DD in UTC, or an RFC 3339 time; the
// end date is included), or says what is wrong with them.
func parseDates(since, until string) (from, to time.Time, msg string) {
	var err error
	if from, err = catalog.ParseBound(since, false); err != nil {
		return from, to, "Invalid start date: " + boundProblem(err)
	}
	if to, err = catalog.ParseBound(until, true); err != nil {
		return from, to, "Invalid end date: " + boundProblem(err)
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		return from, to, "The start date must not be after the end date."
	}
	return from, to, ""
}

func boundProblem(err error) string {
	if errors.Is(err, catalog.ErrBoundTooEarly) {
		return "dates before 1970 are not taken."
	}
	return "use the form YYYY-MM-DD."
}

func (lf listFilter) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"server": lf.Server, "database": lf.Database, "type": lf.Type,
		"status": lf.Status, "storage": lf.Storage, "since": lf.Since, "until": lf.Until, "q": lf.Q} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// parseTrail reads the pagination cursor (before: the last ID of the newer
// page) and the trail of cursors of the pages before it.
func parseTrail(q url.Values) (before string, trail []string, ok bool) {
	before = q.Get("before")
	if before != "" && !backup.ValidID(before) {
		return "", nil, false
	}
	if t := q.Get("back"); t != "" {
		trail = strings.Split(t, ",")
		for _, c := range trail {
			if c != trailTop && !backup.ValidID(c) {
				return "", nil, false
			}
		}
	}
	if len(trail) > maxTrail {
		trail = trail[len(trail)-maxTrail:]
	}
	return before, trail, true
}

func pageURL(filter url.Values, before string, trail []string) string {
	v := url.Values{}
	for k, vs := range filter {
		v[k] = vs
	}
	if before != "" {
		v.Set("before", before)
	}
	if len(trail) > 0 {
		v.Set("back", strings.Join(trail, ","))
	}
	if len(v) == 0 {
		return "/backups"
	}
	return "/backups?" + v.Encode()
}

func (u *UI) backups(w http.ResponseWriter, r *http.Request, rq *request) {
	q := r.URL.Query()
	lf, f, bad := parseListFilter(q)
	before, trail, ok := parseTrail(q)
	if !ok && bad == "" {
		bad = "Invalid page link. Start again from the first page."
	}
	d := &listData{Filter: lf, Statuses: statusNames(), Page: len(trail) + 1}
	d.Filtered = len(lf.values()) > 0
	u.filterChoices(r, d)
	if bad != "" {
		d.Error = bad
		u.render(w, r, rq, http.StatusBadRequest, "backups", u.newView(rq, "Backups", "backups", d))
		return
	}
	f.Before = before
	f.Limit = pageSize + 1
	list, err := u.svc.ListBackups(r.Context(), f, lf.Q)
	if err != nil {
		u.fail(w, r, rq, err)
		return
	}
	base := lf.values()
	if len(list) > pageSize {
		list = list[:pageSize]
		cur := before
		if cur == "" {
			cur = trailTop
		}
		d.Older = pageURL(base, list[len(list)-1].ID, append(slices.Clone(trail), cur))
	}
	if before != "" {
		prev := ""
		var rest []string
		if len(trail) > 0 {
			prev, rest = trail[len(trail)-1], trail[:len(trail)-1]
		}
		if prev == trailTop {
			prev = ""
		}
		d.Newer = pageURL(base, prev, rest)
	}
	for _, b := range list {
		b = presentBackup(b)
		d.Rows = append(d.Rows, listRow{Backup: b, ErrorShort: shorten(b.Error, 140)})
	}
	u.render(w, r, rq, http.StatusOK, "backups", u.newView(rq, "Backups", "backups", d))
}

// filterChoices fills the filter form's choices from the jobs and storages
// the daemon knows, keeping the current values even when unknown.
func (u *UI) filterChoices(r *http.Request, d *listData) {
	add := func(list *[]string, v string) {
		if v != "" && !slices.Contains(*list, v) {
			*list = append(*list, v)
		}
	}
	if jobs, err := u.svc.Jobs(r.Context()); err == nil {
		for _, j := range jobs {
			add(&d.Servers, j.Server)
			add(&d.Databases, j.Database)
			add(&d.Types, j.Type)
		}
	}
	if st, err := u.svc.Status(r.Context()); err == nil {
		for _, s := range st.Storages {
			add(&d.Storages, s.Name)
		}
	}
	add(&d.Servers, d.Filter.Server)
	add(&d.Types, d.Filter.Type)
	add(&d.Storages, d.Filter.Storage)
	add(&d.Types, "manual")
	for _, l := range [][]string{d.Servers, d.Databases, d.Types, d.Storages} {
		slices.Sort(l)
	}
}

func statusNames() []string {
	out := make([]string, len(backup.Statuses))
	for i, s := range backup.Statuses {
		out[i] = string(s)
	}
	return out
}

// presentBackup returns a copy of b with its free-text errors redacted.
func presentBackup(b *backup.Backup) *backup.Backup {
	if b == nil {
		return nil
	}
	c := *b
	c.Error = redact.Text(c.Error)
	c.DeleteReason = redact.Text(c.DeleteReason)
	c.Locations = make([]backup.Location, len(b.Locations))
	for i, l := range b.Locations {
		l.Error = redact.Text(l.Error)
		c.Locations[i] = l
	}
	if b.Drill != nil {
		d := *b.Drill
		d.Error = redact.Text(d.Error)
		c.Drill = &d
	}
	return &c
}
