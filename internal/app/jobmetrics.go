package app

import (
	"context"
	"errors"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/metrics"
	"github.com/gosqlguard/gosqlguard/internal/runner"
)

// discoveredDBs remembers, per server whose databases are discovered (the
// config lists none), what its last successful listing found, after
// exclude, and when. The zero value is ready to use.
type discoveredDBs struct {
	mu  sync.Mutex
	dbs map[string]listing // server → its last listing; absent: not listed by this process yet
}

// listing is what a listing of a server's databases found, and when.
type listing struct {
	dbs []string
	at  time.Time
}

func (k *discoveredDBs) get(server string) ([]string, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	l, ok := k.dbs[server]
	return l.dbs, ok
}

func (k *discoveredDBs) set(server string, dbs []string, at time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.dbs == nil {
		k.dbs = map[string]listing{}
	}
	k.dbs[server] = listing{dbs: dbs, at: at}
}

// all returns a copy of every server's last listing.
func (k *discoveredDBs) all() map[string]listing {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make(map[string]listing, len(k.dbs))
	for srv, l := range k.dbs {
		out[srv] = l
	}
	return out
}

// startJobMetrics points the next-run metric at the scheduler and declares
// the configured servers and jobs; call it once the scheduler exists.
func (d *daemon) startJobMetrics(ctx context.Context) {
	d.metrics.SetNextRuns(d.sched.NextRuns)
	d.publishJobs(ctx)
}

// planned records what a scheduled tick of typ discovered (the jobs and
// errors of its Plan), then declares the jobs anew: a discovered server's
// jobs are those of its last listing that worked.
func (d *daemon) planned(ctx context.Context, a *App, typ string, jobs []runner.Job, errs []error) {
	listed := d.opts.Clock.Now()
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
			d.discovered.set(srv.Name, append([]string{}, found[srv.Name]...), listed)
		}
	}
	d.publishJobs(ctx)
}

// publishJobs declares the servers and jobs of the current config to the
// metrics. The scheduled jobs are each scheduled backup type × each server
// it covers × that server's databases. Those are the configured databases,
// or for a server whose databases are discovered, the last listing's;
// before the first listing, the databases the catalog has backups of (not
// deleted ones), less those now excluded. Types without a schedule
// (manual) declare no scheduled jobs: nothing is due. The outcomes of
// other jobs are kept as keepJob says.
func (d *daemon) publishJobs(ctx context.Context) {
	a := d.current()
	now := d.opts.Clock.Now()
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
	servers := make([]metrics.Server, len(a.Config.Servers))
	for i, srv := range a.Config.Servers {
		servers[i] = metrics.Server{Name: srv.Name, Engine: srv.Type}
	}
	d.metrics.SetJobs(metrics.JobConfig{At: now, Servers: servers, Scheduled: jobs, Keep: keepJob(a, d.discovered.all())})
}

// keepJob returns whether the config of a (and the databases listings
// found) still has a job, for an outcome of it at a given time: a backup
// type of the config that covers a configured server, and one of the
// server's databases. Those are the databases the config lists, or for a
// server whose databases are discovered, any database exclude does not
// exclude, except one that the server's last listing in listings did not
// find and whose outcome is no newer than that listing (the database was
// dropped, or "*" of a server that answers again). Manual backups of
// configured databases are kept so; backups of servers, types or
// databases removed from the config are not.
func keepJob(a *App, listings map[string]listing) func(metrics.Job, time.Time) bool {
	type server struct {
		dbs, exclude []string
		listing      *listing
	}
	servers := make(map[string]server, len(a.Config.Servers))
	for _, srv := range a.Config.Servers {
		s := server{dbs: srv.Databases, exclude: srv.Exclude}
		if l, ok := listings[srv.Name]; ok && len(srv.Databases) == 0 {
			s.listing = &l
		}
		servers[srv.Name] = s
	}
	types := make(map[string][]string, len(a.Config.BackupTypes)) // type → the servers it covers; empty: all
	for name, bt := range a.Config.BackupTypes {
		types[name] = bt.Servers
	}
	return func(j metrics.Job, at time.Time) bool {
		srv, ok := servers[j.Server]
		if !ok {
			return false
		}
		covered, ok := types[j.Type]
		if !ok || (len(covered) > 0 && !slices.Contains(covered, j.Server)) {
			return false
		}
		if len(srv.dbs) > 0 {
			return slices.Contains(srv.dbs, j.Database)
		}
		if j.Database != allDatabases && len(excludeGlobs([]string{j.Database}, srv.exclude)) == 0 {
			return false
		}
		return srv.listing == nil || at.After(srv.listing.at) || slices.Contains(srv.listing.dbs, j.Database)
	}
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

// reseedJobMetrics reads the newest success and failure of every job back
// from the catalog into the metrics, after a reload: jobs the reload
// brought back into the config (whose outcomes an earlier one deleted)
// show them again, as after a restart.
func (d *daemon) reseedJobMetrics(ctx context.Context) {
	d.syncCatalogMetrics(ctx, map[[4]string]string{})
}

// syncCatalogMetrics brings the last-outcome metrics (last success and
// failure times, sizes, and the last drill success, see
// metrics.SyncDrills) up to what the catalog knows, so that each replica's
// /metrics shows the backups the other replicas and one-shot commands ran:
// a job whose slots all ran elsewhere would otherwise look stale here. It reads the
// jobs' summary and each newest backup it has not seen yet (seen holds,
// per job and outcome, the ID last read); counters (runs, durations) stay
// per process, to be summed across replicas.
func (d *daemon) syncCatalogMetrics(ctx context.Context, seen map[[4]string]string) {
	a := d.current()
	readAt := time.Now()
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
	d.metrics.SyncDrills(drillProofs(jobs), readAt)
}

// drillProofs is, per job of jobs, when its newest drill that still counts
// (catalog.JobSummary.LastDrillSuccess) finished.
func drillProofs(jobs []catalog.JobSummary) map[metrics.Job]time.Time {
	proven := map[metrics.Job]time.Time{}
	for _, j := range jobs {
		if p := j.LastDrillSuccess; p != nil {
			proven[metrics.Job{Server: j.Server, Database: j.Database, Type: j.Type}] = p.At.Add(time.Duration(p.Seconds * float64(time.Second)))
		}
	}
	return proven
}

// drillObserver is the daemon's metrics as a runner observer, and after a
// drill that failed it reads the jobs' drill proofs back from the catalog
// at once: the failure may have taken back the proof the gauge shows,
// which the periodic read (syncCatalogMetrics) would only see later.
type drillObserver struct {
	*metrics.Metrics
	d *daemon
}

func (o drillObserver) DrillFinished(b *backup.Backup, dr backup.Drill, restore time.Duration) {
	o.Metrics.DrillFinished(b, dr, restore)
	if dr.Status != backup.DrillFailure {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	readAt := time.Now()
	jobs, err := o.d.current().Catalog.Jobs(ctx)
	if err != nil {
		o.d.logger.Warn("cannot read the catalog to update the drill metrics", "error", err)
		return
	}
	o.Metrics.SyncDrills(drillProofs(jobs), readAt)
}
