package backup

import (
	"testing"
	"time"
)

func TestCheckDatabaseName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"shop", true},
		{"shop-eu_2", true},
		{"with space", true},
		{"Zoë😀", true},
		{"", false},
		{".", false},
		{"..", false},
		{"../etc", false},
		{"a/b", false},
		{`a\b`, false},
		{"a\x00b", false},
		{"line\nbreak", false},
		{string([]byte{0xff, 0xfe}), false},
	} {
		if err := CheckDatabaseName(tc.name); (err == nil) != tc.ok {
			t.Errorf("CheckDatabaseName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestNewID(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 20, 15, 0, 123456789, time.UTC)
	a, b := NewID(t0), NewID(t0.Add(time.Millisecond))
	if !ValidID(a) || !ValidID(b) {
		t.Fatalf("invalid IDs %q %q", a, b)
	}
	if a >= b {
		t.Errorf("IDs not time-ordered: %q >= %q", a, b)
	}
	if NewID(t0) == a {
		t.Error("two IDs for the same instant are equal")
	}
	for _, bad := range []string{"", "../x", a + "/", "20261128T201500.123Z-XYZ"} {
		if ValidID(bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
}
