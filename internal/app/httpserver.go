package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/audit"
	"github.com/gosqlguard/gosqlguard/internal/auth"
	"github.com/gosqlguard/gosqlguard/internal/clock"
	"github.com/gosqlguard/gosqlguard/internal/config"
	"github.com/gosqlguard/gosqlguard/internal/httpapi"
	"github.com/gosqlguard/gosqlguard/internal/httpserve"
	"github.com/gosqlguard/gosqlguard/internal/service"
	"github.com/gosqlguard/gosqlguard/internal/web"
)

// Timeouts of the HTTP server. WriteTimeout is 0 at the server: each route
// sets its own write deadline (httpserve.SetWriteDeadline), so that
// downloads, verify and restore may run as long as they need.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = time.Minute
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
	// shutdownGrace is how long requests in flight may finish at shutdown.
	shutdownGrace = 15 * time.Second
)

// quietPaths are polled by probes, scrapers and the web UI's live updates
// (every two seconds while a page is open); their requests are logged at
// debug level only, unless they fail with a 5xx.
var quietPaths = []string{"/healthz", "/readyz", "/metrics", "/ui/live"}

// httpOptions are what the daemon's HTTP side is built from.
type httpOptions struct {
	Service service.Service
	// Tokens are the accepted API tokens; with none, the API and the UI are
	// open to every request addressed to localhost, and Listen must be a
	// loopback address.
	Tokens        []config.Token
	MetricsPublic bool
	Metrics       http.Handler // nil: no /metrics
	Listen        string       // host:port, checked against Tokens only
	SecureCookies bool
	Logger        *slog.Logger // nil: discard
	Clock         clock.Clock  // nil: the system clock
}

// newHTTPHandler builds the daemon's HTTP side: one authenticator, the JSON
// API and the web UI registered side by side on a mux the app owns (the API
// under /api/v1/ with the health checks and /metrics beside it, the UI
// everywhere else), behind the request middleware. It refuses to serve
// without tokens on anything but a loopback address.
func newHTTPHandler(o httpOptions) (http.Handler, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	tokens, err := authTokens(o.Tokens)
	if err != nil {
		return nil, err
	}
	authn := auth.New(tokens, o.Logger, o.Clock)
	if authn.Unauthenticated() {
		if !auth.LoopbackHost(o.Listen) {
			return nil, fmt.Errorf("no API tokens are configured and http.listen %q is not a loopback address; "+
				"add http.auth.tokens or listen on 127.0.0.1, ::1 or localhost", o.Listen)
		}
		o.Logger.Warn("NO API TOKENS CONFIGURED: the HTTP API is UNAUTHENTICATED and every local request has the admin role "+
			"(it may delete backups); configure http.auth.tokens", "listen", o.Listen)
	}
	// Every action through the API or the UI goes into the audit trail.
	svc := audit.Wrap(o.Service, o.Clock, o.Logger)
	api, err := httpapi.New(httpapi.Options{Service: svc, Auth: authn, MetricsPublic: o.MetricsPublic,
		Metrics: o.Metrics, Logger: o.Logger, Clock: o.Clock})
	if err != nil {
		return nil, err
	}
	ui, err := web.New(web.Options{Service: svc, Auth: authn, Logger: o.Logger, Clock: o.Clock,
		SecureCookies: o.SecureCookies})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(httpapi.Prefix+"/", api)
	mux.Handle("/healthz", api)
	mux.Handle("/readyz", api)
	if o.Metrics != nil {
		mux.Handle("/metrics", api)
	}
	ui.Register(mux)
	return httpserve.Middleware(mux, httpserve.Options{Logger: o.Logger, Clock: o.Clock, Quiet: quietPaths,
		Fail: api.WriteError}), nil
}

// authTokens turns the config's tokens into the authenticator's: each role
// parsed and each hash checked, here and only here.
func authTokens(ts []config.Token) ([]auth.Token, error) {
	out := make([]auth.Token, 0, len(ts))
	for i, t := range ts {
		role, err := auth.ParseRole(t.Role)
		if err != nil {
			return nil, fmt.Errorf("token %d (%s): %w", i, t.Name, err)
		}
		hash, err := auth.ParseSHA256(t.TokenSHA256)
		if err != nil {
			return nil, fmt.Errorf("token %d (%s): %w", i, t.Name, err)
		}
		out = append(out, auth.Token{Name: t.Name, Role: role, SHA256: hash})
	}
	return out, nil
}

// serveHTTP serves h on ln until ctx ends, then shuts down gracefully:
// requests in flight get shutdownGrace to finish. It closes ln.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      0, // per route
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("HTTP API listening", "address", ln.Addr().String())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("http: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		logger.Warn("HTTP API: requests still running at shutdown were cut off", "error", err)
		err = srv.Close()
	}
	if serr := <-done; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return fmt.Errorf("http: serve: %w", serr)
	}
	if err != nil {
		return fmt.Errorf("http: shutdown: %w", err)
	}
	return nil
}
