package httpapi

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/auth"
)

func TestFailedAuthenticationIsRateLimited(t *testing.T) {
	env := newEnv(t, nil)
	const attacker, other = "203.0.113.7:40000", "203.0.113.8:40000"
	var presented []string
	for i := 1; i <= auth.MaxFailures; i++ {
		tok := fmt.Sprintf("guess-%02d-%s", i, strings.Repeat("q", 8))
		presented = append(presented, tok)
		w := env.do(t, req{method: "GET", target: "/api/v1/backups", token: tok, remote: attacker})
		if w.Code != 401 {
			t.Fatalf("failure %d: status %d, want 401", i, w.Code)
		}
		env.clock.Advance(time.Second)
	}
	w := env.do(t, req{method: "GET", target: "/api/v1/backups", token: "guess-11-qqqqqqqq", remote: attacker})
	presented = append(presented, "guess-11-qqqqqqqq")
	if w.Code != 429 {
		t.Fatalf("failure %d: status %d, want 429", auth.MaxFailures+1, w.Code)
	}
	if d := apiError(t, w); d.Code != "too_many_requests" {
		t.Errorf("code %q", d.Code)
	}
	if s, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || s < 1 || s > 60 {
		t.Errorf("Retry-After %q, want 1..60 seconds", w.Header().Get("Retry-After"))
	}
	// Another client is not affected.
	if w := env.do(t, req{method: "GET", target: "/api/v1/backups", token: viewerToken, remote: other}); w.Code != 200 {
		t.Errorf("good token from another address: status %d, want 200", w.Code)
	}
	// A valid token from the blocked address is let in at once: behind a
	// reverse proxy that address is everyone's, Prometheus included.
	for _, tok := range []string{viewerToken, operatorToken, adminToken} {
		if w := env.do(t, req{method: "GET", target: "/api/v1/backups", token: tok, remote: attacker}); w.Code != 200 {
			t.Errorf("good token from the blocked address: status %d, want 200: %s", w.Code, w.Body)
		}
	}
	if w := env.do(t, req{method: "GET", target: "/metrics", token: viewerToken, remote: attacker}); w.Code != 200 {
		t.Errorf("metrics scrape with a valid token from the blocked address: status %d, want 200", w.Code)
	}
	// Invalid tokens stay refused with 429, and count: a client that keeps
	// guessing (10 a minute) stays blocked after the first ones have left
	// the window.
	env.clock.Advance(40 * time.Second) // the 11th failure was 40 s ago
	for range auth.MaxFailures {
		if w := env.do(t, req{method: "GET", target: "/api/v1/jobs", token: wrongToken, remote: attacker}); w.Code != 429 {
			t.Fatalf("bad token from the blocked address: status %d, want 429", w.Code)
		}
	}
	presented = append(presented, wrongToken)
	env.clock.Advance(25 * time.Second) // the first 11 failures have left the window
	if w := env.do(t, req{method: "GET", target: "/api/v1/jobs", token: wrongToken, remote: attacker}); w.Code != 429 {
		t.Errorf("a client that kept guessing: status %d, want 429", w.Code)
	}
	// Once its failures have left the window, it gets 401 again.
	env.clock.Advance(auth.FailureWindow)
	if w := env.do(t, req{method: "GET", target: "/api/v1/jobs", token: wrongToken, remote: attacker}); w.Code != 401 {
		t.Errorf("a minute after the last failure: status %d, want 401", w.Code)
	}

	logs := env.logs.String()
	for _, tok := range presented {
		if strings.Contains(logs, tok) {
			t.Errorf("the log holds the presented token %q", tok)
		}
	}
	for _, tok := range []string{viewerToken, tokenHash(viewerToken)} {
		if strings.Contains(logs, tok) {
			t.Errorf("the log holds a real token or its hash")
		}
	}
	if got := strings.Count(logs, `"msg":"authentication failed"`); got != auth.MaxFailures+1 {
		t.Errorf("%d failures logged, want %d", got, auth.MaxFailures)
	}
	if !strings.Contains(logs, `"client":"203.0.113.7"`) || !strings.Contains(logs, `"path":"/api/v1/backups"`) {
		t.Errorf("failures are not logged with client and path:\n%s", logs)
	}
	if got := strings.Count(logs, "authentication blocked"); got != 1 {
		t.Errorf("the block is logged %d times, want once", got)
	}
}

func TestMissingTokenIsNotCountedAsGuess(t *testing.T) {
	env := newEnv(t, nil)
	for range 3 * auth.MaxFailures {
		env.do(t, req{method: "GET", target: "/api/v1/jobs"})
	}
	if w := env.do(t, req{method: "GET", target: "/api/v1/jobs", token: viewerToken}); w.Code != 200 {
		t.Errorf("status %d after requests without token, want 200", w.Code)
	}
}

func TestLimiterGroupsIPv6ByNetwork(t *testing.T) {
	env := newEnv(t, nil)
	for i := range auth.MaxFailures {
		env.do(t, req{method: "GET", target: "/api/v1/jobs", token: wrongToken, remote: fmt.Sprintf("[2001:db8::%x]:1", i+1)})
	}
	if w := env.do(t, req{method: "GET", target: "/api/v1/jobs", token: wrongToken, remote: "[2001:db8::ffff]:1"}); w.Code != 429 {
		t.Errorf("another address in the same /64: status %d, want 429", w.Code)
	}
	if w := env.do(t, req{method: "GET", target: "/api/v1/jobs", token: viewerToken, remote: "[2001:db8:0:1::1]:1"}); w.Code != 200 {
		t.Errorf("another /64: status %d, want 200", w.Code)
	}
}

// With metrics_public, /metrics is never limited: a scrape without a token
// (or with any token) from an address blocked for its failures is served.
func TestPublicMetricsAreNeverLimited(t *testing.T) {
	env := newEnv(t, func(o *envOptions) { o.MetricsPublic = true })
	const proxy = "198.51.100.9:5000"
	for range auth.MaxFailures + 1 {
		env.do(t, req{method: "GET", target: "/api/v1/jobs", token: wrongToken, remote: proxy})
	}
	if w := env.do(t, req{method: "GET", target: "/api/v1/jobs", token: wrongToken, remote: proxy}); w.Code != 429 {
		t.Fatalf("the address is not blocked: status %d, want 429", w.Code)
	}
	for _, tok := range []string{"", wrongToken, viewerToken} {
		if w := env.do(t, req{method: "GET", target: "/metrics", token: tok, remote: proxy}); w.Code != 200 {
			t.Errorf("public scrape with token %q from a blocked address: status %d, want 200", tok, w.Code)
		}
	}
}
