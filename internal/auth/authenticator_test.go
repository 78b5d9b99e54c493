package auth

import (
	"crypto/sha256"
	"fmt"
	"testing"
	"time"
)

const (
	viewerToken   = "viewer-token-4f1c0a"
	operatorToken = "operator-token-9b2d7e"
	adminToken    = "admin-token-c3e85f"
	wrongToken    = "wrong-token-77aa01"
)

func testTokens() []Token {
	return []Token{
		{Name: "ci-viewer", Role: RoleViewer, SHA256: sha256.Sum256([]byte(viewerToken))},
		{Name: "ops", Role: RoleOperator, SHA256: sha256.Sum256([]byte(operatorToken))},
		{Name: "root", Role: RoleAdmin, SHA256: sha256.Sum256([]byte(adminToken))},
	}
}

func TestTokensMapToTheirPrincipal(t *testing.T) {
	a := New(testTokens(), nil, nil)
	for tok, want := range map[string]Principal{
		viewerToken: {"ci-viewer", RoleViewer}, operatorToken: {"ops", RoleOperator}, adminToken: {"root", RoleAdmin},
	} {
		if got, ok := a.match(tok); !ok || got != want {
			t.Errorf("match(%q) = %v, %v; want %v", tok, got, ok, want)
		}
	}
	if _, ok := a.match(wrongToken); ok {
		t.Errorf("wrong token matched")
	}
	if _, ok := a.match(""); ok {
		t.Errorf("empty token matched")
	}
}

func TestParseRole(t *testing.T) {
	for name, want := range map[string]Role{"viewer": RoleViewer, "operator": RoleOperator, "admin": RoleAdmin} {
		if got, err := ParseRole(name); err != nil || got != want {
			t.Errorf("ParseRole(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	for _, bad := range []string{"root", "", "Admin", "none"} {
		if _, err := ParseRole(bad); err == nil {
			t.Errorf("ParseRole(%q) accepted", bad)
		}
	}
}

func TestParseSHA256(t *testing.T) {
	sum := sha256.Sum256([]byte("x"))
	if got, err := ParseSHA256(fmt.Sprintf(" %X ", sum)); err != nil || got != sum {
		t.Errorf("ParseSHA256(upper case) = %x, %v; want %x", got, err, sum)
	}
	for name, bad := range map[string]string{"short": "abcd", "not hex": fmt.Sprintf("%064d", 0)[:63] + "z", "empty": ""} {
		if _, err := ParseSHA256(bad); err == nil {
			t.Errorf("%s: ParseSHA256(%q) accepted", name, bad)
		}
	}
}

func TestLimiterMemoryIsBounded(t *testing.T) {
	l := newLimiter(MaxFailures, FailureWindow)
	now := time.Now()
	for i := range maxClients + 50 {
		l.fail(fmt.Sprintf("c%d", i), now)
	}
	if n := len(l.clients); n > maxClients+1 {
		t.Errorf("%d clients recorded, want at most %d and the shared overflow", n, maxClients)
	}
	// Clients past the bound share one record, so they are still limited.
	for i := range MaxFailures {
		l.fail(fmt.Sprintf("extra%d", i), now)
	}
	if _, blocked, _ := l.fail("yet-another", now); !blocked {
		t.Errorf("a new client past the bound is not limited through the shared record")
	}
	// Once their failures have left the window, old clients are swept to
	// make room.
	l.fail("late", now.Add(2*FailureWindow))
	if n := len(l.clients); n != 1 {
		t.Errorf("%d clients after a sweep, want 1", n)
	}
}
