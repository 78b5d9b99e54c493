package httpapi

import (
	"context"
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

	"github.com/gosqlguard/gosqlguard/internal/config"
)

// Role is what a token may do. Roles are ordered: each one may do everything
// the lower ones may.
type Role int

// Roles, from least to most privileged. The zero Role allows nothing and
// marks routes that need no authentication.
const (
	RoleViewer   Role = iota + 1 // reads
	RoleOperator                 // also starts backups, verifies, restores, downloads, applies retention
	RoleAdmin                    // also deletes backups
)

// ParseRole parses a config role name.
func ParseRole(s string) (Role, error) {
	switch s {
	case config.RoleViewer:
		return RoleViewer, nil
	case config.RoleOperator:
		return RoleOperator, nil
	case config.RoleAdmin:
		return RoleAdmin, nil
	}
	return 0, fmt.Errorf("unknown role %q (want viewer, operator or admin)", s)
}

func (r Role) String() string {
	switch r {
	case RoleViewer:
		return config.RoleViewer
	case RoleOperator:
		return config.RoleOperator
	case RoleAdmin:
		return config.RoleAdmin
	}
	return "none"
}

// Principal is who made a request: the token's name and role.
type Principal struct {
	Name string
	Role Role
}

// Can reports whether p may do what needs role min.
func (p Principal) Can(min Role) bool { return p.Role >= min }

// Authentication outcomes other than success. Require maps them to 401, 403
// and 429; other handlers (a web UI) may render them their own way.
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

type principalKey struct{}

// PrincipalFrom returns the principal Require stored in ctx.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Authenticator checks bearer tokens against the configured SHA-256 hashes
// and rate-limits failed attempts per client address. It is safe for
// concurrent use; the web UI shares the API's one through Server.Auth.
type Authenticator struct {
	tokens  []authToken
	open    bool // no tokens: every request is admin (loopback only)
	limiter *limiter
	logger  *slog.Logger
	now     func() time.Time
}

type authToken struct {
	name string
	role Role
	hash [sha256.Size]byte
}

func newAuthenticator(tokens []config.Token, logger *slog.Logger, now func() time.Time) (*Authenticator, error) {
	a := &Authenticator{open: len(tokens) == 0, limiter: newLimiter(authFailures, authWindow), logger: logger, now: now}
	for i, t := range tokens {
		role, err := ParseRole(t.Role)
		if err != nil {
			return nil, fmt.Errorf("token %d (%s): %w", i, t.Name, err)
		}
		raw, err := hex.DecodeString(strings.TrimSpace(t.TokenSHA256))
		if err != nil || len(raw) != sha256.Size {
			return nil, fmt.Errorf("token %d (%s): token_sha256 must be %d hex digits", i, t.Name, 2*sha256.Size)
		}
		at := authToken{name: t.Name, role: role}
		copy(at.hash[:], raw)
		a.tokens = append(a.tokens, at)
	}
	return a, nil
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
		if !loopbackHost(r.Host) {
			return Principal{}, ErrForbiddenHost
		}
		return Principal{Name: "anonymous", Role: RoleAdmin}, nil
	}
	p, ok := a.match(token)
	if ok {
		return p, nil
	}
	client := clientKey(r.RemoteAddr)
	now := a.now()
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
		eq := subtle.ConstantTimeCompare(sum[:], a.tokens[i].hash[:])
		found = subtle.ConstantTimeSelect(eq, i, found)
	}
	if found < 0 {
		return Principal{}, false
	}
	return Principal{Name: a.tokens[found].name, Role: a.tokens[found].role}, true
}

// Require serves next only to requests authenticated with at least role min,
// answering 401, 403 or 429 with a JSON error otherwise. The principal is in
// the request's context (PrincipalFrom). A zero min serves everyone.
func (a *Authenticator) Require(min Role, next http.Handler) http.Handler {
	if min == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.Authenticate(r)
		if err == nil && !p.Can(min) {
			err = &httpError{http.StatusForbidden, "forbidden", fmt.Sprintf("this needs the %s role; the token has the %s role", min, p.Role)}
		}
		if info := infoFrom(r.Context()); info != nil && p.Name != "" {
			info.principal = p.Name
		}
		if err != nil {
			writeError(w, r, a.logger, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

// loopbackHost reports whether a Host header (or listen address) names a
// loopback host: localhost, 127.0.0.0/8 or ::1, with or without a port.
func loopbackHost(hostport string) bool {
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
// network for IPv6 (one host usually owns the whole /64). The API does not
// trust X-Forwarded-For; behind a proxy all clients share its address.
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
