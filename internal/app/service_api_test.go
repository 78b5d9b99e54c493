package app

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/config"
	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/runner"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

// POST /api/v1/backups with names the config lacks answers with what is
// wrong, in the app's words, once (it used to be "invalid request: invalid
// request").
func TestStartBackupsThroughTheAPISaysWhatIsWrong(t *testing.T) {
	cfg := &config.Config{
		Servers: []config.Server{
			{Name: "main", Type: "mysql", Databases: []string{"shop"}},
			{Name: "pg", Type: "postgres", Databases: []string{"crm"}},
		},
		BackupTypes: map[string]config.BackupType{
			config.ManualType: {},
			"daily":           {Schedule: "0 2 * * *", Servers: []string{"pg"}},
		},
	}
	svc := &daemonService{d: &daemon{app: &App{Config: cfg, Runner: &runner.Runner{}}}}
	handler, err := newHTTPHandler(httpOptions{Service: svc, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ body, want string }{
		{`{"server":"nope"}`, `server "nope" is not configured`},
		{`{"type":"weekly"}`, `backup type "weekly" is not configured`},
		{`{"server":"main","type":"daily"}`, `backup type "daily" does not cover server "main"`},
		{`{"server":"main","database":"crm"}`, `database "crm" is not among the databases to back up of server "main"`},
		{`{"database":"nothere"}`, `database "nothere" is not among the databases to back up of any server`},
	} {
		r := httptest.NewRequest("POST", "http://localhost/api/v1/backups", strings.NewReader(tt.body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		var got struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatalf("%s: %v: %s", tt.body, err, w.Body)
		}
		if w.Code != http.StatusBadRequest || got.Error.Code != "bad_request" || got.Error.Message != tt.want {
			t.Errorf("%s: %d %s %q, want 400 bad_request %q", tt.body, w.Code, got.Error.Code, got.Error.Message, tt.want)
		}
	}
}

func TestAPIWordsForRestoreConflicts(t *testing.T) {
	err := errors.New(`restore into "shop": target database exists and is not empty (use --force to replace it): it holds 3 tables`)
	want := `restore into "shop": target database exists and is not empty (use "force": true to replace it): it holds 3 tables`
	if got := apiWords(err); got != want {
		t.Errorf("apiWords = %q, want %q", got, want)
	}
}

// A backup started through the API on a server that does not answer is a
// failed backup in the catalog (and the observers), as with the schedules
// and the CLI, and the answer names it.
func TestStartBackupsRecordsAServerThatIsDown(t *testing.T) {
	a, _, obs := planApp(t, map[string]dump.Dumper{"s1": listDumper{err: errors.New("connection refused")}})
	a.Logger = slog.New(slog.DiscardHandler)
	svc := &daemonService{d: &daemon{app: a}}
	_, err := svc.StartBackups(t.Context(), "s1", "", "")
	if !errors.Is(err, service.ErrServerDown) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("StartBackups = %v, want a server that is down, naming the cause", err)
	}
	list, lerr := a.Catalog.List(t.Context(), catalog.Filter{Status: backup.StatusFailed})
	if lerr != nil {
		t.Fatal(lerr)
	}
	if len(list) != 1 || list[0].Server != "s1" || list[0].Database != "*" || !strings.Contains(err.Error(), list[0].ID) {
		t.Fatalf("failed rows = %+v, want one for s1/* whose ID the answer names (%v)", list, err)
	}
	if len(obs.got) != 1 {
		t.Errorf("observers told of %d backups, want 1", len(obs.got))
	}
}
