package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestProgressEstimate(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		name string
		p    progressView
		want string
	}{
		{"no estimate", progressView{Bytes: 10 * mib, Rate: mib}, ""},
		{"half way", progressView{Bytes: 50 * mib, Expected: 100 * mib, Rate: 5 * mib}, "~50% of ~100 MiB, ~10s left"},
		{"no rate yet", progressView{Bytes: 0, Expected: 100 * mib}, "~0% of ~100 MiB"},
		{"held below 100", progressView{Bytes: 100*mib - 1, Expected: 100 * mib, Rate: mib}, "~99% of ~100 MiB, ~0s left"},
		{"past the estimate", progressView{Bytes: 120 * mib, Expected: 100 * mib, Rate: mib}, "more than last time (100 MiB)"},
	} {
		if got := tc.p.Estimate(); got != tc.want {
			t.Errorf("%s: Estimate() = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// The dashboard shows a running backup's estimate next to what it read.
func TestDashboardShowsRunningEstimate(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.svc.RunFor = time.Hour // stays running
	e.svc.ExpectedRaw = 1 << 40
	c := e.loggedIn(t, operatorToken)
	r := c.post("/backups", url.Values{"csrf": {c.csrf()}, "server": {"main-mysql"}, "database": {"crm"}, "type": {"manual"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("trigger: status %d", r.status)
	}
	dash := c.get("/").body
	if !regexp.MustCompile(`data-estimate>~\d+% of ~1.00 TiB`).MatchString(dash) {
		t.Errorf("the running backup shows no estimate:\n%s", dash)
	}
	var id string
	for bid, b := range e.svc.Backups() {
		if b.Status == "running" {
			id = bid
		}
	}
	page := c.get("/backups/" + id).body
	if !regexp.MustCompile(`data-estimate>~\d+% of ~1.00 TiB`).MatchString(page) || !strings.Contains(page, "the dump is still running") {
		t.Errorf("the running backup's page shows no estimate:\n%s", page)
	}
	if live := c.get("/ui/live?backup=" + id).body; !strings.Contains(live, "% of ~1.00 TiB") {
		t.Errorf("the running backup's live progress has no estimate: %s", live)
	}
	e.svc.Stop()
}
