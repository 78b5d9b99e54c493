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
	// Drill marks a restore drill's restore, which takes no --no-owner:
	// it leaves ownership out by itself on a server other than the
	// backup's own (drills.target_server), and only there.
	Drill bool
	Err   error // the tool's error, if it reported the role
}

func (e *MissingRoleError) Error() string {
	quoted := make([]string, len(e.Roles))
	for i, r := range e.Roles {
		quoted[i] = fmt.Sprintf("%q", r)
	}
	where := "the target server"
	if e.Drill {
		where = "the drill's server"
	}
	msg := "role " + quoted[0] + " does not exist on " + where
	if len(quoted) > 1 {
		msg = "roles " + strings.Join(quoted, ", ") + " do not exist on " + where
	}
	switch {
	case e.Owner && e.Drill:
		msg += " (objects in the backup belong to it); create it there, or set drills.target_server to another server " +
			"of this type: a drill there gives every object to the restoring user"
	case e.Owner:
		msg += " (objects in the backup belong to it); create it, or restore with --no-owner to give every object to the restoring user"
	case e.Drill:
		msg += "; create it there: the backup grants it privileges or gives it objects"
	default:
		msg += "; create it: the backup grants it privileges or gives it objects (--no-owner helps only with the latter)"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *MissingRoleError) Is(target error) bool { return target == ErrMissingRole }

func (e *MissingRoleError) Unwrap() error { return e.Err }

// missingRolesError is the error of a restore (a drill's when drill)
// whose archive's objects belong to roles the target server lacks.
func missingRolesError(roles []string, drill bool) error {
	return &MissingRoleError{Roles: roles, Owner: true, Drill: drill}
}

var missingRolePattern = regexp.MustCompile(`role "([^"]+)" does not exist`)

// explainRestoreError names the cause of well-known pg_restore failures in
// words an operator can act on (of a drill's restore when drill), keeping
// the tool's own message.
func explainRestoreError(err error, drill bool) error {
	var xe *dump.ExitError
	if !errors.As(err, &xe) {
		return err
	}
	if m := missingRolePattern.FindStringSubmatch(xe.Stderr); m != nil {
		return &MissingRoleError{Roles: []string{m[1]}, Drill: drill, Err: err}
	}
	return err
}
