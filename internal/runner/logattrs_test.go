package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/pipeline"
)

// finishedLine returns the "backup finished" record of a JSON log.
func finishedLine(t *testing.T, log *bytes.Buffer) map[string]any {
	t.Helper()
	defer log.Reset()
	for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["msg"] == "backup finished" {
			return rec
		}
	}
	t.Fatalf("no backup finished line in:\n%s", log)
	return nil
}

// A success is logged at INFO without an empty error attribute, a partial
// backup at WARN and a failed one at ERROR, with their errors.
func TestBackupFinishedLogLevel(t *testing.T) {
	ctx := context.Background()
	var log bytes.Buffer
	f := newFixture(t, pipeline.Options{Codec: "none"})
	f.r.Logger = slog.New(slog.NewJSONHandler(&log, nil))
	content := bytes.Repeat([]byte("INSERT INTO t VALUES (1);\n"), 100)

	f.r.Backup(ctx, f.job(&fakeDumper{content: content}))
	rec := finishedLine(t, &log)
	if _, has := rec["error"]; rec["level"] != "INFO" || rec["status"] != "success" || has {
		t.Errorf("success logged as %v", rec)
	}

	f.r.Backup(ctx, f.job(&fakeDumper{content: content, failAfter: 100}))
	rec = finishedLine(t, &log)
	if rec["level"] != "ERROR" || rec["status"] != "failed" || !strings.Contains(rec["error"].(string), "connection lost") {
		t.Errorf("failure logged as %v", rec)
	}

	root := f.stores[1].Root() // storage "two" becomes unwritable: partial
	os.RemoveAll(root)
	os.WriteFile(root, nil, 0o600)
	f.r.Backup(ctx, f.job(&fakeDumper{content: content}))
	rec = finishedLine(t, &log)
	if e, _ := rec["error"].(string); rec["level"] != "WARN" || rec["status"] != "partial" || e == "" {
		t.Errorf("partial logged as %v", rec)
	}
}

// A verify that passes logs no error attribute at INFO; one that fails
// logs its error at ERROR.
func TestVerifyFinishedLogLevel(t *testing.T) {
	ctx := context.Background()
	var log bytes.Buffer
	f := newFixture(t, pipeline.Options{Codec: "none"})
	b, err := f.r.Backup(ctx, f.job(&fakeDumper{content: []byte("CREATE TABLE t (a INT);\n")}))
	if err != nil {
		t.Fatal(err)
	}
	f.r.Logger = slog.New(slog.NewJSONHandler(&log, nil))
	verified := func() map[string]any {
		t.Helper()
		defer log.Reset()
		var rec map[string]any
		for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
			if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "verify finished" {
				return rec
			}
		}
		t.Fatalf("no verify finished line in:\n%s", log.String())
		return nil
	}
	f.r.Verify(ctx, b, "")
	if rec := verified(); rec["level"] != "INFO" || hasKey(rec, "error") {
		t.Errorf("a good verify logged as %v", rec)
	}
	os.RemoveAll(f.stores[0].Root()) // storage "one" loses its copy
	f.r.Verify(ctx, b, "")
	if rec := verified(); rec["level"] != "ERROR" || rec["error"] == nil {
		t.Errorf("a failed verify logged as %v", rec)
	}
}

func hasKey(rec map[string]any, key string) bool {
	_, ok := rec[key]
	return ok
}
