package service

import (
	"context"
	"errors"
	"strings"

	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/redact"
)

// Errors the Service wraps to say what kind of failure it met. The text after
// the sentinel's own ("conflict: the backup job x is already running") is
// shown to people, so the Service keeps it free of secrets and paths.
var (
	// ErrNotFound: the backup is not in the catalog (or has no readable
	// copy). It is catalog.ErrNotFound.
	ErrNotFound = catalog.ErrNotFound
	// ErrConflict: the request clashes with work in progress, e.g. the job
	// already runs or the backup is still running.
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the request names something that does not exist or cannot
	// be done.
	ErrInvalid = errors.New("invalid request")
	// ErrUnavailable: a dependency (catalog, storage) is down for now. Its
	// text is for the log only.
	ErrUnavailable = errors.New("service unavailable")
	// ErrFailed: the action ran and failed (a restore whose copy did not
	// verify, whose load broke). Surfaces answer it as they answer
	// ErrInvalid, with its text; the audit trail records it as failed,
	// not refused.
	ErrFailed = errors.New("action failed")
	// ErrServerDown: a database server the action needs did not answer.
	// Unlike ErrUnavailable its text, redacted, is for the client: it
	// names the server and why, which the person can act on.
	ErrServerDown = errors.New("database server unavailable")
)

// Kind is what kind of failure an error from the Service is.
type Kind int

// Kinds of failure, as Classify finds them.
const (
	// Internal: unexpected; the error's text goes to the log only.
	Internal Kind = iota
	NotFound
	Conflict
	Invalid
	Unavailable
	// Canceled: the caller went away (context.Canceled).
	Canceled
	// Failed: the action ran and failed (ErrFailed).
	Failed
	// ServerDown: a database server did not answer (ErrServerDown).
	ServerDown
)

// Classify says what kind of failure err is and the text the Service meant
// for the client: err's text without the sentinel's own words when it starts
// with them (repeated prefixes, as when one sentinel wraps another of the
// same text, go too), redacted. The text is "" when err says no more than the
// sentinel, and always for Internal, Unavailable and Canceled errors, whose
// details are for the log.
func Classify(err error) (Kind, string) {
	switch {
	case errors.Is(err, ErrNotFound):
		return NotFound, clientText(err, ErrNotFound)
	case errors.Is(err, ErrConflict):
		return Conflict, clientText(err, ErrConflict)
	case errors.Is(err, ErrInvalid):
		return Invalid, clientText(err, ErrInvalid)
	case errors.Is(err, ErrFailed):
		return Failed, clientText(err, ErrFailed)
	case errors.Is(err, ErrServerDown):
		return ServerDown, clientText(err, ErrServerDown)
	case errors.Is(err, ErrUnavailable), catalog.IsUnreachable(err):
		return Unavailable, ""
	case errors.Is(err, context.Canceled):
		return Canceled, ""
	}
	return Internal, ""
}

// clientText is err's text after the sentinel's prefix, redacted; "" when
// err says no more than the sentinel.
func clientText(err, sentinel error) string {
	s, prefix := err.Error(), sentinel.Error()+": "
	for strings.HasPrefix(s, prefix) {
		s = s[len(prefix):]
	}
	if s == sentinel.Error() {
		return ""
	}
	return redact.Text(s)
}
