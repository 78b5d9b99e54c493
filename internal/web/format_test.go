package web

import (
	"testing"
	"time"
)

func TestHumanFormats(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"}, {512, "512 B"}, {1536, "1.50 KiB"}, {12_900_000, "12.3 MiB"},
		{300 << 20, "300 MiB"}, {4_520_000_000, "4.21 GiB"}, {3 << 40, "3.00 TiB"}, {-1, "unknown"},
	} {
		if got := humanBytes(tc.n); got != tc.want {
			t.Errorf("humanBytes(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{10 * time.Second, "just now"}, {4 * time.Minute, "4 min ago"}, {3 * time.Hour, "3 h ago"},
		{50 * time.Hour, "2 d ago"}, {-20 * time.Minute, "in 20 min"}, {-5 * time.Second, "in a few seconds"}, {-2 * time.Second, "just now"},
	} {
		if got := relTime(now.Add(-tc.d), now); got != tc.want {
			t.Errorf("relTime(now-%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
	if got := humanRate(31457280); got != "30.0 MiB/s" {
		t.Errorf("humanRate = %q", got)
	}
	if got := groupDigits(302270464); got != "302,270,464" {
		t.Errorf("groupDigits = %q", got)
	}
	if got := shorten("connection to server failed: password authentication failed for user backup", 40); got != "connection to server failed: password…" {
		t.Errorf("shorten = %q", got)
	}
	if got, cut := tailLines("a\nb\nc\nd\n", 2); got != "c\nd" || !cut {
		t.Errorf("tailLines = %q, %v", got, cut)
	}
}
