package config

import "testing"

func mapEnv(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func TestExpand(t *testing.T) {
	env := mapEnv(map[string]string{"HOST": "db.internal", "EMPTY": "", "PASS": "p$ss${X}"})
	tests := []struct {
		name, in, want string
	}{
		{"plain", "no variables", "no variables"},
		{"whole", "${HOST}", "db.internal"},
		{"embedded", "tcp://${HOST}:3306", "tcp://db.internal:3306"},
		{"default unused", "${HOST:-fallback}", "db.internal"},
		{"default for unset", "${NOPE:-fallback}", "fallback"},
		{"default for empty", "${EMPTY:-fallback}", "fallback"},
		{"empty default", "${NOPE:-}", ""},
		{"set but empty", "${EMPTY}", ""},
		{"dollar dollar", "cost $$5", "cost $5"},
		{"escaped reference", "$${HOST}", "${HOST}"},
		{"lone dollar kept", "a$b $", "a$b $"},
		{"values are not re-expanded", "${PASS}", "p$ss${X}"},
		{"two references", "${HOST}/${NOPE:-x}", "db.internal/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := expand(tt.in, env)
			if err != nil {
				t.Fatalf("expand(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("expand(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestExpandErrors(t *testing.T) {
	env := mapEnv(nil)
	tests := []struct {
		name, in, want string
	}{
		{"unset", "${MYSQL_PASSWORD}", "environment variable MYSQL_PASSWORD is not set"},
		{"unterminated", "abc${HOST", `unterminated "${" (write "$$" for a literal "$")`},
		{"bad name", "${secret part}", `invalid variable name in "${...}" (write "$$" for a literal "$")`},
		{"empty name", "${}", `invalid variable name in "${...}" (write "$$" for a literal "$")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := expand(tt.in, env)
			if err == nil || err.Error() != tt.want {
				t.Errorf("expand(%q) error = %v, want %q", tt.in, err, tt.want)
			}
		})
	}
}
