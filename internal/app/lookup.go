package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

// ErrAmbiguousID is returned (wrapped) by Lookup for an ID prefix that more
// than one backup's ID starts with.
var ErrAmbiguousID = errors.New("ambiguous backup ID prefix")

// ErrIDTooShort is returned (wrapped) by Lookup for an ID prefix shorter
// than catalog.MinIDPrefix.
var ErrIDTooShort = errors.New("backup ID prefix too short")

// ambiguousShown is how many of the candidates an ambiguity error names.
const ambiguousShown = 3

// Lookup returns the backup whose ID is ref or, when no ID is, the one
// backup whose ID starts with ref (at least catalog.MinIDPrefix
// characters). Errors: catalog.ErrNotFound (wrapped) when no backup
// matches; ErrAmbiguousID (wrapped) when several do, saying how many and
// naming the first few; ErrIDTooShort (wrapped) for a prefix shorter than
// catalog.MinIDPrefix.
func (a *App) Lookup(ctx context.Context, ref string) (*backup.Backup, error) {
	if backup.ValidID(ref) {
		b, err := a.Catalog.Get(ctx, ref)
		if !errors.Is(err, catalog.ErrNotFound) {
			return b, err
		}
	}
	if len(ref) < catalog.MinIDPrefix {
		return nil, fmt.Errorf("%w: %q: give at least %d characters", ErrIDTooShort, ref, catalog.MinIDPrefix)
	}
	if !isIDPrefix(ref) {
		return nil, fmt.Errorf("%w: no backup has an ID starting with %q", catalog.ErrNotFound, ref)
	}
	ids, total, err := a.Catalog.IDsWithPrefix(ctx, ref, ambiguousShown)
	switch {
	case err != nil:
		return nil, err
	case total == 0:
		return nil, fmt.Errorf("%w: no backup has an ID starting with %q", catalog.ErrNotFound, ref)
	case total > 1:
		more := ""
		if total > len(ids) {
			more = ", ..."
		}
		return nil, fmt.Errorf("%w: %q matches %d backups (%s%s): give more of the ID", ErrAmbiguousID, ref, total, strings.Join(ids, ", "), more)
	}
	return a.Catalog.Get(ctx, ids[0])
}

// isIDPrefix reports whether s can start a backup ID (backup.NewID's
// alphabet): digits, lower-case hex, 'T', 'Z', '.' and '-'.
func isIDPrefix(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r == 'T' || r == 'Z' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

// lookupForAPI is Lookup with its usage errors classified for the API: a
// prefix that is too short or ambiguous is an invalid request.
func (a *App) lookupForAPI(ctx context.Context, ref string) (*backup.Backup, error) {
	b, err := a.Lookup(ctx, ref)
	if errors.Is(err, ErrIDTooShort) || errors.Is(err, ErrAmbiguousID) {
		return nil, fmt.Errorf("%w: %v", service.ErrInvalid, err)
	}
	return b, err
}
