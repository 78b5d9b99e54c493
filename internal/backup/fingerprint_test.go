package backup

import (
	"fmt"
	"testing"
)

func TestFingerprintDifferences(t *testing.T) {
	want := Fingerprint{
		Rows:    map[string]int64{"orders": 42, "empty": 0, "gone": 3},
		Objects: map[string]int64{"tables": 3, "triggers": 1},
	}
	got := Fingerprint{
		Rows:    map[string]int64{"orders": 41, "empty": 0, "extra": 5},
		Objects: map[string]int64{"tables": 3, "views": 1},
	}
	wantDiffs := []string{
		"table extra: not in the backup, restored with 5 rows",
		"table gone: missing, want 3 rows",
		"table orders: 41 rows, want 42",
		"triggers: 0, want 1",
		"views: 1, want 0",
	}
	if d := want.Differences(got); fmt.Sprint(d) != fmt.Sprint(wantDiffs) {
		t.Errorf("Differences =\n%q\nwant\n%q", d, wantDiffs)
	}
	if d := want.Differences(want); len(d) != 0 {
		t.Errorf("a fingerprint differs from itself: %q", d)
	}
}

func TestDifferencesQuoteControlCharacters(t *testing.T) {
	want := Fingerprint{Rows: map[string]int64{"new\nline": 3}}
	d := want.Differences(Fingerprint{Rows: map[string]int64{"new\nline": 2}})
	if len(d) != 1 || d[0] != `table "new\nline": 2 rows, want 3` {
		t.Errorf("Differences = %q", d)
	}
}
