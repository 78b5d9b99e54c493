package httpapi

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/auth"
)

// routeCase is one request per registered route, with the least role it needs.
type routeCase struct {
	method, path string // as registered
	target       string // what is requested
	body         string
	role         auth.Role // 0: open
	wantStatus   int
}

// routeCases are the cases of every route over backup id; DELETE deletes
// the backup deleted instead, so that the routes after it still find id.
func routeCases(id, deleted string) []routeCase {
	b := "/api/v1/backups/" + id
	return []routeCase{
		{"GET", "/healthz", "/healthz", "", 0, 200},
		{"GET", "/readyz", "/readyz", "", 0, 200},
		{"GET", "/metrics", "/metrics", "", auth.RoleViewer, 200},
		{"GET", "/api/v1/backups", "/api/v1/backups?server=main&limit=10", "", auth.RoleViewer, 200},
		{"POST", "/api/v1/backups", "/api/v1/backups", `{"server":"main","database":"shop"}`, auth.RoleOperator, 202},
		{"GET", "/api/v1/backups/{id}", b, "", auth.RoleViewer, 200},
		{"DELETE", "/api/v1/backups/{id}", "/api/v1/backups/" + deleted, "", auth.RoleAdmin, 204},
		{"GET", "/api/v1/backups/{id}/download", b + "/download?storage=local", "", auth.RoleOperator, 200},
		{"POST", "/api/v1/backups/{id}/verify", b + "/verify", "", auth.RoleOperator, 200},
		{"POST", "/api/v1/backups/{id}/restore", b + "/restore", `{"to_database":"shop_copy"}`, auth.RoleOperator, 200},
		{"POST", "/api/v1/backups/{id}/drill", b + "/drill", ``, auth.RoleOperator, 200},
		{"GET", "/api/v1/backups/{id}/drills", b + "/drills", "", auth.RoleViewer, 200},
		{"GET", "/api/v1/jobs", "/api/v1/jobs", "", auth.RoleViewer, 200},
		{"POST", "/api/v1/retention/run", "/api/v1/retention/run", "", auth.RoleOperator, 200},
		{"GET", "/api/v1/status", "/api/v1/status", "", auth.RoleViewer, 200},
		{"GET", "/api/v1/openapi.json", "/api/v1/openapi.json", "", auth.RoleViewer, 200},
		{"GET", "/api/v1/audit", "/api/v1/audit?action=delete&limit=5", "", auth.RoleAdmin, 200},
	}
}

var tokenOf = map[auth.Role]string{auth.RoleViewer: viewerToken, auth.RoleOperator: operatorToken, auth.RoleAdmin: adminToken}

func TestEveryRouteAuth(t *testing.T) {
	env := newEnv(t, nil)
	id := env.add(time.Now(), "main", "shop", "daily").ID
	deleted := env.add(time.Now(), "main", "shop", "daily").ID
	cases := routeCases(id, deleted)

	// The table covers every registered route, so a new route cannot escape this test.
	var registered, tested []string
	for _, rt := range env.srv.routes {
		registered = append(registered, rt.method+" "+rt.path)
	}
	for _, c := range cases {
		tested = append(tested, c.method+" "+c.path)
	}
	slices.Sort(registered)
	slices.Sort(tested)
	if !slices.Equal(registered, tested) {
		t.Fatalf("registered routes %v\nare not the tested routes %v", registered, tested)
	}

	for i, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			// A client address per case keeps the failure limiter out of the way.
			remote := fmt.Sprintf("198.51.100.%d:5000", i+1)
			send := func(token string) int {
				t.Helper()
				w := env.do(t, req{method: c.method, target: c.target, token: token, body: c.body, remote: remote})
				if w.Header().Get("X-Request-ID") == "" {
					t.Errorf("no X-Request-ID on %d response", w.Code)
				}
				if w.Code >= 400 {
					apiError(t, w)
				}
				return w.Code
			}
			if c.role == 0 {
				if got := send(""); got != c.wantStatus {
					t.Errorf("without token: status %d, want %d", got, c.wantStatus)
				}
				return
			}
			if got := send(""); got != http.StatusUnauthorized {
				t.Errorf("without token: status %d, want 401", got)
			}
			if got := send(wrongToken); got != http.StatusUnauthorized {
				t.Errorf("wrong token: status %d, want 401", got)
			}
			for role := auth.RoleViewer; role < c.role; role++ {
				if got := send(tokenOf[role]); got != http.StatusForbidden {
					t.Errorf("%s: status %d, want 403", role, got)
				}
			}
			for role := c.role; role <= auth.RoleAdmin; role++ {
				if got := send(tokenOf[role]); got != c.wantStatus {
					t.Errorf("%s: status %d, want %d", role, got, c.wantStatus)
				}
			}
		})
	}
}

func TestUnauthorizedHasChallenge(t *testing.T) {
	env := newEnv(t, nil)
	for _, token := range []string{"", wrongToken} {
		w := env.do(t, req{method: "GET", target: "/api/v1/jobs", token: token})
		if w.Code != 401 || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("token %q: status %d, WWW-Authenticate %q; want 401 with a Bearer challenge", token, w.Code, w.Header().Get("WWW-Authenticate"))
		}
	}
	// A malformed header is a failed authentication too.
	for _, h := range []string{"Basic dXNlcjpwYXNz", "Bearer", "Bearer  ", viewerToken} {
		r := newRequest("GET", "/api/v1/jobs")
		r.Header.Set("Authorization", h)
		w := serve(env, r)
		if w.Code != 401 {
			t.Errorf("Authorization %q: status %d, want 401", h, w.Code)
		}
	}
}

func TestRetentionRoles(t *testing.T) {
	tests := []struct {
		name   string
		token  string
		target string
		want   int
		call   string
	}{
		{"viewer dry run", viewerToken, "/api/v1/retention/run?dry_run=true", 200, "Retention(true)"},
		{"viewer apply", viewerToken, "/api/v1/retention/run", 403, ""},
		{"viewer apply explicit", viewerToken, "/api/v1/retention/run?dry_run=false", 403, ""},
		{"operator apply", operatorToken, "/api/v1/retention/run?dry_run=false", 200, "Retention(false)"},
		{"operator dry run", operatorToken, "/api/v1/retention/run?dry_run=1", 200, "Retention(true)"},
		{"bad dry_run", operatorToken, "/api/v1/retention/run?dry_run=maybe", 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, nil)
			// Two daily backups: retention keeps the newest and deletes the other.
			env.add(time.Date(2024, 5, 1, 2, 0, 0, 0, time.UTC), "main", "shop", "daily")
			env.add(time.Date(2024, 5, 2, 2, 0, 0, 0, time.UTC), "main", "shop", "daily")
			w := env.do(t, req{method: "POST", target: tt.target, token: tt.token})
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.want, w.Body)
			}
			var calls []string
			if tt.call != "" {
				calls = []string{tt.call}
			}
			if !slices.Equal(env.svc.Calls(), calls) {
				t.Errorf("service calls %v, want %v", env.svc.Calls(), calls)
			}
			if w.Code == 200 {
				got := decodeJSON[retentionResponse](t, w)
				if len(got.Storages) != 1 || got.Storages[0].Keep != 1 || got.Storages[0].Delete != 1 ||
					got.DryRun != strings.Contains(tt.call, "true") {
					t.Errorf("response %+v", got)
				}
			}
		})
	}
}

func TestMetricsAccess(t *testing.T) {
	tests := []struct {
		name   string
		public bool
		token  string
		want   int
	}{
		{"private without token", false, "", 401},
		{"private with viewer", false, viewerToken, 200},
		{"public without token", true, "", 200},
		{"public with wrong token", true, wrongToken, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, func(o *envOptions) { o.MetricsPublic = tt.public })
			if w := env.do(t, req{method: "GET", target: "/metrics", token: tt.token}); w.Code != tt.want {
				t.Errorf("status %d, want %d", w.Code, tt.want)
			}
		})
	}
	env := newEnv(t, func(o *envOptions) { o.Metrics = nil })
	if w := env.do(t, req{method: "GET", target: "/metrics", token: viewerToken}); w.Code != 404 {
		t.Errorf("no metrics handler: status %d, want 404", w.Code)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	env := newEnv(t, nil)
	if w := env.do(t, req{method: "GET", target: "/healthz"}); w.Code != 200 || strings.TrimSpace(w.Body.String()) != "ok" {
		t.Errorf("healthz: %d %q", w.Code, w.Body)
	}
	env.svc.ReadyErr = errSecret
	w := env.do(t, req{method: "GET", target: "/readyz"})
	if w.Code != 503 {
		t.Fatalf("readyz not ready: status %d, want 503", w.Code)
	}
	d := apiError(t, w)
	if d.Code != "unavailable" || strings.Contains(w.Body.String(), "secret") {
		t.Errorf("readyz body %s", w.Body)
	}
	if !strings.Contains(env.logs.String(), "password=secret") {
		t.Errorf("the readiness error is not in the log")
	}
}
