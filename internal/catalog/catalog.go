// Package catalog defines the Store that records every backup, and its filters.
// Implementations live in subpackages: sqlite (embedded), postgres and
// mysql (shared), all on the SQL store of sqlstore; catalogdb opens one by
// driver name.
package catalog

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

// ErrNotFound is returned (wrapped) by Get for an unknown ID.
var ErrNotFound = errors.New("backup not found")

// ErrNotRunning is returned (wrapped) by Finish for a backup whose row is no
// longer running: another process ended it meanwhile.
var ErrNotRunning = errors.New("backup is no longer running")

// MinIDPrefix is the shortest ID prefix that stands for a backup ID, in
// characters: shorter ones match too many backups to be meant.
const MinIDPrefix = 4

// Filter selects backups. Zero fields match everything.
type Filter struct {
	Server   string
	Database string
	Type     string
	Status   backup.Status
	Storage  string    // backups with a location in this storage
	Since    time.Time // started at or after
	Until    time.Time // started before
	Before   string    // cursor: only IDs lexically smaller than this one
	Query    string    // free text found in the ID, server, database, type or error
	Limit    int       // 0: no limit
}

// Store is the catalog of backups. Results are newest first (by ID, which is time-sortable).
type Store interface {
	// Insert adds a new backup (usually status running) with its locations.
	Insert(ctx context.Context, b *backup.Backup) error
	// InsertUnlessRunning inserts b unless a running backup of the same
	// server, database and type blocks it; see Claim. It returns the
	// blocking backup (and then writes nothing), or the IDs of the running
	// backups of that job it ended as interrupted.
	InsertUnlessRunning(ctx context.Context, b *backup.Backup, claim Claim) (blocker *backup.Backup, interrupted []string, err error)
	// MarkInterrupted ends backup id as interrupted, finished at now, with
	// reason as its error, if it is still running; it reports whether it did.
	MarkInterrupted(ctx context.Context, id string, now time.Time, reason string) (bool, error)
	// Update replaces everything stored for b.ID: status, times, sizes,
	// checksum, error, locations and manifest. Unknown IDs give ErrNotFound.
	Update(ctx context.Context, b *backup.Backup) error
	// Finish records the end of b (a status other than running) like
	// Update, in one step with the check that its row is still running: a
	// row another process ended meanwhile (taken for dead) is left as it
	// is, and the error wraps ErrNotRunning. Unknown IDs give ErrNotFound.
	Finish(ctx context.Context, b *backup.Backup) error
	// Get returns one backup with its locations and manifest.
	Get(ctx context.Context, id string) (*backup.Backup, error)
	// List returns the backups matching f, newest first.
	List(ctx context.Context, f Filter) ([]*backup.Backup, error)
	// IDsWithPrefix returns the IDs that start with prefix (compared byte
	// for byte), ascending, at most limit of them (limit <= 0: all), and
	// how many match in all.
	IDsWithPrefix(ctx context.Context, prefix string, limit int) (ids []string, total int, err error)
	// InsertDrill records a drill of d.BackupID as running and sets d.ID.
	InsertDrill(ctx context.Context, d *DrillRecord) error
	// FinishDrill stores d's outcome (status, seconds, differences, error).
	FinishDrill(ctx context.Context, d *DrillRecord) error
	// Drills returns the drills of one backup, newest first, running ones included.
	Drills(ctx context.Context, backupID string) ([]DrillRecord, error)
	// RunningDrills returns every drill still marked running, on any server.
	RunningDrills(ctx context.Context) ([]DrillRecord, error)
	// Jobs summarises every job (server × database × type) that has at
	// least one backup in the catalog, ordered by server, database and type
	// (byte order); see JobSummary. Its cost grows with the number of jobs
	// and of drills, not with the number of backups. Never nil.
	Jobs(ctx context.Context) ([]JobSummary, error)
	// Storages summarises the usage of every storage that holds a complete
	// copy of a successful or partial backup, ordered by name; see
	// StorageSummary. A storage without one is absent. Never nil.
	Storages(ctx context.Context) ([]StorageSummary, error)
	// SetProgress records how many raw bytes the dump of running backup id
	// has produced, as of at, if it is still running (else it does
	// nothing), so that every process sharing the catalog can show it. See
	// backup.Backup.ProgressAt.
	SetProgress(ctx context.Context, id string, rawBytes int64, at time.Time) error

	// ClaimSlot records that holder runs the scheduled slot (the instant
	// the schedule fired) of job, a "server/database/type" key. Exactly one
	// of any number of concurrent calls for the same job and slot, from any
	// process, gets ok true; the others get false and the holder that got
	// it. Claims are kept until PruneClaims.
	ClaimSlot(ctx context.Context, job string, slot time.Time, holder string, now time.Time) (ok bool, owner string, err error)
	// PruneClaims deletes the claims of slots before before and returns
	// how many it deleted.
	PruneClaims(ctx context.Context, before time.Time) (int, error)

	// AcquireLease takes lease name for holder until expires, or renews it
	// if holder has it already. Held by another holder whose lease has not
	// expired at now, it is not taken: ok is false and cur says who has it
	// until when. Exactly one of concurrent callers competing for a free or
	// expired lease gets it.
	AcquireLease(ctx context.Context, name, holder string, now, expires time.Time) (cur Lease, ok bool, err error)
	// ReleaseLease gives up lease name if holder has it; otherwise it does
	// nothing.
	ReleaseLease(ctx context.Context, name, holder string) error
	// Leases returns the leases whose names start with prefix (byte for
	// byte), expired ones included, ordered by name. Never nil.
	Leases(ctx context.Context, prefix string) ([]Lease, error)
	// DeleteLease removes lease name if it expired before now and reports
	// whether it did (a replica's lease, once its runs are reclaimed).
	DeleteLease(ctx context.Context, name string, now time.Time) (bool, error)

	// AppendAudit records e and sets e.ID (larger than every earlier
	// entry's). e.At must be set; texts over their bounds (MaxAuditName,
	// MaxAuditWord, MaxAuditDetail) are cut to them, invalid UTF-8 and
	// control characters are replaced, so a strange text never loses an entry.
	AppendAudit(ctx context.Context, e *AuditEntry) error
	// Audit returns the entries matching f, newest (largest ID) first. A
	// negative Limit or Before is an error. Never nil.
	Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)

	// Close releases the store.
	Close() error
}

// Lease is a named, time-limited right held by one holder: a live process
// sharing the catalog (see package owner), or the one replica that runs a
// task that must not run twice at once (retention, leftover sweeps, drills).
type Lease struct {
	Name    string
	Holder  string
	Renewed time.Time // when the holder last took or renewed it
	Expires time.Time // when it lapses unless renewed
}

// Claim decides about a running backup of the job that InsertUnlessRunning
// opens (running has its ID, times and owner, no locations): a non-empty
// interrupt reason ends it as interrupted (its process is gone); otherwise
// block says whether it keeps the new backup from starting (its process may
// still run it).
type Claim func(running *backup.Backup) (interrupt string, block bool)

// DrillRunning is the status of a drill that has not finished (or whose
// process died before it could say how it ended).
const DrillRunning backup.DrillStatus = "running"

// DrillRecord is a restore drill as the catalog keeps it. Get and List fill
// a backup's Drill with its newest finished one.
type DrillRecord struct {
	ID       int64
	BackupID string
	backup.Drill
	// Scratch is the drill database restored into (dump.IsDrillName).
	Scratch string
	// Host and PID name the process running the drill, so that another
	// process can tell whether a running drill's database is a leftover.
	Host string
	PID  int
}

// IsUnreachable reports whether err (from any Store method) says the
// catalog's server could not be reached or the connection broke (refused,
// reset, timed out, a socket that is gone), rather than what was asked
// being wrong: a condition that passes, which callers report as
// "unavailable" and retry. It knows network and database/sql errors, not
// any one driver's.
func IsUnreachable(err error) bool {
	if err == nil {
		return false
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// Audit actions: what an AuditEntry records.
const (
	AuditBackup    = "backup"
	AuditVerify    = "verify"
	AuditDrill     = "drill"
	AuditRestore   = "restore"
	AuditDownload  = "download"
	AuditDelete    = "delete"
	AuditRetention = "retention"
)

// AuditActions lists every audit action, in the order of the constants.
var AuditActions = []string{AuditBackup, AuditVerify, AuditDrill, AuditRestore, AuditDownload, AuditDelete, AuditRetention}

// Audit outcomes. Other words may appear for an action whose outcome is
// not known when it is recorded ("started" for a backup that runs on).
const (
	AuditOK       = "ok"
	AuditFailed   = "failed"
	AuditRefused  = "refused"  // not done: conflict, unknown name, not found
	AuditCanceled = "canceled" // the caller went away before it ended
	AuditStarted  = "started"  // started; its end is in the backup's own record
)

// AuditEntry is one line of the audit trail: who did what to what, and how
// it ended. Texts are stored as given, except that the Store shortens them
// to its bounds (see AppendAudit); callers keep secrets out of them.
type AuditEntry struct {
	// ID is assigned by AppendAudit, increasing: a later entry has a larger ID.
	ID int64 `json:"id"`
	// At is when the action was recorded, UTC, nanosecond precision.
	At time.Time `json:"at"`
	// Actor is the token name or web user, "daemon" for the daemon's own
	// work, "cli:" and the OS user's name for commands ("cli:uid-N" when
	// the user has no name).
	Actor string `json:"actor"`
	// Address is the client's IP address for actions over HTTP; "" otherwise
	// (the daemon's own work, commands).
	Address string `json:"address,omitempty"`
	// Action is one of AuditActions.
	Action string `json:"action"`
	// Target is a backup ID, a job ("server/database/type", parts empty
	// when not given) or a storage name (retention).
	Target string `json:"target"`
	// Outcome: AuditOK, AuditFailed, AuditRefused, AuditCanceled, AuditStarted.
	Outcome string `json:"outcome"`
	// Detail is a short, one-line, redacted text: the error, or what was done.
	Detail string `json:"detail,omitempty"`
}

// Bounds of the audit texts, in characters: longer ones are cut (not
// refused) by AppendAudit, so that an action is never left unrecorded for
// a long name.
const (
	MaxAuditName   = 255  // actor, address, target
	MaxAuditWord   = 32   // action, outcome
	MaxAuditDetail = 1000 // detail
)

// ValidAuditName reports whether v can be an actor or target the trail
// holds, so that a filter on it may match: 1 to MaxAuditName characters of
// UTF-8 without control characters.
func ValidAuditName(v string) bool {
	return v != "" && utf8.ValidString(v) && utf8.RuneCountInString(v) <= MaxAuditName &&
		strings.IndexFunc(v, unicode.IsControl) < 0
}

// AuditFilter selects audit entries. Zero fields match everything.
type AuditFilter struct {
	Action string
	Actor  string
	Target string    // exactly this target
	Since  time.Time // recorded at or after
	Until  time.Time // recorded before
	Before int64     // cursor: only IDs smaller than this one; 0: none
	Limit  int       // 0: no limit
}
