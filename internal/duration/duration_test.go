package duration

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"0", 0},
		{"10s", 10 * time.Second},
		{"90s", 90 * time.Second},
		{"90m", 90 * time.Minute},
		{"36h", 36 * time.Hour},
		{"1h30m", 90 * time.Minute},
		{"1d", Day},
		{"14d", 14 * Day},
		{"1w", Week},
		{"8w", 8 * Week},
		{"1w2d", 9 * Day},
		{"1d12h", 36 * time.Hour},
		{"1.5d", 36 * time.Hour},
		{"-1d", -Day},
		{"+1d", Day},
		{"500ms", 500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Parse(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	for _, in := range []string{"", "5", "14", "d", "14 days", "1y", "1w 2d", "-", "3x", "1dd", "1h-1m", "1.2.3d", "99999999999w"} {
		if got, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", in, got)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{14 * Day, "14d"},
		{8 * Week, "56d"},
		{9 * Day, "9d"},
		{90 * Day, "90d"},
		{-Day, "-1d"},
		{36 * time.Hour, "36h"},
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{45 * time.Minute, "45m"},
		{90 * time.Second, "1m30s"},
		{500 * time.Millisecond, "500ms"},
	}
	for _, tt := range tests {
		got := Format(tt.in)
		if got != tt.want {
			t.Errorf("Format(%v) = %q, want %q", tt.in, got, tt.want)
		}
		back, err := Parse(got)
		if err != nil || back != tt.in {
			t.Errorf("Parse(%q) = %v, %v; want %v", got, back, err, tt.in)
		}
	}
}

func TestHuman(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0 ms"}, {37 * time.Millisecond, "37 ms"}, {850 * time.Millisecond, "850 ms"},
		{time.Second, "1 s"}, {12300 * time.Millisecond, "12 s"}, {42 * time.Second, "42 s"},
		{200 * time.Second, "3 min 20 s"}, {3 * time.Minute, "3 min"}, {65 * time.Minute, "1 h 5 min"},
		{51 * time.Hour, "2 d 3 h"}, {-42 * time.Second, "42 s"},
	} {
		if got := Human(tc.d); got != tc.want {
			t.Errorf("Human(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestLeft(t *testing.T) {
	for _, tc := range []struct {
		done, total int64
		rate        float64
		want        time.Duration
		ok          bool
	}{
		{50, 100, 5, 10 * time.Second, true},
		{0, 100, 0, 0, false},
		{120, 100, 5, 0, true},
		{1, 100, 1.5, 66 * time.Second, true},
	} {
		if got, ok := Left(tc.done, tc.total, tc.rate); got != tc.want || ok != tc.ok {
			t.Errorf("Left(%d, %d, %v) = %v, %v; want %v, %v", tc.done, tc.total, tc.rate, got, ok, tc.want, tc.ok)
		}
	}
}
