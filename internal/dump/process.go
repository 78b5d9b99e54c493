package dump

import (
	"log/slog"
	"path/filepath"
	"time"
)

// Process holds the settings an engine's Dumper runs its client tools with.
// Engines embed it, so that these fields are set on the Dumper itself; set
// them before first use.
type Process struct {
	// TempDir is where private directories for the children's option and
	// password files are made; "" is the system temp dir.
	TempDir string
	// WaitDelay is the grace period between SIGTERM and SIGKILL for a
	// child whose context ended; 0 means DefaultWaitDelay.
	WaitDelay time.Duration
	// OnStart, when set, is called with the tool's base name and pid each
	// time a child process started (for monitoring and tests).
	OnStart func(tool string, pid int)
}

// Command returns the child that runs tool (a path from LookTool) with args
// in dir, with env added to its environment. secrets are redacted from the
// stderr it reports; none of them may be in args or env.
func (p Process) Command(tool, dir string, env, args, secrets []string) *Cmd {
	c := &Cmd{
		Path:      tool,
		Args:      args,
		Env:       env,
		Dir:       dir,
		Secrets:   secrets,
		WaitDelay: p.WaitDelay,
	}
	if p.OnStart != nil {
		name, onStart := filepath.Base(tool), p.OnStart
		c.OnStart = func(pid int) { onStart(name, pid) }
	}
	return c
}

// WithPrivateFile makes a PrivateDir under TempDir holding the 0600 file
// name with content, calls fn with the directory's and the file's paths and
// removes the directory whatever happens, logging a failure to remove it.
// It returns fn's error.
func (p Process) WithPrivateFile(logger *slog.Logger, name string, content []byte, fn func(dir, file string) error) error {
	pd, err := NewPrivateDir(p.TempDir)
	if err != nil {
		return err
	}
	defer func() {
		if err := pd.Remove(); err != nil {
			logger.Warn("removing private temp dir", "err", err)
		}
	}()
	f, err := pd.WriteFile(name, content)
	if err != nil {
		return err
	}
	return fn(pd.Path(), f)
}
