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
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/config"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

// Prefix is where the JSON API lives.
const Prefix = "/api/v1"

// Timeouts of the HTTP server. WriteTimeout is 0 at the server: each route
// sets its own write deadline (see Server.handle), so that downloads, verify
// and restore may run as long as they need.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = time.Minute
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
	// writeTimeout bounds writing an ordinary response, and each chunk of a
	// long one.
	writeTimeout = time.Minute
	// shutdownGrace is how long requests in flight may finish at shutdown.
	shutdownGrace = 15 * time.Second
)

// Options configure a Server.
type Options struct {
	Service service.Service
	// Tokens are the accepted bearer tokens (TokenSHA256 set). With none, the
	// API is open to every request addressed to localhost and Listen must
	// be a loopback address.
	Tokens []config.Token
	// MetricsPublic serves /metrics without a token.
	MetricsPublic bool
	// Metrics serves /metrics; nil: no /metrics route.
	Metrics http.Handler
	// Listen is the address ListenAndServe listens on (host:port).
	Listen string
	Logger *slog.Logger     // nil: discard
	Clock  func() time.Time // nil: time.Now
}

// Server is the API: its routes on one ServeMux, behind authentication,
// request IDs, panic recovery and access logging.
type Server struct {
	svc     service.Service
	auth    *Authenticator
	logger  *slog.Logger
	clock   func() time.Time
	listen  string
	metrics http.Handler
	public  bool // metrics are public
	mux     *http.ServeMux
	handler http.Handler
	routes  []route
	openapi []byte // the OpenAPI document of routes
}

// route is one method and path the Server serves.
type route struct {
	method string
	path   string
	role   Role // 0: open
	// params are the query parameters the route accepts; others get 400.
	params []string
	// anyQuery routes (/metrics) ignore the query instead.
	anyQuery bool
	// long routes may run and stream for as long as they need; their
	// handlers manage the write deadline themselves.
	long bool
	h    http.HandlerFunc
}

// New checks the options and builds the Server. It refuses to serve an
// unauthenticated API on anything but a loopback address.
func New(o Options) (*Server, error) {
	if o.Service == nil {
		return nil, errors.New("httpapi: no service")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	auth, err := newAuthenticator(o.Tokens, o.Logger, o.Clock)
	if err != nil {
		return nil, fmt.Errorf("httpapi: %w", err)
	}
	if auth.Unauthenticated() {
		if !loopbackHost(o.Listen) {
			return nil, fmt.Errorf("httpapi: no API tokens are configured and http.listen %q is not a loopback address; "+
				"add http.auth.tokens or listen on 127.0.0.1, ::1 or localhost", o.Listen)
		}
		o.Logger.Warn("NO API TOKENS CONFIGURED: the HTTP API is UNAUTHENTICATED and every local request has the admin role "+
			"(it may delete backups); configure http.auth.tokens", "listen", o.Listen)
	}
	s := &Server{
		svc: o.Service, auth: auth, logger: o.Logger, clock: o.Clock, listen: o.Listen,
		metrics: o.Metrics, public: o.MetricsPublic, mux: http.NewServeMux(),
	}
	s.register()
	if s.openapi, err = json.MarshalIndent(s.buildOpenAPI(), "", "  "); err != nil {
		return nil, fmt.Errorf("httpapi: OpenAPI document: %w", err)
	}
	s.handler = s.observe(s.mux)
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
		{method: "GET", path: Prefix + "/backups", role: RoleViewer, h: s.listBackups, params: listParams},
		{method: "POST", path: Prefix + "/backups", role: RoleOperator, h: s.startBackups},
		{method: "GET", path: Prefix + "/backups/{id}", role: RoleViewer, h: s.getBackup},
		{method: "DELETE", path: Prefix + "/backups/{id}", role: RoleAdmin, h: s.deleteBackup},
		{method: "GET", path: Prefix + "/backups/{id}/download", role: RoleOperator, long: true, h: s.download,
			params: []string{"storage"}},
		{method: "POST", path: Prefix + "/backups/{id}/verify", role: RoleOperator, long: true, h: s.verify},
		{method: "POST", path: Prefix + "/backups/{id}/restore", role: RoleOperator, long: true, h: s.restore},
		{method: "POST", path: Prefix + "/backups/{id}/drill", role: RoleOperator, long: true, h: s.drill},
		{method: "GET", path: Prefix + "/backups/{id}/drills", role: RoleViewer, h: s.drills},
		{method: "GET", path: Prefix + "/jobs", role: RoleViewer, h: s.jobs},
		// Viewers may ask for the plan (dry_run=true); applying it needs an
		// operator, which the handler checks.
		{method: "POST", path: Prefix + "/retention/run", role: RoleViewer, long: true, h: s.retention,
			params: []string{"dry_run"}},
		{method: "GET", path: Prefix + "/status", role: RoleViewer, h: s.status},
		{method: "GET", path: Prefix + "/openapi.json", role: RoleViewer, h: s.openAPI},
	}
	if s.metrics != nil {
		role := RoleViewer
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
			setWriteDeadline(w, writeTimeout)
		}
		if !rt.anyQuery {
			if _, err := query(r, rt.params...); err != nil {
				writeError(w, r, s.logger, err)
				return
			}
		}
		rt.h(w, r)
	}
	s.mux.Handle(rt.method+" "+rt.path, s.auth.Require(rt.role, http.HandlerFunc(h)))
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

// Handler returns the whole API, for tests and for embedding in another server.
func (s *Server) Handler() http.Handler { return s.handler }

// Mux returns the ServeMux behind Handler. Other packages (the web UI) may
// register more routes on it, outside /api/v1 and the paths already used;
// they get request IDs, panic recovery and access logging, and can protect
// themselves with Auth().Require or Auth().Check. ServeMux is safe to add
// routes to while serving.
func (s *Server) Mux() *http.ServeMux { return s.mux }

// Auth returns the Server's authenticator (tokens, roles, failure rate limit),
// for other handlers on the same server.
func (s *Server) Auth() *Authenticator { return s.auth }

// ListenAndServe listens on Options.Listen and serves until ctx ends, then
// shuts down gracefully (requests in flight get a short grace period).
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.listen)
	if err != nil {
		return fmt.Errorf("httpapi: listen: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx ends, like ListenAndServe. It closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      0, // per route, see handle
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	s.logger.Info("HTTP API listening", "address", ln.Addr().String())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("httpapi: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		s.logger.Warn("HTTP API: requests still running at shutdown were cut off", "error", err)
		err = srv.Close()
	}
	if serr := <-done; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return fmt.Errorf("httpapi: serve: %w", serr)
	}
	if err != nil {
		return fmt.Errorf("httpapi: shutdown: %w", err)
	}
	return nil
}
