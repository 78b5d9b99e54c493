package dumpoptions

import (
	"strings"
	"testing"
)

func TestSetsAreConsistent(t *testing.T) {
	for name, s := range map[string]*Set{"mysql": MySQL, "postgres": Postgres} {
		t.Run(name, func(t *testing.T) { checkSet(t, s) })
	}
}

// checkSet checks an engine's allow-list against itself: no option is
// both allowed and refused, the example is allowed, and every allowed option
// passes when written as the set says (with the value "x" when it takes one)
// or fails on that value only.
func checkSet(t testing.TB, s *Set) {
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

func TestCheckOptions(t *testing.T) {
	set := &Set{Engine: "test", Example: "--single", Allowed: map[string]Arg{"single": NoValue, "where": WithValue}}
	tests := []struct {
		opts []string
		ok   bool
	}{
		{nil, true},
		{[]string{"--single", "--where=a=1"}, true},
		{[]string{"--singl"}, false},
		{[]string{"-s"}, false},
		{[]string{"--where"}, false},
		{[]string{"--single=1"}, false},
		{[]string{"--"}, false},
		{[]string{"otherdb"}, false},
		{[]string{"--result-file=/tmp/x"}, false},
	}
	for _, tt := range tests {
		if err := set.CheckOptions(tt.opts); (err == nil) != tt.ok {
			t.Errorf("CheckOptions(%q) = %v, want ok=%v", tt.opts, err, tt.ok)
		}
	}
}

func TestCheckOptionMessages(t *testing.T) {
	set := &Set{
		Engine:  "test",
		Example: "--single",
		Allowed: map[string]Arg{
			"single": NoValue,
			"where":  WithValue,
			"level":  ValueOf(IntRange(1, 9)),
			"max-a":  NoValue,
		},
		Refused: map[string]string{"password": ReasonPassword, "result-file": ReasonDestination},
	}
	const secret = "hunter2"
	tests := []struct{ opt, want string }{
		{"--single", ""},
		{"--where=" + secret, ""},
		{"--level=9", ""},
		{"--password=" + secret, "--password is not allowed: " + ReasonPassword},
		{"--password " + secret, "--password is not allowed: " + ReasonPassword},
		{"--pass_word=" + secret, "--pass_word is not allowed for test servers"},
		{"--password_=" + secret, "--password_ is not allowed for test servers"},
		{"-p" + secret, "must be a long option such as --single (short options and arguments are not allowed)"},
		{secret, "must be a long option such as --single (short options and arguments are not allowed)"},
		{"--", "must be written --name or --name=value, the name made of letters, digits and '-'"},
		{"--=" + secret, "must be written --name or --name=value, the name made of letters, digits and '-'"},
		{"--" + secret + "\x00", "must be written --name or --name=value, the name made of letters, digits and '-'"},
		{"--single=" + secret, "--single takes no value"},
		{"--single " + secret, "--single takes no value"},
		{"--where", "--where needs a value, written --where=VALUE"},
		{"--where " + secret, "--where needs a value, written --where=VALUE"},
		{"--where=", "invalid value for --where"},
		{"--where=" + secret + "\n", "invalid value for --where"},
		{"--where=" + secret + "\r", "invalid value for --where"},
		{"--where=" + secret + "\x00", "invalid value for --where"},
		{"--level=10", "invalid value for --level"},
		{"--leve=9", "--leve is not allowed for test servers"},
		{"--le_vel=9", "--le_vel is not allowed for test servers"},
		{"--max_a", "--max_a must be written --max-a"},
		{"--result_file=" + secret, "--result_file is not allowed: " + ReasonDestination},
		{"--result-fil=" + secret, "--result-fil is not allowed for test servers"},
	}
	for _, tt := range tests {
		got := ""
		if err := set.CheckOption(tt.opt); err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("CheckOption(%q) = %q, want %q", tt.opt, got, tt.want)
		}
		if strings.Contains(got, secret) {
			t.Errorf("CheckOption(%q) shows the value: %q", tt.opt, got)
		}
	}
	err := set.CheckOptions([]string{"--single", "--where=" + secret, "--password=" + secret})
	if err == nil || err.Error() != "dump option 3: --password is not allowed: "+ReasonPassword {
		t.Errorf("CheckOptions: %v", err)
	}
}

// A child leads its own process group, so that a terminal's Ctrl-C, sent to
// the foreground group, does not reach it.
