package app

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/config"
	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/runner"
)

func TestBackupsAtOnce(t *testing.T) {
	jobs := func(servers ...string) []runner.Job {
		var js []runner.Job
		for _, s := range servers {
			js = append(js, runner.Job{Server: s})
		}
		return js
	}
	for _, tc := range []struct {
		name             string
		total, perServer int
		jobs             []runner.Job
		want             int
	}{
		{"no jobs", 2, 1, nil, 0},
		{"one job", 4, 4, jobs("a"), 1},
		{"per_server 1, one server", 2, 1, jobs("a", "a", "a"), 1},
		{"per_server 1, two servers", 4, 1, jobs("a", "a", "b"), 2},
		{"total bounds", 2, 4, jobs("a", "a", "a", "b"), 2},
		{"total 1", 1, 4, jobs("a", "b"), 1},
		{"per_server bounds each server", 8, 2, jobs("a", "a", "a", "b", "c", "c"), 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &App{Config: &config.Config{Concurrency: config.Concurrency{Total: tc.total, PerServer: tc.perServer}}}
			if got := a.BackupsAtOnce(tc.jobs); got != tc.want {
				t.Errorf("BackupsAtOnce = %d, want %d", got, tc.want)
			}
		})
	}
}

// gateDumper tells started of each dump, writes a few bytes, then waits
// for gate to close (nil: does not wait) or its ctx to end.
type gateDumper struct {
	dump.Dumper // nil: RunBackups needs only Dump
	started     chan<- string
	gate        <-chan struct{}
}

func (d gateDumper) Dump(ctx context.Context, db string, w io.Writer) (dump.Info, error) {
	d.started <- db
	if _, err := io.WriteString(w, "-- dump of "+db+"\n"); err != nil {
		return dump.Info{}, err
	}
	if d.gate != nil {
		select {
		case <-d.gate:
		case <-ctx.Done():
			return dump.Info{}, context.Cause(ctx)
		}
	}
	return dump.Info{Engine: "mariadb", Format: "sql", Extension: "sql"}, nil
}

// runBackupsApp is an App of the given limits and the jobs "server/db" on
// a gateDumper per server; started gets "server/db" of each dump started.
func runBackupsApp(t *testing.T, total, perServer int, gate <-chan struct{}, names ...string) (*App, []runner.Job, <-chan string) {
	t.Helper()
	a, _, _ := planApp(t, nil)
	a.Runner.Observers = nil // planApp's is for one backup at a time
	a.Config.Concurrency = config.Concurrency{Total: total, PerServer: perServer}
	started := make(chan string, len(names))
	var jobs []runner.Job
	for _, n := range names {
		server, db, _ := strings.Cut(n, "/")
		dbs := make(chan string, 1)
		go func() { started <- server + "/" + <-dbs }()
		jobs = append(jobs, runner.Job{Server: server, Database: db, Type: "manual", Extension: "sql",
			Dumper: gateDumper{started: dbs, gate: gate}, Storages: a.Runner.Storages})
	}
	return a, jobs, started
}

// recvWithin returns what ch gets within d, and false if nothing.
func recvWithin(ch <-chan string, d time.Duration) (string, bool) {
	select {
	case s := <-ch:
		return s, true
	case <-time.After(d):
		return "", false
	}
}

// With room for one backup at a time, the jobs run in their order, each
// line's callback right after its backup.
func TestRunBackupsOneAtATimeInOrder(t *testing.T) {
	names := []string{"b/x", "a/y", "a/x", "c/z"}
	a, jobs, started := runBackupsApp(t, 1, 4, nil, names...)
	var starts, ends []string
	n := a.RunBackups(context.Background(), jobs, func(i int, job *runner.Job) {
		starts = append(starts, names[i])
	}, func(i int, b *backup.Backup, err error) {
		if err != nil || b == nil || b.Status != backup.StatusSuccess {
			t.Errorf("%s: %+v, %v", names[i], b, err)
		}
		ends = append(ends, names[i])
	})
	var dumped []string
	for range names {
		s, _ := recvWithin(started, 10*time.Second)
		dumped = append(dumped, s)
	}
	if n != len(names) || !slices.Equal(starts, names) || !slices.Equal(ends, names) || !slices.Equal(dumped, names) {
		t.Errorf("started %d; start calls %v, end calls %v, dumps %v; want all of %v in order", n, starts, ends, dumped, names)
	}
}

// total 2, per_server 1: the first job of each of two servers runs, the
// others wait; a server's jobs run in their order.
func TestRunBackupsKeepsTheLimits(t *testing.T) {
	gate := make(chan struct{})
	a, jobs, started := runBackupsApp(t, 2, 1, gate, "a/1", "a/2", "a/3", "b/1", "c/1")
	var ends []string
	done := make(chan int)
	go func() {
		done <- a.RunBackups(context.Background(), jobs, nil, func(i int, b *backup.Backup, err error) {
			if err != nil || b == nil || b.Status != backup.StatusSuccess {
				t.Errorf("%s/%s: %+v, %v", jobs[i].Server, jobs[i].Database, b, err)
			}
			ends = append(ends, jobs[i].Server+"/"+jobs[i].Database)
		})
	}()
	first := []string{}
	for range 2 {
		s, ok := recvWithin(started, 10*time.Second)
		if !ok {
			t.Fatalf("fewer than 2 backups started: %v", first)
		}
		first = append(first, s)
	}
	slices.Sort(first)
	if !slices.Equal(first, []string{"a/1", "b/1"}) {
		t.Errorf("first backups %v, want a/1 and b/1", first)
	}
	if s, ok := recvWithin(started, 300*time.Millisecond); ok {
		t.Errorf("%s started beyond total 2", s)
	}
	close(gate)
	if n := <-done; n != 5 {
		t.Errorf("started %d backups, want 5", n)
	}
	var ofA []string
	for _, e := range ends {
		if strings.HasPrefix(e, "a/") {
			ofA = append(ofA, e)
		}
	}
	if len(ends) != 5 || !slices.Equal(ofA, []string{"a/1", "a/2", "a/3"}) {
		t.Errorf("ended %v, want all 5, a's in order", ends)
	}
}

// Once ctx is done, nothing starts; the running backups end (interrupted)
// and are reported.
func TestRunBackupsInterrupted(t *testing.T) {
	a, jobs, started := runBackupsApp(t, 2, 1, make(chan struct{}), "a/1", "a/2", "b/1")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for range 2 {
			recvWithin(started, 10*time.Second)
		}
		cancel()
	}()
	var statuses []backup.Status
	n := a.RunBackups(ctx, jobs, nil, func(i int, b *backup.Backup, err error) {
		if b == nil || err == nil {
			t.Errorf("%s/%s: %+v, %v; want an interrupted backup and its error", jobs[i].Server, jobs[i].Database, b, err)
			return
		}
		statuses = append(statuses, b.Status)
	})
	if n != 2 || !slices.Equal(statuses, []backup.Status{backup.StatusInterrupted, backup.StatusInterrupted}) {
		t.Errorf("started %d, statuses %v; want 2 interrupted", n, statuses)
	}
	if s, ok := recvWithin(started, 200*time.Millisecond); ok {
		t.Errorf("%s started after the cancellation", s)
	}
}
