package sqlite

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

// fixture is a small catalog; backup i started i hours after t0.
func fixture() []*backup.Backup {
	type spec struct {
		server, db, typ string
		status          backup.Status
		storages        []string
	}
	specs := []spec{
		0: {"m", "shop", "daily", backup.StatusSuccess, []string{"local", "offsite"}},
		1: {"m", "crm", "daily", backup.StatusSuccess, []string{"local"}},
		2: {"p", "shop", "hourly", backup.StatusFailed, nil},
		3: {"p", "app", "hourly", backup.StatusSuccess, []string{"offsite"}},
		4: {"m", "shop", "weekly", backup.StatusPartial, []string{"local", "offsite"}},
		5: {"m", "shop", "daily", backup.StatusRunning, []string{"local"}},
		6: {"p", "app", "manual", backup.StatusInterrupted, []string{"local"}},
		7: {"m", "crm", "hourly", backup.StatusDeleted, []string{"offsite"}},
	}
	var out []*backup.Backup
	for i, sp := range specs {
		b := fullBackup(t0.Add(time.Duration(i)*time.Hour), i)
		b.Server, b.Database, b.Type, b.Status = sp.server, sp.db, sp.typ, sp.status
		b.Manifest.Server, b.Manifest.Database, b.Manifest.Type = sp.server, sp.db, sp.typ
		b.Locations = nil
		for _, st := range sp.storages {
			b.Locations = append(b.Locations, backup.Location{Storage: st, Key: st + "/" + b.ID, Status: backup.LocationSuccess})
		}
		out = append(out, b)
	}
	return out
}

func TestListFilters(t *testing.T) {
	fx := fixture()
	s := openStore(t)
	mustInsert(t, s, fx...)
	ctx := context.Background()
	hour := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }

	tests := []struct {
		name string
		f    catalog.Filter
		want []int // fixture indexes, newest first
	}{
		{"no filter", catalog.Filter{}, []int{7, 6, 5, 4, 3, 2, 1, 0}},
		{"server", catalog.Filter{Server: "m"}, []int{7, 5, 4, 1, 0}},
		{"database", catalog.Filter{Database: "shop"}, []int{5, 4, 2, 0}},
		{"type", catalog.Filter{Type: "hourly"}, []int{7, 3, 2}},
		{"type manual", catalog.Filter{Type: "manual"}, []int{6}},
		{"status", catalog.Filter{Status: backup.StatusSuccess}, []int{3, 1, 0}},
		{"status running", catalog.Filter{Status: backup.StatusRunning}, []int{5}},
		{"unknown status", catalog.Filter{Status: "bogus"}, nil},
		{"storage offsite", catalog.Filter{Storage: "offsite"}, []int{7, 4, 3, 0}},
		{"storage local", catalog.Filter{Storage: "local"}, []int{6, 5, 4, 1, 0}},
		{"unknown storage", catalog.Filter{Storage: "nowhere"}, nil},
		{"unknown server", catalog.Filter{Server: "nobody"}, nil},
		{"since", catalog.Filter{Since: hour(3)}, []int{7, 6, 5, 4, 3}},
		{"until", catalog.Filter{Until: hour(3)}, []int{2, 1, 0}},
		{"since and until", catalog.Filter{Since: hour(2), Until: hour(5)}, []int{4, 3, 2}},
		{"since after until", catalog.Filter{Since: hour(5), Until: hour(2)}, nil},
		{"before", catalog.Filter{Before: fx[5].ID}, []int{4, 3, 2, 1, 0}},
		{"before oldest", catalog.Filter{Before: fx[0].ID}, nil},
		{"limit", catalog.Filter{Limit: 3}, []int{7, 6, 5}},
		{"limit above count", catalog.Filter{Limit: 100}, []int{7, 6, 5, 4, 3, 2, 1, 0}},
		{"server and database", catalog.Filter{Server: "m", Database: "shop"}, []int{5, 4, 0}},
		{"server, database, type", catalog.Filter{Server: "m", Database: "shop", Type: "daily"}, []int{5, 0}},
		{"server and storage", catalog.Filter{Server: "m", Storage: "offsite"}, []int{7, 4, 0}},
		{"server, storage, status", catalog.Filter{Server: "m", Storage: "offsite", Status: backup.StatusPartial}, []int{4}},
		{"storage, time window, limit", catalog.Filter{Storage: "local", Since: hour(1), Until: hour(6), Limit: 2}, []int{5, 4}},
		{"storage and before", catalog.Filter{Storage: "local", Before: fx[5].ID}, []int{4, 1, 0}},
		{"every field", catalog.Filter{
			Server: "p", Database: "app", Type: "hourly", Status: backup.StatusSuccess, Storage: "offsite",
			Since: hour(3), Until: hour(4), Before: fx[4].ID, Limit: 1,
		}, []int{3}},
		{"every field, one excludes", catalog.Filter{
			Server: "p", Database: "app", Type: "hourly", Status: backup.StatusSuccess, Storage: "local",
			Since: hour(3), Until: hour(4), Before: fx[4].ID, Limit: 1,
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.List(ctx, tc.f)
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			if got == nil {
				t.Error("List returned nil, want an empty slice")
			}
			want := make([]string, 0, len(tc.want))
			for _, i := range tc.want {
				want = append(want, fx[i].ID)
			}
			if !slices.Equal(ids(got), want) {
				t.Fatalf("List(%+v) =\n %v\nwant\n %v", tc.f, ids(got), want)
			}
			// Every listed backup comes whole: fields, locations in order, manifest.
			for i, b := range got {
				assertBackup(t, b, fx[tc.want[i]])
			}
		})
	}
}

func TestListTimeBoundaries(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	at := time.Date(2025, 6, 30, 23, 59, 59, 999999999, time.UTC)
	b := fullBackup(at, 1)
	mustInsert(t, s, b)
	// A neighbour one nanosecond later, to show the bounds cut between them.
	next := fullBackup(at.Add(time.Nanosecond), 2)
	mustInsert(t, s, next)

	tokyo := time.FixedZone("JST", 9*3600)
	tests := []struct {
		name string
		f    catalog.Filter
		want []string
	}{
		{"since equal includes", catalog.Filter{Since: at}, []string{next.ID, b.ID}},
		{"since 1ns later excludes", catalog.Filter{Since: at.Add(time.Nanosecond)}, []string{next.ID}},
		{"since in another zone, same instant", catalog.Filter{Since: at.In(tokyo)}, []string{next.ID, b.ID}},
		{"until equal excludes", catalog.Filter{Until: at}, nil},
		{"until 1ns later includes", catalog.Filter{Until: at.Add(time.Nanosecond)}, []string{b.ID}},
		{"until in another zone", catalog.Filter{Until: at.Add(time.Nanosecond).In(tokyo)}, []string{b.ID}},
		{"one-nanosecond window", catalog.Filter{Since: at, Until: at.Add(time.Nanosecond)}, []string{b.ID}},
		{"empty window", catalog.Filter{Since: at, Until: at}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.List(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got), tc.want) {
				t.Errorf("List = %v, want %v", ids(got), tc.want)
			}
		})
	}
}

func TestListPagination(t *testing.T) {
	tests := []struct {
		name     string
		f        catalog.Filter
		matching func(*backup.Backup) bool
	}{
		{"all", catalog.Filter{}, func(*backup.Backup) bool { return true }},
		{"by server", catalog.Filter{Server: "even"}, func(b *backup.Backup) bool { return b.Server == "even" }},
		{"by storage", catalog.Filter{Storage: "offsite"}, func(b *backup.Backup) bool { return b.Location("offsite") != nil }},
	}
	for _, pageSize := range []int{1, 3, 4, 25} {
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%s/page=%d", tc.name, pageSize), func(t *testing.T) {
				s := openStore(t)
				ctx := context.Background()
				var want []string
				for i := range 17 {
					// Several backups per millisecond, so IDs share their time prefix.
					b := fullBackup(t0.Add(time.Duration(i/3)*time.Millisecond), i)
					b.Server = map[bool]string{true: "even", false: "odd"}[i%2 == 0]
					if i%3 == 0 {
						b.Locations = b.Locations[1:] // local only
					}
					mustInsert(t, s, b)
					if tc.matching(b) {
						want = append(want, b.ID)
					}
				}
				slices.Reverse(want)

				var got []string
				f := tc.f
				f.Limit = pageSize
				for page := 0; ; page++ {
					bs, err := s.List(ctx, f)
					if err != nil {
						t.Fatal(err)
					}
					if len(bs) > pageSize {
						t.Fatalf("page %d has %d backups, limit %d", page, len(bs), pageSize)
					}
					if len(bs) == 0 {
						break
					}
					got = append(got, ids(bs)...)
					f.Before = bs[len(bs)-1].ID
					// A backup that starts while the user pages must not
					// shift, repeat or skip anything on later pages.
					newer := fullBackup(t0.Add(time.Hour+time.Duration(page)*time.Second), 1000+page)
					newer.Server = "even"
					mustInsert(t, s, newer)
					if page > 100 {
						t.Fatal("pagination does not end")
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("pages (size %d) gave\n %v\nwant\n %v", pageSize, got, want)
				}
			})
		}
	}
}

func TestListNegativeLimit(t *testing.T) {
	s := openStore(t)
	if _, err := s.List(context.Background(), catalog.Filter{Limit: -1}); err == nil {
		t.Error("List with Limit -1 succeeded, want error")
	}
}
