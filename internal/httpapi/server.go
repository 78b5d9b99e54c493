// Package httpapi is the JSON API under /api/v1 (docs/api.md), the health
// endpoints and /metrics, with bearer-token authentication and roles.
//
// It depends only on the service.Service contract, which the app implements;
// it reads no config file, flag or environment. Every error reaches the
// client through one mapping (see classify) and never carries secrets, DSNs,
// file paths or stack traces: those go to the log, under the request ID that
// the response also carries.
package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/gosqlguard/gosqlguard/internal/auth"
	"github.com/gosqlguard/gosqlguard/internal/clock"
	"github.com/gosqlguard/gosqlguard/internal/httpserve"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

// Prefix is where the JSON API lives.
const Prefix = "/api/v1"

// Options configure a Server.
type Options struct {
	Service service.Service
	// Auth checks bearer tokens; it may be shared with the web UI. When it
	// is unauthenticated, every request addressed to localhost is admin.
	Auth *auth.Authenticator
	// MetricsPublic serves /metrics without a token.
	MetricsPublic bool
	// Metrics serves /metrics; nil: no /metrics route.
	Metrics http.Handler
	Logger  *slog.Logger // nil: discard
	Clock   clock.Clock  // nil: the system clock
}

// Server is the API: its routes under Prefix and beside it (/healthz,
// /readyz, /metrics) on its own ServeMux, each behind its role check, its
// check of query parameters and its write deadline. Request IDs, access
// logging and panic recovery are the httpserve middleware's, which the app
// puts in front of every surface.
type Server struct {
	svc     service.Service
	auth    *auth.Authenticator
	logger  *slog.Logger
	clock   clock.Clock
	metrics http.Handler
	public  bool // metrics are public
	mux     *http.ServeMux
	routes  []route
	openapi []byte // the OpenAPI document of routes
}

// route is one method and path the Server serves.
type route struct {
	method string
	path   string
	role   auth.Role // 0: open
	// params are the query parameters the route accepts; others get 400.
	params []string
	// anyQuery routes (/metrics) ignore the query instead.
	anyQuery bool
	// long routes may run and stream for as long as they need; their
	// handlers manage the write deadline themselves.
	long bool
	h    http.HandlerFunc
}

// New checks the options and builds the Server.
func New(o Options) (*Server, error) {
	if o.Service == nil {
		return nil, errors.New("httpapi: no service")
	}
	if o.Auth == nil {
		return nil, errors.New("httpapi: no authenticator")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	s := &Server{
		svc: o.Service, auth: o.Auth, logger: o.Logger, clock: o.Clock,
		metrics: o.Metrics, public: o.MetricsPublic, mux: http.NewServeMux(),
	}
	s.register()
	var err error
	if s.openapi, err = json.MarshalIndent(s.buildOpenAPI(), "", "  "); err != nil {
		return nil, fmt.Errorf("httpapi: OpenAPI document: %w", err)
	}
	return s, nil
}

// register puts every route on the mux. Each is recorded in s.routes, from
// which the tests check that the OpenAPI document describes all of them.
func (s *Server) register() {
	for _, rt := range s.routeTable() {
		s.handle(rt)
	}
	// Other methods on a known path: 405 with Allow, as JSON.
	paths := map[string]bool{}
	for _, rt := range s.routes {
		if !paths[rt.path] {
			paths[rt.path] = true
			s.mux.HandleFunc(rt.path, s.methodNotAllowed)
		}
	}
	s.mux.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.logger, &httpError{http.StatusNotFound, "not_found", "no such API route"})
	})
}

func (s *Server) routeTable() []route {
	rs := []route{
		{method: "GET", path: "/healthz", h: s.healthz},
		{method: "GET", path: "/readyz", h: s.readyz},
		{method: "GET", path: Prefix + "/backups", role: auth.RoleViewer, h: s.listBackups, params: listParams},
		{method: "POST", path: Prefix + "/backups", role: auth.RoleOperator, h: s.startBackups},
		{method: "GET", path: Prefix + "/backups/{id}", role: auth.RoleViewer, h: s.getBackup},
		{method: "DELETE", path: Prefix + "/backups/{id}", role: auth.RoleAdmin, h: s.deleteBackup},
		{method: "GET", path: Prefix + "/backups/{id}/download", role: auth.RoleOperator, long: true, h: s.download,
			params: []string{"storage"}},
		{method: "POST", path: Prefix + "/backups/{id}/verify", role: auth.RoleOperator, long: true, h: s.verify},
		{method: "POST", path: Prefix + "/backups/{id}/restore", role: auth.RoleOperator, long: true, h: s.restore},
		{method: "POST", path: Prefix + "/backups/{id}/drill", role: auth.RoleOperator, long: true, h: s.drill},
		{method: "GET", path: Prefix + "/backups/{id}/drills", role: auth.RoleViewer, h: s.drills},
		{method: "GET", path: Prefix + "/jobs", role: auth.RoleViewer, h: s.jobs},
		// Viewers may ask for the plan (dry_run=true); applying it needs an
		// operator, which the handler checks.
		{method: "POST", path: Prefix + "/retention/run", role: auth.RoleViewer, long: true, h: s.retention,
			params: []string{"dry_run"}},
		{method: "GET", path: Prefix + "/status", role: auth.RoleViewer, h: s.status},
		{method: "GET", path: Prefix + "/audit", role: auth.RoleAdmin, h: s.auditLog, params: auditParams},
		{method: "GET", path: Prefix + "/openapi.json", role: auth.RoleViewer, h: s.openAPI},
	}
	if s.metrics != nil {
		role := auth.RoleViewer
		if s.public {
			role = 0
		}
		rs = append(rs, route{method: "GET", path: "/metrics", role: role, anyQuery: true, h: s.metrics.ServeHTTP})
	}
	return rs
}

// handle registers one route with its authentication, its check of query
// parameters and its write deadline.
func (s *Server) handle(rt route) {
	h := func(w http.ResponseWriter, r *http.Request) {
		if !rt.long {
			httpserve.SetWriteDeadline(w, httpserve.WriteTimeout)
		}
		if !rt.anyQuery {
			if _, err := query(r, rt.params...); err != nil {
				writeError(w, r, s.logger, err)
				return
			}
		}
		rt.h(w, r)
	}
	s.mux.Handle(rt.method+" "+rt.path, s.require(rt.role, http.HandlerFunc(h)))
	s.routes = append(s.routes, rt)
}

func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, rt := range s.routes {
		probe := r.Clone(r.Context())
		probe.Method = rt.method
		if _, pattern := s.mux.Handler(probe); pattern == rt.method+" "+rt.path && !slices.Contains(allow, rt.method) {
			allow = append(allow, rt.method)
			if rt.method == "GET" {
				allow = append(allow, "HEAD")
			}
		}
	}
	if len(allow) == 0 {
		writeError(w, r, s.logger, &httpError{http.StatusNotFound, "not_found", "no such route"})
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	writeError(w, r, s.logger, &httpError{http.StatusMethodNotAllowed, "method_not_allowed",
		fmt.Sprintf("method %s not allowed here (allowed: %s)", clip(r.Method), strings.Join(allow, ", "))})
}

// ServeHTTP serves the API's routes: those under Prefix, /healthz, /readyz
// and, when configured, /metrics. Errors are JSON.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// WriteError answers r with err as the API answers every error: a JSON body
// with a code, a message safe to show and the request ID; unexpected errors
// are logged in full under that ID.
func (s *Server) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, r, s.logger, err)
}
