package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog/catalogdb"
	"github.com/gosqlguard/gosqlguard/internal/catalog/catalogtest/testdb"
	"github.com/gosqlguard/gosqlguard/internal/catalog/sqlite"
	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/pipeline"
	"github.com/gosqlguard/gosqlguard/internal/storage"
	"github.com/gosqlguard/gosqlguard/internal/storage/local"
)

// fakeDumper writes content, optionally failing after failAfter bytes.
// Real engines are tested against real servers; this exercises the runner's own logic.
type fakeDumper struct {
	content   []byte
	failAfter int
	restored  bytes.Buffer
}

func (f *fakeDumper) Databases(context.Context) ([]string, error) { return []string{"db"}, nil }

func (f *fakeDumper) Dump(ctx context.Context, db string, w io.Writer) (dump.Info, error) {
	info := dump.Info{Engine: "fake", Tool: "fake-dump", Format: "sql", Extension: "sql"}
	data := f.content
	if f.failAfter > 0 {
		data = data[:f.failAfter]
	}
	for len(data) > 0 {
		n := min(len(data), 64<<10)
		if _, err := w.Write(data[:n]); err != nil {
			return info, err
		}
		data = data[n:]
	}
	if f.failAfter > 0 {
		return info, errors.New("fake-dump: exit status 2: connection lost")
	}
	return info, nil
}

func (f *fakeDumper) Fingerprint(ctx context.Context, db string) (backup.Fingerprint, error) {
	return backup.Fingerprint{}, nil
}

func (f *fakeDumper) DropDrill(ctx context.Context, db string) error { return nil }

func (f *fakeDumper) DrillLeftovers(ctx context.Context) ([]string, error) { return nil, nil }

func (f *fakeDumper) CheckTarget(ctx context.Context, db string, opts dump.RestoreOptions) error {
	return nil
}

func (f *fakeDumper) Restore(ctx context.Context, db string, r io.Reader, opts dump.RestoreOptions) error {
	f.restored.Reset()
	_, err := io.Copy(&f.restored, r)
	return err
}

type fixture struct {
	r      *Runner
	stores []*local.Backend
}

func newFixture(t *testing.T, opts pipeline.Options, ids ...age.Identity) *fixture {
	t.Helper()
	dir := t.TempDir()
	cat, err := sqlite.Open(context.Background(), filepath.Join(dir, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close() })
	f := &fixture{}
	var backends []storage.Backend
	for _, name := range []string{"one", "two"} {
		b, err := local.New(name, filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		f.stores = append(f.stores, b)
		backends = append(backends, b)
	}
	f.r = &Runner{Catalog: cat, Storages: backends, Pipeline: opts, Identities: ids}
	return f
}

func (f *fixture) job(d dump.Dumper) Job {
	return Job{Server: "srv", Database: "db", Type: "manual", Extension: "sql", Dumper: d, Storages: f.r.Storages}
}

func sample() []byte {
	return bytes.Repeat([]byte("INSERT INTO t VALUES (1,'😀');\n"), 200000)
}

func TestBackupVerifyRestore(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	for name, tc := range map[string]struct {
		opts pipeline.Options
		ids  []age.Identity
	}{
		"zstd":     {pipeline.Options{Codec: "zstd"}, nil},
		"gzip":     {pipeline.Options{Codec: "gzip"}, nil},
		"zstd+age": {pipeline.Options{Codec: "zstd", Recipients: []age.Recipient{id.Recipient()}}, []age.Identity{id}},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, tc.opts, tc.ids...)
			d := &fakeDumper{content: sample()}
			b, err := f.r.Backup(ctx, f.job(d))
			if err != nil {
				t.Fatalf("Backup: %v", err)
			}
			if b.Status != backup.StatusSuccess || b.RawBytes != int64(len(d.content)) {
				t.Fatalf("status %s raw %d, want success %d", b.Status, b.RawBytes, len(d.content))
			}
			got, err := f.r.Catalog.Get(ctx, b.ID)
			if err != nil || got.SHA256 != b.SHA256 || len(got.Locations) != 2 || got.Manifest == nil {
				t.Fatalf("catalog row = %+v, %v", got, err)
			}
			for _, s := range f.stores {
				mr, err := s.Open(ctx, backup.ManifestKey(b))
				if err != nil {
					t.Fatalf("%s: manifest: %v", s.Name(), err)
				}
				m, _ := io.ReadAll(mr)
				mr.Close()
				if !bytes.Contains(m, []byte(b.SHA256)) {
					t.Errorf("%s: manifest lacks the checksum", s.Name())
				}
			}
			if _, err := f.r.Verify(ctx, got, ""); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if err := f.r.Restore(ctx, RestoreRequest{Backup: got, Dumper: d, ToDatabase: "copy"}); err != nil {
				t.Fatalf("Restore: %v", err)
			}
			if !bytes.Equal(d.restored.Bytes(), d.content) {
				t.Fatalf("restored %d bytes, want the %d dumped", d.restored.Len(), len(d.content))
			}
		})
	}
}

func TestFailedDumpLeavesNothing(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, pipeline.Options{Codec: "zstd"})
	good, err := f.r.Backup(ctx, f.job(&fakeDumper{content: sample()}))
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.r.Backup(ctx, f.job(&fakeDumper{content: sample(), failAfter: 3 << 20}))
	if err == nil || b.Status != backup.StatusFailed {
		t.Fatalf("Backup = %v, status %s; want failed", err, b.Status)
	}
	row, _ := f.r.Catalog.Get(ctx, b.ID)
	if row.Status != backup.StatusFailed || !strings.Contains(row.Error, "connection lost") {
		t.Errorf("catalog row: status %s error %q", row.Status, row.Error)
	}
	if row.StoredBytes != 0 || row.SHA256 != "" || row.RawBytes == 0 {
		t.Errorf("failed row claims stored data: stored %d sha %q raw %d", row.StoredBytes, row.SHA256, row.RawBytes)
	}
	for _, s := range f.stores {
		list, _ := s.List(ctx, "")
		for _, o := range list {
			if strings.Contains(o.Key, b.ID) {
				t.Errorf("%s: object of failed backup left: %s", s.Name(), o.Key)
			}
		}
		if len(list) != 2 { // the good backup's object and manifest
			t.Errorf("%s: %d objects, want the 2 of the earlier backup", s.Name(), len(list))
		}
	}
	if _, err := f.r.Verify(ctx, good, ""); err != nil {
		t.Errorf("earlier backup damaged: %v", err)
	}
}

func TestOneStorageFailsGivesPartial(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, pipeline.Options{Codec: "zstd"})
	// Make storage "two" unwritable: its root becomes a file.
	root := f.stores[1].Root()
	os.RemoveAll(root)
	os.WriteFile(root, nil, 0o600)
	b, err := f.r.Backup(ctx, f.job(&fakeDumper{content: sample()}))
	if b.Status != backup.StatusPartial || err == nil {
		t.Fatalf("status %s err %v, want partial with an error", b.Status, err)
	}
	if l := b.Location("one"); l.Status != backup.LocationSuccess {
		t.Errorf("storage one: %s", l.Status)
	}
	if l := b.Location("two"); l.Status != backup.LocationFailed || l.Error == "" {
		t.Errorf("storage two: %s %q", l.Status, l.Error)
	}
	if _, err := f.r.Verify(ctx, b, ""); err != nil {
		t.Errorf("the good copy fails verify: %v", err)
	}
}

func TestCorruptionIsCaughtBeforeRestore(t *testing.T) {
	ctx := context.Background()
	for _, damage := range []string{"flip", "truncate", "delete"} {
		t.Run(damage, func(t *testing.T) {
			f := newFixture(t, pipeline.Options{Codec: "zstd"})
			d := &fakeDumper{content: sample()}
			b, err := f.r.Backup(ctx, Job{Server: "srv", Database: "db", Type: "manual", Extension: "sql", Dumper: d, Storages: f.r.Storages[:1]})
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(f.stores[0].Root(), filepath.FromSlash(b.Locations[0].Key))
			data, _ := os.ReadFile(p)
			switch damage {
			case "flip":
				data[len(data)/2] ^= 0x20
				os.WriteFile(p, data, 0o600)
			case "truncate":
				os.WriteFile(p, data[:len(data)-10], 0o600)
			case "delete":
				os.Remove(p)
			}
			if _, err := f.r.Verify(ctx, b, ""); err == nil {
				t.Fatal("Verify passed a damaged object")
			}
			d.restored.WriteString("untouched")
			err = f.r.Restore(ctx, RestoreRequest{Backup: b, Dumper: d})
			if err == nil || !strings.Contains(err.Error(), "untouched") {
				t.Fatalf("Restore = %v, want a refusal", err)
			}
			if d.restored.String() != "untouched" {
				t.Fatal("Restore reached the target database")
			}
		})
	}
}

func TestEncryptedNeedsIdentity(t *testing.T) {
	ctx := context.Background()
	id, _ := age.GenerateX25519Identity()
	f := newFixture(t, pipeline.Options{Codec: "zstd", Recipients: []age.Recipient{id.Recipient()}})
	d := &fakeDumper{content: sample()}
	b, err := f.r.Backup(ctx, f.job(d))
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.r.Verify(ctx, b, "") // checksum only, without the identity
	if err != nil || res[0].Deep {
		t.Fatalf("Verify without identity = %+v, %v", res, err)
	}
	if err := f.r.Restore(ctx, RestoreRequest{Backup: b, Dumper: d}); err == nil {
		t.Fatal("restore of an encrypted backup without identity succeeded")
	}
}

func TestRebuildCatalog(t *testing.T) {
	// It works into a catalog of any driver: it only uses catalog.Store.
	for _, tc := range []struct {
		driver string
		dsn    func(testing.TB) string
	}{
		{"sqlite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "new.db") }},
		{"postgres", testdb.Postgres},
		{"mysql", testdb.MySQL},
	} {
		t.Run(tc.driver, func(t *testing.T) { testRebuildCatalog(t, tc.driver, tc.dsn(t)) })
	}
}

func testRebuildCatalog(t *testing.T, driver, dsn string) {
	ctx := context.Background()
	f := newFixture(t, pipeline.Options{Codec: "zstd"})
	var want []*backup.Backup
	for range 3 {
		b, err := f.r.Backup(ctx, f.job(&fakeDumper{content: sample()}))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, b)
	}
	// A failed run leaves no manifest and does not come back.
	f.r.Backup(ctx, f.job(&fakeDumper{content: sample(), failAfter: 1000}))
	// A stray, broken manifest is reported, not imported.
	f.stores[0].Put(ctx, "srv/db/manual/junk.manifest.json", strings.NewReader("{not json"))

	fresh, err := catalogdb.Open(ctx, driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	f.r.Catalog = fresh
	rep, err := f.r.RebuildCatalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 3 || rep.Manifests != 6 || len(rep.Problems) != 1 {
		t.Fatalf("report = %+v, want 3 added from 6 manifests and 1 problem", rep)
	}
	for _, w := range want {
		got, err := fresh.Get(ctx, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.SHA256 != w.SHA256 || got.StoredBytes != w.StoredBytes || got.Status != backup.StatusSuccess ||
			len(got.Locations) != 2 || got.Manifest == nil || got.Manifest.ID != w.ID {
			t.Errorf("rebuilt %s = %+v", w.ID, got)
		}
		if _, err := f.r.Verify(ctx, got, ""); err != nil {
			t.Errorf("rebuilt %s does not verify: %v", w.ID, err)
		}
	}
	// A second rebuild changes nothing.
	if rep, err := f.r.RebuildCatalog(ctx); err != nil || rep.Added != 0 || rep.Updated != 0 {
		t.Errorf("second rebuild = %+v, %v", rep, err)
	}
}

func TestUnsafeDatabaseNameRefused(t *testing.T) {
	f := newFixture(t, pipeline.Options{Codec: "zstd"})
	for _, db := range []string{"../../etc", "a/b", ".."} {
		job := f.job(&fakeDumper{content: sample()})
		job.Database = db
		if b, err := f.r.Backup(context.Background(), job); err == nil || b != nil {
			t.Errorf("Backup(database %q) = %v, %v; want a refusal before anything starts", db, b, err)
		}
	}
	for _, s := range f.stores {
		if list, _ := s.List(context.Background(), ""); len(list) != 0 {
			t.Errorf("%s: %d objects written", s.Name(), len(list))
		}
	}
}

func TestDeleteCopies(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, pipeline.Options{Codec: "zstd"})
	b, err := f.r.Backup(ctx, f.job(&fakeDumper{content: sample()}))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.r.DeleteCopies(ctx, b, []string{"one"}, "retention: beyond the newest 1"); err != nil {
		t.Fatal(err)
	}
	got, _ := f.r.Catalog.Get(ctx, b.ID)
	if got.Status != backup.StatusSuccess || got.Location("one").Status != backup.LocationDeleted || got.Location("two").Status != backup.LocationSuccess {
		t.Fatalf("after deleting one copy: %+v", got)
	}
	if list, _ := f.stores[0].List(ctx, ""); len(list) != 0 {
		t.Errorf("storage one still holds %d objects", len(list))
	}
	if _, err := f.r.Verify(ctx, got, ""); err != nil {
		t.Errorf("remaining copy: %v", err)
	}
	if err := f.r.DeleteCopies(ctx, got, nil, "deleted by admin"); err != nil {
		t.Fatal(err)
	}
	got, _ = f.r.Catalog.Get(ctx, b.ID)
	if got.Status != backup.StatusDeleted || got.DeletedAt == nil || got.DeleteReason != "deleted by admin" {
		t.Fatalf("after deleting every copy: %+v", got)
	}
	if list, _ := f.stores[1].List(ctx, ""); len(list) != 0 {
		t.Errorf("storage two still holds %d objects", len(list))
	}
}

type recorder struct {
	events []string
}

func (r *recorder) BackupStarted(b *backup.Backup) {
	r.events = append(r.events, "started "+string(b.Status))
}
func (r *recorder) BackupFinished(b *backup.Backup) {
	r.events = append(r.events, "finished "+string(b.Status))
}
func (r *recorder) VerifyFinished(b *backup.Backup, storage string, err error) {
	r.events = append(r.events, fmt.Sprintf("verified %s %v", storage, err == nil))
}
func (r *recorder) CopyDeleted(b *backup.Backup, storage, reason string) {
	r.events = append(r.events, "deleted "+storage)
}
func (r *recorder) StorageError(b *backup.Backup, storage, op string, err error) {
	r.events = append(r.events, "storage error "+storage+" "+op)
}

func TestObserversSeeEverything(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, pipeline.Options{Codec: "zstd"})
	rec := &recorder{}
	f.r.Observers = []Observer{rec}
	root := f.stores[1].Root()
	os.RemoveAll(root)
	os.WriteFile(root, nil, 0o600) // storage "two" cannot be written
	b, _ := f.r.Backup(ctx, f.job(&fakeDumper{content: sample()}))
	f.r.Verify(ctx, b, "")
	f.r.DeleteCopies(ctx, b, []string{"one"}, "test")
	want := []string{"started running", "storage error two put", "finished partial", "verified one true", "deleted one"}
	if strings.Join(rec.events, "|") != strings.Join(want, "|") {
		t.Errorf("events = %q\nwant     %q", rec.events, want)
	}
}

func TestReadProgress(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, pipeline.Options{Codec: "zstd"})
	b, err := f.r.Backup(ctx, Job{Server: "srv", Database: "db", Type: "manual", Extension: "sql", Dumper: &fakeDumper{content: sample()}, Storages: f.r.Storages[:1]})
	if err != nil {
		t.Fatal(err)
	}
	var last int64
	var phases []string
	wctx := WithReadWatch(ctx, ReadWatch{
		Phase: func(p string) { phases = append(phases, p) },
		Progress: func(n int64) {
			if n < last {
				t.Errorf("progress went back from %d to %d", last, n)
			}
			last = n
		},
	})
	if _, err := f.r.Verify(ctx, b, ""); err != nil {
		t.Fatal(err)
	}
	if last != 0 || phases != nil {
		t.Fatalf("a verify without a watch reported to another call's watch: %d bytes, phases %q", last, phases)
	}
	if _, err := f.r.Verify(wctx, b, ""); err != nil {
		t.Fatal(err)
	}
	if last != b.StoredBytes {
		t.Errorf("progress ended at %d, want the %d stored bytes", last, b.StoredBytes)
	}
	if want := []string{"verify " + b.Locations[0].Storage}; strings.Join(phases, "|") != strings.Join(want, "|") {
		t.Errorf("phases = %q, want %q", phases, want)
	}
}

func TestRestoreRefusesBadTargetBeforeReading(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, pipeline.Options{Codec: "zstd"})
	d := &fakeDumper{content: sample()}
	b, err := f.r.Backup(ctx, f.job(d))
	if err != nil {
		t.Fatal(err)
	}
	read := false
	ctx = WithReadWatch(ctx, ReadWatch{Progress: func(int64) { read = true }})
	err = f.r.Restore(ctx, RestoreRequest{Backup: b, Dumper: d, ToDatabase: "../etc"})
	if err == nil || errors.Is(err, ErrCorrupt) || read {
		t.Fatalf("Restore to ../etc = %v (read %v); want a refusal before reading, not a corruption", err, read)
	}
}

// suffixCheck is a completeness check that wants the content to end with "END\n".
type suffixCheck struct{ tail []byte }

func (c *suffixCheck) Write(p []byte) (int, error) {
	c.tail = append(c.tail, p...)
	if len(c.tail) > 4 {
		c.tail = c.tail[len(c.tail)-4:]
	}
	return len(p), nil
}

func (c *suffixCheck) Complete() error {
	if string(c.tail) != "END\n" {
		return errors.New("no END line")
	}
	return nil
}

// Verify runs the dump format's completeness check over the decoded
// content: an intact object holding an incomplete dump is corrupt.
func TestVerifyRunsTheFormatCheck(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		content string
		wantErr bool
	}{
		{"complete", "data\nEND\n", false},
		{"cut short", "data\nEN", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, pipeline.Options{Codec: "zstd"})
			f.r.Checks = map[string]func() dump.Check{"sql": func() dump.Check { return &suffixCheck{} }}
			b, err := f.r.Backup(ctx, f.job(&fakeDumper{content: []byte(tc.content)}))
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.r.Verify(ctx, b, "")
			if (err != nil) != tc.wantErr || tc.wantErr && !errors.Is(err, ErrCorrupt) {
				t.Errorf("Verify = %v, want error: %v (ErrCorrupt)", err, tc.wantErr)
			}
		})
	}
}

// Warnings from the dump reach the manifest and the backup, and are never nil.
func TestBackupWarnings(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, pipeline.Options{Codec: "zstd"})
	b, err := f.r.Backup(ctx, f.job(&warningDumper{fakeDumper{content: sample()}}))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Warnings) != 1 || b.Manifest.Warnings[0] != "big row" || b.Manifest.MaxStatementBytes != 123 {
		t.Errorf("warnings %q, manifest %+v", b.Warnings, b.Manifest)
	}
	got, err := f.r.Catalog.Get(ctx, b.ID)
	if err != nil || len(got.Warnings) != 1 {
		t.Errorf("catalog warnings %q, %v", got.Warnings, err)
	}
	plain, err := f.r.Backup(ctx, f.job(&fakeDumper{content: sample()}))
	if err != nil || plain.Warnings == nil {
		t.Errorf("warnings of a plain backup = %#v, %v; want an empty list", plain.Warnings, err)
	}
}

type warningDumper struct{ fakeDumper }

func (w *warningDumper) Dump(ctx context.Context, db string, out io.Writer) (dump.Info, error) {
	info, err := w.fakeDumper.Dump(ctx, db, out)
	info.Warnings, info.MaxStatementBytes = []string{"big row"}, 123
	return info, err
}
