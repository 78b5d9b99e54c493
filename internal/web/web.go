// Package web serves GoSQLGuard's browser UI: server-rendered pages for the
// dashboard, the backup catalog, one backup (verify, restore, download,
// delete), retention and the daemon's status.
//
// It registers its routes on a ServeMux the app owns, beside the JSON API,
// and shares the API's auth.Authenticator: a person logs in with an API
// token, which is checked once (with the API's failure rate limit) and
// exchanged for a server-side session; roles are the API's. Every state-changing form carries the
// session's CSRF token. Templates and static files are embedded; the pages
// work without JavaScript, which only adds live updates.
//
// Like the API, the UI never shows secrets, file paths or stack traces: texts
// from the Service are redacted again, and unexpected errors show a request ID
// whose details are in the log.
package web

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/auth"
	"github.com/gosqlguard/gosqlguard/internal/clock"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

// Options configure the UI.
type Options struct {
	Service service.Service
	// Auth is the API's authenticator, so that the UI accepts the same
	// tokens and shares the failure rate limit.
	Auth   *auth.Authenticator
	Logger *slog.Logger // nil: discard
	Clock  clock.Clock  // nil: the system clock
	// SecureCookies marks the session cookie Secure; set it when the UI is
	// served over HTTPS (directly or behind a proxy).
	SecureCookies bool
}

// UI is the web interface. It is safe for concurrent use.
type UI struct {
	svc      service.Service
	auth     *auth.Authenticator
	logger   *slog.Logger
	now      func() time.Time
	secure   bool
	sessions *sessionStore
	pages    map[string]*pageTemplate
	assets   map[string]*asset
	rates    *rateTracker
	history  *historyCache
	cop      *http.CrossOriginProtection
}

// New checks the options, parses the embedded templates and returns the UI.
func New(o Options) (*UI, error) {
	if o.Service == nil {
		return nil, errors.New("web: no service")
	}
	if o.Auth == nil {
		return nil, errors.New("web: no authenticator")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	u := &UI{
		svc: o.Service, auth: o.Auth, logger: o.Logger, now: o.Clock.Now, secure: o.SecureCookies,
		sessions: newSessionStore(o.Clock), rates: newRateTracker(), history: newHistoryCache(), cop: http.NewCrossOriginProtection(),
	}
	var err error
	if u.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	if u.pages, err = u.parseTemplates(); err != nil {
		return nil, err
	}
	return u, nil
}

// Register mounts the UI's routes on mux, all outside /api/, /metrics,
// /healthz and /readyz. mux may already serve the API: the UI's patterns are
// chosen not to conflict with it.
func (u *UI) Register(mux *http.ServeMux) {
	v, op, admin := auth.RoleViewer, auth.RoleOperator, auth.RoleAdmin
	routes := []struct {
		pattern string
		h       http.Handler
	}{
		{"GET /{$}", u.page(v, u.dashboard)},
		{"GET /login", u.wrap(u.loginForm)},
		{"POST /login", u.wrap(u.login)},
		{"POST /logout", u.action(v, u.logout)},
		{"GET /backups", u.page(v, u.backups)},
		{"POST /backups", u.action(op, u.trigger)},
		{"GET /backups/{id}", u.page(v, u.backupPage)},
		{"GET /backups/{id}/download", u.page(op, u.download)},
		{"POST /backups/{id}/verify", u.action(op, u.verify)},
		{"POST /backups/{id}/drill", u.action(op, u.drill)},
		{"GET /backups/{id}/restore", u.page(op, u.restoreForm)},
		{"POST /backups/{id}/restore", u.action(op, u.restore)},
		{"GET /backups/{id}/delete", u.page(admin, u.deleteForm)},
		{"POST /backups/{id}/delete", u.action(admin, u.deleteBackup)},
		{"GET /retention", u.page(v, u.retentionPage)},
		{"POST /retention", u.action(op, u.applyRetention)},
		{"GET /status", u.page(v, u.statusPage)},
		{"GET /jobs/{server}/{database}/{type}", u.page(v, u.jobPage)},
		{"GET /audit", u.page(admin, u.auditPage)},
		{"GET /ui/live", u.live(v)},
		{"GET /static/{name}", u.wrap(u.static)},
		{"GET /favicon.ico", u.wrap(u.favicon)},
	}
	allow := map[string][]string{}
	var paths []string
	for _, rt := range routes {
		mux.Handle(rt.pattern, rt.h)
		method, path, _ := cut(rt.pattern)
		if path == "/{$}" {
			continue
		}
		if _, ok := allow[path]; !ok {
			paths = append(paths, path)
		}
		allow[path] = append(allow[path], method)
	}
	// Other methods on a known path: 405 with Allow.
	for _, p := range paths {
		methods := allow[p]
		mux.Handle(p, u.wrap(func(w http.ResponseWriter, r *http.Request, rq *request) {
			u.methodNotAllowed(w, r, rq, methods)
		}))
	}
	mux.Handle("/", u.wrap(u.notFound))
}

// cut splits "GET /path" into its method and path.
func cut(pattern string) (method, path string, ok bool) {
	for i := 0; i < len(pattern); i++ {
		if pattern[i] == ' ' {
			return pattern[:i], pattern[i+1:], true
		}
	}
	return "", pattern, false
}
