package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gosqlguard/gosqlguard/internal/auth"
	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/clock"
	"github.com/gosqlguard/gosqlguard/internal/retention"
	"github.com/gosqlguard/gosqlguard/internal/service"
	"github.com/gosqlguard/gosqlguard/internal/service/servicetest"
)

func TestDetailIsOneRedactedShortLine(t *testing.T) {
	got := Detail("dial postgres://app:pw@db/x failed: password=hunter2\nstack line two")
	if strings.Contains(got, "hunter2") || strings.Contains(got, ":pw@") || strings.Contains(got, "line two") || !strings.HasSuffix(got, "…") {
		t.Errorf("Detail = %q", got)
	}
	if got := Detail(strings.Repeat("é", 1000)); utf8.RuneCountInString(got) != maxDetail {
		t.Errorf("Detail of 1000 characters has %d", utf8.RuneCountInString(got))
	}
}

func TestOutcome(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, catalog.AuditOK},
		{fmt.Errorf("%w: job runs", service.ErrConflict), catalog.AuditRefused},
		{fmt.Errorf("x: %w", service.ErrNotFound), catalog.AuditRefused},
		{fmt.Errorf("x: %w", service.ErrInvalid), catalog.AuditRefused},
		{context.Canceled, catalog.AuditCanceled},
		{errors.New("disk full"), catalog.AuditFailed},
		{fmt.Errorf("%w: restore x: verify: sha256 differs", service.ErrFailed), catalog.AuditFailed},
	} {
		if got, _ := Outcome(tc.err); got != tc.want {
			t.Errorf("Outcome(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
}

func TestActor(t *testing.T) {
	if got := Actor(context.Background()); got != Unknown {
		t.Errorf("Actor without principal = %q", got)
	}
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{Name: "ci", Role: auth.RoleOperator})
	if got := Actor(ctx); got != "ci" {
		t.Errorf("Actor = %q, want ci", got)
	}
}

// A download closed before its end is recorded as failed, with how far it got.
func TestDownloadClosedEarly(t *testing.T) {
	f := servicetest.New(t, clock.NewFake(time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)))
	f.Content = "0123456789"
	b := f.Add("main-mysql", "shop", "daily", time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), backup.StatusSuccess, "")
	svc := Wrap(f, nil, nil)
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{Name: "ops", Role: auth.RoleOperator})
	rc, _, err := svc.Download(ctx, b.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(rc, make([]byte, 4)); err != nil {
		t.Fatal(err)
	}
	_ = rc.Close()
	_ = rc.Close() // once only
	es := f.Audit()
	if len(es) != 1 || es[0].Outcome != catalog.AuditFailed || !strings.Contains(es[0].Detail, "stopped after 4 bytes") || es[0].Actor != "ops" {
		t.Fatalf("entries = %+v", es)
	}
	if _, _, err := svc.Download(ctx, "20240101T000000.000Z-000000000000", ""); err == nil {
		t.Fatal("download of an unknown backup succeeded")
	}
	if es := f.Audit(); len(es) != 2 || es[1].Outcome != catalog.AuditRefused {
		t.Fatalf("entries = %+v", es)
	}
}

func TestRetentionEntries(t *testing.T) {
	plans := []retention.StoragePlan{{Storage: "local", Decisions: []retention.Decision{{Action: retention.Delete}, {Action: retention.Keep}}}, {Storage: "s3"}}
	es := RetentionEntries(plans, nil)
	if len(es) != 2 || es[0].Target != "local" || es[0].Detail != "deleted 1, kept 1" || es[1].Outcome != catalog.AuditOK {
		t.Errorf("entries = %+v", es)
	}
	es = RetentionEntries(nil, errors.New("list s3: secret_access_key=abc denied"))
	if len(es) != 1 || es[0].Target != "*" || es[0].Outcome != catalog.AuditFailed || strings.Contains(es[0].Detail, "abc") {
		t.Errorf("entries = %+v", es)
	}
}

func TestCLIActor(t *testing.T) {
	for _, tc := range []struct{ user, uid, want string }{
		{"alice", "1000", "cli:alice"},
		{"", "10001", "cli:uid-10001"},
		{"", "", "cli:uid-unknown"},
	} {
		if got := CLIActor(tc.user, tc.uid); got != tc.want {
			t.Errorf("CLIActor(%q, %q) = %q, want %q", tc.user, tc.uid, got, tc.want)
		}
	}
}

// A backup the command line waited for is recorded with how it ended.
func TestBackupEntry(t *testing.T) {
	b := func(st backup.Status, why string) *backup.Backup {
		return &backup.Backup{ID: "20260101T000000.000Z-0123456789ab", Server: "main", Database: "shop", Type: "manual", Status: st, Error: why}
	}
	for _, tc := range []struct {
		b            *backup.Backup
		err          error
		outcome, det string
	}{
		{b(backup.StatusSuccess, ""), nil, catalog.AuditOK, "main/shop/manual: success"},
		{b(backup.StatusPartial, "storage s3: upload: password=hunter2 refused"), nil, catalog.AuditFailed,
			"main/shop/manual: partial: storage s3: upload: password=<redacted> refused"},
		{b(backup.StatusFailed, "recorded"), errors.New("returned"), catalog.AuditFailed, "main/shop/manual: failed: returned"},
		{b(backup.StatusInterrupted, "interrupted"), nil, catalog.AuditCanceled, "main/shop/manual: interrupted: interrupted"},
	} {
		e := BackupEntry(tc.b, tc.err)
		if e.Action != catalog.AuditBackup || e.Target != tc.b.ID || e.Outcome != tc.outcome || e.Detail != tc.det {
			t.Errorf("BackupEntry(%s, %v) = %+v, want %s %q", tc.b.Status, tc.err, e, tc.outcome, tc.det)
		}
	}
}

// A drill that was interrupted proves nothing either way: canceled, not
// failed.
func TestDrillEntry(t *testing.T) {
	for _, tc := range []struct {
		d            backup.Drill
		err          error
		outcome, det string
	}{
		{backup.Drill{Status: backup.DrillSuccess, Server: "pg", Compared: true}, nil, catalog.AuditOK, "restored on pg, matches the fingerprint"},
		{backup.Drill{Status: backup.DrillSuccess, Server: "pg"}, nil, catalog.AuditOK, "restored on pg; the backup has no fingerprint to compare"},
		{backup.Drill{Status: backup.DrillInterrupted, Error: "drill interrupted: context canceled"}, nil, catalog.AuditCanceled, "drill interrupted: context canceled"},
		{backup.Drill{Status: backup.DrillFailure, Differences: []string{"a", "b"}}, nil, catalog.AuditFailed, "2 differences from the backup's fingerprint"},
		{backup.Drill{}, errors.New("server gone"), catalog.AuditFailed, "server gone"},
	} {
		if e := DrillEntry("id", tc.d, tc.err); e.Action != catalog.AuditDrill || e.Outcome != tc.outcome || e.Detail != tc.det {
			t.Errorf("DrillEntry(%+v, %v) = %+v, want %s %q", tc.d, tc.err, e, tc.outcome, tc.det)
		}
	}
}

// Record stamps the entry and makes its detail safe; a failure to append is
// logged with the entry's fields and the caller's attributes, and the entry
// is appended even when the caller's context has ended.
func TestRecorder(t *testing.T) {
	var got []catalog.AuditEntry
	clk := clock.NewFake(time.Date(2026, 5, 1, 9, 0, 0, 0, time.FixedZone("x", 3600)))
	r := Recorder{Clock: clk, Append: func(ctx context.Context, e *catalog.AuditEntry) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		got = append(got, *e)
		return nil
	}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r.Record(ctx, catalog.AuditEntry{Actor: "cli:alice", Action: catalog.AuditDelete, Target: "x", Outcome: catalog.AuditOK, Detail: "a\nb password=hunter2"})
	if len(got) != 1 || !got[0].At.Equal(clk.Now()) || got[0].At.Location() != time.UTC || got[0].Detail != "a …" {
		t.Fatalf("recorded %+v", got)
	}
	var logs strings.Builder
	r = Recorder{Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Append: func(context.Context, *catalog.AuditEntry) error { return errors.New("database is locked") }}
	r.Record(context.Background(), catalog.AuditEntry{Actor: "cli:alice", Action: catalog.AuditRestore, Target: "id1", Outcome: catalog.AuditFailed}, "command", "restore")
	for _, want := range []string{"level=ERROR", "cannot record an action in the audit trail", "command=restore", "actor=cli:alice", "action=restore", "target=id1", "outcome=failed", `error="database is locked"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log %q lacks %q", logs.String(), want)
		}
	}
}

// A restore's detail says into which database once, without the service's
// sentinel words or the restore's own "restore ID into DB".
func TestRestoreEntryDetail(t *testing.T) {
	const id = "20240601T000000.000Z-0123456789ab"
	for _, tc := range []struct {
		opts    service.RestoreOptions
		err     error
		outcome string
		detail  string
	}{
		{service.RestoreOptions{ToDatabase: "copy"}, nil, catalog.AuditOK, "into copy"},
		{service.RestoreOptions{ToDatabase: "copy"},
			fmt.Errorf("%w: restore %s: storage local: verify: sha256 ab, want cd; target database untouched", service.ErrFailed, id),
			catalog.AuditFailed, "into copy: storage local: verify: sha256 ab, want cd; target database untouched"},
		{service.RestoreOptions{ToDatabase: "copy", Force: true},
			fmt.Errorf("%w: restore %s into copy: mariadb: ERROR 1064", service.ErrFailed, id),
			catalog.AuditFailed, "into copy, forced: mariadb: ERROR 1064"},
		{service.RestoreOptions{},
			fmt.Errorf("%w: restore %s into shop: mariadb: ERROR 1064", service.ErrFailed, id),
			catalog.AuditFailed, "into its own database: mariadb: ERROR 1064"},
		{service.RestoreOptions{},
			fmt.Errorf("%w: restore %s: backup status is failed, not restorable", service.ErrInvalid, id),
			catalog.AuditRefused, "into its own database: backup status is failed, not restorable"},
		{service.RestoreOptions{ToDatabase: "copy"},
			fmt.Errorf("%w: restore %s: restore into \"copy\": target database exists and is not empty", service.ErrConflict, id),
			catalog.AuditRefused, "into copy: restore into \"copy\": target database exists and is not empty"},
		{service.RestoreOptions{ToDatabase: "copy"},
			fmt.Errorf("%w: restore %s into copy: pg_restore: signal: killed", context.Canceled, id),
			catalog.AuditCanceled, "into copy: pg_restore: signal: killed"},
	} {
		e := RestoreEntry(id, tc.opts, tc.err)
		if e.Action != catalog.AuditRestore || e.Target != id || e.Outcome != tc.outcome || e.Detail != tc.detail {
			t.Errorf("RestoreEntry(%+v, %v) = %s %q, want %s %q", tc.opts, tc.err, e.Outcome, e.Detail, tc.outcome, tc.detail)
		}
	}
}

// A deletion names the storages it deleted a copy from, not those gone
// before it; a partial one says so before its error.
func TestDeleteEntry(t *testing.T) {
	loc := func(storage string, st backup.LocationStatus) backup.Location {
		return backup.Location{Storage: storage, Status: st}
	}
	before := []backup.Location{loc("old", backup.LocationDeleted), loc("local", backup.LocationSuccess), loc("s3", backup.LocationSuccess)}
	for _, tc := range []struct {
		after          []backup.Location
		err            error
		outcome, wantD string
	}{
		{[]backup.Location{loc("old", backup.LocationDeleted), loc("local", backup.LocationDeleted), loc("s3", backup.LocationDeleted)}, nil,
			catalog.AuditOK, "from local, s3"},
		{[]backup.Location{loc("old", backup.LocationDeleted), loc("local", backup.LocationDeleted), loc("s3", backup.LocationSuccess)},
			errors.New("delete x: storage s3: access denied"), catalog.AuditFailed, "from local; then: delete x: storage s3: access denied"},
		{before[:1], nil, catalog.AuditOK, "no copy left to delete"},
	} {
		if e := DeleteEntry("x", before, tc.after, tc.err); e.Action != catalog.AuditDelete || e.Outcome != tc.outcome || e.Detail != tc.wantD {
			t.Errorf("DeleteEntry(%v, %v) = %s %q, want %s %q", tc.after, tc.err, e.Outcome, e.Detail, tc.outcome, tc.wantD)
		}
	}
}

// A job's name is kept whole in a detail, as built, as recorded and as
// shown again (SafeDetail), even when its database name ends with a quote,
// after which redaction alone takes "/hourly" for a file path; the error
// texts around it are still redacted.
func TestJobNameSurvivesRedaction(t *testing.T) {
	const db = `trial_dba<i>&amp;"x"`
	const job = "my/" + db + "/hourly"
	var stored []catalog.AuditEntry
	rec := Recorder{Append: func(_ context.Context, e *catalog.AuditEntry) error { stored = append(stored, *e); return nil }}
	b := &backup.Backup{ID: "20260101T000000.000Z-0123456789ab", Server: "my", Database: db, Type: "hourly", Status: backup.StatusSuccess}
	failed := *b
	failed.Status, failed.Error = backup.StatusFailed, "open /var/lib/gosqlguard/x.sql: password=hunter2 denied"
	for _, tc := range []struct {
		e    catalog.AuditEntry
		want string
	}{
		{BackupEntry(b, nil), job + ": success"},
		{BackupEntry(&failed, nil), job + ": failed: open <path>: password=<redacted> denied"},
		{StartedEntry(b.ID, job), "started by a request for " + job},
		{Entry(catalog.AuditBackup, job, fmt.Errorf("%w: the backup job %s is already running in /run/x", service.ErrConflict, job), ""),
			"conflict: the backup job " + job + " is already running in <path>"},
	} {
		stored = nil
		rec.Record(context.Background(), tc.e)
		if tc.e.Detail != tc.want || len(stored) != 1 || stored[0].Detail != tc.want || SafeDetail(stored[0]) != tc.want || ShownDetail(stored[0]) != tc.want {
			t.Errorf("built %q, recorded %+v, want %q", tc.e.Detail, stored, tc.want)
		}
	}

	// Through the API's and the web UI's Service.
	f := servicetest.New(t, clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	f.Servers["my"] = []string{db}
	if _, err := Wrap(f, nil, nil).StartBackups(context.Background(), "my", db, "hourly"); err != nil {
		t.Fatal(err)
	}
	if es := f.Audit(); len(es) != 1 || es[0].Detail != "started by a request for "+job {
		t.Errorf("entries = %+v", es)
	}
}
