package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/owner"
	"github.com/gosqlguard/gosqlguard/internal/pipeline"
)

// drillDumper is a fakeDumper whose server holds databases: Restore creates
// one (unless restoreErr), Fingerprint counts as told, DropDrill drops.
type drillDumper struct {
	fakeDumper
	mu         sync.Mutex
	dbs        map[string]bool
	dropped    []string
	restoreErr error
	fp         backup.Fingerprint
	// block, when set, makes Restore wait for ctx to end (a killed drill).
	block bool
}

func newDrillDumper() *drillDumper {
	return &drillDumper{fakeDumper: fakeDumper{content: sample()}, dbs: map[string]bool{}}
}

func (d *drillDumper) Restore(ctx context.Context, db string, r io.Reader, opts dump.RestoreOptions) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	d.mu.Lock()
	d.dbs[db] = true
	d.mu.Unlock()
	if d.block {
		<-ctx.Done()
		return ctx.Err()
	}
	if d.restoreErr != nil {
		d.mu.Lock()
		delete(d.dbs, db) // the engine rolls its own restore back
		d.mu.Unlock()
		return d.restoreErr
	}
	return nil
}

func (d *drillDumper) Fingerprint(ctx context.Context, db string) (backup.Fingerprint, error) {
	if err := ctx.Err(); err != nil {
		return backup.Fingerprint{}, err
	}
	return d.fp, nil
}

func (d *drillDumper) DropDrill(ctx context.Context, db string) error {
	if !dump.IsDrillName(db) {
		return errors.New("not a drill name")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.dbs, db)
	d.dropped = append(d.dropped, db)
	return nil
}

func (d *drillDumper) DrillLeftovers(ctx context.Context) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for db := range d.dbs {
		if dump.IsDrillName(db) {
			out = append(out, db)
		}
	}
	slices.Sort(out)
	return out, nil
}

func (d *drillDumper) databases() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for db := range d.dbs {
		out = append(out, db)
	}
	return out
}

// drillObserver records DrillFinished calls.
type drillObserver struct {
	recorder
	drills []backup.Drill
}

func (o *drillObserver) DrillFinished(b *backup.Backup, d backup.Drill, restore time.Duration) {
	o.drills = append(o.drills, d)
}

func drilledBackup(t *testing.T, f *fixture, d dump.Dumper, fp *backup.Fingerprint) *backup.Backup {
	t.Helper()
	b, err := f.r.Backup(context.Background(), f.job(d))
	if err != nil {
		t.Fatal(err)
	}
	b.Manifest.Fingerprint = fp
	return b
}

func TestDrill(t *testing.T) {
	want := &backup.Fingerprint{Rows: map[string]int64{"t": 2}, Objects: map[string]int64{"tables": 1}}
	for name, tc := range map[string]struct {
		want       *backup.Fingerprint
		got        backup.Fingerprint
		restoreErr error
		status     backup.DrillStatus
		compared   bool
		diffs      []string
		errPart    string
	}{
		"matches":     {want: want, got: *want, status: backup.DrillSuccess, compared: true},
		"differs":     {want: want, got: backup.Fingerprint{Rows: map[string]int64{"t": 1}, Objects: map[string]int64{"tables": 1}}, status: backup.DrillFailure, compared: true, diffs: []string{"table t: 1 rows, want 2"}},
		"restore":     {want: want, restoreErr: errors.New(`pg_restore: error: function similarity(text, text) does not exist`), status: backup.DrillFailure, compared: false, errPart: "similarity(text, text) does not exist"},
		"no baseline": {want: nil, got: *want, status: backup.DrillSuccess, compared: false},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, pipeline.Options{Codec: "zstd"})
			obs := &drillObserver{}
			f.r.Observers = []Observer{obs}
			d := newDrillDumper()
			d.fp, d.restoreErr = tc.got, tc.restoreErr
			b := drilledBackup(t, f, d, tc.want)

			res, err := f.r.Drill(ctx, DrillRequest{Backup: b, Server: "srv", Dumper: d})
			if err != nil {
				t.Fatalf("Drill: %v", err)
			}
			if res.Status != tc.status || res.Compared != tc.compared || strings.Join(res.Differences, "|") != strings.Join(tc.diffs, "|") {
				t.Errorf("drill = %+v, want status %s compared %v differences %q", res.Drill, tc.status, tc.compared, tc.diffs)
			}
			if res.Differences == nil {
				t.Error("Differences is nil, want an empty list")
			}
			if !strings.Contains(res.Error, tc.errPart) || (tc.errPart == "") != (res.Error == "") {
				t.Errorf("error = %q, want it to contain %q", res.Error, tc.errPart)
			}
			if !dump.IsDrillName(res.Scratch) || !slices.Contains(d.dropped, res.Scratch) || len(d.databases()) != 0 {
				t.Errorf("scratch %q: dropped %q, left %q", res.Scratch, d.dropped, d.databases())
			}
			got, err := f.r.Catalog.Get(ctx, b.ID)
			if err != nil || got.Drill == nil || got.Drill.Status != tc.status || got.Drill.Server != "srv" {
				t.Errorf("catalog drill = %+v, %v", got.Drill, err)
			}
			if len(obs.drills) != 1 || obs.drills[0].Status != tc.status {
				t.Errorf("observer saw %+v", obs.drills)
			}
		})
	}
}

// A drill whose context ends (shutdown, Ctrl-C) is interrupted, not
// failed, and still drops its database.
func TestDrillCancelledDropsItsDatabase(t *testing.T) {
	f := newFixture(t, pipeline.Options{Codec: "zstd"})
	obs := &drillObserver{}
	f.r.Observers = []Observer{obs}
	d := newDrillDumper()
	b := drilledBackup(t, f, d, nil)
	d.block = true
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	res, err := f.r.Drill(ctx, DrillRequest{Backup: b, Server: "srv", Dumper: d})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != backup.DrillInterrupted || len(d.databases()) != 0 {
		t.Errorf("cancelled drill: status %s, databases left %q", res.Status, d.databases())
	}
	if !strings.Contains(res.Error, "interrupted") {
		t.Errorf("cancelled drill: error %q, want it to say interrupted", res.Error)
	}
	// Recorded, but an interrupted drill proves nothing: it is not the
	// backup's last drill.
	hist, _ := f.r.Catalog.Drills(context.Background(), b.ID)
	if len(hist) != 1 || hist[0].Status != backup.DrillInterrupted {
		t.Errorf("catalog history: %+v", hist)
	}
	if got, _ := f.r.Catalog.Get(context.Background(), b.ID); got.Drill != nil {
		t.Errorf("catalog: the backup's drill is the interrupted one: %+v", got.Drill)
	}
	if len(obs.drills) != 1 || obs.drills[0].Status != backup.DrillInterrupted {
		t.Errorf("observer saw %+v", obs.drills)
	}
}

func TestDrillRefusesUnfinishedBackup(t *testing.T) {
	f := newFixture(t, pipeline.Options{Codec: "zstd"})
	d := newDrillDumper()
	_, err := f.r.Drill(context.Background(), DrillRequest{Backup: &backup.Backup{ID: "x", Status: backup.StatusFailed}, Dumper: d})
	if !errors.Is(err, ErrNotRestorable) {
		t.Errorf("err = %v, want ErrNotRestorable", err)
	}
}

// startProcess starts name (this test binary when name is "") as a process
// that waits, and kills it at cleanup; it returns its PID.
func startProcess(t *testing.T, name string) int {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	if name == "" {
		cmd = exec.Command(os.Args[0], "-test.run=^TestHelperWaitingProcess$")
		cmd.Env = append(os.Environ(), "GOSQLGUARD_TEST_WAIT=1")
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start a process: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd.Process.Pid
}

// TestHelperWaitingProcess is the process startProcess starts: another
// process of this program, as far as drill cleanup can tell.
func TestHelperWaitingProcess(t *testing.T) {
	if os.Getenv("GOSQLGUARD_TEST_WAIT") != "1" {
		t.Skip("a helper process, run by startProcess")
	}
	time.Sleep(time.Minute)
}

func TestCleanDrillLeftovers(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, pipeline.Options{Codec: "zstd"})
	d := newDrillDumper()
	b := drilledBackup(t, f, d, nil)
	host, _ := os.Hostname()
	ours := startProcess(t, "")       // another process of this program
	other := startProcess(t, "sleep") // an unrelated program

	planted := dump.NewDrillName()
	killed := dump.NewDrillName()   // recorded running by a process that is gone
	live := dump.NewDrillName()     // recorded running by a process that is alive
	liveOld := dump.NewDrillName()  // the same, recorded without a boot ID
	reused := dump.NewDrillName()   // its PID now belongs to another program
	rebooted := dump.NewDrillName() // recorded before the host rebooted
	foreign := dump.NewDrillName()  // recorded running on another host
	for _, n := range []string{planted, killed, live, liveOld, reused, rebooted, foreign, "shop", "gosqlguard_drill_short"} {
		d.dbs[n] = true
	}
	record := func(scratch, host string, pid int) {
		t.Helper()
		rec := &catalog.DrillRecord{BackupID: b.ID, Scratch: scratch, Host: host, PID: pid, Drill: backup.Drill{At: time.Now(), Server: "srv"}}
		if err := f.r.Catalog.InsertDrill(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	record(killed, drillHost(), 1<<22+12345) // above pid_max: no such process
	record(live, owner.Of(ours).Record(), ours)
	record(liveOld, host, ours)
	record(reused, drillHost(), other)
	wantDropped := []string{killed, reused}
	wantLeft := []string{planted, live, liveOld, foreign, "shop", "gosqlguard_drill_short"}
	if bootID() != "" {
		record(rebooted, host+bootSep+"00000000-0000-0000-0000-000000000000", ours)
		wantDropped = append(wantDropped, rebooted)
	} else {
		delete(d.dbs, rebooted)
	}
	record(foreign, "elsewhere", 1)

	dropped, err := f.r.CleanDrillLeftovers(ctx, "srv", d)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(dropped)
	slices.Sort(wantDropped)
	if !slices.Equal(dropped, wantDropped) {
		t.Errorf("dropped %q, want %q", dropped, wantDropped)
	}
	left := d.databases()
	slices.Sort(left)
	slices.Sort(wantLeft)
	if !slices.Equal(left, wantLeft) {
		t.Errorf("left %q, want %q", left, wantLeft)
	}
	running, _ := f.r.Catalog.RunningDrills(ctx)
	if len(running) != 3 {
		t.Errorf("running drills after cleanup = %+v, want the two live and the foreign one", running)
	}
	hist, _ := f.r.Catalog.Drills(ctx, b.ID)
	for _, h := range hist {
		if slices.Contains(wantDropped, h.Scratch) && (h.Status != backup.DrillFailure || !strings.Contains(h.Error, "interrupted")) {
			t.Errorf("the dead drill's record = %+v", h)
		}
	}
}

// downDumper's server does not answer: CheckTarget fails, the target
// (nothing) unchanged.
type downDumper struct{ *drillDumper }

func (d downDumper) CheckTarget(context.Context, string, dump.RestoreOptions) error {
	return fmt.Errorf("connecting: dial unix /nonexistent: no such file; %w", dump.ErrTargetUnchanged)
}

// A drill whose server is down fails with the server's error, and does not
// try to drop a database that was never made.
func TestDrillOnADownServerDropsNothing(t *testing.T) {
	f := newFixture(t, pipeline.Options{Codec: "zstd"})
	d := newDrillDumper()
	b := drilledBackup(t, f, d, nil)
	res, err := f.r.Drill(context.Background(), DrillRequest{Backup: b, Server: "srv", Dumper: downDumper{d}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != backup.DrillFailure || !strings.Contains(res.Error, "dial unix") || strings.Contains(res.Error, "drop scratch") {
		t.Errorf("drill = %+v", res)
	}
	if len(d.dropped) != 0 {
		t.Errorf("dropped %q, want nothing", d.dropped)
	}
}
