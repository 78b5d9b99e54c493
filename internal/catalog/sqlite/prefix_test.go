package sqlite

import (
	"context"
	"slices"
	"testing"
	"time"
)

func TestIDsWithPrefix(t *testing.T) {
	s := openStore(t)
	t0 := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	a, b, c := fullBackup(t0, 0xa1), fullBackup(t0, 0xa2), fullBackup(t0.Add(time.Hour), 0xb1)
	mustInsert(t, s, a, b, c)
	ctx := context.Background()
	for _, tc := range []struct {
		prefix string
		limit  int
		want   []string
		total  int
	}{
		{a.ID, 0, []string{a.ID}, 1},
		{a.ID[:len(a.ID)-1], 0, []string{a.ID, b.ID}, 2},
		{a.ID[:len(a.ID)-1], 1, []string{a.ID}, 2},
		{"20260301T", 0, []string{a.ID, b.ID, c.ID}, 3},
		{"2026030_T", 0, []string{}, 0}, // LIKE wildcards are plain characters
		{"2026%", 0, []string{}, 0},
		{c.ID + "x", 0, []string{}, 0},
	} {
		ids, total, err := s.IDsWithPrefix(ctx, tc.prefix, tc.limit)
		if err != nil {
			t.Fatalf("%q: %v", tc.prefix, err)
		}
		if !slices.Equal(ids, tc.want) || total != tc.total {
			t.Errorf("IDsWithPrefix(%q, %d) = %v, %d; want %v, %d", tc.prefix, tc.limit, ids, total, tc.want, tc.total)
		}
	}
}
