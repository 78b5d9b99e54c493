package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"time"
)

// requestInfo travels in the request's context so that inner layers can add
// to what the access log records.
type requestInfo struct {
	id        string
	principal string
}

type infoKey struct{}

func infoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(infoKey{}).(*requestInfo)
	return info
}

// requestID returns the ID of the request ctx belongs to, or "".
func requestID(ctx context.Context) string {
	if info := infoFrom(ctx); info != nil {
		return info.id
	}
	return ""
}

// RequestID returns the ID the API gave the request ctx belongs to (also in
// its X-Request-ID response header), for other handlers' logs and pages.
func RequestID(ctx context.Context) string { return requestID(ctx) }

// A client's X-Request-ID is kept when it is this harmless; otherwise the API
// makes one.
var clientRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{8,64}$`)

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// quietPaths are polled by probes, scrapers and the web UI's live updates
// (every two seconds while a page is open); their requests are logged at
// debug level only, unless they fail with a 5xx.
var quietPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true, "/ui/live": true}

// observe gives every request an ID (X-Request-ID), security headers, panic
// recovery and an access log line.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.clock()
		id := r.Header.Get("X-Request-ID")
		if !clientRequestID.MatchString(id) {
			id = newRequestID()
		}
		info := &requestInfo{id: id}
		r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
		h := w.Header()
		h.Set("X-Request-ID", id)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		rec := &recorder{ResponseWriter: w}
		defer func() {
			level := slog.LevelInfo
			if quietPaths[r.URL.Path] && rec.status < 500 {
				level = slog.LevelDebug
			}
			attrs := []any{"request_id", id, "method", r.Method, "path", r.URL.Path, "status", rec.statusOr200(),
				"bytes", rec.bytes, "duration", s.clock().Sub(start).Round(time.Microsecond), "client", r.RemoteAddr}
			if info.principal != "" {
				attrs = append(attrs, "principal", info.principal)
			}
			s.logger.Log(r.Context(), level, "http request", attrs...)
		}()
		defer s.recoverPanic(rec, r)
		next.ServeHTTP(rec, r)
	})
}

// recoverPanic turns a handler's panic into a 500 with the request ID; the
// panic value and stack go to the log only. When the response has started
// the connection is aborted instead, so the client sees a broken response
// rather than a truncated one that looks complete.
func (s *Server) recoverPanic(rec *recorder, r *http.Request) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	s.logger.Error("handler panicked", "request_id", requestID(r.Context()), "method", r.Method,
		"path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	if rec.status != 0 {
		panic(http.ErrAbortHandler)
	}
	writeError(rec, r, s.logger, fmt.Errorf("panic: %v", v))
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
