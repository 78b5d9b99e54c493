package httpapi

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gosqlguard/gosqlguard/internal/auth"
	"github.com/gosqlguard/gosqlguard/internal/httpserve"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

// httpError is an error the API itself raises (bad input, unknown route),
// with a message safe to show.
type httpError struct {
	status  int
	code    string
	message string
}

func (e *httpError) Error() string { return e.message }

func badRequest(format string, args ...any) error {
	return &httpError{http.StatusBadRequest, "bad_request", fmt.Sprintf(format, args...)}
}

// errorBody is the JSON of every error response.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id,omitempty"`
}

// classification is what the client is told about an error.
type classification struct {
	status  int
	code    string
	message string
	header  http.Header
	// detail: the error is unexpected; its full text goes to the log only.
	detail bool
}

// classify maps every error to a status, a code and a message safe to show.
// It is the one place that decides how errors look to clients.
func classify(err error, requestID string) classification {
	var (
		he *httpError
		mb *http.MaxBytesError
		rl *auth.RateLimitedError
	)
	switch {
	case errors.As(err, &he):
		return classification{status: he.status, code: he.code, message: he.message}
	case errors.As(err, &mb):
		return classification{status: http.StatusRequestEntityTooLarge, code: "payload_too_large",
			message: fmt.Sprintf("request body larger than %d bytes", mb.Limit)}
	case errors.As(err, &rl):
		return classification{status: http.StatusTooManyRequests, code: "too_many_requests", message: rl.Error(),
			header: http.Header{"Retry-After": {strconv.Itoa(rl.RetryAfterSeconds())}}}
	case errors.Is(err, auth.ErrNoCredentials):
		return classification{status: http.StatusUnauthorized, code: "unauthorized",
			message: "missing bearer token", header: http.Header{"Www-Authenticate": {`Bearer realm="gosqlguard"`}}}
	case errors.Is(err, auth.ErrBadCredentials):
		return classification{status: http.StatusUnauthorized, code: "unauthorized", message: "invalid bearer token",
			header: http.Header{"Www-Authenticate": {`Bearer realm="gosqlguard", error="invalid_token"`}}}
	case errors.Is(err, auth.ErrForbiddenHost):
		return classification{status: http.StatusForbidden, code: "forbidden", message: err.Error()}
	}
	switch kind, text := service.Classify(err); kind {
	case service.NotFound:
		return classification{status: http.StatusNotFound, code: "not_found", message: cmp.Or(text, "backup not found")}
	case service.Conflict:
		return classification{status: http.StatusConflict, code: "conflict", message: cmp.Or(text, "conflict with work in progress")}
	case service.Invalid, service.Failed:
		// A restore that ran and failed is answered as a bad request, as
		// it always was: the message says why.
		return classification{status: http.StatusBadRequest, code: "bad_request", message: cmp.Or(text, "invalid request")}
	case service.ServerDown:
		return classification{status: http.StatusServiceUnavailable, code: "server_unavailable",
			message: cmp.Or(text, "a database server does not answer")}
	case service.Unavailable:
		return classification{status: http.StatusServiceUnavailable, code: "unavailable",
			message: "service unavailable (request " + requestID + ")", detail: true}
	case service.Canceled:
		// The client went away; nobody reads this answer.
		return classification{status: 499, code: "canceled", message: "request canceled"}
	}
	return classification{status: http.StatusInternalServerError, code: "internal",
		message: "internal error (request " + requestID + ")", detail: true}
}

// writeError answers r with err, classified, and logs unexpected errors in
// full under the request ID.
func writeError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	id := httpserve.RequestID(r.Context())
	c := classify(err, id)
	switch {
	case c.detail && c.status == http.StatusServiceUnavailable:
		// Expected while the daemon shuts down or a dependency is away:
		// worth a look, not an alarm.
		logger.Warn("request failed", "request_id", id, "method", r.Method, "path", r.URL.Path, "status", c.status, "error", err)
	case c.detail:
		logger.Error("request failed", "request_id", id, "method", r.Method, "path", r.URL.Path, "status", c.status, "error", err)
	default:
		logger.Debug("request refused", "request_id", id, "method", r.Method, "path", r.URL.Path, "status", c.status, "code", c.code)
	}
	for k, vs := range c.header {
		w.Header()[k] = vs
	}
	writeJSON(w, c.status, errorBody{Error: errorDetail{Code: c.code, Message: c.message, RequestID: id}})
}

// writeJSON writes v as the response body with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only reachable with a programming error in a response type.
		status = http.StatusInternalServerError
		body = []byte(`{"error":{"code":"internal","message":"internal error: response encoding failed"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
