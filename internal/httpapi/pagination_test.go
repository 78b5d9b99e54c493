package httpapi

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestPaginationIsStableWhileBackupsArrive(t *testing.T) {
	tests := []struct {
		name    string
		initial int
		limit   int
		pages   int
	}{
		{"uneven last page", 120, 25, 5},
		{"exact multiple: no empty last page", 100, 25, 4},
		{"one page", 7, 50, 1},
		{"empty", 0, 10, 1},
		{"page of one", 3, 1, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, nil)
			start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
			var want []string
			for i := range tt.initial {
				// Same millisecond for some, so ordering rests on the random part too.
				want = append(want, env.add(start.Add(time.Duration(i/2)*time.Millisecond), "main", "shop", "hourly").ID)
			}
			slices.SortFunc(want, func(a, b string) int { return strings.Compare(b, a) })

			var got []string
			cursor := ""
			pages := 0
			newest := start.Add(time.Hour)
			for {
				target := "/api/v1/backups?limit=" + strconv.Itoa(tt.limit)
				if cursor != "" {
					target += "&cursor=" + url.QueryEscape(cursor)
				}
				w := env.do(t, req{method: "GET", target: target, token: viewerToken})
				if w.Code != 200 {
					t.Fatalf("page %d: status %d: %s", pages, w.Code, w.Body)
				}
				page := decodeJSON[backupList](t, w)
				pages++
				if len(page.Backups) > tt.limit {
					t.Fatalf("page %d holds %d backups, limit %d", pages, len(page.Backups), tt.limit)
				}
				for _, b := range page.Backups {
					got = append(got, b.ID)
				}
				// New backups arrive between requests (and one more in the
				// same millisecond as the newest).
				newest = newest.Add(time.Second)
				env.add(newest, "main", "shop", "hourly")
				env.add(newest, "other", "crm", "manual")
				cursor = page.NextCursor
				if cursor == "" {
					break
				}
				if pages > tt.initial+2 {
					t.Fatal("pagination does not end")
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("pages hold %d IDs, want the %d initial ones in order (no overlap, no gap)\ngot  %v\nwant %v",
					len(got), len(want), got, want)
			}
			if pages != tt.pages {
				t.Errorf("%d pages, want %d", pages, tt.pages)
			}
		})
	}
}

func TestCursorIsOpaqueAndRoundTrips(t *testing.T) {
	const id = "20240101T000000.000Z-0123456789ab"
	c := encodeCursor(id)
	if strings.Contains(c, id) || url.QueryEscape(c) != c {
		t.Errorf("cursor %q shows the ID or needs escaping", c)
	}
	if got, err := decodeCursor(c); err != nil || got != id {
		t.Errorf("decodeCursor(%q) = %q, %v", c, got, err)
	}
}
