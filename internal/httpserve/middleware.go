// Package httpserve is what the daemon's HTTP surfaces (the JSON API and the
// web UI) share beneath their routes: the middleware every request passes
// (request ID, security headers, panic recovery, access log), write
// deadlines, and streaming a stored backup as a download. It knows no routes
// and no Service; the app builds the mux and the http.Server.
package httpserve

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"runtime/debug"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/clock"
)

// requestInfo travels in the request's context so that inner layers can add
// to what the access log records.
type requestInfo struct {
	id        string
	principal string
	client    string // the client's IP address
	method    string
}

type infoKey struct{}

func infoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(infoKey{}).(*requestInfo)
	return info
}

// RequestID returns the ID the middleware gave the request ctx belongs to
// (also in its X-Request-ID response header), or "" outside the middleware.
func RequestID(ctx context.Context) string {
	if info := infoFrom(ctx); info != nil {
		return info.id
	}
	return ""
}

// SetPrincipal records who made the request ctx belongs to, for its access
// log line. Outside the middleware it does nothing.
func SetPrincipal(ctx context.Context, name string) {
	if info := infoFrom(ctx); info != nil && name != "" {
		info.principal = name
	}
}

// Principal returns the name SetPrincipal recorded for the request ctx
// belongs to, or "".
func Principal(ctx context.Context) string {
	if info := infoFrom(ctx); info != nil {
		return info.principal
	}
	return ""
}

// ClientIP returns the IP address of the client that made the request ctx
// belongs to (the peer of the connection, not a header a proxy adds), or ""
// outside the middleware.
func ClientIP(ctx context.Context) string {
	if info := infoFrom(ctx); info != nil {
		return info.client
	}
	return ""
}

// Method returns the HTTP method of the request ctx belongs to ("HEAD" for
// a HEAD request that a GET route serves), or "" outside the middleware.
func Method(ctx context.Context) string {
	if info := infoFrom(ctx); info != nil {
		return info.method
	}
	return ""
}

// clientIP is the host part of a RemoteAddr ("192.0.2.1:5000" gives
// "192.0.2.1"); addr itself when it has no port.
func clientIP(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// A client's X-Request-ID is kept when it is this harmless; otherwise the
// middleware makes one.
var clientRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{8,64}$`)

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Options configure Middleware.
type Options struct {
	Logger *slog.Logger // nil: discard
	Clock  clock.Clock  // nil: the system clock; for durations in the access log
	// Quiet are paths polled by probes, scrapers and live pages; their
	// requests are logged at debug level only, unless they fail with a 5xx.
	Quiet []string
	// Fail answers a request whose handler panicked before writing anything
	// (err says so, for the log); nil: a plain 500. The panic value and the
	// stack go to the log only.
	Fail func(w http.ResponseWriter, r *http.Request, err error)
}

// Middleware gives every request an ID (X-Request-ID, kept from the client
// when it looks harmless), the headers X-Content-Type-Options: nosniff and
// Cache-Control: no-store, panic recovery and an access log line ("http
// request", at INFO; DEBUG for Quiet paths).
func Middleware(next http.Handler, o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = clock.System{}
	}
	if o.Fail == nil {
		o.Fail = func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, "internal error (request "+RequestID(r.Context())+")", http.StatusInternalServerError)
		}
	}
	quiet := map[string]bool{}
	for _, p := range o.Quiet {
		quiet[p] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := o.Clock.Now()
		id := r.Header.Get("X-Request-ID")
		if !clientRequestID.MatchString(id) {
			id = newRequestID()
		}
		info := &requestInfo{id: id, client: clientIP(r.RemoteAddr), method: r.Method}
		r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
		h := w.Header()
		h.Set("X-Request-ID", id)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		rec := &recorder{ResponseWriter: w}
		defer func() {
			level := slog.LevelInfo
			if quiet[r.URL.Path] && rec.status < 500 {
				level = slog.LevelDebug
			}
			attrs := []any{"request_id", id, "method", r.Method, "path", r.URL.Path, "status", rec.statusOr200(),
				"bytes", rec.bytes, "duration", o.Clock.Now().Sub(start).Round(time.Microsecond), "client", r.RemoteAddr}
			if info.principal != "" {
				attrs = append(attrs, "principal", info.principal)
			}
			o.Logger.Log(r.Context(), level, "http request", attrs...)
		}()
		defer recoverPanic(rec, r, o)
		next.ServeHTTP(rec, r)
	})
}

// recoverPanic turns a handler's panic into Options.Fail's answer; the
// panic value and stack go to the log only. When the response has started
// the connection is aborted instead, so the client sees a broken response
// rather than a truncated one that looks complete.
func recoverPanic(rec *recorder, r *http.Request, o Options) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	o.Logger.Error("handler panicked", "request_id", RequestID(r.Context()), "method", r.Method,
		"path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	if rec.status != 0 {
		panic(http.ErrAbortHandler)
	}
	o.Fail(rec, r, fmt.Errorf("panic: %v", v))
}

// recorder remembers the status and size of a response. Unwrap lets
// http.ResponseController reach the connection (deadlines, flushing).
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *recorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *recorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Flush keeps http.Flusher working for handlers that type-assert it.
func (w *recorder) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *recorder) statusOr200() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
