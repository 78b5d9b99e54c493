package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/auth"
	"github.com/gosqlguard/gosqlguard/internal/redact"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

func TestHumanFormats(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"}, {512, "512 B"}, {1536, "1.50 KiB"}, {12_900_000, "12.3 MiB"},
		{300 << 20, "300 MiB"}, {4_520_000_000, "4.21 GiB"}, {3 << 40, "3.00 TiB"}, {-1, "unknown"},
	} {
		if got := humanBytes(tc.n); got != tc.want {
			t.Errorf("humanBytes(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{850 * time.Millisecond, "850 ms"}, {42 * time.Second, "42 s"}, {200 * time.Second, "3 min 20 s"},
		{3 * time.Minute, "3 min"}, {65 * time.Minute, "1 h 5 min"}, {51 * time.Hour, "2 d 3 h"},
	} {
		if got := humanDuration(tc.d); got != tc.want {
			t.Errorf("humanDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{10 * time.Second, "just now"}, {4 * time.Minute, "4 min ago"}, {3 * time.Hour, "3 h ago"},
		{50 * time.Hour, "2 d ago"}, {-20 * time.Minute, "in 20 min"}, {-5 * time.Second, "in a few seconds"}, {-2 * time.Second, "just now"},
	} {
		if got := relTime(now.Add(-tc.d), now); got != tc.want {
			t.Errorf("relTime(now-%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
	if got := humanRate(31457280); got != "30.0 MiB/s" {
		t.Errorf("humanRate = %q", got)
	}
	if got := groupDigits(302270464); got != "302,270,464" {
		t.Errorf("groupDigits = %q", got)
	}
	if got := shorten("connection to server failed: password authentication failed for user backup", 40); got != "connection to server failed: password…" {
		t.Errorf("shorten = %q", got)
	}
	if got, cut := tailLines("a\nb\nc\nd\n", 2); got != "c\nd" || !cut {
		t.Errorf("tailLines = %q, %v", got, cut)
	}
}

func TestClassifyJobs(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	h := time.Hour
	for _, tc := range []struct {
		name  string
		jobs  []service.Job
		want  string // label of the last job
		attn  bool
		cause string // part of the reason
	}{
		{"recent success", []service.Job{{Type: "hourly", LastSuccess: at(-30 * time.Minute), NextRun: at(30 * time.Minute)}}, "OK", false, ""},
		{"latest run failed", []service.Job{{Type: "daily", LastSuccess: at(-48 * h), LastFailure: at(-24 * h), NextRun: at(h)}}, "Failed", true, "latest run failed"},
		{"failure older than success", []service.Job{{Type: "daily", LastSuccess: at(-2 * h), LastFailure: at(-24 * h), NextRun: at(22 * h)}}, "OK", false, ""},
		{"scheduled, never succeeded", []service.Job{{Type: "daily", NextRun: at(h)}}, "Overdue", true, "no successful backup yet"},
		{"next run in the past", []service.Job{{Type: "daily", LastSuccess: at(-25 * h), NextRun: at(-30 * time.Minute)}}, "Overdue", true, "has not happened"},
		{"next run just due", []service.Job{{Type: "daily", LastSuccess: at(-24 * h), NextRun: at(-time.Minute)}}, "OK", false, ""},
		{
			"older than twice its type's period",
			[]service.Job{
				{Server: "a", Type: "hourly", LastSuccess: at(-10 * time.Minute), NextRun: at(50 * time.Minute)},
				{Server: "b", Type: "hourly", LastSuccess: at(-3 * h), NextRun: at(50 * time.Minute)},
			},
			"Overdue", true, "should run about every 1 h",
		},
		{
			"within twice the period",
			[]service.Job{
				{Server: "a", Type: "hourly", LastSuccess: at(-10 * time.Minute), NextRun: at(50 * time.Minute)},
				{Server: "b", Type: "hourly", LastSuccess: at(-70 * time.Minute), NextRun: at(50 * time.Minute)},
			},
			"OK", false, "",
		},
		{"manual job with a success", []service.Job{{Type: "manual", LastSuccess: at(-100 * h)}}, "OK", false, ""},
		{"manual job never run", []service.Job{{Type: "manual"}}, "No backup yet", false, ""},
		{"secret in the failure", []service.Job{{Type: "manual", LastFailure: at(-h), LastFailureError: "password=" + leakedSecret}}, "Failed", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows := classifyJobs(tc.jobs, now)
			got := rows[len(rows)-1]
			if got.State.Label != tc.want || got.Attn != tc.attn || !strings.Contains(got.Reason, tc.cause) {
				t.Errorf("got %q (attention %v, reason %q), want %q (attention %v, reason with %q)",
					got.State.Label, got.Attn, got.Reason, tc.want, tc.attn, tc.cause)
			}
			if strings.Contains(got.LastFailureError, leakedSecret) {
				t.Errorf("failure text not redacted: %q", got.LastFailureError)
			}
		})
	}
}

func TestRateTracker(t *testing.T) {
	rt := newRateTracker()
	t0 := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	start := t0.Add(-10 * time.Second)
	// One reading: the average since the start.
	r := rt.observe(t0, []service.Progress{{ID: "a", StartedAt: start, RawBytes: 100 << 20}})
	if got := r["a"]; got != float64(10<<20) {
		t.Errorf("first reading: %v B/s, want the average 10 MiB/s", got)
	}
	// Later readings: the recent rate, not the average.
	for i := 1; i <= 20; i++ {
		r = rt.observe(t0.Add(time.Duration(i)*time.Second), []service.Progress{{ID: "a", StartedAt: start, RawBytes: (100 + int64(i)*50) << 20}})
	}
	if got := r["a"]; got != float64(50<<20) {
		t.Errorf("steady state: %v B/s, want 50 MiB/s", got)
	}
	// Finished backups are forgotten.
	rt.observe(t0.Add(time.Minute), nil)
	if len(rt.samples) != 0 {
		t.Errorf("samples kept for finished backups: %v", rt.samples)
	}
	// A counter that goes back starts over instead of showing a negative rate.
	rt.observe(t0, []service.Progress{{ID: "b", RawBytes: 500}})
	if got := rt.observe(t0.Add(2*time.Second), []service.Progress{{ID: "b", RawBytes: 100}})["b"]; got < 0 {
		t.Errorf("rate %v after the counter went back", got)
	}
}

func TestRedaction(t *testing.T) {
	for _, in := range []string{
		"mysqldump: Got error: 1045: Access denied (password=" + leakedSecret + ")",
		"connect postgres://backup:" + leakedSecret + "@db.internal:5432/app failed",
		"PGPASSWORD=" + leakedSecret + " MYSQL_PWD=" + leakedSecret + " rejected; secret: " + leakedSecret,
		"user:" + leakedSecret + "@tcp(10.0.0.5:3306)/shop",
	} {
		if got := redact.Text(in); strings.Contains(got, leakedSecret) {
			t.Errorf("redact.Text(%q) = %q", in, got)
		}
	}
	if got := redact.Text("open /var/lib/gosqlguard/key: denied"); got != "open <path>: denied" {
		t.Errorf("path: %q", got)
	}
	cfg := "catalog:\n  dsn: <secret>\n  driver: sqlite\nservers:\n  - password: \"" + leakedSecret + "\"\n    password_file: /run/secrets/x\n    user: backup\n" +
		"storages:\n  - secret_access_key: ''\n    access_key_id: AKIA" + leakedSecret + "\n"
	got := redactConfig(cfg)
	if strings.Contains(got, leakedSecret) || !strings.Contains(got, "password_file: /run/secrets/x") || !strings.Contains(got, "user: backup") ||
		!strings.Contains(got, "secret_access_key: ''") {
		t.Errorf("redactConfig:\n%s", got)
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                     "/",
		"/backups?status=ok":   "/backups?status=ok",
		"//evil.example/x":     "/",
		"/\\evil.example":      "/",
		"https://evil.example": "/",
		"javascript:alert(1)":  "/",
		"/login?next=/x":       "/",
		"/status\r\nX: y":      "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// clock is a settable clock for session expiry.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestSessionsExpireAfterTwelveIdleHours(t *testing.T) {
	clk := &clock{now: time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)}
	svc := newFakeService(t, time.Now)
	authn := auth.New([]auth.Token{token("alice", auth.RoleAdmin, adminToken)}, nil, nil)
	ui, err := New(Options{Service: svc, Auth: authn, Clock: clk.Now})
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
		clk.add(step.wait)
		if r := c.get("/"); r.status != step.want {
			t.Fatalf("after %v more: status %d, want %d", step.wait, r.status, step.want)
		}
	}
	if r := c.post("/retention", url.Values{"csrf": {"x"}}); r.status != http.StatusForbidden {
		t.Errorf("POST with an expired session: %d", r.status)
	}
}

func TestServiceMessageShowsTheTextOnce(t *testing.T) {
	usage := errors.New("invalid request") // the app's own sentinel has the same words
	err := fmt.Errorf("%w: %w", service.ErrInvalid, fmt.Errorf("%w: server %q is not configured", usage, "nope"))
	_, text := service.Classify(err)
	if got, want := sentence(text, service.ErrInvalid), `Server "nope" is not configured`; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
}
