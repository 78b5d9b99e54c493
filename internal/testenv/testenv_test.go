package testenv

import (
	"errors"
	"testing"
)

// recorder captures what Require does to a test instead of doing it.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = true
	r.msg = format
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = true
	r.msg = format
}

func TestRequire(t *testing.T) {
	missing := errors.New("connection refused")
	for _, tc := range []struct {
		name         string
		ci           string
		err          error
		skip, failed bool
	}{
		{"present", "true", nil, false, false},
		{"missing locally", "", missing, true, false},
		{"missing in CI", "true", missing, false, true},
		{"CI not exactly true", "1", missing, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			r := &recorder{TB: t}
			Require(r, "MariaDB", tc.err)
			if r.skipped != tc.skip || r.failed != tc.failed {
				t.Errorf("skipped=%v failed=%v, want skipped=%v failed=%v", r.skipped, r.failed, tc.skip, tc.failed)
			}
		})
	}
}

func TestTool(t *testing.T) {
	t.Setenv("CI", "")
	r := &recorder{TB: t}
	if p := Tool(r, "sh"); p == "" || r.skipped {
		t.Errorf("Tool(sh) = %q, skipped %v", p, r.skipped)
	}
	r = &recorder{TB: t}
	Tool(r, "no-such-tool-gosqlguard")
	if !r.skipped {
		t.Error("a missing tool did not skip")
	}
}
