package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

// validate runs `config validate` on doc (written into dir) and returns its
// stdout, stderr and exit code.
func validate(t *testing.T, dir, doc string) (stdout, stderr string, code int) {
	t.Helper()
	path := filepath.Join(dir, "gosqlguard.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	cmd := newRootCommand(&out, &errOut)
	cmd.SetArgs([]string{"config", "validate", "--config", path})
	err := cmd.ExecuteContext(context.Background())
	var ee *exitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.code
		errOut.WriteString(err.Error())
	default:
		t.Fatalf("config validate: %v", err)
	}
	return out.String(), errOut.String(), code
}

const validateBase = `
servers:
  - {name: main, type: mysql, host: 127.0.0.1, user: backup}
storages:
  - {name: local, type: local, path: ./backups}
`

// A huge upload_concurrency used to pass and the first backup was then
// OOM-killed; validate refuses it and prints each S3 storage's memory bound.
func TestConfigValidateMemoryBound(t *testing.T) {
	dir := t.TempDir()
	_, stderr, code := validate(t, dir, validateBase+"  - {name: offsite, type: s3, bucket: bkt, upload_concurrency: 100000000}\n")
	if want := "storages[1].upload_concurrency: must be between 1 and 64"; code != exitUsage || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr %q; want exit 2 with %q", code, stderr, want)
	}

	stdout, stderr, code := validate(t, dir, validateBase+
		"  - {name: offsite, type: s3, bucket: bkt, part_size: 16MiB, upload_concurrency: 4, fixed_part_size: true}\n"+
		"  - {name: minio, type: s3, bucket: bkt}\n")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"storage offsite: upload memory bound 16 MiB x 5 = 80 MiB (per running backup)\n",
		"storage minio: upload memory bound 8 MiB x 5 = 40 MiB (per running backup; parts grow for very large dumps unless fixed_part_size is set)\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "storage local") {
		t.Errorf("a local storage has no upload memory bound:\n%s", stdout)
	}
}

// An identity_file matching none of the recipients is a warning on stderr;
// the exit code stays 0.
func TestConfigValidateWarnings(t *testing.T) {
	dir := t.TempDir()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	other, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key.txt"), []byte(other.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	doc := validateBase + "encryption: {recipients: [" + id.Recipient().String() + "], identity_file: key.txt}\n"
	stdout, stderr, code := validate(t, dir, doc)
	want := `warning: encryption.identity_file: no identity in "key.txt" matches a recipient: it cannot restore backups made with this configuration` + "\n"
	if code != 0 || stderr != want || !strings.Contains(stdout, "config is valid") {
		t.Errorf("exit %d\nstdout %q\nstderr %q\nwant exit 0 and stderr %q", code, stdout, stderr, want)
	}
	// With problems too, the warning is printed besides them.
	_, stderr, code = validate(t, dir, doc+"concurrency: {total: 65}\n")
	if code != exitUsage || !strings.HasPrefix(stderr, want) || !strings.Contains(stderr, "concurrency.total: must be between 1 and 64") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
