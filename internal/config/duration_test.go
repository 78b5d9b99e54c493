package config

import (
	"testing"
	"time"
)

// The forms themselves are tested in package duration; this checks that the
// configuration's type reads and writes them.
func TestDurationText(t *testing.T) {
	var d Duration
	if err := d.UnmarshalText([]byte("1w2d")); err != nil || d.D() != 9*24*time.Hour {
		t.Fatalf("UnmarshalText(1w2d) = %v, %v; want 216h", d.D(), err)
	}
	if text, _ := d.MarshalText(); string(text) != "9d" {
		t.Errorf("MarshalText = %q, want 9d", text)
	}
	if err := d.UnmarshalText([]byte("14 days")); err == nil {
		t.Error("UnmarshalText(14 days) accepted")
	}
}
