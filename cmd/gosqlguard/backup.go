package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync/atomic"

	"github.com/spf13/cobra"

	"github.com/gosqlguard/gosqlguard/internal/app"
	"github.com/gosqlguard/gosqlguard/internal/audit"
	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/retention"
	"github.com/gosqlguard/gosqlguard/internal/runner"
)

func newBackupCommand(g *globals) *cobra.Command {
	var sel app.Selector
	var noPrune bool
	c := &cobra.Command{
		Use:   "backup",
		Short: "Back up now: every matching server × database, one line per backup; then apply retention",
		Long: `Back up every matching server × database now and print one line per backup:

  ID  SERVER  DATABASE  TYPE  STATUS  SIZE  [ERROR]  [warning: ...]

(tab-separated). A backup that could not start has "-" for its ID; one whose
job another process is running right now has status "skipped" and the error
"already running: ...", and one that an interruption (Ctrl-C, SIGTERM) kept
from starting has status "skipped" and the error "not started: interrupted".
A server that does not answer and a database whose name cannot be backed up
are recorded as failed backups too, and get their line.
A database name with control characters is printed quoted (Go syntax).
--database without --server backs the database up on every server that has
it; only when none has it is that an error.

Backups run at the same time within the config's limits, as the daemon's
do: at most concurrency.total at once, at most concurrency.per_server per
server, the others in the order of the servers and databases as slots free
up. The lines of servers that did not answer and of refused names come first;
then each backup's line is printed when it ends, so lines of backups that
overlapped come in the order they ended. On a terminal, stderr shows a
progress line: the running backup's when one can run at a time, else one
line for all ("backups: D of N done, R running", bytes read, rate, time).
SIGINT or SIGTERM (Ctrl-C) starts no more backups: the running ones end
interrupted and get their lines.

Then retention is applied to the storages that received a complete copy, as
the daemon does after a backup, unless --no-prune or no backup succeeded,
and what interrupted runs left in the storages is removed (logged);
each copy retention deletes gets a line after the backup lines:

  pruned  ID  STORAGE  REASON

Exit status: 0 when every backup succeeded and retention deleted what it
should; 1 otherwise (a failed, partial, interrupted or skipped backup, a
server that did not answer, a refused name, a database on no server, a
retention failure); 2 for a bad flag or config.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			// An empty value is not "every": a script whose variable came
			// out empty must not back up everything.
			for name, absent := range map[string]string{"server": "for every server", "database": "for every database", "type": "for manual"} {
				if f := cmd.Flags().Lookup(name); f.Changed && f.Value.String() == "" {
					return usageError("--%s is empty: leave it out %s", name, absent)
				}
			}
			ctx := cmd.Context()
			a, err := g.openApp(ctx)
			if err != nil {
				return err
			}
			defer a.Close()
			jobs, planErrs, err := a.Plan(ctx, sel)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			failed := len(planErrs) > 0
			for _, e := range planErrs {
				// A failure to record is logged there.
				if b, _ := a.RecordPlanError(ctx, sel.Type, e); b != nil {
					writeBackupLine(g.stdout, b, nil)
					g.record(ctx, a, audit.BackupEntry(b, nil))
				} else {
					fmt.Fprintln(g.stderr, "error:", oneLine(e.Error()))
					g.record(ctx, a, audit.Entry(catalog.AuditBackup, audit.Job(sel.Server, sel.Database, sel.Type), e, ""))
				}
			}
			written := map[string]bool{} // storages that got a complete copy
			ended := func(w io.Writer, job runner.Job, b *backup.Backup, err error) {
				if b == nil {
					// Not started: no row of its own. A job that another process
					// runs right now is skipped, not failed.
					status := "failed"
					if errors.Is(err, runner.ErrAlreadyRunning) || errors.Is(err, errNotStarted) {
						status = "skipped"
					}
					fmt.Fprintf(w, "-\t%s\t%s\t%s\t%s\t-\t%s\n", job.Server, displayName(job.Database), job.Type, status, oneLine(err.Error()))
					failed = true
					g.record(ctx, a, jobEntry(job, err))
					return
				}
				writeBackupLine(w, b, err)
				g.record(ctx, a, audit.BackupEntry(b, err))
				if err != nil || b.Status != backup.StatusSuccess {
					failed = true
				}
				if b.Status == backup.StatusSuccess || b.Status == backup.StatusPartial {
					for _, l := range b.Locations {
						if l.Status == backup.LocationSuccess {
							written[l.Storage] = true
						}
					}
				}
			}
			runBackups(ctx, g, a, jobs, ended)
			if !noPrune && len(written) > 0 && ctx.Err() == nil {
				if !prune(ctx, g, a, written) {
					failed = true
				}
			}
			if !noPrune && len(written) > 0 && ctx.Err() == nil {
				// What killed runs left under their final names (rows marked
				// interrupted when the app opened) goes too: in a cron-only
				// setup no daemon would ever remove it. Only the storages this
				// run could write: one that just stalled would stall again.
				a.SweepLeftovers(ctx, 0, slices.Sorted(maps.Keys(written))...)
			}
			if failed {
				return errFailed
			}
			return nil
		},
	}
	c.Flags().StringVar(&sel.Server, "server", "", "only this server")
	c.Flags().StringVar(&sel.Database, "database", "", "only this database (on every server that has it, without --server)")
	c.Flags().StringVar(&sel.Type, "type", "manual", "backup type (its storages and retention apply)")
	c.Flags().BoolVar(&noPrune, "no-prune", false, "do not apply retention after the backups")
	return c
}

// errNotStarted is the error of a planned backup that an interruption kept
// from starting; its line says "skipped".
var errNotStarted = errors.New("not started: interrupted")

// runBackups runs jobs within the concurrency limits (App.RunBackups) and
// calls ended when each has ended, one call at a time, to write that
// backup's lines to w, which end on stdout whole. Once interrupted, it
// calls ended with errNotStarted for every job that did not start.
//
// The progress line on stderr (a terminal only): while one backup runs at a
// time it is that backup's, "SERVER/DATABASE: bytes rate elapsed"; when the
// limits let more run at once, it is one line for them all, "backups: D of N
// done, R running: bytes rate elapsed", counting the bytes every backup of
// the run has read so far. Where the catalog knows the raw size of a job's
// last backup (App.ExpectedRawBytes), the line also estimates the percentage
// done and the time left: "~42%  ... of ~1.2 GiB ... ~ETA 1m3s".
func runBackups(ctx context.Context, g *globals, a *app.App, jobs []runner.Job, ended func(w io.Writer, job runner.Job, b *backup.Backup, err error)) {
	started := make([]bool, len(jobs))
	defer func() {
		// Interrupted: the jobs that never started get their line too.
		for i, ok := range started {
			if !ok {
				ended(g.stdout, jobs[i], nil, errNotStarted)
			}
		}
	}()
	if a.BackupsAtOnce(jobs) <= 1 {
		var p *progress
		a.RunBackups(ctx, jobs, func(i int, job *runner.Job) {
			started[i] = true
			p = newEstimate(g.stderr, fmt.Sprintf("%s/%s", job.Server, job.Database), a.ExpectedRawBytes(ctx, *job))
			job.Progress = p.Update
		}, func(i int, b *backup.Backup, err error) {
			p.Done()
			ended(g.stdout, jobs[i], b, err)
		})
		return
	}
	finished, running := 0, 0
	label := func() string {
		return fmt.Sprintf("backups: %d of %d done, %d running", finished, len(jobs), running)
	}
	var expected int64 // all the backups' raw size together, if every one is known
	for _, job := range jobs {
		n := a.ExpectedRawBytes(ctx, job)
		if n == 0 {
			expected = 0
			break
		}
		expected += n
	}
	p := newEstimate(g.stderr, label(), expected)
	defer p.Done()
	var read atomic.Int64 // bytes read by all the backups
	a.RunBackups(ctx, jobs, func(i int, job *runner.Job) {
		started[i] = true
		running++
		p.Relabel(label())
		var last atomic.Int64 // this backup's count as last added to read
		job.Progress = func(n int64) {
			p.Update(read.Add(n - last.Swap(n)))
		}
	}, func(i int, b *backup.Backup, err error) {
		running--
		finished++
		p.Relabel(label())
		var buf bytes.Buffer
		ended(&buf, jobs[i], b, err)
		if t, ok := g.stderr.(*term); ok {
			t.writeAbove(g.stdout, buf.Bytes())
			return
		}
		g.stdout.Write(buf.Bytes())
	})
}

// writeBackupLine prints the one line of a backup: ID, server, database,
// type, status, stored size, then its error (err, else the recorded one)
// and warnings when it has any.
func writeBackupLine(w io.Writer, b *backup.Backup, err error) {
	line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s", b.ID, b.Server, displayName(b.Database), b.Type, b.Status, humanBytes(b.StoredBytes))
	switch {
	case err != nil:
		line += "\t" + oneLine(err.Error())
	case b.Error != "":
		line += "\t" + oneLine(b.Error)
	}
	for _, w := range b.Warnings {
		line += "\twarning: " + oneLine(w)
	}
	fmt.Fprintln(w, line)
}

// prune applies retention to the storages written (as the daemon does after
// a backup) and prints a line per deleted copy. It reports whether every
// deletion it planned succeeded.
func prune(ctx context.Context, g *globals, a *app.App, written map[string]bool) bool {
	policies := map[string]retention.Policy{}
	for name, p := range a.RetentionPolicies() {
		if written[name] {
			policies[name] = p
		}
	}
	plans, err := a.Prune(ctx, policies, false)
	if errors.Is(err, app.ErrTaskBusy) {
		// Another process sharing the catalog applies retention right now,
		// to these backups too.
		fmt.Fprintln(g.stderr, "retention skipped:", oneLine(err.Error()))
		return true
	}
	deleted := 0
	for _, p := range plans {
		for _, d := range p.Deleted {
			fmt.Fprintf(g.stdout, "pruned\t%s\t%s\t%s\n", d.BackupID, p.Storage, oneLine(d.Reason))
		}
		for _, d := range p.Decisions {
			if d.Action == retention.Delete {
				deleted++
			}
		}
	}
	// As for the daemon's own passes after its backups: a pass that deleted
	// nothing and failed at nothing is not recorded, or every run would add
	// one per storage.
	if deleted > 0 || err != nil {
		g.record(ctx, a, retentionEntries(plans, err)...)
	}
	if err != nil {
		fmt.Fprintln(g.stderr, "error: retention:", oneLine(err.Error()))
		return false
	}
	return true
}
