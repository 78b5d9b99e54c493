package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// runCLI runs the command line args in the test's working directory and
// environment and returns its stdout, stderr and exit code.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := newRootCommand(&out, &errOut)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	var ee *exitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.code
		errOut.WriteString(err.Error())
	default:
		t.Fatalf("%v: %v", args, err)
	}
	return out.String(), errOut.String(), code
}

// setEnv sets the variables for the test; GOSQLGUARD_CONFIG is unset.
func setEnv(t *testing.T, vars map[string]string) {
	t.Helper()
	t.Setenv("GOSQLGUARD_CONFIG", "")
	for k, v := range vars {
		t.Setenv(k, v)
	}
}

var envConfig = map[string]string{
	"GOSQLGUARD_SERVERS_0_NAME":     "main",
	"GOSQLGUARD_SERVERS_0_TYPE":     "mysql",
	"GOSQLGUARD_SERVERS_0_HOST":     "db.internal",
	"GOSQLGUARD_SERVERS_0_USER":     "backup",
	"GOSQLGUARD_SERVERS_0_PASSWORD": "hunter2-not-shown",
	"GOSQLGUARD_STORAGES_0_NAME":    "local",
	"GOSQLGUARD_STORAGES_0_TYPE":    "local",
	"GOSQLGUARD_STORAGES_0_PATH":    "./backups",
}

// With no file in the working directory, the variables alone make the
// configuration; --sources shows where each value came from.
func TestConfigValidateEnvOnly(t *testing.T) {
	t.Chdir(t.TempDir())
	setEnv(t, envConfig)
	t.Setenv("GOSQLGUARD_BACKUP_TYPES_DAILY_SCHEDULE", "0 3 * * *")

	stdout, stderr, code := runCLI(t, "config", "validate")
	if want := "config is valid: 1 server(s), 1 storage(s), 2 backup type(s) (including manual)\n"; code != 0 || stdout != want {
		t.Fatalf("exit %d\nstdout %q\nstderr %q\nwant exit 0 and %q", code, stdout, stderr, want)
	}

	stdout, stderr, code = runCLI(t, "config", "validate", "--sources")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		`(?m)^config is valid: 1 server\(s\)`,
		`(?m)^KEY +VALUE +SOURCE$`,
		`(?m)^catalog\.driver +sqlite +default$`,
		`(?m)^catalog\.dsn +<secret> +default$`,
		`(?m)^servers\[0\]\.host +db\.internal +env GOSQLGUARD_SERVERS_0_HOST$`,
		`(?m)^servers\[0\]\.port +3306 +default$`,
		`(?m)^servers\[0\]\.password +<secret> +env GOSQLGUARD_SERVERS_0_PASSWORD$`,
		`(?m)^backup_types\.daily\.schedule +0 3 \* \* \* +env GOSQLGUARD_BACKUP_TYPES_DAILY_SCHEDULE$`,
		`(?m)^daemon\.lease_ttl +30s +default$`,
	} {
		if !regexp.MustCompile(want).MatchString(stdout) {
			t.Errorf("stdout lacks %s:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout+stderr, "hunter2") {
		t.Errorf("a secret is shown:\n%s%s", stdout, stderr)
	}

	// A variable that sets nothing is refused with a suggestion.
	t.Setenv("GOSQLGUARD_SERVERS_0_HOSTNAME", "x")
	_, stderr, code = runCLI(t, "config", "validate")
	want := "config from the environment:\nGOSQLGUARD_SERVERS_0_HOSTNAME: unknown setting; did you mean GOSQLGUARD_SERVERS_0_HOST?"
	if code != exitUsage || stderr != want {
		t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, stderr, want)
	}
	os.Unsetenv("GOSQLGUARD_SERVERS_0_HOSTNAME")

	// A file named by --config must exist, variables or not.
	_, stderr, code = runCLI(t, "config", "validate", "--config", "missing.yaml")
	if code != exitUsage || !strings.Contains(stderr, "read config: open missing.yaml: no such file or directory") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	// So must one named by $GOSQLGUARD_CONFIG.
	t.Setenv("GOSQLGUARD_CONFIG", "missing.yaml")
	_, stderr, code = runCLI(t, "config", "validate")
	if code != exitUsage || !strings.Contains(stderr, "read config: open missing.yaml: no such file or directory") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// ./gosqlguard.yaml is still read when it exists, and variables override it.
func TestConfigValidateEnvOverFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	setEnv(t, map[string]string{"GOSQLGUARD_SERVERS_0_HOST": "db2", "GOSQLGUARD_DAEMON_LEASE_TTL": "1s"})
	if err := os.WriteFile(filepath.Join(dir, "gosqlguard.yaml"), []byte(validateBase), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runCLI(t, "config", "validate")
	want := "config gosqlguard.yaml:\nGOSQLGUARD_DAEMON_LEASE_TTL: must be between 3s and 1h"
	if code != exitUsage || stderr != want {
		t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, stderr, want)
	}
	t.Setenv("GOSQLGUARD_DAEMON_LEASE_TTL", "45s")
	stdout, stderr, code := runCLI(t, "config", "validate", "--sources")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		`(?m)^servers\[0\]\.host +db2 +env GOSQLGUARD_SERVERS_0_HOST$`,
		`(?m)^servers\[0\]\.user +backup +file$`,
		`(?m)^daemon\.lease_ttl +45s +env GOSQLGUARD_DAEMON_LEASE_TTL$`,
	} {
		if !regexp.MustCompile(want).MatchString(stdout) {
			t.Errorf("stdout lacks %s:\n%s", want, stdout)
		}
	}
}

// Without a file and without variables, the missing ./gosqlguard.yaml is
// the error it always was.
func TestConfigValidateNoConfig(t *testing.T) {
	t.Chdir(t.TempDir())
	setEnv(t, nil)
	_, stderr, code := runCLI(t, "config", "validate")
	if code != exitUsage || !strings.Contains(stderr, "read config: open ./gosqlguard.yaml: no such file or directory") ||
		!strings.Contains(stderr, "--config FILE or GOSQLGUARD_CONFIG") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
