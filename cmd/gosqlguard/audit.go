package main

import (
	"context"
	"errors"
	"os"
	"os/user"
	"strconv"

	"github.com/gosqlguard/gosqlguard/internal/app"
	"github.com/gosqlguard/gosqlguard/internal/audit"
	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/retention"
	"github.com/gosqlguard/gosqlguard/internal/runner"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

// The commands that act on backups (backup, verify, verify --restore,
// restore, download, delete, prune) record each action in the catalog's
// audit trail, as the API and the web UI do, with the entries internal/audit
// builds for them: the actor is "cli:" and the OS user that ran the command
// (audit.CLIActor), the address empty. An action is recorded once the
// command has found what it acts on; a usage error (exit 2) acts on nothing
// and is not recorded. A failure to record is logged and changes neither
// the action nor the exit status.

// cliActor is the audit trail's actor of this process: the OS user's name
// as the user database has it (not $USER, which anyone can set), else its
// uid.
func cliActor() string {
	if u, err := user.Current(); err == nil {
		return audit.CLIActor(u.Username, u.Uid)
	}
	return audit.CLIActor("", strconv.Itoa(os.Getuid()))
}

// record appends entries to a's audit trail as this command's actions. A
// failure is logged at ERROR and does not fail the command.
func (g *globals) record(ctx context.Context, a *app.App, entries ...catalog.AuditEntry) {
	if a.Catalog == nil || len(entries) == 0 {
		return
	}
	rec := audit.Recorder{Append: a.Catalog.AppendAudit, Logger: g.logger()}
	actor := cliActor()
	for _, e := range entries {
		e.Actor = actor
		rec.Record(ctx, e)
	}
}

// jobEntry is the entry of a planned backup of job that did not run, err
// saying why: refused when another process runs the job right now,
// canceled when an interruption kept it from starting.
func jobEntry(job runner.Job, err error) catalog.AuditEntry {
	e := audit.Entry(catalog.AuditBackup, audit.Job(job.Server, job.Database, job.Type), err, "")
	switch {
	case errors.Is(err, runner.ErrAlreadyRunning):
		e.Outcome = catalog.AuditRefused
	case errors.Is(err, errNotStarted):
		e.Outcome = catalog.AuditCanceled
	}
	return e
}

// restoreEntry is the entry of restoring b under ctx, which returned err,
// with the outcome the API records (app.RestoreError): a restore refused
// before anything ran (a backup that cannot be restored, a target name no
// database may have, a target that exists and is not empty) is refused,
// one interrupted (Ctrl-C) canceled, any other failure failed.
func restoreEntry(ctx context.Context, b *backup.Backup, toDatabase string, force bool, err error) catalog.AuditEntry {
	return audit.RestoreEntry(b.ID, service.RestoreOptions{ToDatabase: toDatabase, Force: force}, app.RestoreError(ctx, err))
}

// retentionEntries are the entries of an applied retention pass: a pass
// that another process sharing the catalog was running is a refusal.
func retentionEntries(plans []retention.StoragePlan, err error) []catalog.AuditEntry {
	es := audit.RetentionEntries(plans, err)
	if errors.Is(err, app.ErrTaskBusy) {
		for i := range es {
			es[i].Outcome = catalog.AuditRefused
		}
	}
	return es
}
