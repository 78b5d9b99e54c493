// Package servicetest is an in-memory service.Service for the tests of the
// HTTP surfaces (the JSON API and the web UI): one fake daemon whose catalog
// behaves as the real one does (case-insensitive search, newest first,
// paging by ID, IDs resolved by unique prefix), with backups that run and
// progress, restore drills, jobs computed from the catalog, and switches to
// make calls fail or panic.
//
// A few names behave specially, as the daemon's refusals would: starting a
// backup of server "busy" conflicts, server "nope" or type "nope" is not
// configured; a drill of a database named "busy" conflicts; a restore into
// "busy" without force conflicts, one into "broken" fails with a secret in
// its error.
package servicetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/clock"
	"github.com/gosqlguard/gosqlguard/internal/retention"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

// LeakedSecret must never reach a client: the fake puts it into backup
// errors, job failures, drill errors and verify results, as a careless dump
// tool might.
const LeakedSecret = "hunter2"

// ErrCorrupt is the error of a copy that does not match the catalog, in the
// words the runner uses.
var ErrCorrupt = errors.New("stored object does not match the catalog")

// Restore is one call of RestoreBackup.
type Restore struct {
	ID      string
	Options service.RestoreOptions
}

// Fake is the in-memory daemon. Set its exported fields before serving
// requests; RunFor, Config, Content and the failure switches may change
// between requests.
type Fake struct {
	// Servers maps each server to its databases.
	Servers map[string][]string
	// Types maps each scheduled backup type to the servers it covers (nil:
	// all); Jobs lists every server × database × type of them.
	Types map[string][]string
	// NextRun is each backup type's next scheduled run.
	NextRun map[string]time.Time
	// Removed lists the jobs ("server/database/type") that Jobs reports
	// as no longer configured, with no next run.
	Removed map[string]bool
	// Storages are the storage names; each backup has a copy in every one.
	// The first is "local", the others are S3.
	Storages []string
	// StorageErrors makes a storage unhealthy in Status, with this error.
	StorageErrors map[string]string
	// Policy is the retention policy of every storage.
	Policy retention.Policy
	// RunFor is how long a started backup runs (reading 30 MiB/s) before it
	// succeeds; 0 or less: it succeeds at once.
	RunFor time.Duration
	// ExpectedRaw is the ExpectedBytes of every started backup's Progress
	// (0: no estimate).
	ExpectedRaw int64
	// RunningOps is what Operations returns: restores and drills shown as
	// running.
	RunningOps []service.Operation
	// Started is when the daemon started (Status).
	Started time.Time
	// Config is what ConfigSummary returns.
	Config string
	// Content is what Download streams; "": "fake dump of <database>".
	Content string
	// DrillOutcome is what a drill of b started at at finds; nil: a drill of
	// a "pg-main" backup fails with a secret and a path in its error, one of
	// a partial backup differs from its fingerprint, the others pass.
	DrillOutcome func(b *backup.Backup, at time.Time) backup.Drill

	// Err makes every method fail with it; Panicking makes every method
	// panic with a message that holds a secret and a path.
	Err       error
	Panicking bool
	ReadyErr  error // Ready fails with it
	AuditErr  error // RecordAudit fails with it
	DrillsErr error // BackupDrills fails with it

	mu       sync.Mutex
	clock    clock.Clock
	backups  map[string]*backup.Backup
	progress map[string]*service.Progress
	drills   map[string][]backup.Drill // by backup ID, oldest first
	calls    []string
	restores []Restore
	audit    []catalog.AuditEntry // oldest first

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

var _ service.Service = (*Fake)(nil)

// New returns an empty fake on the clock clk (nil: the system clock) with two
// servers ("main-mysql" with crm and shop, "pg-main" with analytics, app and
// billing), a daily type on every server and an hourly one on main-mysql,
// two storages ("local", "offsite"), backups that run for 3 s and a config
// summary with its secrets hidden. Backups still running when the test ends
// are stopped.
func New(t testing.TB, clk clock.Clock) *Fake {
	if clk == nil {
		clk = clock.System{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := clk.Now()
	keep := func(n int) *int { return &n }
	f := &Fake{
		Servers: map[string][]string{
			"main-mysql": {"crm", "shop"},
			"pg-main":    {"analytics", "app", "billing"},
		},
		Types: map[string][]string{"daily": nil, "hourly": {"main-mysql"}},
		NextRun: map[string]time.Time{
			"hourly": n.Truncate(time.Hour).Add(time.Hour),
			"daily":  n.Truncate(24 * time.Hour).Add(24*time.Hour + 2*time.Hour + 30*time.Minute),
		},
		Storages: []string{"local", "offsite"},
		Policy:   retention.Policy{"hourly": {Keep: keep(4)}, "daily": {Keep: keep(3), MaxAge: 14 * 24 * time.Hour}},
		RunFor:   3 * time.Second,
		Started:  n.Add(-26 * time.Hour),
		Config: "catalog:\n  driver: sqlite\n  dsn: <secret>\nservers:\n  - name: main-mysql\n    type: mysql\n    host: 127.0.0.1\n" +
			"    user: backup\n    password: <secret>\n    databases: [crm, shop]\nstorages:\n  - name: offsite\n    type: s3\n" +
			"    access_key_id: <secret>\n    secret_access_key: <secret>\nhttp:\n  auth:\n    tokens:\n      - name: admin\n        role: admin\n        token_sha256: <secret>\n",
		clock: clk, backups: map[string]*backup.Backup{}, progress: map[string]*service.Progress{},
		drills: map[string][]backup.Drill{}, ctx: ctx, cancel: cancel,
	}
	t.Cleanup(f.Stop)
	return f
}

// Stop ends the backups that run; they stay running in the catalog.
func (f *Fake) Stop() {
	f.cancel()
	f.wg.Wait()
}

// Now is the fake's clock.
func (f *Fake) Now() time.Time { return f.clock.Now() }

// enter records a call of name and fails or panics as the switches say.
func (f *Fake) enter(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name)
	if f.Panicking {
		panic("boom: password=" + LeakedSecret + " at /var/lib/gosqlguard/x.go:12")
	}
	return f.Err
}

// Calls lists the method calls so far, in order, by method name (Retention
// as "Retention(true)" for a dry run, "Retention(false)" otherwise).
func (f *Fake) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Count is how many times the method name (as in Calls) was called.
func (f *Fake) Count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == name {
			n++
		}
	}
	return n
}

// Restores lists the calls of RestoreBackup, in order.
func (f *Fake) Restores() []Restore {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.restores)
}

// Backups returns a copy of every backup in the catalog, by ID.
func (f *Fake) Backups() map[string]*backup.Backup {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]*backup.Backup, len(f.backups))
	for id, b := range f.backups {
		out[id] = clone(b)
	}
	return out
}

// Clear empties the catalog.
func (f *Fake) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.backups = map[string]*backup.Backup{}
	f.drills = map[string][]backup.Drill{}
}

// Put stores b as it is (replacing a backup of its ID) and returns it; the
// caller may change it until it serves requests.
func (f *Fake) Put(b *backup.Backup) *backup.Backup {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.backups[b.ID] = b
	return b
}

// Add stores a backup of server/db/typ started at at, with status st and
// error text errText, and returns it (the caller may change it until it
// serves requests). A backup that did not fail has a successful copy in
// every storage, sizes, a checksum and a manifest.
func (f *Fake) Add(server, db, typ string, at time.Time, st backup.Status, errText string) *backup.Backup {
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
	for _, s := range f.Storages {
		b.Locations = append(b.Locations, backup.Location{Storage: s, Key: fmt.Sprintf("%s/%s/%s/%s.%s.zst", server, db, typ, id, ext), Status: backup.LocationSuccess})
	}
	if st == backup.StatusFailed {
		b.Locations = nil
	} else {
		complete(b, raw, fin)
	}
	f.backups[id] = b
	return b
}

// complete fills in what a successful backup has.
func complete(b *backup.Backup, raw int64, fin time.Time) {
	b.RawBytes, b.StoredBytes = raw, raw/5
	b.SHA256 = fmt.Sprintf("%064x", raw*2654435761)
	b.FinishedAt = &fin
	b.Manifest = &backup.Manifest{
		FormatVersion: 1, ID: b.ID, Server: b.Server, Database: b.Database, Type: b.Type,
		Engine: "mariadb", ServerVersion: "10.11.6-MariaDB", DumpTool: "mariadb-dump",
		DumpFlags: []string{"--single-transaction", "--routines", "--events"}, DumpFormat: "sql",
		StartedAt: b.StartedAt, FinishedAt: fin, RawBytes: b.RawBytes, StoredBytes: b.StoredBytes,
		SHA256: b.SHA256, Compression: "zstd",
		Position: &backup.Position{BinlogFile: "mysql-bin.000042", BinlogPos: 1337, GTID: "0-1-4242"},
	}
	if len(b.Locations) > 0 {
		b.Manifest.Object = b.Locations[0].Key
	}
	if b.Server == "pg-main" {
		b.Manifest.Engine, b.Manifest.ServerVersion, b.Manifest.DumpTool, b.Manifest.DumpFormat = "postgres", "15.8", "pg_dump", "pg_custom"
		b.Manifest.DumpFlags = []string{"--format=custom"}
		b.Manifest.Position = &backup.Position{LSN: "0/1A2B3C4D"}
	}
}

// clone is a copy of b that shares nothing mutable with it.
func clone(b *backup.Backup) *backup.Backup {
	c := *b
	c.Locations = slices.Clone(b.Locations)
	if b.Drill != nil {
		d := *b.Drill
		c.Drill = &d
	}
	return &c
}

func (f *Fake) ListBackups(_ context.Context, flt catalog.Filter, q string) ([]*backup.Backup, error) {
	if err := f.enter("ListBackups"); err != nil {
		return nil, err
	}
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
		out = append(out, clone(b))
	}
	slices.SortFunc(out, func(a, b *backup.Backup) int { return strings.Compare(b.ID, a.ID) })
	if flt.Limit > 0 && len(out) > flt.Limit {
		out = out[:flt.Limit]
	}
	return out, nil
}

// GetBackup finds a backup by its ID or, like the app, by a unique prefix
// of it.
func (f *Fake) GetBackup(_ context.Context, id string) (*backup.Backup, error) {
	if err := f.enter("GetBackup"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if b, ok := f.backups[id]; ok {
		return clone(b), nil
	}
	if backup.ValidID(id) {
		return nil, fmt.Errorf("get %s: %w", id, service.ErrNotFound)
	}
	var found []*backup.Backup
	for k, b := range f.backups {
		if strings.HasPrefix(k, id) {
			found = append(found, b)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%w: no backup has an ID starting with %q", service.ErrNotFound, id)
	case 1:
		return clone(found[0]), nil
	}
	return nil, fmt.Errorf("%w: %q matches %d backups: give more of the ID", service.ErrInvalid, id, len(found))
}

// StartBackups starts a backup of every matching database of every
// matching server, as the daemon would.
func (f *Fake) StartBackups(_ context.Context, server, database, typ string) ([]string, error) {
	if err := f.enter("StartBackups"); err != nil {
		return nil, err
	}
	switch {
	case server == "busy":
		return nil, fmt.Errorf("%w: the backup job busy/%s/%s is already running", service.ErrConflict, database, typ)
	case server == "nope": // as the app says it: its usage error wrapped once more
		return nil, fmt.Errorf("%w: %w", service.ErrInvalid, fmt.Errorf("%w: server %q is not configured", errors.New("invalid request"), server))
	case typ == "nope":
		return nil, fmt.Errorf("%w: backup type %q is not configured", service.ErrInvalid, typ)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if server != "" && f.Servers[server] == nil {
		return nil, fmt.Errorf("%w: unknown server %q", service.ErrInvalid, server)
	}
	var ids []string
	busy := 0
	for _, srv := range slices.Sorted(maps.Keys(f.Servers)) {
		if server != "" && srv != server {
			continue
		}
		for _, db := range f.Servers[srv] {
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

func (f *Fake) runningLocked(server, db, typ string) bool {
	for _, b := range f.backups {
		if b.Status == backup.StatusRunning && b.Server == server && b.Database == db && b.Type == typ {
			return true
		}
	}
	return false
}

// startLocked opens a running backup and a goroutine that makes it progress
// for RunFor, then succeed; with no RunFor it succeeds at once.
func (f *Fake) startLocked(server, db, typ string) string {
	start := f.clock.Now()
	id := backup.NewID(start)
	b := &backup.Backup{ID: id, Server: server, Database: db, Type: typ, Status: backup.StatusRunning, StartedAt: start, Compression: "zstd"}
	for _, s := range f.Storages {
		b.Locations = append(b.Locations, backup.Location{Storage: s, Key: fmt.Sprintf("%s/%s/%s/%s.sql.zst", server, db, typ, id), Status: backup.LocationPending})
	}
	f.backups[id] = b
	p := &service.Progress{ID: id, Server: server, Database: db, Type: typ, StartedAt: start, ExpectedBytes: f.ExpectedRaw}
	f.progress[id] = p
	finish := func() {
		delete(f.progress, id)
		for i := range b.Locations {
			b.Locations[i].Status = backup.LocationSuccess
		}
		b.Status = backup.StatusSuccess
		complete(b, max(p.RawBytes, 1), f.clock.Now())
	}
	runFor := f.RunFor
	if runFor <= 0 {
		finish()
		return id
	}
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
		finish()
	}()
	return id
}

// WaitIdle waits until no backup runs.
func (f *Fake) WaitIdle(t testing.TB) {
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

// DeleteBackup marks the backup and its copies deleted; ErrConflict while it
// runs.
func (f *Fake) DeleteBackup(_ context.Context, id string) error {
	if err := f.enter("DeleteBackup"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.backups[id]
	if b == nil {
		return fmt.Errorf("delete %s: %w", id, service.ErrNotFound)
	}
	if b.Status == backup.StatusRunning {
		return fmt.Errorf("%w: backup %s is still running", service.ErrConflict, id)
	}
	n := f.clock.Now()
	b.Status, b.DeletedAt, b.DeleteReason = backup.StatusDeleted, &n, "deleted through the API"
	for i := range b.Locations {
		b.Locations[i].Status = backup.LocationDeleted
	}
	return nil
}

// Download streams Content (or "fake dump of <database>") from the first
// complete copy in storage (any storage when "").
func (f *Fake) Download(_ context.Context, id, storage string) (io.ReadCloser, service.DownloadInfo, error) {
	if err := f.enter("Download"); err != nil {
		return nil, service.DownloadInfo{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.backups[id]
	if b == nil {
		return nil, service.DownloadInfo{}, fmt.Errorf("download %s: %w", id, service.ErrNotFound)
	}
	for _, l := range b.Locations {
		if l.Status == backup.LocationSuccess && (storage == "" || l.Storage == storage) {
			body := f.Content
			if body == "" {
				body = "fake dump of " + b.Database
			}
			return io.NopCloser(strings.NewReader(body)), service.DownloadInfo{Filename: "/srv/backups/" + l.Key, Size: int64(len(body)), Storage: l.Storage}, nil
		}
	}
	return nil, service.DownloadInfo{}, fmt.Errorf("%w: backup %s has no complete copy in storage %q", service.ErrInvalid, id, storage)
}

// VerifyBackup checks every complete copy; the local copy of a partial
// manual backup is corrupt, with a secret and a path in its error.
func (f *Fake) VerifyBackup(_ context.Context, id string) ([]backup.VerifyResult, error) {
	if err := f.enter("VerifyBackup"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.backups[id]
	if b == nil {
		return nil, fmt.Errorf("verify %s: %w", id, service.ErrNotFound)
	}
	var out []backup.VerifyResult
	for _, l := range b.Locations {
		if l.Status != backup.LocationSuccess {
			continue
		}
		res := backup.VerifyResult{Storage: l.Storage, Key: l.Key, Deep: true}
		if b.Type == "manual" && l.Storage == "local" && b.Status == backup.StatusPartial {
			res.Err = fmt.Errorf("%w: sha256 0000, want %s (read /srv/backups/%s; secret=%s)", ErrCorrupt, b.SHA256, l.Key, LeakedSecret)
		}
		out = append(out, res)
	}
	return out, nil
}

// RestoreBackup records the call. A restore into "busy" without Force
// conflicts (the target is not empty); one into "broken" runs and fails
// (service.ErrFailed) with a secret in its error.
func (f *Fake) RestoreBackup(_ context.Context, id string, opts service.RestoreOptions) error {
	if err := f.enter("RestoreBackup"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if opts.ToDatabase == "busy" && !opts.Force { // refused before the backup is read
		f.restores = append(f.restores, Restore{ID: id, Options: opts})
		return fmt.Errorf("%w: database \"busy\" exists and is not empty: it holds 3 tables (send \"force\": true to replace it)", service.ErrConflict)
	}
	if f.backups[id] == nil {
		return fmt.Errorf("restore %s: %w", id, service.ErrNotFound)
	}
	f.restores = append(f.restores, Restore{ID: id, Options: opts})
	if opts.ToDatabase == "broken" {
		return fmt.Errorf("%w: mariadb: ERROR 1045 (28000): Access denied (password=%s)", service.ErrFailed, LeakedSecret)
	}
	return nil
}

// Jobs lists every server × database × scheduled type, and every job that
// has backups, with its last outcomes from the catalog, as the app does.
func (f *Fake) Jobs(_ context.Context) ([]service.Job, error) {
	if err := f.enter("Jobs"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	jobs := map[string]*service.Job{}
	get := func(server, db, typ string) *service.Job {
		k := server + "/" + db + "/" + typ
		if jobs[k] == nil {
			jobs[k] = &service.Job{Server: server, Database: db, Type: typ}
			if t, ok := f.NextRun[typ]; ok {
				jobs[k].NextRun = &t
			}
		}
		return jobs[k]
	}
	for typ, servers := range f.Types {
		for srv, dbs := range f.Servers {
			if servers != nil && !slices.Contains(servers, srv) {
				continue
			}
			for _, db := range dbs {
				get(srv, db, typ)
			}
		}
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
		noteDrill(j, b)
	}
	out := make([]service.Job, 0, len(jobs))
	for k, j := range jobs {
		if f.Removed[k] {
			j.Removed, j.NextRun = true, nil
		}
		out = append(out, *j)
	}
	slices.SortFunc(out, func(a, b service.Job) int {
		return strings.Compare(a.Server+"/"+a.Database+"/"+a.Type, b.Server+"/"+b.Database+"/"+b.Type)
	})
	return out, nil
}

// Retention plans Policy for every storage and, unless dryRun, marks the
// copies it deletes.
func (f *Fake) Retention(_ context.Context, dryRun bool) ([]retention.StoragePlan, error) {
	if err := f.enter(fmt.Sprintf("Retention(%v)", dryRun)); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	list := make([]*backup.Backup, 0, len(f.backups))
	for _, b := range f.backups {
		list = append(list, b)
	}
	var plans []retention.StoragePlan
	for _, s := range f.Storages {
		plan := retention.StoragePlan{Storage: s, Decisions: retention.Plan(s, f.Policy, list)}
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

// Status reports version 1.4.0, the running backups and each storage's
// complete copies.
func (f *Fake) Status(_ context.Context) (service.Status, error) {
	if err := f.enter("Status"); err != nil {
		return service.Status{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	st := service.Status{Version: "1.4.0", Commit: "3f9c2ab", GoVersion: "go1.26.8", StartedAt: f.Started, Running: []string{}, Operations: append([]service.Operation{}, f.RunningOps...)}
	for _, b := range f.backups {
		if b.Status == backup.StatusRunning {
			st.Running = append(st.Running, b.ID)
		}
	}
	slices.Sort(st.Running)
	for i, s := range f.Storages {
		ss := service.StorageStatus{Name: s, Type: "local", Healthy: true}
		if i > 0 {
			ss.Type = "s3"
		}
		if e, ok := f.StorageErrors[s]; ok {
			ss.Healthy, ss.Error = false, e
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

func (f *Fake) Ready(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ReadyErr
}

// SetOperations replaces RunningOps while f serves requests.
func (f *Fake) SetOperations(ops []service.Operation) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.RunningOps = ops
}

// Operations returns f.RunningOps.
func (f *Fake) Operations(context.Context) []service.Operation {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.RunningOps)
}

func (f *Fake) Progress(context.Context) []service.Progress {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]service.Progress, 0, len(f.progress))
	for _, p := range f.progress {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b service.Progress) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func (f *Fake) ConfigSummary() string { return f.Config }

// RecordAudit appends e as the catalog would (ID = count so far + 1,
// texts stored as given), or fails with AuditErr. It is not counted in
// Calls and ignores Err: recording is a side effect of the calls the audit
// wrapper passes on, which record their failures.
func (f *Fake) RecordAudit(_ context.Context, e *catalog.AuditEntry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.AuditErr != nil {
		return f.AuditErr
	}
	e.ID = int64(len(f.audit) + 1)
	f.audit = append(f.audit, *e)
	return nil
}

// AuditLog filters the recorded entries as the catalog does, newest first.
func (f *Fake) AuditLog(_ context.Context, flt catalog.AuditFilter) ([]catalog.AuditEntry, error) {
	if err := f.enter("AuditLog"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []catalog.AuditEntry{}
	for i := len(f.audit) - 1; i >= 0; i-- {
		e := f.audit[i]
		switch {
		case flt.Action != "" && e.Action != flt.Action,
			flt.Actor != "" && e.Actor != flt.Actor,
			flt.Target != "" && e.Target != flt.Target,
			!flt.Since.IsZero() && e.At.Before(flt.Since),
			!flt.Until.IsZero() && !e.At.Before(flt.Until),
			flt.Before > 0 && e.ID >= flt.Before:
			continue
		}
		out = append(out, e)
		if flt.Limit > 0 && len(out) == flt.Limit {
			break
		}
	}
	return out, nil
}

// Audit returns every recorded audit entry, oldest first.
func (f *Fake) Audit() []catalog.AuditEntry {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.audit)
}
