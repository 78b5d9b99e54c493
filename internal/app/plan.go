package app

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/runner"
	"github.com/gosqlguard/gosqlguard/internal/storage"
)

// ServerError is a server a plan could not cover, e.g. because it did not
// answer when its databases were listed.
type ServerError struct {
	Server string
	Err    error
}

func (e *ServerError) Error() string { return "server " + e.Server + ": " + e.Err.Error() }
func (e *ServerError) Unwrap() error { return e.Err }

// RefusedNameError is a database found on a server whose name cannot be
// backed up because it cannot be one element of a storage key (see
// backup.CheckDatabaseName), e.g. "..", "../x" or a name with a newline.
type RefusedNameError struct {
	Server   string
	Database string // as the server named it: never use it in a key or a path
	Err      error  // why backup.CheckDatabaseName refused it
}

func (e *RefusedNameError) Error() string {
	return "server " + e.Server + ": " + e.Err.Error() + ": not backed up, the name cannot be part of a storage key"
}
func (e *RefusedNameError) Unwrap() error { return e.Err }

// ErrUsage marks a request that names something the config does not have.
var ErrUsage = errors.New("invalid request")

// Selector narrows a backup run; empty fields select everything.
type Selector struct {
	Server   string
	Database string
	Type     string // empty: manual
}

// Plan resolves a selector into one job per server × database, discovering
// databases where the config lists none. What the plan cannot cover is
// reported in errs, and the other jobs are still returned: a server whose
// databases cannot be listed (*ServerError), a database whose name is
// refused (*RefusedNameError), a Database the selected Server lacks, or,
// without a Server, a Database that no server has (servers that lack it
// are left out silently). err (ErrUsage) is a selector that names
// something the config does not have.
func (a *App) Plan(ctx context.Context, sel Selector) (jobs []runner.Job, errs []error, err error) {
	typ := sel.Type
	if typ == "" {
		typ = "manual"
	}
	bt, ok := a.Config.BackupTypes[typ]
	if !ok {
		return nil, nil, fmt.Errorf("%w: backup type %q is not configured", ErrUsage, typ)
	}
	if sel.Server != "" && a.Config.Server(sel.Server) == nil {
		return nil, nil, fmt.Errorf("%w: server %q is not configured", ErrUsage, sel.Server)
	}
	if sel.Database != "" {
		if err := backup.CheckDatabaseName(sel.Database); err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrUsage, err)
		}
	}
	backends := a.storagesFor(typ)
	matched, found, unreachable := false, false, false
	for _, srv := range a.Config.Servers {
		if (sel.Server != "" && srv.Name != sel.Server) || (len(bt.Servers) > 0 && !slices.Contains(bt.Servers, srv.Name)) {
			continue
		}
		matched = true
		d := a.dumpers[srv.Name]
		dbs := srv.Databases
		if len(dbs) == 0 {
			found, err := d.Databases(ctx)
			if err != nil {
				errs = append(errs, &ServerError{Server: srv.Name, Err: fmt.Errorf("list databases: %w", err)})
				unreachable = true
				continue
			}
			dbs = excludeGlobs(found, srv.Exclude)
		}
		if sel.Database != "" {
			if !slices.Contains(dbs, sel.Database) {
				if sel.Server != "" {
					errs = append(errs, fmt.Errorf("server %s: database %q is not among its databases to back up", srv.Name, sel.Database))
				}
				continue
			}
			dbs = []string{sel.Database}
		}
		for _, db := range dbs {
			if err := backup.CheckDatabaseName(db); err != nil {
				errs = append(errs, &RefusedNameError{Server: srv.Name, Database: db, Err: err})
				continue
			}
			found = true
			jobs = append(jobs, runner.Job{
				Server: srv.Name, Database: db, Type: typ,
				Extension: extension(srv.Type), Dumper: d, Storages: backends,
			})
		}
	}
	if !matched {
		return nil, nil, fmt.Errorf("%w: backup type %q does not cover server %q", ErrUsage, typ, sel.Server)
	}
	if sel.Database != "" && sel.Server == "" && !found {
		where := "any server"
		if unreachable {
			where = "any server that answered"
		}
		errs = append(errs, fmt.Errorf("database %q is not among the databases to back up of %s", sel.Database, where))
	}
	return jobs, errs, nil
}

func excludeGlobs(dbs, patterns []string) []string {
	var out []string
	for _, db := range dbs {
		excluded := false
		for _, p := range patterns {
			if ok, _ := path.Match(p, db); ok {
				excluded = true
				break
			}
		}
		if !excluded {
			out = append(out, db)
		}
	}
	return out
}

// allDatabases stands for the databases of a server that could not be listed.
const allDatabases = "*"

// storagesFor returns the storages a backup type writes to.
func (a *App) storagesFor(typ string) []storage.Backend {
	bt := a.Config.BackupTypes[typ]
	var out []storage.Backend
	for _, s := range a.Runner.Storages {
		if len(bt.Storages) == 0 || slices.Contains(bt.Storages, s.Name()) {
			out = append(out, s)
		}
	}
	return out
}
