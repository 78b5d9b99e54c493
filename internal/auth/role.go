// Package auth is who may do what over HTTP: roles, the principal a request
// acts as, the Authenticator that checks bearer tokens against their SHA-256
// hashes, and the limiter of failed attempts per client address.
//
// It takes tokens as plain values (Token), which the app builds once from
// the config; it reads no config itself. The JSON API and the web UI share
// one Authenticator, so they accept the same tokens and count failures
// together.
package auth

import (
	"context"
	"fmt"
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

// ParseRole parses a role name as the config spells it: viewer, operator or
// admin.
func ParseRole(s string) (Role, error) {
	for r := RoleViewer; r <= RoleAdmin; r++ {
		if s == r.String() {
			return r, nil
		}
	}
	return 0, fmt.Errorf("unknown role %q (want viewer, operator or admin)", s)
}

// String is the role's config name; "none" for the zero Role.
func (r Role) String() string {
	switch r {
	case RoleViewer:
		return "viewer"
	case RoleOperator:
		return "operator"
	case RoleAdmin:
		return "admin"
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

type principalKey struct{}

// WithPrincipal returns ctx carrying p, for the handlers behind an
// authentication check.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal WithPrincipal stored in ctx.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
