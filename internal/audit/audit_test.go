package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
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
