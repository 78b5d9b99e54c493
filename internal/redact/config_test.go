package redact

import (
	"strings"
	"testing"
)

func TestConfigYAML(t *testing.T) {
	const leaked = "hunter2"
	cfg := "catalog:\n  dsn: <secret>\n  driver: sqlite\nservers:\n  - password: \"" + leaked + "\"\n    password_file: /run/secrets/x\n    user: backup\n" +
		"storages:\n  - secret_access_key: ''\n    access_key_id: AKIA" + leaked + "\n"
	got := ConfigYAML(cfg)
	if strings.Contains(got, leaked) || !strings.Contains(got, "password_file: /run/secrets/x") || !strings.Contains(got, "user: backup") ||
		!strings.Contains(got, "secret_access_key: ''") {
		t.Errorf("ConfigYAML:\n%s", got)
	}
}
