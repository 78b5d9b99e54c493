package web

import (
	"log/slog"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/auth"
	"github.com/gosqlguard/gosqlguard/internal/clock"
	"github.com/gosqlguard/gosqlguard/internal/service/servicetest"
)

func TestSessionsExpireAfterTwelveIdleHours(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC))
	svc := servicetest.New(t, nil)
	authn := auth.New([]auth.Token{token("alice", auth.RoleAdmin, adminToken)}, nil, nil)
	ui, err := New(Options{Service: svc, Auth: authn, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{srv: serve(t, ui, slog.New(slog.DiscardHandler)), svc: svc, ui: ui}
	c := e.loggedIn(t, adminToken)
	for _, step := range []struct {
		wait time.Duration
		want int
	}{
		{11 * time.Hour, http.StatusOK},                   // still valid, and extended
		{11 * time.Hour, http.StatusOK},                   // 22 h after login, 11 h idle
		{12*time.Hour + time.Second, http.StatusSeeOther}, // idle too long
	} {
		clk.Advance(step.wait)
		if r := c.get("/"); r.status != step.want {
			t.Fatalf("after %v more: status %d, want %d", step.wait, r.status, step.want)
		}
	}
	if r := c.post("/retention", url.Values{"csrf": {"x"}}); r.status != http.StatusForbidden {
		t.Errorf("POST with an expired session: %d", r.status)
	}
}
