// Package audit records who did what: Wrap decorates a service.Service so
// that each action of the daemon's HTTP surfaces (start a backup, verify,
// drill, restore, download, delete, apply retention) appends one
// catalog.AuditEntry per target with its outcome, through the Service's own
// RecordAudit. The JSON API and the web UI share the wrapped Service, so
// both are recorded in this one place. The command line records its
// actions with a Recorder and the same entry builders (Entry, BackupEntry,
// VerifyEntry, RestoreEntry, DrillEntry, DownloadEntry, RetentionEntries),
// so that an action reads the same in the trail whichever surface took it.
//
// Over HTTP the actor is the request's principal (auth.PrincipalFrom, else
// the name the surface gave httpserve.SetPrincipal), the address the
// client's IP (httpserve.ClientIP). A HEAD request asks for headers only:
// it downloads nothing and is not recorded. Details are one line, redacted
// (redact.Text), and short: an entry never holds a token, password or DSN.
// The name of the job an entry is about is kept whole (SafeDetail,
// ShownDetail): it is a validated name, not a secret, and redaction alone
// would take a part of "my/a\"b\"/daily" for a file path.
package audit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gosqlguard/gosqlguard/internal/auth"
	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/clock"
	"github.com/gosqlguard/gosqlguard/internal/httpserve"
	"github.com/gosqlguard/gosqlguard/internal/redact"
	"github.com/gosqlguard/gosqlguard/internal/retention"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

// Actors that are not a principal.
const (
	// Daemon is the actor of the daemon's own work (its retention passes).
	Daemon = "daemon"
	// Unknown is the actor of a request whose surface named no principal.
	Unknown = "unknown"
	// CLIPrefix starts the actor of a command run from the command line:
	// "cli:" and the OS user's name (see CLIActor). A token's name never
	// holds a colon, so it cannot pass for one.
	CLIPrefix = "cli:"
)

// CLIActor is the actor of a command run by the OS user named user (uid
// when user is ""): "cli:alice", "cli:uid-1000".
func CLIActor(user, uid string) string {
	if user == "" {
		return CLIPrefix + "uid-" + cmp.Or(uid, "unknown")
	}
	return CLIPrefix + user
}

// maxDetail bounds a detail, in characters, before the catalog's own bound.
const maxDetail = 300

// recordTimeout bounds one append to the audit trail.
const recordTimeout = 5 * time.Second

// Recorder appends entries to the audit trail for one surface.
type Recorder struct {
	// Append adds an entry to the trail: catalog.Store's AppendAudit,
	// service.Service's RecordAudit.
	Append func(context.Context, *catalog.AuditEntry) error
	Clock  clock.Clock  // stamps the entries; nil: the system clock
	Logger *slog.Logger // a failure to record is logged here; nil: discarded
}

// Record appends e, stamped now, with its detail made safe (SafeDetail). It
// waits at most a few seconds, and also when ctx has ended, so that an
// action its caller canceled is recorded too. A failure to record is logged
// at ERROR with attrs and e's fields; it never fails the action, so Record
// returns nothing.
func (r Recorder) Record(ctx context.Context, e catalog.AuditEntry, attrs ...any) {
	clk := r.Clock
	if clk == nil {
		clk = clock.System{}
	}
	e.At, e.Detail = clk.Now().UTC(), SafeDetail(e)
	err := errors.New("audit trail: nowhere to record")
	if r.Append != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
		err = r.Append(rctx, &e)
		cancel()
	}
	if err != nil && r.Logger != nil {
		r.Logger.Error("cannot record an action in the audit trail", append(attrs,
			"actor", e.Actor, "action", e.Action, "target", e.Target, "outcome", e.Outcome, "error", err)...)
	}
}

// Wrap returns svc with every action recorded in its audit trail. A
// failure to record is logged (at ERROR) and does not fail the action.
// clk stamps the entries (nil: the system clock); logger nil discards.
func Wrap(svc service.Service, clk clock.Clock, logger *slog.Logger) service.Service {
	return &audited{Service: svc, rec: Recorder{Append: svc.RecordAudit, Clock: clk, Logger: logger}}
}

type audited struct {
	service.Service
	rec Recorder
}

// record appends e by the actor and from the address of ctx's request,
// unless ctx's caller is gone (the entry is written even then).
func (a *audited) record(ctx context.Context, e catalog.AuditEntry) {
	e.Actor, e.Address = Actor(ctx), httpserve.ClientIP(ctx)
	a.rec.Record(ctx, e, "request_id", httpserve.RequestID(ctx))
}

// Actor is who makes the request of ctx: its authenticated principal's
// name, else the principal its surface recorded for the access log, else
// Unknown.
func Actor(ctx context.Context) string {
	if p, ok := auth.PrincipalFrom(ctx); ok && p.Name != "" {
		return p.Name
	}
	return cmp.Or(httpserve.Principal(ctx), Unknown)
}

// Outcome says how an action that returned err ended, and the detail to
// record: AuditOK and "" for nil; AuditRefused for what the Service
// refused (not found, conflict, invalid), AuditCanceled when the caller
// went away, AuditFailed otherwise (service.ErrFailed: the action ran and
// failed), each with err's text, which an entry's detail redacts (Detail).
func Outcome(err error) (outcome, detail string) {
	if err == nil {
		return catalog.AuditOK, ""
	}
	detail = err.Error()
	switch kind, _ := service.Classify(err); kind {
	case service.NotFound, service.Conflict, service.Invalid:
		return catalog.AuditRefused, detail
	case service.Canceled:
		return catalog.AuditCanceled, detail
	}
	return catalog.AuditFailed, detail
}

// Detail is s as an entry's detail: redacted (redact.Text) but for the
// names in keep (redact.TextKeeping), its first line only with the rest
// marked, at most maxDetail characters.
func Detail(s string, keep ...string) string {
	s = redact.TextKeeping(strings.TrimSpace(s), keep...)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = strings.TrimSpace(s[:i]) + " …"
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) > maxDetail {
		s = string([]rune(s)[:maxDetail-1]) + "…"
	}
	return s
}

// Job is the target of an action on a job: "server/database/type", "*"
// for a part not given.
func Job(server, database, typ string) string {
	return cmp.Or(server, "*") + "/" + cmp.Or(database, "*") + "/" + cmp.Or(typ, "*")
}

// jobName is a job's name as Job writes it: server and type are config
// names, a database name holds no "/" (backup.CheckDatabaseName).
const jobName = `(?:[a-z0-9][a-z0-9_-]*|\*)/[^/\r\n]+/(?:[a-z0-9][a-z0-9_-]*|\*)`

var (
	// jobTarget matches a target that is a job's name.
	jobTarget = regexp.MustCompile(`^` + jobName + `$`)
	// jobDetail matches the details of backup entries that name a job
	// (group 1 or 2): StartedEntry's and BackupEntry's.
	jobDetail = regexp.MustCompile(`^(?:started by a request for (` + jobName + `)$|(` + jobName +
		`): (?:running|success|partial|failed|interrupted|deleted)(?:: |$))`)
)

// SafeDetail is e's detail as it is recorded: Detail, keeping whole the
// name of the job e is about (its target, or the job its detail names, as
// BackupEntry and StartedEntry write it), which is no secret and which
// redaction alone may cut: a database named `a"b"` makes "my/a"b"/daily",
// and redact.Text takes the "/daily" after a quote for a path.
func SafeDetail(e catalog.AuditEntry) string {
	return Detail(e.Detail, jobNames(e)...)
}

// ShownDetail is e's detail redacted again, as every text shown is
// (redact.Text), keeping whole the job's name as SafeDetail does; its
// length and lines are left as they are.
func ShownDetail(e catalog.AuditEntry) string {
	return redact.TextKeeping(e.Detail, jobNames(e)...)
}

// jobNames are the names of the job e is about found in e: its target when
// that is a job's, and the job its detail names (jobDetail).
func jobNames(e catalog.AuditEntry) []string {
	var keep []string
	if jobTarget.MatchString(e.Target) {
		keep = append(keep, e.Target)
	}
	if e.Action == catalog.AuditBackup {
		if m := jobDetail.FindStringSubmatch(e.Detail); m != nil {
			keep = append(keep, m[1]+m[2])
		}
	}
	return keep
}

// safe is e with its detail made safe (SafeDetail).
func safe(e catalog.AuditEntry) catalog.AuditEntry {
	e.Detail = SafeDetail(e)
	return e
}

// The entry builders below return an entry without time, actor or address
// (a Recorder's caller adds those), its detail made safe.

// Entry is the entry of action on target that ended with err: Outcome's
// outcome and detail, okDetail when err is nil.
func Entry(action, target string, err error, okDetail string) catalog.AuditEntry {
	outcome, detail := Outcome(err)
	if err == nil {
		detail = okDetail
	}
	return safe(catalog.AuditEntry{Action: action, Target: target, Outcome: outcome, Detail: detail})
}

// BackupEntry is the entry of backup b that ran to its end while its caller
// waited (the command line), err what running it returned: target its ID;
// AuditOK for a success, AuditCanceled for an interrupted one, AuditFailed
// otherwise (a partial one too); the detail is its job, status and error.
func BackupEntry(b *backup.Backup, err error) catalog.AuditEntry {
	outcome := catalog.AuditFailed
	switch {
	case err == nil && b.Status == backup.StatusSuccess:
		outcome = catalog.AuditOK
	case b.Status == backup.StatusInterrupted:
		outcome = catalog.AuditCanceled
	}
	detail := Job(b.Server, b.Database, b.Type) + ": " + string(b.Status)
	if why := cmp.Or(errText(err), b.Error); why != "" {
		detail += ": " + why
	}
	return safe(catalog.AuditEntry{Action: catalog.AuditBackup, Target: b.ID, Outcome: outcome, Detail: detail})
}

// StartedEntry is the entry of backup id, started by a request for the
// backups of job (Job: its parts may be "*"), which runs on without its
// caller.
func StartedEntry(id, job string) catalog.AuditEntry {
	return safe(catalog.AuditEntry{Action: catalog.AuditBackup, Target: id, Outcome: catalog.AuditStarted,
		Detail: "started by a request for " + job})
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// VerifyEntry is the entry of verifying backup id, which checked results
// and returned err: AuditFailed with each bad copy when one is bad, else
// err's outcome, else AuditOK with how many copies were checked.
func VerifyEntry(id string, results []backup.VerifyResult, err error) catalog.AuditEntry {
	var bad []string
	for _, r := range results {
		if r.Err != nil {
			bad = append(bad, r.Storage+": "+r.Err.Error())
		}
	}
	if len(bad) > 0 {
		return catalog.AuditEntry{Action: catalog.AuditVerify, Target: id, Outcome: catalog.AuditFailed, Detail: Detail(strings.Join(bad, "; "))}
	}
	checked := fmt.Sprintf("%d copies checked", len(results))
	if len(results) == 1 {
		checked = "1 copy checked"
	}
	return Entry(catalog.AuditVerify, id, err, checked)
}

// RestoreEntry is the entry of restoring backup id with opts, which
// returned err; the detail says into which database, whether forced, and
// why it failed, once: "into shop_copy: storage local: verify: ...", not
// "into shop_copy: restore ID into shop_copy: ...".
func RestoreEntry(id string, opts service.RestoreOptions, err error) catalog.AuditEntry {
	detail := "into its own database"
	if opts.ToDatabase != "" {
		detail = "into " + opts.ToDatabase
	}
	if opts.Force {
		detail += ", forced"
	}
	outcome, _ := Outcome(err)
	if err != nil {
		detail += ": " + restoreReason(id, opts.ToDatabase, err)
	}
	return catalog.AuditEntry{Action: catalog.AuditRestore, Target: id, Outcome: outcome, Detail: Detail(detail)}
}

// restoreReason is why restoring backup id into toDatabase ("": its own)
// did not succeed: err's text, redacted, without the service's sentinel
// words and without the restore's own "restore ID into DB: ", which the
// entry's detail says already.
func restoreReason(id, toDatabase string, err error) string {
	text := err.Error()
	for _, sentinel := range []error{service.ErrInvalid, service.ErrConflict, service.ErrFailed, context.Canceled} {
		text = strings.TrimPrefix(text, sentinel.Error()+": ")
	}
	restore := "restore " + id
	switch {
	case toDatabase != "" && strings.HasPrefix(text, restore+" into "+toDatabase+": "):
		text = text[len(restore+" into "+toDatabase+": "):]
	case toDatabase == "" && strings.HasPrefix(text, restore+" into "):
		// The backup's own database, named as the restore names it.
		if _, rest, ok := strings.Cut(text[len(restore+" into "):], ": "); ok {
			text = rest
		}
	default:
		text = strings.TrimPrefix(text, restore+": ")
	}
	return redact.Text(text)
}

// DrillEntry is the entry of a restore drill of backup id that ended as d,
// or with err: AuditOK when it matched (the detail names the server it
// restored on), AuditCanceled when it was
// interrupted (it proves nothing either way), AuditFailed with its error
// or the number of differences otherwise.
func DrillEntry(id string, d backup.Drill, err error) catalog.AuditEntry {
	e := catalog.AuditEntry{Action: catalog.AuditDrill, Target: id, Outcome: catalog.AuditFailed}
	switch {
	case err != nil:
		return Entry(catalog.AuditDrill, id, err, "")
	case d.Status == backup.DrillSuccess && d.Compared:
		e.Outcome, e.Detail = catalog.AuditOK, "restored on "+d.Server+", matches the fingerprint"
	case d.Status == backup.DrillSuccess:
		e.Outcome, e.Detail = catalog.AuditOK, "restored on "+d.Server+"; the backup has no fingerprint to compare"
	case d.Status == backup.DrillInterrupted:
		e.Outcome, e.Detail = catalog.AuditCanceled, cmp.Or(d.Error, string(d.Status))
	default:
		detail := d.Error
		if detail == "" && len(d.Differences) > 0 {
			detail = fmt.Sprintf("%d differences from the backup's fingerprint", len(d.Differences))
		}
		e.Detail = cmp.Or(detail, string(d.Status))
	}
	e.Detail = Detail(e.Detail)
	return e
}

// DownloadEntry is the entry of a download of backup id from storage (""
// when not known) that sent n bytes and then ended: with err when it
// broke; read to its end (complete) for AuditOK; else stopped before its
// end, AuditCanceled when its caller went away (canceled), AuditFailed
// otherwise.
func DownloadEntry(id, storage string, n int64, err error, complete, canceled bool) catalog.AuditEntry {
	from := ""
	if storage != "" {
		from = " from " + storage
	}
	e := catalog.AuditEntry{Action: catalog.AuditDownload, Target: id}
	switch {
	case err != nil:
		outcome, text := Outcome(err)
		e.Outcome, e.Detail = outcome, fmt.Sprintf("%d bytes%s, then: %s", n, from, text)
	case !complete:
		e.Outcome, e.Detail = catalog.AuditFailed, fmt.Sprintf("stopped after %d bytes%s", n, from)
		if canceled {
			e.Outcome = catalog.AuditCanceled
		}
	default:
		e.Outcome, e.Detail = catalog.AuditOK, fmt.Sprintf("%d bytes%s", n, from)
	}
	e.Detail = Detail(e.Detail)
	return e
}

func (a *audited) StartBackups(ctx context.Context, server, database, typ string) ([]string, error) {
	ids, err := a.Service.StartBackups(ctx, server, database, typ)
	job := Job(server, database, typ)
	if err != nil || len(ids) == 0 {
		a.record(ctx, Entry(catalog.AuditBackup, job, err, "no backup to start"))
		return ids, err
	}
	for _, id := range ids {
		a.record(ctx, StartedEntry(id, job))
	}
	return ids, err
}

// DeleteBackup records the deletion with the storages it deleted copies
// from, as the catalog has the backup's copies before and after.
func (a *audited) DeleteBackup(ctx context.Context, id string) error {
	var before []backup.Location
	if b, err := a.Service.GetBackup(ctx, id); err == nil {
		before = b.Locations
	}
	err := a.Service.DeleteBackup(ctx, id)
	var after []backup.Location
	if b, gerr := a.Service.GetBackup(context.WithoutCancel(ctx), id); gerr == nil {
		after = b.Locations
	}
	a.record(ctx, DeleteEntry(id, before, after, err))
	return err
}

// DeleteEntry is the entry of deleting backup id, whose copies were before
// and after it (nil: not known), and which returned err: Entry's outcome,
// and the storages it deleted a copy from ("from local, s3"; "no copy left
// to delete" when every copy was gone already), also before the error of a
// deletion that failed in another storage.
func DeleteEntry(id string, before, after []backup.Location, err error) catalog.AuditEntry {
	from := DeletedFrom(before, after)
	deleted := "no copy left to delete"
	if len(from) > 0 {
		deleted = "from " + strings.Join(from, ", ")
	}
	e := Entry(catalog.AuditDelete, id, err, deleted)
	if err != nil && len(from) > 0 {
		e.Detail = Detail(deleted + "; then: " + e.Detail)
	}
	return e
}

// DeletedFrom lists the storages whose copy a deletion deleted: deleted in
// after (the copies once it ended) and not already in before.
func DeletedFrom(before, after []backup.Location) []string {
	was := map[string]bool{}
	for _, l := range before {
		was[l.Storage] = l.Status == backup.LocationDeleted
	}
	var from []string
	for _, l := range after {
		if gone, known := was[l.Storage]; l.Status == backup.LocationDeleted && (!known || !gone) {
			from = append(from, l.Storage)
		}
	}
	return from
}

func (a *audited) VerifyBackup(ctx context.Context, id string) ([]backup.VerifyResult, error) {
	results, err := a.Service.VerifyBackup(ctx, id)
	a.record(ctx, VerifyEntry(id, results, err))
	return results, err
}

func (a *audited) RestoreBackup(ctx context.Context, id string, opts service.RestoreOptions) error {
	err := a.Service.RestoreBackup(ctx, id, opts)
	a.record(ctx, RestoreEntry(id, opts, err))
	return err
}

func (a *audited) DrillBackup(ctx context.Context, id string) (backup.Drill, error) {
	d, err := a.Service.DrillBackup(ctx, id)
	a.record(ctx, DrillEntry(id, d, err))
	return d, err
}

// Download records the download when the caller closes the reader: ok when
// it was read to its end, failed with the read error or, closed before the
// end, with how far it got. A download that cannot start is recorded at
// once. A HEAD request only asks for the headers: it downloads nothing and
// is not recorded, whatever its answer.
func (a *audited) Download(ctx context.Context, id, storage string) (io.ReadCloser, service.DownloadInfo, error) {
	rc, info, err := a.Service.Download(ctx, id, storage)
	if httpserve.Method(ctx) == http.MethodHead {
		return rc, info, err
	}
	if err != nil {
		a.record(ctx, Entry(catalog.AuditDownload, id, err, ""))
		return rc, info, err
	}
	return &download{ReadCloser: rc, ctx: ctx, a: a, id: id, storage: info.Storage}, info, nil
}

type download struct {
	io.ReadCloser
	ctx     context.Context
	a       *audited
	id      string
	storage string
	n       int64
	eof     bool
	err     error
	closed  bool
}

func (d *download) Read(p []byte) (int, error) {
	n, err := d.ReadCloser.Read(p)
	d.n += int64(n)
	switch {
	case errors.Is(err, io.EOF):
		d.eof = true
	case err != nil && d.err == nil:
		d.err = err
	}
	return n, err
}

func (d *download) Close() error {
	err := d.ReadCloser.Close()
	if d.closed {
		return err
	}
	d.closed = true
	d.a.record(d.ctx, DownloadEntry(d.id, d.storage, d.n, d.err, d.eof, d.ctx.Err() != nil))
	return err
}

// Retention records an applied retention pass (a dry run changes nothing
// and is not recorded): see RetentionEntries.
func (a *audited) Retention(ctx context.Context, dryRun bool) ([]retention.StoragePlan, error) {
	plans, err := a.Service.Retention(ctx, dryRun)
	if dryRun {
		return plans, err
	}
	for _, e := range RetentionEntries(plans, err) {
		a.record(ctx, e)
	}
	return plans, err
}

// RetentionEntries are the audit entries of an applied retention pass that
// returned plans and err, without time, actor or address: one per storage
// of plans, with how many copies it deleted and kept, the outcome of err;
// one for all storages (target "*") when err came without plans.
func RetentionEntries(plans []retention.StoragePlan, err error) []catalog.AuditEntry {
	outcome, text := Outcome(err)
	if len(plans) == 0 {
		return []catalog.AuditEntry{{Action: catalog.AuditRetention, Target: "*", Outcome: outcome,
			Detail: Detail(cmp.Or(text, "nothing to plan"))}}
	}
	out := make([]catalog.AuditEntry, 0, len(plans))
	for _, p := range plans {
		deleted := 0
		for _, d := range p.Decisions {
			if d.Action == retention.Delete {
				deleted++
			}
		}
		detail := fmt.Sprintf("deleted %d, kept %d", deleted, len(p.Decisions)-deleted)
		if text != "" {
			detail += ": " + text
		}
		out = append(out, catalog.AuditEntry{Action: catalog.AuditRetention, Target: p.Storage, Outcome: outcome, Detail: Detail(detail)})
	}
	return out
}
