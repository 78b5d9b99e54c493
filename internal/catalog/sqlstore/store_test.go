package sqlstore

import "testing"

func TestRebind(t *testing.T) {
	for in, want := range map[string]string{
		`SELECT 1`:                           `SELECT 1`,
		`a = ? AND b IN (?, ?)`:              `a = $1 AND b IN ($2, $3)`,
		`x LIKE ? ESCAPE '\' OR y = ?`:       `x LIKE $1 ESCAPE '\' OR y = $2`,
		`'it''s ?' = ? AND "col?" = ?`:       `'it''s ?' = $1 AND "col?" = $2`,
		`COALESCE(?, '') || '?' || "?" || ?`: `COALESCE($1, '') || '?' || "?" || $2`,
	} {
		if got := Rebind(in); got != want {
			t.Errorf("Rebind(%q) = %q, want %q", in, got, want)
		}
	}
}
