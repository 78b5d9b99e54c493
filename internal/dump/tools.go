package dump

import (
	"context"
	"errors"
	"os/exec"
	"strings"
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

// ToolVersion runs "tool --version" in dir and returns the first line of its output.
func ToolVersion(ctx context.Context, path, dir string) (string, error) {
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
