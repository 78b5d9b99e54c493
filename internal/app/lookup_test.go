package app

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

func TestLookupByIDPrefix(t *testing.T) {
	a, _, _ := planApp(t, map[string]dump.Dumper{})
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	ids := []string{"20260301T020000.000Z-aaaaaaaaaaa1", "20260301T020000.000Z-aaaaaaaaaaa2", "20260301T030000.000Z-bbbbbbbbbbb1"}
	for _, id := range ids {
		if err := a.Catalog.Insert(ctx, &backup.Backup{ID: id, Server: "s", Database: "d", Type: "manual", Status: backup.StatusSuccess, StartedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		ref, want string
		err       error
		msg       string
	}{
		{ref: ids[0], want: ids[0]},
		{ref: "20260301T03", want: ids[2]},
		{ref: ids[1][:len(ids[1])-1] + "2", want: ids[1]},
		{ref: "20260301T02", err: ErrAmbiguousID, msg: "matches 2 backups"},
		{ref: "2026", err: ErrAmbiguousID, msg: "matches 3 backups (" + ids[0] + ", " + ids[1] + ", " + ids[2] + ")"},
		{ref: "20260301T04", err: catalog.ErrNotFound},
		{ref: "20260301T020000.000Z-000000000000", err: catalog.ErrNotFound}, // well-formed, unknown
		{ref: "../../x", err: catalog.ErrNotFound},
		{ref: "2026%", err: catalog.ErrNotFound},
		{ref: "202", err: ErrIDTooShort},
	} {
		b, err := a.Lookup(ctx, tc.ref)
		switch {
		case tc.err != nil && (!errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.msg)):
			t.Errorf("Lookup(%q) = %v, want %v saying %q", tc.ref, err, tc.err, tc.msg)
		case tc.err == nil && (err != nil || b.ID != tc.want):
			t.Errorf("Lookup(%q) = %v, %v; want %s", tc.ref, b, err, tc.want)
		}
	}
	for ref, want := range map[string]error{"2026": service.ErrInvalid, "202": service.ErrInvalid, "20260301T04": catalog.ErrNotFound} {
		if _, err := a.lookupForAPI(ctx, ref); !errors.Is(err, want) {
			t.Errorf("lookupForAPI(%q) = %v, want %v", ref, err, want)
		}
	}
}
