package app

import (
	"context"
	"errors"
	"slices"
	"sort"
	"sync"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/metrics"
	"github.com/gosqlguard/gosqlguard/internal/runner"
)

// discoveredDBs remembers, per server whose databases are discovered (the
// config lists none), what its last successful listing found, after
// exclude. The zero value is ready to use.
type discoveredDBs struct {
	mu  sync.Mutex
	dbs map[string][]string // server → databases; absent: not listed by this process yet
}

func (k *discoveredDBs) get(server string) ([]string, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	dbs, ok := k.dbs[server]
	return dbs, ok
}

func (k *discoveredDBs) set(server string, dbs []string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.dbs == nil {
		k.dbs = map[string][]string{}
	}
	k.dbs[server] = dbs
}

// startJobMetrics points the next-run metric at the scheduler and declares
// the configured jobs; call it once the scheduler exists.
func (d *daemon) startJobMetrics(ctx context.Context) {
	d.metrics.SetNextRuns(d.sched.NextRuns)
	d.publishJobs(ctx)
}

// planned records what a scheduled tick of typ discovered (the jobs and
// errors of its Plan), then declares the jobs anew: a discovered server's
// jobs are those of its last listing that worked.
func (d *daemon) planned(ctx context.Context, a *App, typ string, jobs []runner.Job, errs []error) {
	down := map[string]bool{}
	for _, e := range errs {
		var se *ServerError
		if errors.As(e, &se) {
			down[se.Server] = true
		}
	}
	found := map[string][]string{}
	for _, j := range jobs {
		found[j.Server] = append(found[j.Server], j.Database)
	}
	for _, srv := range a.Config.Servers {
		if len(srv.Databases) == 0 && covers(a, typ, srv.Name) && !down[srv.Name] {
			d.discovered.set(srv.Name, append([]string{}, found[srv.Name]...))
		}
	}
	d.publishJobs(ctx)
}

// publishJobs declares the jobs of the current config to the metrics: each
// scheduled backup type × each server it covers × that server's databases.
// Those are the configured databases, or for a server whose databases are
// discovered, the last listing's; before the first listing, the databases
// the catalog has backups of (not deleted ones), less those now excluded.
// Types without a schedule (manual) declare no jobs: nothing is due.
func (d *daemon) publishJobs(ctx context.Context) {
	a := d.current()
	fromCatalog := map[string][]string{} // server → databases, looked up once
	var jobs []metrics.Job
	for name, bt := range a.Config.BackupTypes {
		if bt.Schedule == "" {
			continue
		}
		for _, srv := range a.Config.Servers {
			if !covers(a, name, srv.Name) {
				continue
			}
			dbs := srv.Databases
			if len(dbs) == 0 {
				var listed bool
				if dbs, listed = d.discovered.get(srv.Name); !listed {
					known, looked := fromCatalog[srv.Name]
					if !looked {
						known = catalogDatabases(ctx, a, srv.Name)
						fromCatalog[srv.Name] = known
					}
					dbs = known
				}
				dbs = excludeGlobs(dbs, srv.Exclude) // as Plan does; a reload may have changed it
			}
			for _, db := range dbs {
				jobs = append(jobs, metrics.Job{Server: srv.Name, Database: db, Type: name})
			}
		}
	}
	d.metrics.SetJobs(jobs)
}

// covers tells whether backup type typ backs up server.
func covers(a *App, typ, server string) bool {
	bt, ok := a.Config.BackupTypes[typ]
	return ok && (len(bt.Servers) == 0 || slices.Contains(bt.Servers, server))
}

// catalogDatabases lists the databases of server that the catalog has
// backups of, other than deleted ones, sorted; names that cannot be backed
// up (refused, or "*" of a server that was down) are left out. A catalog
// error yields none: the jobs then appear with the first listing.
func catalogDatabases(ctx context.Context, a *App, server string) []string {
	list, err := a.Catalog.List(ctx, catalog.Filter{Server: server})
	if err != nil {
		a.Logger.Warn("cannot list the catalog's databases for the job metrics", "server", server, "error", err)
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, b := range list {
		if b.Status == backup.StatusDeleted || b.Database == allDatabases || seen[b.Database] || backup.CheckDatabaseName(b.Database) != nil {
			continue
		}
		seen[b.Database] = true
		out = append(out, b.Database)
	}
	sort.Strings(out)
	return out
}

// syncSharedMetrics brings the last-outcome metrics (last success and
// failure times, sizes) up to what the shared catalog knows, so that each
// replica's /metrics shows the backups the other replicas ran: a job whose
// slots all ran elsewhere would otherwise look stale here. It reads the
// jobs' summary and each newest backup it has not seen yet (seen holds,
// per job and outcome, the ID last read); counters (runs, durations) stay
// per process, to be summed across replicas.
func (d *daemon) syncSharedMetrics(ctx context.Context, seen map[[4]string]string) {
	a := d.current()
	jobs, err := a.Catalog.Jobs(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.logger.Warn("cannot read the catalog to update the metrics", "error", err)
		}
		return
	}
	var fresh []*backup.Backup
	for _, j := range jobs {
		for outcome, jb := range map[string]*catalog.JobBackup{"success": j.LastSuccess, "failure": j.LastFailure} {
			key := [4]string{j.Server, j.Database, j.Type, outcome}
			if jb == nil || seen[key] == jb.ID {
				continue
			}
			b, err := a.Catalog.Get(ctx, jb.ID)
			if err != nil {
				continue // the catalog is away: the next pass
			}
			seen[key] = jb.ID
			fresh = append(fresh, b)
		}
	}
	d.metrics.Seed(fresh)
}
