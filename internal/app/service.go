package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/config"
	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/metrics"
	"github.com/gosqlguard/gosqlguard/internal/retention"
	"github.com/gosqlguard/gosqlguard/internal/runner"
	"github.com/gosqlguard/gosqlguard/internal/scheduler"
	"github.com/gosqlguard/gosqlguard/internal/service"
	"github.com/gosqlguard/gosqlguard/internal/storage"

	"go.yaml.in/yaml/v3"
)

// daemonService is what the HTTP API and the web UI act on: the daemon's state.
type daemonService struct {
	d       *daemon
	version string
	commit  string
	started time.Time
}

var _ service.Service = (*daemonService)(nil)

func (s *daemonService) ListBackups(ctx context.Context, f catalog.Filter, q string) ([]*backup.Backup, error) {
	f.Query = q
	return s.d.current().Catalog.List(ctx, f)
}

func (s *daemonService) GetBackup(ctx context.Context, id string) (*backup.Backup, error) {
	return s.d.current().lookupForAPI(ctx, id)
}

// StartBackups submits one job per matching server × database now, under the
// same no-overlap rule as the schedules. The rows exist (status running) when
// it returns, so the IDs can be polled at once.
func (s *daemonService) StartBackups(ctx context.Context, server, database, typ string) ([]string, error) {
	a := s.d.current()
	jobs, planErrs, err := a.Plan(ctx, Selector{Server: server, Database: database, Type: typ})
	if errors.Is(err, ErrUsage) {
		// The API shows the text after its sentinel, once: "server \"x\" is
		// not configured", never "invalid request: invalid request".
		return nil, fmt.Errorf("%w: %s", service.ErrInvalid, strings.TrimPrefix(err.Error(), ErrUsage.Error()+": "))
	}
	if err != nil {
		return nil, err
	}
	// A server that did not answer and a discovered name that cannot be
	// stored are failed backups, recorded as the schedules and the CLI do.
	var failed []string
	for _, pe := range planErrs {
		if b, _ := a.RecordPlanError(ctx, typ, pe); b != nil { // it logs
			failed = append(failed, b.ID)
		}
	}
	if len(jobs) == 0 {
		var unreachable *ServerError
		if database != "" && !errors.As(errors.Join(planErrs...), &unreachable) {
			where := "any server"
			if server != "" {
				where = fmt.Sprintf("server %q", server)
			}
			return nil, fmt.Errorf("%w: database %q is not among the databases to back up of %s", service.ErrInvalid, database, where)
		}
		// A server that did not answer is for the person to see (which, and
		// why); anything else is for the log.
		kind := service.ErrUnavailable
		if errors.As(errors.Join(planErrs...), &unreachable) {
			kind = service.ErrServerDown
		}
		if len(failed) > 0 {
			// The IDs first: the audit trail keeps the start of a long message.
			return nil, fmt.Errorf("%w: no database to back up; recorded as failed: %s (%v)", kind, strings.Join(failed, ", "), errors.Join(planErrs...))
		}
		return nil, fmt.Errorf("%w: no database to back up (%v)", kind, errors.Join(planErrs...))
	}
	ids, busy := failed, []string(nil)
	runningWhere := "" // who runs the busy job, when another process does
	for _, job := range jobs {
		var b *backup.Backup
		task := scheduler.Task{
			Key:    jobKey(job),
			Server: job.Server,
			Run:    func(ctx context.Context) { s.d.runOpened(ctx, a, b, job) },
			GaveUp: func() {
				a.Runner.Abandon(context.Background(), b, "interrupted: the daemon stopped before the backup started")
			},
		}
		err := s.d.sched.Submit(task, func() error {
			var err error
			b, err = a.Runner.Open(ctx, job)
			return err
		})
		switch {
		case errors.Is(err, scheduler.ErrBusy):
			busy = append(busy, jobKey(job))
		case errors.Is(err, runner.ErrAlreadyRunning): // in another process, maybe another replica
			busy = append(busy, jobKey(job))
			runningWhere = strings.TrimPrefix(err.Error(), runner.ErrAlreadyRunning.Error()+": ")
		case errors.Is(err, scheduler.ErrNotRunning):
			return ids, fmt.Errorf("%w: the daemon is shutting down", service.ErrUnavailable)
		case err != nil:
			return ids, err
		default:
			ids = append(ids, b.ID)
		}
	}
	if len(ids) == len(failed) && len(busy) > 0 {
		if len(busy) == 1 && runningWhere != "" {
			return nil, fmt.Errorf("%w: the backup job %s is already running (%s)", service.ErrConflict, busy[0], runningWhere)
		}
		if len(busy) == 1 {
			return nil, fmt.Errorf("%w: the backup job %s is already running", service.ErrConflict, busy[0])
		}
		return nil, fmt.Errorf("%w: the %d backup jobs selected are already running (%s)", service.ErrConflict, len(busy), strings.Join(busy, ", "))
	}
	return ids, nil
}

func (s *daemonService) DeleteBackup(ctx context.Context, id string) error {
	a := s.d.current()
	b, err := a.lookupForAPI(ctx, id)
	if err != nil {
		return err
	}
	if b.Status == backup.StatusRunning {
		return fmt.Errorf("%w: backup %s is still running", service.ErrConflict, id)
	}
	return a.Runner.DeleteCopies(ctx, b, nil, "deleted through the API")
}

func (s *daemonService) Download(ctx context.Context, id, storageName string) (io.ReadCloser, service.DownloadInfo, error) {
	a := s.d.current()
	b, err := a.lookupForAPI(ctx, id)
	if err != nil {
		return nil, service.DownloadInfo{}, err
	}
	for _, l := range b.Locations {
		if l.Status != backup.LocationSuccess || (storageName != "" && l.Storage != storageName) {
			continue
		}
		st := a.Runner.Storage(l.Storage)
		if st == nil {
			continue
		}
		rc, err := st.Open(ctx, l.Key)
		if err != nil {
			if storageName != "" {
				return nil, service.DownloadInfo{}, err
			}
			continue // try the next copy
		}
		return rc, service.DownloadInfo{Filename: path.Base(l.Key), Size: b.StoredBytes, Storage: l.Storage}, nil
	}
	if storageName != "" {
		if a.Runner.Storage(storageName) == nil {
			return nil, service.DownloadInfo{}, fmt.Errorf("%w: storage %q is not configured", service.ErrInvalid, storageName)
		}
		return nil, service.DownloadInfo{}, fmt.Errorf("%w: backup %s has no complete copy in storage %q", service.ErrInvalid, b.ID, storageName)
	}
	return nil, service.DownloadInfo{}, fmt.Errorf("%w: backup %s has no readable copy", catalog.ErrNotFound, b.ID)
}

func (s *daemonService) VerifyBackup(ctx context.Context, id string) ([]backup.VerifyResult, error) {
	a := s.d.current()
	b, err := a.lookupForAPI(ctx, id)
	if err != nil {
		return nil, err
	}
	res, _ := a.Runner.Verify(ctx, b, "") // a bad copy is a result, not an API error
	return res, nil
}

func (s *daemonService) RestoreBackup(ctx context.Context, id string, opts service.RestoreOptions) error {
	a := s.d.current()
	b, err := a.lookupForAPI(ctx, id)
	if err != nil {
		return err
	}
	d, err := a.Dumper(b.Server)
	if err != nil {
		return fmt.Errorf("%w: %v", service.ErrInvalid, err)
	}
	req := runner.RestoreRequest{Backup: b, ToDatabase: opts.ToDatabase, Dumper: d, Force: opts.Force, NoOwner: opts.NoOwner}
	target := opts.ToDatabase
	if target == "" {
		target = b.Database
	}
	ctx, untrack := s.d.ops.track(ctx, "restore", b, target, s.d.opts.Clock.Now)
	defer untrack()
	if err := a.Runner.Restore(ctx, req); err != nil {
		return fmt.Errorf("%w: %s", restoreKind(ctx, err), apiWords(err))
	}
	return nil
}

// restoreKind is the service error a restore under ctx that returned err
// (not nil) is: service.ErrInvalid when it was refused before anything
// ran (runner.ErrNotRestorable, runner.ErrBadTarget, a target the engine
// refuses: dump.ErrTargetRefused); service.ErrConflict
// for a target that exists and is not empty; context.Canceled when its
// caller went away (ctx ended); service.ErrFailed for every other
// failure of a restore that ran.
func restoreKind(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, runner.ErrNotRestorable), errors.Is(err, runner.ErrBadTarget), errors.Is(err, dump.ErrTargetRefused):
		return service.ErrInvalid
	case errors.Is(err, dump.ErrTargetNotEmpty):
		return service.ErrConflict
	case ctx.Err() != nil:
		return context.Canceled
	}
	return service.ErrFailed
}

// RestoreError is err, what a restore under ctx returned, wrapped in the
// service error it is (see restoreKind), for the audit trail of a surface
// that ran the restore itself (the command line): nil for nil.
func RestoreError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", restoreKind(ctx, err), err)
}

// BackupDrills returns the restore drills of one backup, newest first.
func (s *daemonService) BackupDrills(ctx context.Context, id string) ([]backup.Drill, error) {
	a := s.d.current()
	b, err := a.lookupForAPI(ctx, id)
	if err != nil {
		return nil, err
	}
	recs, err := a.Catalog.Drills(ctx, b.ID)
	if err != nil {
		return nil, err
	}
	out := make([]backup.Drill, len(recs))
	for i, r := range recs {
		out[i] = r.Drill
	}
	return out, nil
}

// Jobs lists every server × database × type known from the catalog and the
// schedules, with its last success and failure, its last (successful)
// restore drill, next run and whether it runs. The catalog summarises the
// jobs it knows (catalog.Store.Jobs) without reading every backup.
func (s *daemonService) Jobs(ctx context.Context) ([]service.Job, error) {
	a := s.d.current()
	summaries, err := a.Catalog.Jobs(ctx)
	if err != nil {
		return nil, err
	}
	jobs := map[string]*service.Job{}
	get := func(server, database, typ string) *service.Job {
		k := server + "/" + database + "/" + typ
		if jobs[k] == nil {
			jobs[k] = &service.Job{Server: server, Database: database, Type: typ}
		}
		return jobs[k]
	}
	// Jobs of servers with configured databases, even before their first
	// run (manual ones too, so that they can be started from the UI).
	for name, bt := range a.Config.BackupTypes {
		for _, srv := range a.Config.Servers {
			if len(bt.Servers) > 0 && !slices.Contains(bt.Servers, srv.Name) {
				continue
			}
			for _, db := range srv.Databases {
				get(srv.Name, db, name)
			}
		}
	}
	for _, sum := range summaries {
		j := get(sum.Server, sum.Database, sum.Type)
		if b := sum.LastSuccess; b != nil {
			j.LastSuccess, j.LastSuccessID = &b.StartedAt, b.ID
		}
		if b := sum.LastFailure; b != nil {
			j.LastFailure, j.LastFailureError = &b.StartedAt, b.Error
		}
		if b := sum.Running; b != nil {
			j.Running, j.RunningID = true, b.ID
		}
		if d := sum.LastDrill; d != nil {
			j.LastDrill, j.LastDrillID, j.LastDrillStatus, j.LastDrillError = &d.At, d.BackupID, d.Status, d.Error
			j.LastDrillDifferences = len(d.Differences)
		}
		if d := sum.LastDrillSuccess; d != nil {
			j.LastDrillSuccess, j.LastDrillSuccessID = &d.At, d.BackupID
		}
	}
	next := s.d.sched.NextRuns()
	keep := keepJob(a, s.d.discovered.all())
	now := s.d.opts.Clock.Now()
	out := make([]service.Job, 0, len(jobs))
	for _, j := range jobs {
		// As for the metrics: a job is kept by its newest outcome's time
		// (a discovered database the last listing missed is gone unless
		// it was backed up since); a running one is kept.
		at := now
		if !j.Running {
			at = time.Time{}
			for _, t := range []*time.Time{j.LastSuccess, j.LastFailure} {
				if t != nil && t.After(at) {
					at = *t
				}
			}
		}
		j.Removed = !keep(metrics.Job{Server: j.Server, Database: j.Database, Type: j.Type}, at)
		if t, ok := next[j.Type]; ok && !t.IsZero() && !j.Removed {
			j.NextRun = &t
		}
		out = append(out, *j)
	}
	sort.Slice(out, func(i, k int) bool {
		if out[i].Server != out[k].Server {
			return out[i].Server < out[k].Server
		}
		if out[i].Database != out[k].Database {
			return out[i].Database < out[k].Database
		}
		return out[i].Type < out[k].Type
	})
	return out, nil
}

func (s *daemonService) Retention(ctx context.Context, dryRun bool) ([]retention.StoragePlan, error) {
	a := s.d.current()
	s.d.pruneMu.Lock()
	defer s.d.pruneMu.Unlock()
	plans, err := a.Prune(ctx, a.RetentionPolicies(), dryRun)
	if errors.Is(err, ErrTaskBusy) {
		return nil, fmt.Errorf("%w: %v", service.ErrConflict, err)
	}
	return plans, err
}

// errNoCatalog: an App built without a catalog (in tests) has no audit trail.
var errNoCatalog = errors.New("audit trail: no catalog")

func (s *daemonService) RecordAudit(ctx context.Context, e *catalog.AuditEntry) error {
	a := s.d.current()
	if a.Catalog == nil {
		return errNoCatalog
	}
	return a.Catalog.AppendAudit(ctx, e)
}

func (s *daemonService) AuditLog(ctx context.Context, f catalog.AuditFilter) ([]catalog.AuditEntry, error) {
	a := s.d.current()
	if a.Catalog == nil {
		return nil, errNoCatalog
	}
	return a.Catalog.Audit(ctx, f)
}

func (s *daemonService) Status(ctx context.Context) (service.Status, error) {
	a := s.d.current()
	st := service.Status{
		Version: s.version, Commit: s.commit, GoVersion: runtime.Version(),
		StartedAt: s.started, UptimeSeconds: time.Since(s.started).Seconds(), Running: []string{},
		Operations: append([]service.Operation{}, s.d.ops.list()...),
	}
	running, err := a.Catalog.List(ctx, catalog.Filter{Status: backup.StatusRunning})
	if err != nil {
		return st, err
	}
	for _, b := range running {
		st.Running = append(st.Running, b.ID)
	}
	// The complete copies of successful and partial backups, per storage.
	usage, err := a.Catalog.Storages(ctx)
	if err != nil {
		return st, err
	}
	for i, be := range a.Runner.Storages {
		ss := service.StorageStatus{Name: be.Name(), Type: a.Config.Storages[i].Type, Healthy: true}
		for _, u := range usage {
			if u.Storage == be.Name() {
				ss.Backups, ss.Bytes = u.Backups, u.Bytes
			}
		}
		// A probe for a key that never exists: not-exist means the storage answers.
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := be.Stat(pctx, ".gosqlguard-health-probe")
		cancel()
		if err != nil && !storage.IsNotExist(err) {
			ss.Healthy, ss.Error = false, "storage does not answer"
			s.d.logger.Warn("storage health probe failed", "storage", be.Name(), "error", err)
		}
		st.Storages = append(st.Storages, ss)
	}
	return st, nil
}

func (s *daemonService) Ready(ctx context.Context) error {
	if _, err := s.d.current().Catalog.List(ctx, catalog.Filter{Limit: 1}); err != nil {
		return fmt.Errorf("%w: catalog unreachable", service.ErrUnavailable)
	}
	return nil
}

// apiWords is err's text for an API client: the CLI's --force is the API's
// "force": true.
func apiWords(err error) string {
	return strings.ReplaceAll(err.Error(), "--force", `"force": true`)
}

func jobKey(j runner.Job) string { return j.Server + "/" + j.Database + "/" + j.Type }

// Progress lists the running backups with the bytes their dumps have
// produced so far: this process's own, counted live, and every other one
// the catalog knows (another replica's, a one-shot command's), as of its
// last progress write (every few seconds; see runner.ProgressInterval).
// When the catalog cannot be read, this process's own are listed.
func (s *daemonService) Progress(ctx context.Context) []service.Progress {
	byID := map[string]service.Progress{}
	if running, err := s.d.current().Catalog.List(ctx, catalog.Filter{Status: backup.StatusRunning}); err == nil {
		for _, b := range running {
			byID[b.ID] = service.Progress{ID: b.ID, Server: b.Server, Database: b.Database, Type: b.Type,
				StartedAt: b.StartedAt, RawBytes: b.RawBytes}
		}
	}
	s.d.progress.Range(func(_, v any) bool {
		p := v.(*progress)
		byID[p.id] = service.Progress{ID: p.id, Server: p.server, Database: p.database, Type: p.typ, StartedAt: p.started, RawBytes: p.raw.Load()}
		return true
	})
	out := make([]service.Progress, 0, len(byID))
	for _, p := range byID {
		// A backup's estimate does not change while it runs: read from the
		// catalog once per backup, not on every refresh of every page.
		if v, ok := s.d.expected.Load(p.ID); ok {
			p.ExpectedBytes = v.(int64)
		} else {
			p.ExpectedBytes = s.d.current().ExpectedRawBytes(ctx, runner.Job{Server: p.Server, Database: p.Database, Type: p.Type})
			s.d.expected.Store(p.ID, p.ExpectedBytes)
		}
		out = append(out, p)
	}
	s.d.expected.Range(func(id, _ any) bool {
		if _, running := byID[id.(string)]; !running {
			s.d.expected.Delete(id)
		}
		return true
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ConfigSummary is the running config as YAML, every secret shown as <secret>.
func (s *daemonService) ConfigSummary() string {
	cfg := *s.d.current().Config
	cfg.HTTP.Auth.Tokens = append([]config.Token(nil), cfg.HTTP.Auth.Tokens...)
	for i := range cfg.HTTP.Auth.Tokens {
		cfg.HTTP.Auth.Tokens[i].TokenSHA256 = "<secret>"
		if cfg.HTTP.Auth.Tokens[i].TokenFile != "" {
			cfg.HTTP.Auth.Tokens[i].TokenFile = "<secret>"
		}
	}
	out, err := yaml.Marshal(&cfg)
	if err != nil {
		return "config summary unavailable"
	}
	return string(out)
}
