package dump

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// ErrToolNotFound means a client tool is not installed or not on PATH. Errors
// from LookTool match it with errors.Is.
var ErrToolNotFound = errors.New("tool not found")

// ToolNotFoundError says which tool is missing, e.g.
// "dump tool not found: neither mariadb-dump nor mysqldump is on PATH".
type ToolNotFoundError struct {
	Kind   string // the tool's role: "dump tool", "client tool", "restore tool"
	Detail string
}

func (e *ToolNotFoundError) Error() string { return e.Kind + " not found: " + e.Detail }

// Is makes errors.Is(err, ErrToolNotFound) true.
func (e *ToolNotFoundError) Is(target error) bool { return target == ErrToolNotFound }

// LookTool returns the path of the tool to run. An explicit override is used
// when set (it must exist and be executable); otherwise the first of names
// found on PATH. kind names the role for the error message ("dump tool").
func LookTool(kind, override string, names ...string) (string, error) {
	if override != "" {
		p, err := exec.LookPath(override)
		if err != nil {
			var ee *exec.Error
			if errors.As(err, &ee) {
				err = ee.Err
			}
			return "", &ToolNotFoundError{Kind: kind, Detail: override + ": " + err.Error()}
		}
		return p, nil
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	var detail string
	switch len(names) {
	case 1:
		detail = names[0] + " is not on PATH"
	case 2:
		detail = "neither " + names[0] + " nor " + names[1] + " is on PATH"
	default:
		detail = "none of " + strings.Join(names, ", ") + " is on PATH"
	}
	return "", &ToolNotFoundError{Kind: kind, Detail: detail}
}

// ToolVersion runs "tool --version" in dir and returns the first line of its
// output. The answer is kept for the life of the process, keyed by the path
// and its file's size and modification time: a backup of many
// databases runs the tool's --version once (30–80 ms for pg_dump), and a tool
// upgraded in place is asked again.
func ToolVersion(ctx context.Context, path, dir string) (string, error) {
	key, cacheable := toolKey(path)
	if cacheable {
		if v, ok := toolVersions.Load(key); ok {
			return v.(string), nil
		}
	}
	v, err := runToolVersion(ctx, path, dir)
	if err == nil && cacheable {
		toolVersions.Store(key, v)
	}
	return v, err
}

// toolVersions caches ToolVersion's answers by toolKey.
var toolVersions sync.Map

// toolKey identifies the file path resolves to; false when it cannot be read.
func toolKey(path string) (string, bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", false
	}
	return fmt.Sprintf("%s\x00%d\x00%d", path, fi.Size(), fi.ModTime().UnixNano()), true
}

// runToolVersion runs "tool --version" and returns its first line.
func runToolVersion(ctx context.Context, path, dir string) (string, error) {
	out := &capBuffer{max: 4 << 10}
	c := Cmd{Path: path, Args: []string{"--version"}, Dir: dir, Stdout: out, WaitDelay: 2 * time.Second}
	if _, err := c.Run(ctx); err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(string(out.buf), "\n")
	return strings.TrimSpace(line), nil
}

// capBuffer keeps the first max bytes written to it and drops the rest.
type capBuffer struct {
	buf []byte
	max int
}

func (b *capBuffer) Write(p []byte) (int, error) {
	if room := b.max - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}
