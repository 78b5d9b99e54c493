package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/auth"
	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/duration"
	"github.com/gosqlguard/gosqlguard/internal/redact"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

//go:embed templates/*.html
var templateFS embed.FS

// pageTemplate is one page: the layout, the shared partials and the page's
// own "content".
type pageTemplate struct {
	t    *template.Template
	root string // the template to execute
}

func (p *pageTemplate) execute(w io.Writer, data any) error {
	return p.t.ExecuteTemplate(w, p.root, data)
}

// pageFiles are the pages rendered inside the layout.
var pageFiles = []string{"login", "dashboard", "backups", "backup", "restore", "delete", "retention", "status", "job", "audit", "error"}

func (u *UI) parseTemplates() (map[string]*pageTemplate, error) {
	base, err := template.New("base").Funcs(u.funcs()).ParseFS(templateFS, "templates/layout.html", "templates/partials.html")
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	pages := map[string]*pageTemplate{}
	for _, name := range pageFiles {
		t, err := base.Clone()
		if err == nil {
			t, err = t.ParseFS(templateFS, "templates/"+name+".html")
		}
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		pages[name] = &pageTemplate{t: t, root: "layout"}
	}
	pages["bounce"] = &pageTemplate{t: base, root: "bounce"}
	return pages, nil
}

// fragment renders one named template of a page's set to a string.
func (u *UI) fragment(set, name string, data any) (string, error) {
	var b bytes.Buffer
	if err := u.pages[set].t.ExecuteTemplate(&b, name, data); err != nil {
		return "", err
	}
	return b.String(), nil
}

// badge is a status shown with a colour class and a text label.
type badge struct {
	Class string // ok | bad | warn | info | muted
	Label string
}

func backupBadge(s backup.Status) badge {
	switch s {
	case backup.StatusRunning:
		return badge{"info", "Running"}
	case backup.StatusSuccess:
		return badge{"ok", "Success"}
	case backup.StatusPartial:
		return badge{"warn", "Partial"}
	case backup.StatusFailed:
		return badge{"bad", "Failed"}
	case backup.StatusInterrupted:
		return badge{"bad", "Interrupted"}
	case backup.StatusDeleted:
		return badge{"muted", "Deleted"}
	}
	return badge{"muted", string(s)}
}

func locationBadge(s backup.LocationStatus) badge {
	switch s {
	case backup.LocationPending:
		return badge{"info", "Writing"}
	case backup.LocationSuccess:
		return badge{"ok", "Stored"}
	case backup.LocationFailed:
		return badge{"bad", "Failed"}
	case backup.LocationDeleted:
		return badge{"muted", "Deleted"}
	}
	return badge{"muted", string(s)}
}

func (u *UI) funcs() template.FuncMap {
	return template.FuncMap{
		"byteSize":     humanBytes,
		"groupDigits":  groupDigits,
		"transferRate": humanRate,
		"duration":     duration.Human,
		"timeView":     func(v any) timeView { return makeTimeView(v, u.now()) },
		"absoluteTime": func(t time.Time) string { return absTime(t) },
		"runDuration": func(start time.Time, end *time.Time) string {
			if end == nil || end.Before(start) {
				return ""
			}
			return duration.Human(end.Sub(start))
		},
		"elapsed":       func(start time.Time) string { return duration.Human(u.now().Sub(start)) },
		"backupBadge":   backupBadge,
		"locationBadge": locationBadge,
		"shorten":       shorten,
		"redact":        redact.Text,
		"plural":        plural,
		"dateInputType": dateInputType,
		"errTextOf": func(key, what string, t errText) errTextView {
			return errTextView{Key: key + "/" + what, Text: t}
		},
	}
}

// view is the data of every page; Data is the page's own.
type view struct {
	Title           string
	Nav             string // which navigation link is current
	Who             auth.Principal
	LoggedIn        bool
	CanOperate      bool
	CanAdmin        bool
	Unauthenticated bool
	CSRF            string
	Flash           *flash
	RequestID       string
	CSS, JS, Icon   string
	Live            string // URL the page's script polls, if any
	Data            any
}

func (u *UI) newView(rq *request, title, nav string, data any) *view {
	v := &view{
		Title: title, Nav: nav, Data: data, RequestID: rq.id,
		Unauthenticated: u.auth.Unauthenticated(),
		CSS:             u.assets["app.css"].url, JS: u.assets["app.js"].url, Icon: u.assets["favicon.svg"].url,
	}
	if rq.sess != nil && rq.who.Role > 0 {
		v.Who, v.LoggedIn = rq.who, true
		v.CanOperate, v.CanAdmin = rq.who.Can(auth.RoleOperator), rq.who.Can(auth.RoleAdmin)
		v.CSRF = rq.sess.csrf
		v.Flash = u.sessions.takeFlash(rq.sess)
	}
	return v
}

// render writes a page. Rendering goes to a buffer first, so that a template
// error becomes a clean error page rather than half a page.
func (u *UI) render(w http.ResponseWriter, r *http.Request, rq *request, status int, name string, v *view) {
	var b bytes.Buffer
	if err := u.pages[name].execute(&b, v); err != nil {
		u.logger.Error("UI template failed", "request_id", rq.id, "template", name, "error", err)
		if name != "error" {
			u.errorPage(w, r, rq, http.StatusInternalServerError, "Something went wrong",
				"This page could not be shown. The details are in the server log.")
		}
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b.Bytes())
	}
}

// errorData is the content of the error page.
type errorData struct {
	Status  int
	Heading string
	Message string
}

// errorPage shows a readable error with the request ID.
func (u *UI) errorPage(w http.ResponseWriter, r *http.Request, rq *request, status int, heading, message string) {
	v := u.newView(rq, heading, "", errorData{Status: status, Heading: heading, Message: message})
	u.render(w, r, rq, status, "error", v)
}

// problem is what a person is told about an error.
type problem struct {
	status  int
	heading string
	message string
	header  http.Header
}

// describe maps an error from the Service or the authenticator to a status
// and a message safe to show, logging unexpected errors in full under the
// request ID. It follows the API's mapping.
func (u *UI) describe(r *http.Request, rq *request, err error) problem {
	var rl *auth.RateLimitedError
	switch {
	case errors.As(err, &rl):
		secs := rl.RetryAfterSeconds()
		return problem{http.StatusTooManyRequests, "Too many failed attempts",
			fmt.Sprintf("That token is not valid. Too many failed logins came from your address, so wrong tokens are refused "+
				"for the next %d s; a valid token is accepted at any time.", secs),
			http.Header{"Retry-After": {strconv.Itoa(secs)}}}
	case errors.Is(err, auth.ErrForbiddenHost):
		return problem{http.StatusForbidden, "Not allowed",
			"No API tokens are configured, so GoSQLGuard answers only requests addressed to localhost.", nil}
	}
	switch kind, text := service.Classify(err); kind {
	case service.NotFound:
		return problem{http.StatusNotFound, "Backup not found",
			"No backup with that ID is in the catalog, or it has no readable copy.", nil}
	case service.Conflict:
		return problem{http.StatusConflict, "Not possible right now", sentence(text, service.ErrConflict), nil}
	case service.Invalid:
		return problem{http.StatusBadRequest, "Cannot do that", sentence(text, service.ErrInvalid), nil}
	case service.Failed:
		return problem{http.StatusBadRequest, "Cannot do that", sentence(text, service.ErrFailed), nil}
	case service.ServerDown:
		return problem{http.StatusServiceUnavailable, "Database server unavailable", sentence(text, service.ErrServerDown), nil}
	case service.Canceled:
		return problem{499, "Cancelled", "The request was cancelled.", nil}
	case service.Unavailable:
		u.logger.Error("UI request failed", "request_id", rq.id, "method", r.Method, "path", r.URL.Path, "error", err)
		return problem{http.StatusServiceUnavailable, "Service unavailable",
			"GoSQLGuard cannot reach the catalog or a storage right now. Try again shortly; the details are in the server log.", nil}
	}
	u.logger.Error("UI request failed", "request_id", rq.id, "method", r.Method, "path", r.URL.Path, "error", err)
	return problem{http.StatusInternalServerError, "Something went wrong",
		"The request failed unexpectedly. The details are in the server log.", nil}
}

// sentence is text, as service.Classify gives it, with its first letter
// capitalized; the sentinel's own words when text is "".
func sentence(text string, sentinel error) string {
	if text == "" {
		text = sentinel.Error()
	}
	return strings.ToUpper(text[:1]) + text[1:]
}

// fail shows err as an error page.
func (u *UI) fail(w http.ResponseWriter, r *http.Request, rq *request, err error) {
	p := u.describe(r, rq, err)
	for k, vs := range p.header {
		w.Header()[k] = vs
	}
	u.errorPage(w, r, rq, p.status, p.heading, p.message)
}

// flashError keeps err for the next page of the session, described like fail.
func (u *UI) flashError(r *http.Request, rq *request, prefix string, err error) {
	p := u.describe(r, rq, err)
	u.sessions.setFlash(rq.sess, &flash{Kind: "error", Message: prefix + p.message, RequestID: rq.id})
}

func (u *UI) flashOK(rq *request, msg string) {
	u.sessions.setFlash(rq.sess, &flash{Kind: "ok", Message: msg})
}

// notFound answers paths the UI does not serve.
func (u *UI) notFound(w http.ResponseWriter, r *http.Request, rq *request) {
	p := r.URL.Path
	if p == "/" {
		u.methodNotAllowed(w, r, rq, []string{"GET"})
		return
	}
	if strings.HasPrefix(p, "/api/") || p == "/api" || p == "/metrics" || p == "/healthz" || p == "/readyz" {
		http.NotFound(w, r) // the API's space; no HTML there
		return
	}
	u.errorPage(w, r, rq, http.StatusNotFound, "Page not found", "There is no page at this address.")
}

func (u *UI) methodNotAllowed(w http.ResponseWriter, r *http.Request, rq *request, methods []string) {
	allow := append([]string(nil), methods...)
	for _, m := range methods {
		if m == http.MethodGet {
			allow = append(allow, http.MethodHead)
		}
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	u.errorPage(w, r, rq, http.StatusMethodNotAllowed, "Method not allowed",
		"This address does not accept "+r.Method+" requests.")
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":"encoding failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// dateInputType is the type of a filter form's date field holding v: "date",
// unless v is an RFC 3339 time (from a link or a script), which a date field
// would show as empty and drop when the form is sent again: "text" then.
func dateInputType(v string) string {
	if _, err := time.Parse(time.DateOnly, v); v != "" && err != nil {
		return "text"
	}
	return "date"
}
