package httpapi

import (
	"cmp"
	"fmt"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/service"
	"github.com/gosqlguard/gosqlguard/internal/service/servicetest"
)

// leaks are strings no response may contain.
var leaks = []string{"secret", "/var/lib", "postgres://", "u:p@", "password=secret", "hunter2", "goroutine", ".go:", "panic"}

func TestErrorBodiesLeakNothing(t *testing.T) {
	const id = "20240101T000000.000Z-0123456789ab"
	tests := []struct {
		name    string
		setup   func(*servicetest.Fake)
		req     req
		status  int
		code    string
		inLog   string // the log must hold the detail
		level   string // ... at this level ("" : ERROR)
		showsID bool   // the message names the request ID
		message string // the message must hold this
	}{
		{name: "bad ID", req: req{method: "GET", target: "/api/v1/backups/%2Fvar%2Flib%2Fx"}, status: 400, code: "bad_request"},
		{name: "bad JSON", req: req{method: "POST", target: "/api/v1/backups", body: `{"server": "/var/lib/x`}, status: 400, code: "bad_request"},
		{name: "unknown filter value", req: req{method: "GET", target: "/api/v1/backups?status=secret"}, status: 400, code: "bad_request"},
		{name: "unknown field", req: req{method: "POST", target: "/api/v1/backups", body: `{"password":"secret"}`}, status: 400, code: "bad_request"},
		{
			name: "service error", setup: func(f *servicetest.Fake) { f.Err = errSecret },
			req: req{method: "GET", target: "/api/v1/jobs"}, status: 500, code: "internal", inLog: "password=secret /var/lib/x", showsID: true,
		},
		{
			name: "service error on a backup", setup: func(f *servicetest.Fake) { f.Err = fmt.Errorf("get: %w", errSecret) },
			req: req{method: "GET", target: "/api/v1/backups/" + id}, status: 500, code: "internal", inLog: "dsn=postgres://u:p@h", showsID: true,
		},
		{
			name: "unavailable", setup: func(f *servicetest.Fake) { f.Err = fmt.Errorf("%w: %w", service.ErrUnavailable, errSecret) },
			req: req{method: "GET", target: "/api/v1/status"}, status: 503, code: "unavailable", inLog: "password=secret", level: "WARN", showsID: true,
		},
		{
			name: "database server down, message redacted", setup: func(f *servicetest.Fake) {
				f.Err = fmt.Errorf("%w: no database to back up (server my: listing databases: dial unix /run/mysqld/nope.sock: connect: no such file or directory; %w)", service.ErrServerDown, errSecret)
			},
			req: req{method: "POST", target: "/api/v1/backups"}, status: 503, code: "server_unavailable",
			message: "no database to back up (server my: listing databases: dial unix <path>",
		},
		{
			name: "invalid with a careless message", setup: func(f *servicetest.Fake) { f.Err = fmt.Errorf("%w: %w", service.ErrInvalid, errSecret) },
			req: req{method: "POST", target: "/api/v1/backups"}, status: 400, code: "bad_request",
		},
		{
			name: "conflict with a careless message", setup: func(f *servicetest.Fake) { f.Err = fmt.Errorf("%w: %w", service.ErrConflict, errSecret) },
			req: req{method: "DELETE", target: "/api/v1/backups/" + id}, status: 409, code: "conflict",
		},
		{
			name: "panic", setup: func(f *servicetest.Fake) { f.Panicking = true },
			req: req{method: "GET", target: "/api/v1/jobs"}, status: 500, code: "internal", inLog: "hunter2", showsID: true,
		},
		{
			name: "panic while deleting", setup: func(f *servicetest.Fake) { f.Panicking = true },
			req: req{method: "DELETE", target: "/api/v1/backups/" + id}, status: 500, code: "internal", inLog: "goroutine", showsID: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, nil)
			if tt.setup != nil {
				tt.setup(env.svc)
			}
			tt.req.token = adminToken
			w := env.do(t, tt.req)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			d := apiError(t, w)
			if d.Code != tt.code {
				t.Errorf("code %q, want %q", d.Code, tt.code)
			}
			rid := w.Header().Get("X-Request-ID")
			if rid == "" || d.RequestID != rid {
				t.Errorf("request ID: header %q, body %q", rid, d.RequestID)
			}
			if !strings.Contains(d.Message, tt.message) {
				t.Errorf("message %q lacks %q", d.Message, tt.message)
			}
			if tt.showsID && !strings.Contains(d.Message, rid) {
				t.Errorf("message %q does not name the request ID %s", d.Message, rid)
			}
			body := w.Body.String()
			for _, leak := range leaks {
				if strings.Contains(body, leak) {
					t.Errorf("response leaks %q: %s", leak, body)
				}
			}
			logs := env.logs.String()
			if tt.inLog != "" && !strings.Contains(logs, tt.inLog) {
				t.Errorf("log lacks %q:\n%s", tt.inLog, logs)
			}
			if tt.inLog != "" && !strings.Contains(logs, rid) {
				t.Errorf("log lacks the request ID %s", rid)
			}
			if want := `"level":"` + cmp.Or(tt.level, "ERROR") + `","msg":"request failed"`; tt.inLog != "" && !strings.Contains(logs, want) {
				t.Errorf("log lacks %s:\n%s", want, logs)
			}
		})
	}
}

func TestResponsesRedactFreeText(t *testing.T) {
	env := newEnv(t, nil)
	b := env.add(env.clock.Now(), "main", "shop", "daily")
	b.Error = "dump failed: open /var/lib/mysql/x: password=secret"
	b.Locations[0].Error = "put postgres://u:p@h/db"
	for _, target := range []string{"/api/v1/backups/" + b.ID, "/api/v1/backups", "/api/v1/status"} {
		w := env.do(t, req{method: "GET", target: target, token: viewerToken})
		if w.Code != 200 {
			t.Fatalf("%s: %d", target, w.Code)
		}
		for _, leak := range leaks {
			if strings.Contains(w.Body.String(), leak) {
				t.Errorf("%s leaks %q: %s", target, leak, w.Body)
			}
		}
	}
	if b.Error != "dump failed: open /var/lib/mysql/x: password=secret" {
		t.Errorf("the service's backup was modified: %q", b.Error)
	}
}

func TestClientRequestIDIsKeptOnlyWhenHarmless(t *testing.T) {
	env := newEnv(t, nil)
	for in, keep := range map[string]bool{"abc-123-def.456": true, "short": false, "a\nb-injected-xx": false, strings.Repeat("x", 65): false} {
		r := newRequest("GET", "/healthz")
		r.Header.Set("X-Request-ID", in)
		got := serve(env, r).Header().Get("X-Request-ID")
		if (got == in) != keep || got == "" {
			t.Errorf("X-Request-ID %q came back as %q", in, got)
		}
	}
}
