package dumptest

import (
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// CheckOptionSet checks an engine's allow-list against itself: no option is
// both allowed and refused, the example is allowed, and every allowed option
// passes when written as the set says (with the value "x" when it takes one)
// or fails on that value only.
func CheckOptionSet(t testing.TB, s *dump.OptionSet) {
	t.Helper()
	for name := range s.Refused {
		if _, ok := s.Allowed[name]; ok {
			t.Errorf("%s is both allowed and refused", name)
		}
	}
	if err := s.CheckOption(s.Example); err != nil {
		t.Errorf("example %s: %v", s.Example, err)
	}
	for name, arg := range s.Allowed {
		opt := "--" + name
		if arg.Value {
			opt += "=x"
		}
		if err := s.CheckOption(opt); err != nil && err.Error() != "invalid value for --"+name {
			t.Errorf("%s: %v", name, err)
		}
	}
}

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
