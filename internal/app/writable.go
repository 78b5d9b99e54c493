package app

import (
	"errors"
	"fmt"
	"os"
)

// CheckWritable checks that this process can write where every backup
// writes: the temp dir (the dump tools' private option files) and each
// local storage's directory. A daemon that starts without them would
// answer /readyz and then fail every backup; Serve refuses to start
// instead, naming the path.
func (a *App) CheckWritable() error {
	var errs []error
	if dir, err := os.MkdirTemp("", "gosqlguard-check-"); err != nil {
		errs = append(errs, fmt.Errorf("the temp dir %s is not writable (a container with a read-only root needs a tmpfs or emptyDir at /tmp): %w",
			os.TempDir(), errors.Unwrap(err)))
	} else {
		_ = os.Remove(dir)
	}
	for _, s := range a.Config.Storages {
		if s.Type != "local" {
			continue
		}
		f, err := os.CreateTemp(s.Path, ".gosqlguard-write-check-")
		if err != nil {
			errs = append(errs, fmt.Errorf("storage %s: %s is not writable: %w", s.Name, s.Path, errors.Unwrap(err)))
			continue
		}
		name := f.Name()
		_ = f.Close()
		_ = os.Remove(name)
	}
	return errors.Join(errs...)
}
