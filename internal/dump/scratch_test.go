package dump

import "testing"

func TestDrillAndReservedNames(t *testing.T) {
	n := NewDrillName()
	if !IsDrillName(n) || len(n) != len(DrillPrefix)+12 {
		t.Errorf("NewDrillName() = %q", n)
	}
	for _, bad := range []string{"gosqlguard_drill_", "gosqlguard_drill_0123456789aZ", "x" + n, n + "x", "shop"} {
		if IsDrillName(bad) {
			t.Errorf("IsDrillName(%q) = true", bad)
		}
	}
	for name, want := range map[string]bool{
		n: true, "gosqlguard_scratch_abc": true, "GOSQLGUARD_HOLD_x": true, "shop": false, "gosqlguard": false,
	} {
		if got := ReservedName(name); got != want {
			t.Errorf("ReservedName(%q) = %v, want %v", name, got, want)
		}
	}
}
