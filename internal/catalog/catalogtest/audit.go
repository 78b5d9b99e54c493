package catalogtest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

func appendAudit(t *testing.T, s catalog.Store, e catalog.AuditEntry) catalog.AuditEntry {
	t.Helper()
	if err := s.AppendAudit(context.Background(), &e); err != nil {
		t.Fatalf("AppendAudit(%+v): %v", e, err)
	}
	return e
}

func auditIDs(es []catalog.AuditEntry) []int64 {
	out := make([]int64, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

// Entries come back newest first, as stored, and every filter selects
// exactly its entries; odd texts round-trip and over-long or multi-line
// ones are cut to one line, never refused.
func testAudit(t *testing.T, s catalog.Store) {
	ctx := context.Background()
	if got, err := s.Audit(ctx, catalog.AuditFilter{}); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("Audit of an empty catalog = %v, %v; want an empty, non-nil list", got, err)
	}
	odd := `o'brien "q" \x %_ ünïcödé 日本`
	a := appendAudit(t, s, catalog.AuditEntry{At: t0, Actor: "ci-token", Address: "192.0.2.1", Action: catalog.AuditBackup,
		Target: "srv/shop/manual", Outcome: catalog.AuditStarted})
	b := appendAudit(t, s, catalog.AuditEntry{At: t0.Add(time.Minute), Actor: odd, Address: "2001:db8::1", Action: catalog.AuditDownload,
		Target: ID(t0, 1), Outcome: catalog.AuditOK, Detail: odd})
	c := appendAudit(t, s, catalog.AuditEntry{At: t0.Add(2 * time.Minute), Actor: "daemon", Action: catalog.AuditRetention,
		Target: odd, Outcome: catalog.AuditFailed, Detail: "line one\nline two\r\tend"})
	long := strings.Repeat("é", catalog.MaxAuditDetail+10)
	d := appendAudit(t, s, catalog.AuditEntry{At: t0.Add(3 * time.Minute), Actor: strings.Repeat("a", 300), Action: catalog.AuditDelete,
		Target: ID(t0, 1), Outcome: catalog.AuditRefused, Detail: long + "\xff"})
	if !(a.ID > 0 && b.ID > a.ID && c.ID > b.ID && d.ID > c.ID) {
		t.Fatalf("IDs %d %d %d %d do not increase", a.ID, b.ID, c.ID, d.ID)
	}
	all, err := s.Audit(ctx, catalog.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(auditIDs(all), []int64{d.ID, c.ID, b.ID, a.ID}) {
		t.Fatalf("Audit = %v, want newest first %v", auditIDs(all), []int64{d.ID, c.ID, b.ID, a.ID})
	}
	if got := all[2]; got.Actor != odd || got.Detail != odd || got.Address != "2001:db8::1" || !got.At.Equal(t0.Add(time.Minute)) ||
		got.At.Location() != time.UTC || got.Action != catalog.AuditDownload || got.Outcome != catalog.AuditOK || got.Target != ID(t0, 1) {
		t.Errorf("entry = %+v, want it as appended (%+v)", got, b)
	}
	if got := all[1].Detail; got != "line one line two  end" {
		t.Errorf("multi-line detail stored as %q, want one line", got)
	}
	if got := all[0]; utf8.RuneCountInString(got.Detail) != catalog.MaxAuditDetail || !strings.HasSuffix(got.Detail, "…") ||
		!utf8.ValidString(got.Detail) || utf8.RuneCountInString(got.Actor) != catalog.MaxAuditName || got != d {
		t.Errorf("long entry stored as actor of %d, detail of %d characters (valid %v); AppendAudit gave back %+v",
			utf8.RuneCountInString(got.Actor), utf8.RuneCountInString(got.Detail), utf8.ValidString(got.Detail), d == got)
	}
	for _, tc := range []struct {
		f    catalog.AuditFilter
		want []int64
	}{
		{catalog.AuditFilter{Action: catalog.AuditDownload}, []int64{b.ID}},
		{catalog.AuditFilter{Action: "nope"}, []int64{}},
		{catalog.AuditFilter{Actor: odd}, []int64{b.ID}},
		{catalog.AuditFilter{Actor: "CI-TOKEN"}, []int64{}}, // byte for byte
		{catalog.AuditFilter{Target: ID(t0, 1)}, []int64{d.ID, b.ID}},
		{catalog.AuditFilter{Target: odd}, []int64{c.ID}},
		{catalog.AuditFilter{Since: t0.Add(time.Minute)}, []int64{d.ID, c.ID, b.ID}},
		{catalog.AuditFilter{Until: t0.Add(time.Minute)}, []int64{a.ID}},
		{catalog.AuditFilter{Since: t0.Add(time.Minute), Until: t0.Add(3 * time.Minute)}, []int64{c.ID, b.ID}},
		{catalog.AuditFilter{Before: c.ID}, []int64{b.ID, a.ID}},
		{catalog.AuditFilter{Limit: 2}, []int64{d.ID, c.ID}},
		{catalog.AuditFilter{Target: ID(t0, 1), Action: catalog.AuditDelete, Actor: d.Actor}, []int64{d.ID}},
	} {
		got, err := s.Audit(ctx, tc.f)
		if err != nil || !slices.Equal(auditIDs(got), tc.want) {
			t.Errorf("Audit(%+v) = %v, %v; want %v", tc.f, auditIDs(got), err, tc.want)
		}
	}
	for _, f := range []catalog.AuditFilter{{Limit: -1}, {Before: -1}} {
		if _, err := s.Audit(ctx, f); err == nil {
			t.Errorf("Audit(%+v) succeeded, want an error", f)
		}
	}
	if err := s.AppendAudit(ctx, &catalog.AuditEntry{Actor: "x", Action: catalog.AuditBackup, Outcome: catalog.AuditOK}); err == nil {
		t.Error("AppendAudit without a time succeeded")
	}
}

// Paging with Before neither skips nor repeats entries while new ones are
// appended between pages.
func testAuditCursorStableUnderInserts(t *testing.T, s catalog.Store) {
	ctx := context.Background()
	var old []int64
	for i := range 23 {
		e := appendAudit(t, s, catalog.AuditEntry{At: t0.Add(time.Duration(i) * time.Second), Actor: "op", Action: catalog.AuditVerify,
			Target: ID(t0, i), Outcome: catalog.AuditOK})
		old = append(old, e.ID)
	}
	slices.Reverse(old)
	var (
		seen   []int64
		before int64
	)
	for page := 0; page < 10; page++ {
		got, err := s.Audit(ctx, catalog.AuditFilter{Actor: "op", Before: before, Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			break
		}
		seen = append(seen, auditIDs(got)...)
		before = got[len(got)-1].ID
		appendAudit(t, s, catalog.AuditEntry{At: t0.Add(time.Hour), Actor: "op", Action: catalog.AuditVerify, Target: "new", Outcome: catalog.AuditOK})
		appendAudit(t, s, catalog.AuditEntry{At: t0.Add(time.Hour), Actor: "other", Action: catalog.AuditDelete, Target: "new", Outcome: catalog.AuditOK})
	}
	if !slices.Equal(seen, old) {
		t.Errorf("pages gave %v,\nwant %v", seen, old)
	}
}
