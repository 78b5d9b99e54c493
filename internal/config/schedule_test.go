package config

import "testing"

func TestCheckSchedule(t *testing.T) {
	valid := []string{
		"0 * * * *", "30 2 * * *", "0 3 * * 0", "*/15 * * * *", "0 9-17/2 * * mon-fri",
		"0 0 1,15 * *", "0 0 1 jan,jul *", "5 4 * * SUN", "@hourly", "@daily", "@midnight", "@weekly",
		"@monthly", "@yearly", "@annually", "@every 6h", "@every 1d12h", "  0 1 * * *  ",
	}
	for _, s := range valid {
		if err := checkSchedule(s); err != nil {
			t.Errorf("checkSchedule(%q) = %v, want nil", s, err)
		}
	}
	invalid := []string{
		"", "* * * *", "* * * * * *", "60 * * * *", "0 24 * * *", "0 0 0 * *", "0 0 * 13 *", "0 0 * * 8",
		"5-1 * * * *", "*/0 * * * *", "a * * * *", "0 0 * * funday", "@often", "@every", "@every -1h",
		"@every 0", "1,,2 * * * *",
	}
	for _, s := range invalid {
		if err := checkSchedule(s); err == nil {
			t.Errorf("checkSchedule(%q) = nil, want an error", s)
		}
	}
}
