package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// The one-shot backup runs its backups at the same time within
// concurrency.total and concurrency.per_server. Every database's table is
// locked (its dump waits), so the backups that started stay running: the
// catalog then shows exactly as many running at once as the limits allow,
// and afterwards the backups' started/finished times overlap that much and
// no more.
func TestBackupConcurrencyLimits(t *testing.T) {
	dbs := make([]string, 4)
	for i := range dbs {
		dbs[i] = newMariaDB(t, fmt.Sprintf("conc%d", i))
		execAll(t, mariadbAdmin(t, dbs[i]), "CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1), (2), (3)")
	}
	server := func(name string, dbs ...string) serverSpec {
		return serverSpec{name: name, typ: "mysql", socket: mariadbSocket, user: "root", databases: dbs}
	}
	tests := []struct {
		name             string
		total, perServer int
		servers          []serverSpec
		atOnce           int // backups running at once while the dumps wait
	}{
		{"total 2 on one server", 2, 2, []serverSpec{server("m", dbs[:3]...)}, 2},
		{"total 1", 1, 2, []serverSpec{server("m", dbs[:3]...)}, 1},
		{"per_server 1 on two servers", 2, 1, []serverSpec{server("m1", dbs[:2]...), server("m2", dbs[2:]...)}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t, tt.servers, options{extra: fmt.Sprintf("concurrency: {total: %d, per_server: %d}\n", tt.total, tt.perServer)})
			var want []string // the databases backed up
			var locks []string
			for _, srv := range tt.servers {
				for _, db := range srv.databases {
					want = append(want, srv.name+"/"+db)
					locks = append(locks, "`"+db+"`.t WRITE")
				}
			}
			lock := mariadbAdmin(t, "")
			execAll(t, lock, "LOCK TABLES "+strings.Join(locks, ", "))
			unlocked := false
			unlock := func() {
				if !unlocked {
					unlocked = true
					execAll(t, lock, "UNLOCK TABLES")
				}
			}
			t.Cleanup(unlock)

			bg := startBackground(t, nil, nil, "backup", "--no-prune", "--config", s.configPath)
			stdout, stderr, done := &bg.stdout, &bg.stderr, bg.done

			running := func() []listed { return s.listTimes(t, "--status", "running") }
			deadline := time.Now().Add(30 * time.Second)
			for len(running()) < tt.atOnce {
				if time.Now().After(deadline) {
					t.Fatalf("fewer than %d backups running after 30s: %+v\n%s", tt.atOnce, running(), stderr.String())
				}
				time.Sleep(100 * time.Millisecond)
			}
			// The running dumps wait for the lock: give a backup beyond the
			// limits time to start, were it to.
			time.Sleep(time.Second)
			now := running()
			if len(now) != tt.atOnce {
				t.Errorf("%d backups running at once, want %d: %+v", len(now), tt.atOnce, now)
			}
			if n := maxPerServer(now); n > tt.perServer {
				t.Errorf("%d backups running at once on one server, want at most %d: %+v", n, tt.perServer, now)
			}
			unlock()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("backup: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
				}
			case <-time.After(2 * time.Minute):
				t.Fatalf("backup still running 2 minutes after the unlock:\n%s", stderr.String())
			}

			// One line per backup, each printed once and whole.
			var got []string
			for _, l := range strings.Split(strings.TrimRight(stdout.String(), "\n"), "\n") {
				f := strings.Split(l, "\t")
				if len(f) != 6 || f[4] != "success" {
					t.Errorf("line %q, want ID SERVER DATABASE manual success SIZE", l)
					continue
				}
				got = append(got, f[1]+"/"+f[2])
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("lines for %v, want one for each of %v:\n%s", got, want, stdout.String())
			}

			all := s.listTimes(t)
			if len(all) != len(want) {
				t.Fatalf("catalog has %d backups, want %d: %+v", len(all), len(want), all)
			}
			if n := maxOverlap(all); n != tt.atOnce {
				t.Errorf("at most %d backups overlapped, want %d: %+v", n, tt.atOnce, all)
			}
			bySrv := map[string][]listed{}
			for _, b := range all {
				bySrv[b.Server] = append(bySrv[b.Server], b)
			}
			for srv, bs := range bySrv {
				if n := maxOverlap(bs); n > tt.perServer {
					t.Errorf("%d backups of server %s overlapped, want at most %d: %+v", n, srv, tt.perServer, bs)
				}
			}
		})
	}
}

// maxPerServer returns the largest number of backups of one server in bs.
func maxPerServer(bs []listed) int {
	n := map[string]int{}
	most := 0
	for _, b := range bs {
		n[b.Server]++
		most = max(most, n[b.Server])
	}
	return most
}

// maxOverlap returns the largest number of backups of bs running at the
// same instant, from their started and finished times (a backup that
// finished when another started does not overlap it).
func maxOverlap(bs []listed) int {
	type event struct {
		at    time.Time
		delta int
	}
	var events []event
	for _, b := range bs {
		events = append(events, event{b.StartedAt, 1}, event{b.FinishedAt, -1})
	}
	slices.SortFunc(events, func(a, b event) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.delta - b.delta // ends before starts at the same instant
	})
	n, most := 0, 0
	for _, e := range events {
		n += e.delta
		most = max(most, n)
	}
	return most
}
