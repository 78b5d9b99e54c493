// Package audit records who did what through the daemon's HTTP surfaces:
// Wrap decorates a service.Service so that each action (start a backup,
// verify, drill, restore, download, delete, apply retention) appends one
// catalog.AuditEntry per target with its outcome, through the Service's own
// RecordAudit. The JSON API and the web UI share the wrapped Service, so
// both are recorded in this one place.
//
// The actor is the request's principal (auth.PrincipalFrom, else the name
// the surface gave httpserve.SetPrincipal), the address the client's IP
// (httpserve.ClientIP). Details are one line, redacted (redact.Text), and
// short: an entry never holds a token, password or DSN.
package audit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
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
)

// maxDetail bounds a detail, in characters, before the catalog's own bound.
const maxDetail = 300

// recordTimeout bounds one append to the audit trail.
const recordTimeout = 5 * time.Second

// Wrap returns svc with every action recorded in its audit trail. A
// failure to record is logged (at ERROR) and does not fail the action.
// clk stamps the entries (nil: the system clock); logger nil discards.
func Wrap(svc service.Service, clk clock.Clock, logger *slog.Logger) service.Service {
	if clk == nil {
		clk = clock.System{}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &audited{Service: svc, clock: clk, logger: logger}
}

type audited struct {
	service.Service
	clock  clock.Clock
	logger *slog.Logger
}

// record appends an entry of action on target with the outcome and detail,
// by the actor and from the address of ctx's request, unless ctx's caller
// is gone (the entry is written even then).
func (a *audited) record(ctx context.Context, action, target, outcome, detail string) {
	e := &catalog.AuditEntry{At: a.clock.Now().UTC(), Actor: Actor(ctx), Address: httpserve.ClientIP(ctx),
		Action: action, Target: target, Outcome: outcome, Detail: Detail(detail)}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if err := a.Service.RecordAudit(rctx, e); err != nil {
		a.logger.Error("cannot record an action in the audit trail", "request_id", httpserve.RequestID(ctx),
			"actor", e.Actor, "action", e.Action, "target", e.Target, "outcome", e.Outcome, "error", err)
	}
}

// recordErr records action on target ending with err (nil: AuditOK, with
// okDetail).
func (a *audited) recordErr(ctx context.Context, action, target string, err error, okDetail string) {
	outcome, detail := Outcome(err)
	if err == nil {
		detail = okDetail
	}
	a.record(ctx, action, target, outcome, detail)
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
// went away, AuditFailed otherwise, each with err's text redacted.
func Outcome(err error) (outcome, detail string) {
	if err == nil {
		return catalog.AuditOK, ""
	}
	detail = redact.Text(err.Error())
	switch kind, _ := service.Classify(err); kind {
	case service.NotFound, service.Conflict, service.Invalid:
		return catalog.AuditRefused, detail
	case service.Canceled:
		return catalog.AuditCanceled, detail
	}
	return catalog.AuditFailed, detail
}

// Detail is s as an entry's detail: redacted (redact.Text), its first line
// only with the rest marked, at most maxDetail characters.
func Detail(s string) string {
	s = redact.Text(strings.TrimSpace(s))
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

func (a *audited) StartBackups(ctx context.Context, server, database, typ string) ([]string, error) {
	ids, err := a.Service.StartBackups(ctx, server, database, typ)
	job := Job(server, database, typ)
	if err != nil || len(ids) == 0 {
		a.recordErr(ctx, catalog.AuditBackup, job, err, "no backup to start")
		return ids, err
	}
	for _, id := range ids {
		a.record(ctx, catalog.AuditBackup, id, catalog.AuditStarted, "started by a request for "+job)
	}
	return ids, err
}

func (a *audited) DeleteBackup(ctx context.Context, id string) error {
	err := a.Service.DeleteBackup(ctx, id)
	a.recordErr(ctx, catalog.AuditDelete, id, err, "")
	return err
}

func (a *audited) VerifyBackup(ctx context.Context, id string) ([]backup.VerifyResult, error) {
	results, err := a.Service.VerifyBackup(ctx, id)
	var bad []string
	for _, r := range results {
		if r.Err != nil {
			bad = append(bad, r.Storage+": "+r.Err.Error())
		}
	}
	switch {
	case err != nil:
		a.recordErr(ctx, catalog.AuditVerify, id, err, "")
	case len(bad) > 0:
		a.record(ctx, catalog.AuditVerify, id, catalog.AuditFailed, strings.Join(bad, "; "))
	default:
		a.record(ctx, catalog.AuditVerify, id, catalog.AuditOK, fmt.Sprintf("%d copies checked", len(results)))
	}
	return results, err
}

func (a *audited) RestoreBackup(ctx context.Context, id string, opts service.RestoreOptions) error {
	err := a.Service.RestoreBackup(ctx, id, opts)
	detail := "into its own database"
	if opts.ToDatabase != "" {
		detail = "into " + opts.ToDatabase
	}
	if opts.Force {
		detail += ", forced"
	}
	if err != nil {
		_, text := Outcome(err)
		detail += ": " + text
	}
	outcome, _ := Outcome(err)
	a.record(ctx, catalog.AuditRestore, id, outcome, detail)
	return err
}

func (a *audited) DrillBackup(ctx context.Context, id string) (backup.Drill, error) {
	d, err := a.Service.DrillBackup(ctx, id)
	switch {
	case err != nil:
		a.recordErr(ctx, catalog.AuditDrill, id, err, "")
	case d.Status == backup.DrillSuccess:
		a.record(ctx, catalog.AuditDrill, id, catalog.AuditOK, "")
	default:
		detail := d.Error
		if detail == "" && len(d.Differences) > 0 {
			detail = fmt.Sprintf("%d differences from the backup's fingerprint", len(d.Differences))
		}
		a.record(ctx, catalog.AuditDrill, id, catalog.AuditFailed, cmp.Or(detail, string(d.Status)))
	}
	return d, err
}

// Download records the download when the caller closes the reader: ok when
// it was read to its end, failed with the read error or, closed before the
// end, with how far it got. A download that cannot start is recorded at once.
func (a *audited) Download(ctx context.Context, id, storage string) (io.ReadCloser, service.DownloadInfo, error) {
	rc, info, err := a.Service.Download(ctx, id, storage)
	if err != nil {
		a.recordErr(ctx, catalog.AuditDownload, id, err, "")
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
	from := ""
	if d.storage != "" {
		from = " from " + d.storage
	}
	switch {
	case d.err != nil:
		outcome, text := Outcome(d.err)
		d.a.record(d.ctx, catalog.AuditDownload, d.id, outcome, fmt.Sprintf("%d bytes%s, then: %s", d.n, from, text))
	case !d.eof:
		outcome := catalog.AuditFailed
		if d.ctx.Err() != nil {
			outcome = catalog.AuditCanceled
		}
		d.a.record(d.ctx, catalog.AuditDownload, d.id, outcome, fmt.Sprintf("stopped after %d bytes%s", d.n, from))
	default:
		d.a.record(d.ctx, catalog.AuditDownload, d.id, catalog.AuditOK, fmt.Sprintf("%d bytes%s", d.n, from))
	}
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
		a.record(ctx, e.Action, e.Target, e.Outcome, e.Detail)
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
