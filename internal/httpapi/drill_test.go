package httpapi

import (
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

func TestDrillRoute(t *testing.T) {
	env := newEnv(t, nil)
	b := env.add(time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC), "main", "shop", "daily")
	w := env.do(t, req{method: "POST", target: "/api/v1/backups/" + b.ID + "/drill", token: operatorToken})
	got := decodeJSON[backup.Drill](t, w)
	if w.Code != 200 || got.Status != backup.DrillFailure || got.Server != "main" || got.Differences == nil || got.Seconds != 1.5 {
		t.Errorf("drill: status %d, body %s", w.Code, w.Body)
	}
	if body := w.Body.String(); strings.Contains(body, "hunter2") || strings.Contains(body, "/var/lib") || !strings.Contains(body, `"differences": []`) && !strings.Contains(body, `"differences":[]`) {
		t.Errorf("drill body leaks or lacks differences: %s", body)
	}

	busy := env.add(time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC), "main", "busy", "daily")
	w = env.do(t, req{method: "POST", target: "/api/v1/backups/" + busy.ID + "/drill", token: operatorToken})
	if w.Code != 409 {
		t.Errorf("drill while one runs: status %d, want 409: %s", w.Code, w.Body)
	}
	w = env.do(t, req{method: "POST", target: "/api/v1/backups/" + b.ID + "/drill", token: viewerToken})
	if w.Code != 403 {
		t.Errorf("drill as viewer: status %d, want 403", w.Code)
	}
	w = env.do(t, req{method: "POST", target: "/api/v1/backups/20260301T020000.000Z-000000000fff/drill", token: operatorToken})
	if w.Code != 404 {
		t.Errorf("drill of an unknown backup: status %d, want 404: %s", w.Code, w.Body)
	}
}

func TestDrillsRoute(t *testing.T) {
	env := newEnv(t, nil)
	b := env.add(time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC), "main", "shop", "daily")
	// A successful drill, then a failed one whose error carries a secret and a path.
	env.svc.RecordDrill(b.ID, backup.Drill{At: b.StartedAt.Add(time.Hour), Seconds: 2.5, Status: backup.DrillSuccess, Server: b.Server, Compared: true})
	env.svc.RecordDrill(b.ID, backup.Drill{At: b.StartedAt.Add(2 * time.Hour), Seconds: 3, Status: backup.DrillFailure, Server: b.Server, Compared: true,
		Differences: []string{"table orders: 41 rows, want 42"}, Error: "restored database differs (password=hunter2 in /var/lib/x)"})
	w := env.do(t, req{method: "GET", target: "/api/v1/backups/" + b.ID + "/drills", token: viewerToken})
	got := decodeJSON[drillList](t, w)
	if w.Code != 200 || len(got.Drills) != 2 || got.Drills[0].Status != backup.DrillFailure || got.Drills[1].Differences == nil {
		t.Fatalf("drills: status %d, body %s", w.Code, w.Body)
	}
	if body := w.Body.String(); strings.Contains(body, "hunter2") || strings.Contains(body, "/var/lib") {
		t.Errorf("drill history leaks a secret or a path: %s", body)
	}
	w = env.do(t, req{method: "GET", target: "/api/v1/backups/20260301T020000.000Z-000000000fff/drills", token: viewerToken})
	if w.Code != 404 {
		t.Errorf("drills of an unknown backup: status %d, want 404: %s", w.Code, w.Body)
	}
	w = env.do(t, req{method: "GET", target: "/api/v1/backups/nope/drills", token: viewerToken})
	if w.Code != 400 {
		t.Errorf("drills of an invalid ID: status %d, want 400: %s", w.Code, w.Body)
	}
}

func TestJobsCarryTheirLastDrills(t *testing.T) {
	env := newEnv(t, nil)
	// main/crm/daily was proven on 2 May; its newest drill, on 3 May, failed.
	// main/shop/daily never had a drill.
	proven := time.Date(2024, 5, 2, 3, 0, 0, 0, time.UTC)
	for _, d := range []struct {
		id    string
		drill backup.Drill
	}{
		{"20240502T020000.000Z-0123456789ab", backup.Drill{At: proven, Status: backup.DrillSuccess}},
		{"20240503T020000.000Z-0123456789ab", backup.Drill{At: proven.Add(24 * time.Hour), Status: backup.DrillFailure,
			Error: "mariadb: ERROR 1045: Access denied (password=hunter2) reading /var/lib/x"}},
	} {
		env.svc.Put(&backup.Backup{ID: d.id, Server: "main", Database: "crm", Type: "daily", Status: backup.StatusSuccess,
			StartedAt: d.drill.At.Add(-time.Hour)})
		env.svc.RecordDrill(d.id, d.drill)
	}
	w := env.do(t, req{method: "GET", target: "/api/v1/jobs", token: viewerToken})
	body := w.Body.String()
	for _, f := range []string{`"last_drill_success":null`, `"last_drill":null`, `"last_drill_success":"2024-05-02T03:00:00Z"`,
		`"last_drill_success_id":"20240502T020000.000Z-0123456789ab"`, `"last_drill_status":"failure"`, `"last_drill_error":"`} {
		if !strings.Contains(body, f) {
			t.Errorf("jobs lack %s: %s", f, body)
		}
	}
	if strings.Contains(body, "hunter2") || strings.Contains(body, "/var/lib") {
		t.Errorf("jobs leak a drill error's secret or path: %s", body)
	}
}
