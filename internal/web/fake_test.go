package web

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/retention"
	"github.com/gosqlguard/gosqlguard/internal/runner"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

// leakedSecret must never appear in any page: the fake puts it into backup
// errors, job failures and verify results, as a careless dump tool might.
const leakedSecret = "hunter2"

// fakeService is an in-memory daemon for the UI's own tests. StartBackups
// starts a backup that reads runFor's worth of bytes and then succeeds.
type fakeService struct {
	mu       sync.Mutex
	now      func() time.Time
	backups  map[string]*backup.Backup
	progress map[string]*service.Progress
	servers  map[string][]string // server -> databases
	nextRun  map[string]time.Time
	storages []string
	runFor   time.Duration
	started  time.Time

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// calls counts every state-changing call by name.
	calls    map[string]int
	restores []string // "id->to_database"
	config   string

	drills    map[string][]backup.Drill // by backup ID, oldest first
	drillsErr error                     // BackupDrills fails with it when set
}

var _ service.Service = (*fakeService)(nil)

func newFakeService(t testing.TB, now func() time.Time) *fakeService {
	ctx, cancel := context.WithCancel(context.Background())
	f := &fakeService{
		now: now, backups: map[string]*backup.Backup{}, progress: map[string]*service.Progress{},
		servers: map[string][]string{
			"main-mysql": {"crm", "shop"},
			"pg-main":    {"analytics", "app", "billing"},
		},
		storages: []string{"local", "offsite"},
		runFor:   3 * time.Second,
		ctx:      ctx, cancel: cancel, calls: map[string]int{},
		config: "catalog:\n  driver: sqlite\n  dsn: <secret>\nservers:\n  - name: main-mysql\n    type: mysql\n    host: 127.0.0.1\n" +
			"    user: backup\n    password: <secret>\n    databases: [crm, shop]\nstorages:\n  - name: offsite\n    type: s3\n" +
			"    access_key_id: <secret>\n    secret_access_key: <secret>\nhttp:\n  auth:\n    tokens:\n      - name: admin\n        role: admin\n        token_sha256: <secret>\n",
	}
	n := now()
	f.started = n.Add(-26 * time.Hour)
	f.nextRun = map[string]time.Time{
		"hourly": n.Truncate(time.Hour).Add(time.Hour),
		"daily":  n.Truncate(24 * time.Hour).Add(24*time.Hour + 2*time.Hour + 30*time.Minute),
	}
	t.Cleanup(func() {
		cancel()
		f.wg.Wait()
	})
	return f
}

// seed fills the catalog with a plausible history: hourly backups of
// main-mysql for the last hours, daily ones of every database, a failed job
// whose error carries a secret and a path, a partial backup and an overdue
// job.
func (f *fakeService) seed() {
	n := f.now()
	hour := n.Truncate(time.Hour)
	for i := 1; i <= 6; i++ {
		for _, db := range []string{"crm", "shop"} {
			f.add("main-mysql", db, "hourly", hour.Add(-time.Duration(i-1)*time.Hour).Add(time.Minute), backup.StatusSuccess, "")
		}
	}
	day := n.Truncate(24 * time.Hour).Add(2*time.Hour + 30*time.Minute)
	if day.After(n) {
		day = day.Add(-24 * time.Hour)
	}
	for i := 0; i < 4; i++ {
		at := day.Add(-time.Duration(i) * 24 * time.Hour)
		f.add("main-mysql", "shop", "daily", at, backup.StatusSuccess, "")
		f.add("main-mysql", "crm", "daily", at, backup.StatusSuccess, "")
		f.add("pg-main", "app", "daily", at, backup.StatusSuccess, "")
	}
	// analytics: last success 4 days ago, failures since.
	f.add("pg-main", "analytics", "daily", day.Add(-4*24*time.Hour), backup.StatusSuccess, "")
	f.add("pg-main", "analytics", "daily", day.Add(-24*time.Hour), backup.StatusFailed,
		"pg_dump: error: connection to server at \"10.0.0.5\", port 5432 failed: FATAL: password authentication failed for user \"backup\" (password="+leakedSecret+")")
	f.add("pg-main", "analytics", "daily", day, backup.StatusFailed,
		"pg_dump: error: could not open file /var/lib/gosqlguard/secret.key: permission denied; dsn=postgres://backup:"+leakedSecret+"@10.0.0.5/analytics")
	// billing: its last success is three days old, nothing since (overdue).
	f.add("pg-main", "billing", "daily", day.Add(-3*24*time.Hour), backup.StatusSuccess, "")
	// A partial backup: the offsite copy failed.
	b := f.add("main-mysql", "shop", "manual", n.Add(-50*time.Minute), backup.StatusPartial, "storage offsite: upload failed: connection reset")
	b.Locations[1].Status, b.Locations[1].Error = backup.LocationFailed, "upload failed: connection reset by peer"
	f.seedDrills()
}

func (f *fakeService) add(server, db, typ string, at time.Time, st backup.Status, errText string) *backup.Backup {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := backup.NewID(at)
	raw := int64(180<<20) + int64(len(f.backups))*7919*1024
	if db == "analytics" {
		raw = 3 << 30
	}
	fin := at.Add(47 * time.Second)
	b := &backup.Backup{
		ID: id, Server: server, Database: db, Type: typ, Status: st, StartedAt: at, FinishedAt: &fin,
		Compression: "zstd", Error: errText,
	}
	ext := "sql"
	if server == "pg-main" {
		ext = "dump"
	}
	for _, s := range f.storages {
		b.Locations = append(b.Locations, backup.Location{Storage: s, Key: fmt.Sprintf("%s/%s/%s/%s.%s.zst", server, db, typ, id, ext), Status: backup.LocationSuccess})
	}
	if st == backup.StatusFailed {
		b.Locations = nil
	} else {
		f.complete(b, raw, fin)
	}
	f.backups[id] = b
	return b
}

// complete fills in what a successful backup has.
func (f *fakeService) complete(b *backup.Backup, raw int64, fin time.Time) {
	b.RawBytes, b.StoredBytes = raw, raw/5
	b.SHA256 = fmt.Sprintf("%064x", raw*2654435761)
	b.FinishedAt = &fin
	b.Manifest = &backup.Manifest{
		FormatVersion: 1, ID: b.ID, Server: b.Server, Database: b.Database, Type: b.Type,
		Engine: "mariadb", ServerVersion: "10.11.6-MariaDB", DumpTool: "mariadb-dump",
		DumpFlags: []string{"--single-transaction", "--routines", "--events"}, DumpFormat: "sql",
		StartedAt: b.StartedAt, FinishedAt: fin, RawBytes: b.RawBytes, StoredBytes: b.StoredBytes,
		SHA256: b.SHA256, Compression: "zstd", Object: b.Locations[0].Key,
		Position: &backup.Position{BinlogFile: "mysql-bin.000042", BinlogPos: 1337, GTID: "0-1-4242"},
	}
	if b.Server == "pg-main" {
		b.Manifest.Engine, b.Manifest.ServerVersion, b.Manifest.DumpTool, b.Manifest.DumpFormat = "postgres", "15.8", "pg_dump", "pg_custom"
		b.Manifest.DumpFlags = []string{"--format=custom"}
		b.Manifest.Position = &backup.Position{LSN: "0/1A2B3C4D"}
	}
}

func (f *fakeService) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

func (f *fakeService) ListBackups(_ context.Context, flt catalog.Filter, q string) ([]*backup.Backup, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*backup.Backup
	q = strings.ToLower(q)
	for _, b := range f.backups {
		switch {
		case flt.Server != "" && b.Server != flt.Server,
			flt.Database != "" && b.Database != flt.Database,
			flt.Type != "" && b.Type != flt.Type,
			flt.Status != "" && b.Status != flt.Status,
			flt.Storage != "" && b.Location(flt.Storage) == nil,
			!flt.Since.IsZero() && b.StartedAt.Before(flt.Since),
			!flt.Until.IsZero() && !b.StartedAt.Before(flt.Until),
			flt.Before != "" && b.ID >= flt.Before:
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(b.ID+" "+b.Server+" "+b.Database+" "+b.Type+" "+b.Error), q) {
			continue
		}
		c := *b
		out = append(out, &c)
	}
	slices.SortFunc(out, func(a, b *backup.Backup) int { return strings.Compare(b.ID, a.ID) })
	if flt.Limit > 0 && len(out) > flt.Limit {
		out = out[:flt.Limit]
	}
	return out, nil
}

func (f *fakeService) GetBackup(_ context.Context, id string) (*backup.Backup, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.backups[id]
	if b == nil {
		return nil, fmt.Errorf("get %s: %w", id, catalog.ErrNotFound)
	}
	c := *b
	c.Locations = slices.Clone(b.Locations)
	if b.Drill != nil {
		d := *b.Drill
		c.Drill = &d
	}
	return &c, nil
}

func (f *fakeService) StartBackups(_ context.Context, server, database, typ string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["start"]++
	if server != "" && f.servers[server] == nil {
		return nil, fmt.Errorf("%w: unknown server %q", service.ErrInvalid, server)
	}
	var ids []string
	busy := 0
	for _, srv := range slices.Sorted(mapKeys(f.servers)) {
		if server != "" && srv != server {
			continue
		}
		for _, db := range f.servers[srv] {
			if database != "" && db != database {
				continue
			}
			if f.runningLocked(srv, db, typ) {
				busy++
				continue
			}
			ids = append(ids, f.startLocked(srv, db, typ))
		}
	}
	if len(ids) == 0 && busy > 0 {
		return nil, fmt.Errorf("%w: that backup job is already running", service.ErrConflict)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("%w: database %q is not backed up on the selected server(s)", service.ErrInvalid, database)
	}
	return ids, nil
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func (f *fakeService) runningLocked(server, db, typ string) bool {
	for _, b := range f.backups {
		if b.Status == backup.StatusRunning && b.Server == server && b.Database == db && b.Type == typ {
			return true
		}
	}
	return false
}

// startLocked opens a running backup and a goroutine that makes it progress
// for runFor, then succeed.
func (f *fakeService) startLocked(server, db, typ string) string {
	start := f.now()
	id := backup.NewID(start)
	b := &backup.Backup{ID: id, Server: server, Database: db, Type: typ, Status: backup.StatusRunning, StartedAt: start, Compression: "zstd"}
	for _, s := range f.storages {
		b.Locations = append(b.Locations, backup.Location{Storage: s, Key: fmt.Sprintf("%s/%s/%s/%s.sql.zst", server, db, typ, id), Status: backup.LocationPending})
	}
	f.backups[id] = b
	p := &service.Progress{ID: id, Server: server, Database: db, Type: typ, StartedAt: start}
	f.progress[id] = p
	runFor := f.runFor
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		const step = 100 * time.Millisecond
		steps := int(runFor / step)
		tick := time.NewTicker(step)
		defer tick.Stop()
		for i := 1; i <= steps; i++ {
			select {
			case <-f.ctx.Done():
				return
			case <-tick.C:
			}
			f.mu.Lock()
			p.RawBytes = int64(i) * (3 << 20) // 30 MiB/s
			f.mu.Unlock()
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.progress, id)
		for i := range b.Locations {
			b.Locations[i].Status = backup.LocationSuccess
		}
		b.Status = backup.StatusSuccess
		f.complete(b, max(p.RawBytes, 1), f.now())
	}()
	return id
}

func (f *fakeService) DeleteBackup(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["delete"]++
	b := f.backups[id]
	if b == nil {
		return catalog.ErrNotFound
	}
	if b.Status == backup.StatusRunning {
		return fmt.Errorf("%w: backup %s is still running", service.ErrConflict, id)
	}
	n := f.now()
	b.Status, b.DeletedAt, b.DeleteReason = backup.StatusDeleted, &n, "deleted through the API"
	for i := range b.Locations {
		b.Locations[i].Status = backup.LocationDeleted
	}
	return nil
}

func (f *fakeService) Download(_ context.Context, id, storage string) (io.ReadCloser, service.DownloadInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["download"]++
	b := f.backups[id]
	if b == nil {
		return nil, service.DownloadInfo{}, catalog.ErrNotFound
	}
	for _, l := range b.Locations {
		if l.Status == backup.LocationSuccess && (storage == "" || l.Storage == storage) {
			body := "fake dump of " + b.Database
			return io.NopCloser(strings.NewReader(body)), service.DownloadInfo{Filename: l.Key, Size: int64(len(body)), Storage: l.Storage}, nil
		}
	}
	return nil, service.DownloadInfo{}, fmt.Errorf("%w: backup %s has no complete copy in storage %q", service.ErrInvalid, id, storage)
}

func (f *fakeService) VerifyBackup(_ context.Context, id string) ([]backup.VerifyResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["verify"]++
	b := f.backups[id]
	if b == nil {
		return nil, catalog.ErrNotFound
	}
	var out []backup.VerifyResult
	for _, l := range b.Locations {
		if l.Status != backup.LocationSuccess {
			continue
		}
		res := backup.VerifyResult{Storage: l.Storage, Key: l.Key, Deep: true}
		if b.Type == "manual" && l.Storage == "local" && b.Status == backup.StatusPartial {
			res.Err = fmt.Errorf("%w: sha256 0000, want %s (read /srv/backups/%s; secret=%s)", runner.ErrCorrupt, b.SHA256, l.Key, leakedSecret)
		}
		out = append(out, res)
	}
	return out, nil
}

func (f *fakeService) RestoreBackup(_ context.Context, id string, opts service.RestoreOptions) error {
	toDatabase := opts.ToDatabase
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["restore"]++
	if f.backups[id] == nil {
		return catalog.ErrNotFound
	}
	f.restores = append(f.restores, id+"->"+toDatabase)
	if toDatabase == "broken" {
		return fmt.Errorf("%w: mariadb: ERROR 1045 (28000): Access denied (password=%s)", service.ErrInvalid, leakedSecret)
	}
	return nil
}

func (f *fakeService) Jobs(_ context.Context) ([]service.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	jobs := map[string]*service.Job{}
	get := func(server, db, typ string) *service.Job {
		k := server + "/" + db + "/" + typ
		if jobs[k] == nil {
			jobs[k] = &service.Job{Server: server, Database: db, Type: typ}
			if t, ok := f.nextRun[typ]; ok {
				jobs[k].NextRun = &t
			}
		}
		return jobs[k]
	}
	for srv, dbs := range f.servers {
		for _, db := range dbs {
			get(srv, db, "daily")
		}
	}
	for _, db := range f.servers["main-mysql"] {
		get("main-mysql", db, "hourly")
	}
	list := make([]*backup.Backup, 0, len(f.backups))
	for _, b := range f.backups {
		list = append(list, b)
	}
	slices.SortFunc(list, func(a, b *backup.Backup) int { return strings.Compare(b.ID, a.ID) })
	for _, b := range list {
		j := get(b.Server, b.Database, b.Type)
		switch b.Status {
		case backup.StatusSuccess:
			if j.LastSuccess == nil {
				t := b.StartedAt
				j.LastSuccess, j.LastSuccessID = &t, b.ID
			}
		case backup.StatusFailed, backup.StatusPartial, backup.StatusInterrupted:
			if j.LastFailure == nil {
				t := b.StartedAt
				j.LastFailure, j.LastFailureError = &t, b.Error
			}
		case backup.StatusRunning:
			if !j.Running {
				j.Running, j.RunningID = true, b.ID
			}
		}
		noteDrillLocked(j, b)
	}
	out := make([]service.Job, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, *j)
	}
	slices.SortFunc(out, func(a, b service.Job) int {
		return strings.Compare(a.Server+"/"+a.Database+"/"+a.Type, b.Server+"/"+b.Database+"/"+b.Type)
	})
	return out, nil
}

func (f *fakeService) Retention(_ context.Context, dryRun bool) ([]retention.StoragePlan, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !dryRun {
		f.calls["retention"]++
	}
	keep := func(n int) *int { return &n }
	policy := retention.Policy{"hourly": {Keep: keep(4)}, "daily": {Keep: keep(3), MaxAge: 14 * 24 * time.Hour}}
	list := make([]*backup.Backup, 0, len(f.backups))
	for _, b := range f.backups {
		list = append(list, b)
	}
	var plans []retention.StoragePlan
	for _, s := range f.storages {
		plan := retention.StoragePlan{Storage: s, Decisions: retention.Plan(s, policy, list)}
		plans = append(plans, plan)
		if dryRun {
			continue
		}
		for _, d := range plan.Decisions {
			if d.Action == retention.Delete {
				if l := f.backups[d.BackupID].Location(s); l != nil {
					l.Status = backup.LocationDeleted
				}
			}
		}
	}
	return plans, nil
}

func (f *fakeService) Status(_ context.Context) (service.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := service.Status{Version: "1.4.0", Commit: "3f9c2ab", GoVersion: "go1.26.8", StartedAt: f.started, Running: []string{}}
	for _, b := range f.backups {
		if b.Status == backup.StatusRunning {
			st.Running = append(st.Running, b.ID)
		}
	}
	slices.Sort(st.Running)
	for _, s := range f.storages {
		ss := service.StorageStatus{Name: s, Type: "local", Healthy: true}
		if s == "offsite" {
			ss.Type = "s3"
		}
		for _, b := range f.backups {
			if l := b.Location(s); l != nil && l.Status == backup.LocationSuccess {
				ss.Backups++
				ss.Bytes += b.StoredBytes
			}
		}
		st.Storages = append(st.Storages, ss)
	}
	return st, nil
}

func (f *fakeService) Ready(context.Context) error { return nil }

func (f *fakeService) Progress(context.Context) []service.Progress {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]service.Progress, 0, len(f.progress))
	for _, p := range f.progress {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b service.Progress) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func (f *fakeService) ConfigSummary() string { return f.config }

// waitIdle waits until no fake backup runs.
func (f *fakeService) waitIdle(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		f.mu.Lock()
		n := len(f.progress)
		f.mu.Unlock()
		if n == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("fake backups still running after 10 s")
}
