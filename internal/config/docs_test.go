package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"filippo.io/age"
	"go.yaml.in/yaml/v3"
)

// docsBase supplies what the examples of docs/configuration.md refer to
// without defining it themselves.
const docsBase = `
servers:
  - {name: main-mysql, type: mysql, host: h, user: u}
  - {name: scratch-mysql, type: mysql, host: h2, user: u}
storages:
  - {name: local, type: local, path: p}
  - {name: offsite, type: s3, bucket: bkt}
backup_types:
  hourly: {schedule: "@hourly"}
  daily: {schedule: "@daily"}
  weekly: {schedule: "@weekly"}
`

// TestDocsExamples loads every top-level YAML example of the configuration
// reference, each over docsBase (its sections replace the base's), so that
// the reference never shows a configuration the loader refuses.
func TestDocsExamples(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"mysql-backup": "pw\n", "s3-secret": "secret\n", "admin-token": "token\n",
		"chat-webhook": "https://hooks.example/x\n", "age-key": id.String() + "\n",
		"recipients.txt": id.Recipient().String() + "\n",
	} {
		writeFile(t, dir, name, content)
	}
	env := map[string]string{"S3_ACCESS_KEY_ID": "k", "S3_SECRET_ACCESS_KEY": "s", "PAGER_WEBHOOK_URL": "https://pager.example/x"}

	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	if len(blocks) < 10 {
		t.Fatalf("found %d YAML examples, want the reference's", len(blocks))
	}
	for i, b := range blocks {
		text := strings.ReplaceAll(b[1], "/run/secrets/", dir+"/")
		if strings.HasPrefix(text, " ") {
			continue // a fragment of the example before it
		}
		var base, example map[string]any
		if err := yaml.Unmarshal([]byte(docsBase), &base); err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal([]byte(text), &example); err != nil {
			t.Fatalf("example %d does not parse: %v\n%s", i, err, text)
		}
		for k, v := range example {
			base[k] = v
		}
		merged, err := yaml.Marshal(base)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Parse(merged, dir, mapEnv(env))
		if err != nil {
			t.Errorf("example %d:\n%s\nproblems:\n%v", i, text, err)
			continue
		}
		if c.Warnings != nil {
			t.Errorf("example %d: warnings %v", i, c.Warnings)
		}
	}
}
