package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/clock"
)

// Authentication outcomes other than success. The API answers them with 401,
// 403 and 429; the web UI renders them its own way.
var (
	ErrNoCredentials  = errors.New("no credentials")
	ErrBadCredentials = errors.New("invalid credentials")
	// ErrForbiddenHost: with no tokens configured, only requests addressed
	// to a loopback host name are served, so that a web page cannot reach
	// the open API through DNS rebinding.
	ErrForbiddenHost = errors.New("the unauthenticated API answers only requests addressed to localhost")
)

// RateLimitedError is returned for an invalid token from a client address
// that is blocked after too many failed authentications. RetryAfter is how
// long until the address may fail again without being blocked; a valid
// token is accepted at any time.
type RateLimitedError struct{ RetryAfter time.Duration }

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("invalid bearer token, and too many failed authentications from this address: "+
		"invalid tokens are refused for %d s (a valid token is accepted meanwhile)", e.RetryAfterSeconds())
}

// RetryAfterSeconds is RetryAfter in whole seconds, rounded up, at least 1:
// the value of the Retry-After header.
func (e *RateLimitedError) RetryAfterSeconds() int {
	return max(1, int((e.RetryAfter+time.Second-1)/time.Second))
}

// Token is one accepted bearer token: its name (for logs), its role and the
// SHA-256 of its secret. The secret itself is never held.
type Token struct {
	Name   string
	Role   Role
	SHA256 [sha256.Size]byte
}

// ParseSHA256 parses a token hash written as 64 hex digits (either case,
// surrounding space ignored).
func ParseSHA256(s string) ([sha256.Size]byte, error) {
	var h [sha256.Size]byte
	raw, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(raw) != sha256.Size {
		return h, fmt.Errorf("token_sha256 must be %d hex digits", 2*sha256.Size)
	}
	copy(h[:], raw)
	return h, nil
}

// Authenticator checks bearer tokens against their SHA-256 hashes and
// rate-limits failed attempts per client address. It is safe for concurrent
// use.
type Authenticator struct {
	tokens  []Token
	open    bool // no tokens: every request is admin (loopback only)
	limiter *limiter
	logger  *slog.Logger
	clock   clock.Clock
}

// New returns an Authenticator accepting tokens. With none, it is
// unauthenticated: every request addressed to a loopback host is admin.
// A nil logger discards; the failure limiter reads clk (nil: the system
// clock).
func New(tokens []Token, logger *slog.Logger, clk clock.Clock) *Authenticator {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if clk == nil {
		clk = clock.System{}
	}
	return &Authenticator{tokens: append([]Token(nil), tokens...), open: len(tokens) == 0,
		limiter: newLimiter(MaxFailures, FailureWindow), logger: logger, clock: clk}
}

// Unauthenticated reports whether no tokens are configured, so that every
// request from a loopback host is treated as admin.
func (a *Authenticator) Unauthenticated() bool { return a.open }

// Authenticate checks the request's "Authorization: Bearer" token. It fails
// with ErrNoCredentials, ErrBadCredentials, ErrForbiddenHost or a
// *RateLimitedError, and logs failures with the client address and path but
// never the token.
func (a *Authenticator) Authenticate(r *http.Request) (Principal, error) {
	if a.open {
		return a.Check(r, "")
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return Principal{}, ErrNoCredentials
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		token = "" // malformed: counts as a failure
	}
	return a.Check(r, strings.TrimSpace(token))
}

// Check authenticates a token presented by the client of r (which the web UI
// may have read from its own session cookie).
//
// Only failures are rate-limited: a valid token is always accepted, even
// from an address that is blocked for its failures (behind a reverse proxy
// every client shares one address, Prometheus and people included). An
// invalid token from a blocked address fails with a *RateLimitedError and
// still counts as a failure, so a client that keeps guessing stays blocked.
// The token is compared with every configured hash in constant time whether
// or not the address is blocked, so the answer's timing tells nothing more
// than its status does.
func (a *Authenticator) Check(r *http.Request, token string) (Principal, error) {
	if a.open {
		if !LoopbackHost(r.Host) {
			return Principal{}, ErrForbiddenHost
		}
		return Principal{Name: "anonymous", Role: RoleAdmin}, nil
	}
	p, ok := a.match(token)
	if ok {
		return p, nil
	}
	client := clientKey(r.RemoteAddr)
	now := a.clock.Now()
	if wait, blocked, first := a.limiter.fail(client, now); blocked {
		if first {
			a.logger.Warn("authentication blocked after repeated failures", "client", client, "path", r.URL.Path,
				"retry_after", wait.Round(time.Second))
		}
		return Principal{}, &RateLimitedError{RetryAfter: wait}
	}
	a.logger.Warn("authentication failed", "client", client, "path", r.URL.Path, "method", r.Method)
	return Principal{}, ErrBadCredentials
}

// match compares the token's hash with every configured hash in constant
// time, without stopping at the first match.
func (a *Authenticator) match(token string) (Principal, bool) {
	if token == "" {
		return Principal{}, false
	}
	sum := sha256.Sum256([]byte(token))
	found := -1
	for i := range a.tokens {
		eq := subtle.ConstantTimeCompare(sum[:], a.tokens[i].SHA256[:])
		found = subtle.ConstantTimeSelect(eq, i, found)
	}
	if found < 0 {
		return Principal{}, false
	}
	return Principal{Name: a.tokens[found].Name, Role: a.tokens[found].Role}, true
}

// LoopbackHost reports whether a Host header (or listen address) names a
// loopback host: localhost, 127.0.0.0/8 or ::1, with or without a port.
func LoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") || strings.EqualFold(host, "localhost.") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// clientKey is the rate-limit key of a client: its IP address, or its /64
// network for IPv6 (one host usually owns the whole /64). X-Forwarded-For is
// not trusted; behind a proxy all clients share its address.
func clientKey(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if v4 := ip.To4(); v4 != nil {
		return v4.String()
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}
