package dumptest

import (
	"testing"
)

// OptionCases are what an engine's option check must say of some options.
type OptionCases struct {
	Accepted []string          // must pass
	Refused  []string          // must fail, for whatever reason
	Messages map[string]string // must fail with exactly this message
}

// Check runs check on every case.
func (c OptionCases) Check(t testing.TB, check func(opt string) error) {
	t.Helper()
	for _, opt := range c.Accepted {
		if err := check(opt); err != nil {
			t.Errorf("%q: %v", opt, err)
		}
	}
	for _, opt := range c.Refused {
		if err := check(opt); err == nil {
			t.Errorf("%q accepted", opt)
		}
	}
	for opt, want := range c.Messages {
		if err := check(opt); err == nil || err.Error() != want {
			t.Errorf("%q: got %v, want %q", opt, err, want)
		}
	}
}
