package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/gosqlguard/gosqlguard/internal/app"
	"github.com/gosqlguard/gosqlguard/internal/audit"
	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

func newDownloadCommand(g *globals) *cobra.Command {
	var storageName, output string
	var force bool
	c := &cobra.Command{
		Use:   "download ID [--storage NAME] [-o FILE]",
		Short: "Write a backup's stored object, byte for byte (compressed, encrypted as stored)",
		Long: `Write the stored object of a backup exactly as it is stored (compressed and,
when encryption is on, encrypted), from the first complete copy that opens,
or from --storage. ID is a backup ID or a unique prefix of one (at least 4
characters). Its size and SHA-256 are checked against the catalog while it
is written.

Without -o (or with -o -) the object goes to standard output, which must
not be a terminal. With -o FILE it is written to a temporary file next to
FILE (mode 0600) and renamed into place only once complete and checked; an
existing FILE is left alone unless --force.

Exit status: 0 written and checked; 1 unknown backup, no readable copy, a
size or checksum that does not match (with -o, nothing is left behind), or
standard output closed before the end (a reader such as head that stopped
early; recorded in the audit trail as canceled, with the bytes written);
2 bad flags, an unknown storage, or standard output is a terminal.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			toStdout := output == "" || output == "-"
			if toStdout && isTerminal(g.stdout) {
				return usageError("refusing to write a backup object to a terminal: use -o FILE or redirect standard output")
			}
			if !toStdout {
				if fi, err := os.Stat(output); err == nil && fi.IsDir() {
					return usageError("%s is a directory: -o takes the file to write", output)
				}
				if _, err := os.Lstat(output); err == nil && !force {
					return usageError("%s exists: use --force to replace it", output)
				}
			}
			ctx := cmd.Context()
			a, err := g.openApp(ctx)
			if err != nil {
				return err
			}
			defer a.Close()
			if storageName != "" && a.Runner.Storage(storageName) == nil {
				return usageError("storage %q is not configured", storageName)
			}
			b, err := getBackup(cmd, a, args[0])
			if err != nil {
				return err
			}
			rc, loc, err := openCopy(ctx, a, b, storageName)
			if err != nil {
				g.record(ctx, a, audit.Entry(catalog.AuditDownload, b.ID, err, ""))
				return &exitError{code: exitFailure, err: err}
			}
			defer rc.Close()
			read := &countingWriter{w: io.Discard} // what was read of the object
			src := io.TeeReader(rc, read)
			if toStdout {
				// A reader that stops early (| head) closes the pipe: the
				// write then fails with EPIPE, reported and recorded, rather
				// than the signal ending the process silently.
				signal.Ignore(syscall.SIGPIPE)
				defer signal.Reset(syscall.SIGPIPE)
				out := &countingWriter{w: g.stdout}
				err = copyChecked(out, src, b)
				if errors.Is(err, syscall.EPIPE) {
					e := audit.DownloadEntry(b.ID, loc.Storage, out.n, nil, false, true)
					e.Detail = audit.Detail(e.Detail + ": the reader closed standard output")
					g.record(ctx, a, e)
					return &exitError{code: exitFailure, err: fmt.Errorf("download %s: standard output was closed after %d of %d bytes: whoever read it stopped early and has an incomplete object",
						b.ID, out.n, b.StoredBytes)}
				}
			} else {
				err = writeFileAtomic(output, force, func(w io.Writer) error { return copyChecked(w, src, b) })
			}
			g.record(ctx, a, audit.DownloadEntry(b.ID, loc.Storage, read.n, err, err == nil, ctx.Err() != nil))
			if err != nil {
				return &exitError{code: exitFailure, err: fmt.Errorf("download %s from storage %s: %w", b.ID, loc.Storage, err)}
			}
			if toStdout {
				return nil
			}
			fmt.Fprintf(g.stderr, "wrote %s: backup %s from storage %s, %d bytes, SHA-256 matches the catalog\n", output, b.ID, loc.Storage, b.StoredBytes)
			return nil
		},
	}
	c.Flags().StringVar(&storageName, "storage", "", "read this storage's copy (default: the first complete copy that opens)")
	c.Flags().StringVarP(&output, "output", "o", "", "write to this file instead of standard output")
	c.Flags().BoolVar(&force, "force", false, "with -o: replace FILE if it exists")
	return c
}

// openCopy opens b's stored object in the named storage, or in the first
// storage with a complete copy that opens.
func openCopy(ctx context.Context, a *app.App, b *backup.Backup, storageName string) (io.ReadCloser, backup.Location, error) {
	var errs []error
	for _, l := range b.Locations {
		if storageName != "" && l.Storage != storageName {
			continue
		}
		if l.Status != backup.LocationSuccess {
			errs = append(errs, fmt.Errorf("storage %s: copy is %s", l.Storage, l.Status))
			continue
		}
		st := a.Runner.Storage(l.Storage)
		if st == nil {
			errs = append(errs, fmt.Errorf("storage %s is not configured", l.Storage))
			continue
		}
		rc, err := st.Open(ctx, l.Key)
		if err != nil {
			errs = append(errs, fmt.Errorf("storage %s: %w", l.Storage, err))
			continue
		}
		return rc, l, nil
	}
	if storageName != "" && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("no copy in storage %s", storageName))
	}
	if len(errs) == 0 {
		errs = append(errs, errors.New("it has no stored copy"))
	}
	return nil, backup.Location{}, fmt.Errorf("backup %s (%s): no readable copy: %w", b.ID, b.Status, errors.Join(errs...))
}

// countingWriter counts the bytes written through it (or, behind an
// io.TeeReader, read).
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// copyChecked copies the object r to w and checks its size and SHA-256
// against the catalog's.
func copyChecked(w io.Writer, r io.Reader, b *backup.Backup) error {
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), r)
	if err != nil {
		return err
	}
	if n != b.StoredBytes {
		return fmt.Errorf("read %d bytes, the catalog says %d", n, b.StoredBytes)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != b.SHA256 {
		return fmt.Errorf("SHA-256 %s does not match the catalog's %s", sum, b.SHA256)
	}
	return nil
}

// writeFileAtomic writes path through a temporary file next to it (mode
// 0600), synced and renamed into place only when write succeeded; without
// replace, an existing path is an error and is left alone. Nothing is left
// behind on failure.
func writeFileAtomic(path string, replace bool, write func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = write(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if replace {
		err = os.Rename(tmp, path)
	} else if err = os.Link(tmp, path); err == nil { // fails if path exists: never overwrites
		os.Remove(tmp)
	}
	if err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
