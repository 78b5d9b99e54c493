package postgres

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// ErrMissingRole marks (errors.Is) a restore refused because a role the
// backup needs does not exist on the target server.
var ErrMissingRole = errors.New("role missing on the target server")

// MissingRoleError names the roles and what to do about them.
type MissingRoleError struct {
	Roles []string
	// Owner is true when the roles own objects (--no-owner helps), false
	// when the backup grants them privileges.
	Owner bool
	Err   error // the tool's error, if it reported the role
}

func (e *MissingRoleError) Error() string {
	quoted := make([]string, len(e.Roles))
	for i, r := range e.Roles {
		quoted[i] = fmt.Sprintf("%q", r)
	}
	msg := "role " + quoted[0] + " does not exist on the target server"
	if len(quoted) > 1 {
		msg = "roles " + strings.Join(quoted, ", ") + " do not exist on the target server"
	}
	if e.Owner {
		msg += " (objects in the backup belong to it); create it, or restore with --no-owner to give every object to the restoring user"
	} else {
		msg += "; create it: the backup grants it privileges or gives it objects (--no-owner helps only with the latter)"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *MissingRoleError) Is(target error) bool { return target == ErrMissingRole }

func (e *MissingRoleError) Unwrap() error { return e.Err }

func missingRolesError(roles []string) error {
	return &MissingRoleError{Roles: roles, Owner: true}
}

var missingRolePattern = regexp.MustCompile(`role "([^"]+)" does not exist`)

// explainRestoreError names the cause of well-known pg_restore failures in
// words an operator can act on, keeping the tool's own message.
func explainRestoreError(err error) error {
	var xe *dump.ExitError
	if !errors.As(err, &xe) {
		return err
	}
	if m := missingRolePattern.FindStringSubmatch(xe.Stderr); m != nil {
		return &MissingRoleError{Roles: []string{m[1]}, Err: err}
	}
	return err
}
