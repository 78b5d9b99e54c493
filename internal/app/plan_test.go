package app

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/catalog/sqlite"
	"github.com/gosqlguard/gosqlguard/internal/config"
	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/runner"
	"github.com/gosqlguard/gosqlguard/internal/storage"
	"github.com/gosqlguard/gosqlguard/internal/storage/local"
)

// listDumper is a server whose discovery returns dbs, or err.
type listDumper struct {
	dump.Dumper // nil: planning calls only Databases
	dbs         []string
	err         error
}

func (d listDumper) Databases(context.Context) ([]string, error) { return d.dbs, d.err }

// finished records what the observers are told.
type finished struct {
	runner.Observer
	got []*backup.Backup
}

func (f *finished) BackupStarted(*backup.Backup)    {}
func (f *finished) BackupFinished(b *backup.Backup) { f.got = append(f.got, b) }

// planApp is an App with a real catalog and one local storage, whose
// servers discover what the dumpers say.
func planApp(t *testing.T, dumpers map[string]dump.Dumper) (*App, string, *finished) {
	t.Helper()
	dir := t.TempDir()
	cat, err := sqlite.Open(context.Background(), filepath.Join(dir, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close() })
	root := filepath.Join(dir, "backups")
	st, err := local.New("local", root)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{BackupTypes: map[string]config.BackupType{"manual": {}}}
	for _, name := range slices.Sorted(maps.Keys(dumpers)) {
		cfg.Servers = append(cfg.Servers, config.Server{Name: name, Type: "mysql"})
	}
	obs := &finished{}
	a := &App{Config: cfg, Catalog: cat, dumpers: dumpers,
		Runner: &runner.Runner{Catalog: cat, Storages: []storage.Backend{st}, Observers: []runner.Observer{obs}}}
	return a, root, obs
}

func jobNames(jobs []runner.Job) []string {
	var out []string
	for _, j := range jobs {
		out = append(out, j.Server+"/"+j.Database)
	}
	return out
}

func TestPlanRecordsRefusedNames(t *testing.T) {
	refused := []string{".", "..", "../../etc", "a\nb", "tab\there", "x/y"}
	a, root, obs := planApp(t, map[string]dump.Dumper{"s1": listDumper{dbs: append([]string{"good"}, refused...)}})
	ctx := context.Background()
	jobs, errs, err := a.Plan(ctx, Selector{})
	if err != nil {
		t.Fatal(err)
	}
	if got := jobNames(jobs); !slices.Equal(got, []string{"s1/good"}) {
		t.Fatalf("jobs = %v, want only s1/good", got)
	}
	if len(errs) != len(refused) {
		t.Fatalf("errs = %v, want one per refused name", errs)
	}
	for i, e := range errs {
		var re *RefusedNameError
		if !errors.As(e, &re) || re.Database != refused[i] || re.Server != "s1" {
			t.Fatalf("errs[%d] = %v, want a RefusedNameError for %q", i, e, refused[i])
		}
		b, err := a.RecordPlanError(ctx, "", e)
		if err != nil || b == nil {
			t.Fatalf("RecordPlanError(%v) = %v, %v", e, b, err)
		}
		got, err := a.Catalog.Get(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != backup.StatusFailed || got.Database != refused[i] || got.Type != "manual" || len(got.Locations) != 0 ||
			!strings.Contains(got.Error, "invalid database name") || !strings.Contains(got.Error, "storage key") {
			t.Errorf("recorded row = %+v, want failed, the raw name, no location, an error saying why", got)
		}
		// Deleting the row never makes a key of the name.
		if err := a.Runner.DeleteCopies(ctx, got, nil, "test"); err != nil {
			t.Errorf("delete %q: %v", refused[i], err)
		}
	}
	if len(obs.got) != len(refused) {
		t.Errorf("observers told of %d backups, want %d", len(obs.got), len(refused))
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("storage written for refused names: %v", entries)
	}
}

func TestPlanDatabaseOnEveryServerThatHasIt(t *testing.T) {
	down := listDumper{err: errors.New("connection refused")}
	for _, tc := range []struct {
		name     string
		dumpers  map[string]dump.Dumper
		sel      Selector
		wantJobs []string
		wantErrs []string
	}{
		{name: "one of two has it",
			dumpers:  map[string]dump.Dumper{"s1": listDumper{dbs: []string{"a", "d"}}, "s2": listDumper{dbs: []string{"a"}}},
			sel:      Selector{Database: "d"},
			wantJobs: []string{"s1/d"}},
		{name: "both have it",
			dumpers:  map[string]dump.Dumper{"s1": listDumper{dbs: []string{"d"}}, "s2": listDumper{dbs: []string{"d"}}},
			sel:      Selector{Database: "d"},
			wantJobs: []string{"s1/d", "s2/d"}},
		{name: "none has it",
			dumpers:  map[string]dump.Dumper{"s1": listDumper{dbs: []string{"a"}}, "s2": listDumper{dbs: []string{"b"}}},
			sel:      Selector{Database: "d"},
			wantErrs: []string{`database "d" is not among the databases to back up of any server`}},
		{name: "the named server lacks it",
			dumpers:  map[string]dump.Dumper{"s1": listDumper{dbs: []string{"a"}}, "s2": listDumper{dbs: []string{"d"}}},
			sel:      Selector{Server: "s1", Database: "d"},
			wantErrs: []string{`server s1: database "d" is not among its databases`}},
		{name: "a server is down",
			dumpers:  map[string]dump.Dumper{"s1": listDumper{dbs: []string{"d"}}, "s2": down},
			sel:      Selector{Database: "d"},
			wantJobs: []string{"s1/d"},
			wantErrs: []string{"server s2: list databases: connection refused"}},
		{name: "down and none of the others has it",
			dumpers:  map[string]dump.Dumper{"s1": listDumper{dbs: []string{"a"}}, "s2": down},
			sel:      Selector{Database: "d"},
			wantErrs: []string{"server s2: list databases", `database "d" is not among the databases to back up of any server that answered`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, _, _ := planApp(t, tc.dumpers)
			jobs, errs, err := a.Plan(context.Background(), tc.sel)
			if err != nil {
				t.Fatal(err)
			}
			if got := jobNames(jobs); !slices.Equal(got, tc.wantJobs) {
				t.Errorf("jobs = %v, want %v", got, tc.wantJobs)
			}
			if len(errs) != len(tc.wantErrs) {
				t.Fatalf("errs = %v, want %d", errs, len(tc.wantErrs))
			}
			for i, e := range errs {
				if !strings.Contains(e.Error(), tc.wantErrs[i]) {
					t.Errorf("errs[%d] = %v, want it to say %q", i, e, tc.wantErrs[i])
				}
			}
		})
	}
	a, _, _ := planApp(t, map[string]dump.Dumper{"s1": listDumper{}})
	if _, _, err := a.Plan(context.Background(), Selector{Database: "../x"}); !errors.Is(err, ErrUsage) {
		t.Errorf("Plan(--database ../x) = %v, want ErrUsage", err)
	}
}

func TestRecordPlanErrorUnreachableServer(t *testing.T) {
	a, root, obs := planApp(t, map[string]dump.Dumper{"s1": listDumper{err: errors.New("connection refused")}})
	var logs bytes.Buffer
	a.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	ctx := context.Background()
	_, errs, err := a.Plan(ctx, Selector{})
	if err != nil || len(errs) != 1 {
		t.Fatalf("Plan = %v, %v; want one server error", errs, err)
	}
	b, err := a.RecordPlanError(ctx, "manual", errs[0])
	if err != nil {
		t.Fatal(err)
	}
	if want := "level=ERROR msg=\"backup could not start\" id=" + b.ID + " server=s1 database=*"; !strings.Contains(logs.String(), want) {
		t.Errorf("log:\n%s\nwant a line with %s", logs.String(), want)
	}
	list, err := a.Catalog.List(ctx, catalog.Filter{Status: backup.StatusFailed})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != b.ID || list[0].Database != "*" || !strings.Contains(list[0].Error, "connection refused") {
		t.Fatalf("failed rows = %+v, want one for s1/* saying why", list)
	}
	if len(obs.got) != 1 || obs.got[0].Status != backup.StatusFailed {
		t.Errorf("observers told %v, want the failed backup", obs.got)
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("storage written for a server that is down: %v", entries)
	}
	// Other plan errors stand for no backup.
	if b, err := a.RecordPlanError(ctx, "manual", errors.New("database \"d\" is not among ...")); b != nil || err != nil {
		t.Errorf("RecordPlanError(plain error) = %v, %v; want nothing", b, err)
	}
}
