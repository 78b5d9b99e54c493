package postgres

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/dump"
)

// A parallel load (pg_restore --jobs) needs the archive as a file it can
// seek in: its workers each open it and jump to their tables' data. The
// archive reaches Restore as a stream, so it is first spooled into a 0600
// file in a private directory (dump.PrivateDir, under Process.TempDir),
// removed whatever happens; a directory left by a killed process is removed
// by dump.SweepPrivateDirs at the next start.
//
// pg_dump writes to a pipe, so it cannot go back to fill in where each
// table's data starts, and pg_restore --jobs would scan the archive from the
// start for every table (slower than one connection). The spool therefore
// fills those offsets in, as pg_dump does when it writes to a file.

// spoolFile is the archive's name in its private directory.
const spoolFile = "archive.dump"

// spoolMargin is the free space a spool must leave on its file system
// beyond the archive's raw size, in bytes: a fixed amount plus a tenth of
// the archive.
func spoolMargin(raw int64) int64 { return 256<<20 + raw/10 }

// spool is an archive spooled to a private file.
type spool struct {
	path string
	size int64 // bytes
	// offsets is how many data offsets the spool filled in; offsetsErr says
	// why it filled in none, when it could not: the load then runs on one
	// connection, reading the file.
	offsets    int
	offsetsErr error
}

// freeSpace returns the bytes an unprivileged user may still write on the
// file system holding dir; a variable for tests.
var freeSpace = func(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil // field types differ by platform
}

// prepareSpool decides whether a restore with opts loads in parallel. It
// returns a private directory to spool into when opts.Jobs > 1, the raw
// size is known and the directory's file system has room for it and
// spoolMargin; else nil, after logging (Info) why the load runs on one
// connection. An error only for a directory that cannot be made.
func (d *Dumper) prepareSpool(opts dump.RestoreOptions, log *slog.Logger) (*dump.PrivateDir, error) {
	if opts.Jobs <= 1 {
		return nil, nil
	}
	if opts.RawBytes <= 0 {
		log.Info("loading on one connection: the archive's size is unknown, so it cannot be spooled to a file for a parallel load",
			"jobs", opts.Jobs)
		return nil, nil
	}
	dir, err := dump.NewPrivateDir(d.TempDir)
	if err != nil {
		return nil, err
	}
	need := opts.RawBytes + spoolMargin(opts.RawBytes)
	free, err := freeSpace(dir.Path())
	if err == nil && free >= need {
		return dir, nil
	}
	if rerr := dir.Remove(); rerr != nil {
		log.Warn("removing private temp dir", "error", rerr)
	}
	if err != nil {
		log.Info("loading on one connection: cannot tell the free space for spooling the archive for a parallel load",
			"jobs", opts.Jobs, "error", err)
	} else {
		log.Info("loading on one connection: not enough free space to spool the archive for a parallel load",
			"jobs", opts.Jobs, "archive_bytes", opts.RawBytes, "needed_bytes", need, "free_bytes", free)
	}
	return nil, nil
}

// writeSpool copies the archive from r into a new file in dir, checking it
// as it goes, then fills in the data offsets pg_dump left unset. It fails
// when ctx ends, when the archive is incomplete or damaged, or when it grows
// past limit bytes (the manifest's size and margin: it is not the archive
// the manifest describes). The caller removes dir whatever happens.
func writeSpool(ctx context.Context, dir *dump.PrivateDir, r io.Reader, limit int64) (*spool, error) {
	// Absolute: pg_restore runs in another directory.
	path, err := filepath.Abs(filepath.Join(dir.Path(), spoolFile))
	if err != nil {
		return nil, fmt.Errorf("spooling the archive: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spooling the archive: %w", err)
	}
	s := &spool{path: path}
	err = s.fill(ctx, f, r, limit)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("spooling the archive: %w", cerr)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (s *spool) fill(ctx context.Context, f *os.File, r io.Reader, limit int64) error {
	check := newArchiveCheck()
	check.recordOffsets()
	buf := make([]byte, 1<<20)
	for {
		if err := context.Cause(ctx); err != nil {
			return err
		}
		n, rerr := r.Read(buf)
		if n > 0 {
			if s.size+int64(n) > limit {
				return fmt.Errorf("the archive is larger than the %d bytes its manifest records", limit)
			}
			check.Write(buf[:n])
			if _, err := f.Write(buf[:n]); err != nil {
				return fmt.Errorf("spooling the archive: %w", err)
			}
			s.size += int64(n)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return fmt.Errorf("reading the archive: %w", rerr)
		}
	}
	if err := check.Complete(); err != nil {
		return err
	}
	patches, err := check.offsetPatches()
	if err != nil {
		// pg_restore --jobs still works without them, only slower.
		s.offsetsErr = err
		return nil
	}
	for _, p := range patches {
		if _, err := f.WriteAt(p.field, p.at); err != nil {
			return fmt.Errorf("spooling the archive: %w", err)
		}
	}
	s.offsets = len(patches)
	return nil
}

// spoolArchive spools the archive read from r into dir for a parallel
// load and logs how long it took. See writeSpool.
func spoolArchive(ctx context.Context, dir *dump.PrivateDir, r io.Reader, raw int64, log *slog.Logger) (*spool, error) {
	start := time.Now()
	s, err := writeSpool(ctx, dir, r, raw+spoolMargin(raw))
	if err != nil {
		return nil, err
	}
	log.Info("archive spooled for a parallel load", "bytes", s.size, "took", time.Since(start).Round(time.Millisecond),
		"offsets_filled", s.offsets)
	if s.offsetsErr != nil {
		// pg_restore --jobs would scan the archive for each table, slower
		// than one connection.
		log.Info("loading the spooled archive on one connection: its data offsets cannot be filled in", "error", s.offsetsErr)
	}
	return s, nil
}
