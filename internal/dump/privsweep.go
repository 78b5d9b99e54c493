package dump

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/gosqlguard/gosqlguard/internal/owner"
)

// privateDirPrefix starts the name of every PrivateDir:
// gosqlguard-priv-<pid>-<start>-n<pidns>-<random>, where pid, start (clock
// ticks since boot, 0 where unknown) and pidns (the PID namespace; the
// part is absent where unknown, and in names of older versions) name the
// process that made it.
const privateDirPrefix = "gosqlguard-priv-"

func privateDirPattern() string {
	me := owner.Self()
	start := me.Start
	if start == "" {
		start = "0"
	}
	p := privateDirPrefix + strconv.Itoa(me.PID) + "-" + start + "-"
	if me.NS != "" {
		p += "n" + me.NS + "-"
	}
	return p
}

// privateDirOwner returns the process a PrivateDir's name records, or false
// for a name that is not one.
func privateDirOwner(name string) (owner.Owner, bool) {
	rest, ok := strings.CutPrefix(name, privateDirPrefix)
	if !ok {
		return owner.Owner{}, false
	}
	parts := strings.SplitN(rest, "-", 4)
	if len(parts) < 3 || parts[len(parts)-1] == "" {
		return owner.Owner{}, false
	}
	pid, err := strconv.Atoi(parts[0])
	if err != nil || pid <= 0 {
		return owner.Owner{}, false
	}
	if _, err := strconv.ParseUint(parts[1], 10, 64); err != nil {
		return owner.Owner{}, false
	}
	me := owner.Self()
	o := owner.Owner{Host: me.Host, PID: pid}
	if parts[1] != "0" {
		o.Start = parts[1]
	}
	if len(parts) == 4 {
		ns, ok := strings.CutPrefix(parts[2], "n")
		if _, err := strconv.ParseUint(ns, 10, 64); !ok || err != nil {
			return owner.Owner{}, false
		}
		o.NS = ns
	}
	return o, true
}

// SweepPrivateDirs removes the private directories (and the option and
// password files in them) that processes now gone left under base ("":
// the system temp dir), e.g. a backup killed with SIGKILL before its
// deferred removal ran. Only directories named as NewPrivateDir names them,
// owned by this user, whose process no longer exists or whose process ID
// now belongs to another process or program, are removed; those of live
// processes are kept. It returns the removed paths.
func SweepPrivateDirs(base string) ([]string, error) {
	if base == "" {
		base = os.TempDir()
	}
	entries, err := os.ReadDir(base)
	if err != nil {
		return nil, fmt.Errorf("sweep private dirs: %w", err)
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		if !e.IsDir() || e.Type()&fs.ModeSymlink != 0 {
			continue
		}
		o, ok := privateDirOwner(e.Name())
		if !ok {
			continue
		}
		p := filepath.Join(base, e.Name())
		fi, err := os.Lstat(p)
		if err != nil || !fi.IsDir() {
			continue
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != os.Getuid() {
			continue
		}
		if o.Gone() == "" {
			continue
		}
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, p)
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("sweep private dirs: %w", err)
	}
	return removed, nil
}
