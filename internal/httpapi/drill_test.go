package httpapi

import (
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

func TestDrillRoute(t *testing.T) {
	env := newEnv(t, nil)
	b := env.svc.add(time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC), "main", "shop", "daily")
	w := env.do(t, req{method: "POST", target: "/api/v1/backups/" + b.ID + "/drill", token: operatorToken})
	got := decodeJSON[backup.Drill](t, w)
	if w.Code != 200 || got.Status != backup.DrillFailure || got.Server != "main" || got.Differences == nil || got.Seconds != 1.5 {
		t.Errorf("drill: status %d, body %s", w.Code, w.Body)
	}
	if body := w.Body.String(); strings.Contains(body, "hunter2") || strings.Contains(body, "/var/lib") || !strings.Contains(body, `"differences": []`) && !strings.Contains(body, `"differences":[]`) {
		t.Errorf("drill body leaks or lacks differences: %s", body)
	}

	busy := env.svc.add(time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC), "main", "busy", "daily")
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
