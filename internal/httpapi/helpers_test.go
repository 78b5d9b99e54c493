package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/auth"
	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/httpserve"
	"github.com/gosqlguard/gosqlguard/internal/retention"
	"github.com/gosqlguard/gosqlguard/internal/service"
)

// Tokens of the test servers, one per role.
const (
	viewerToken   = "viewer-token-4f1c0a"
	operatorToken = "operator-token-9b2d7e"
	adminToken    = "admin-token-c3e85f"
	wrongToken    = "wrong-token-77aa01"
)

func tokenHash(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

func testTokens() []auth.Token {
	return []auth.Token{
		{Name: "ci-viewer", Role: auth.RoleViewer, SHA256: sha256.Sum256([]byte(viewerToken))},
		{Name: "ops", Role: auth.RoleOperator, SHA256: sha256.Sum256([]byte(operatorToken))},
		{Name: "root", Role: auth.RoleAdmin, SHA256: sha256.Sum256([]byte(adminToken))},
	}
}

// fakeService is an in-memory Service. Every method fails with err when it
// is set, and panics when panicking is set.
type fakeService struct {
	mu        sync.Mutex
	backups   map[string]*backup.Backup
	err       error
	readyErr  error
	panicking bool
	content   string // what Download streams
	calls     []string
	restores  []service.RestoreOptions
}

func newFakeService() *fakeService {
	return &fakeService{backups: map[string]*backup.Backup{}, content: "stored object bytes"}
}

func (f *fakeService) enter(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name)
	if f.panicking {
		panic("boom: password=hunter2 at /var/lib/gosqlguard/x.go:12")
	}
	return f.err
}

// add inserts a backup started at t and returns it.
func (f *fakeService) add(t time.Time, server, db, typ string) *backup.Backup {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := &backup.Backup{
		ID: backup.NewID(t), Server: server, Database: db, Type: typ, Status: backup.StatusSuccess,
		StartedAt: t, Compression: "zstd", StoredBytes: 42,
		Locations: []backup.Location{{Storage: "local", Key: server + "/" + db, Status: backup.LocationSuccess}},
	}
	f.backups[b.ID] = b
	return b
}

func (f *fakeService) ListBackups(ctx context.Context, flt catalog.Filter, q string) ([]*backup.Backup, error) {
	if err := f.enter("ListBackups"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*backup.Backup
	for _, b := range f.backups {
		switch {
		case flt.Server != "" && b.Server != flt.Server,
			flt.Database != "" && b.Database != flt.Database,
			flt.Type != "" && b.Type != flt.Type,
			flt.Status != "" && b.Status != flt.Status,
			flt.Storage != "" && b.Location(flt.Storage) == nil,
			!flt.Since.IsZero() && b.StartedAt.Before(flt.Since),
			!flt.Until.IsZero() && !b.StartedAt.Before(flt.Until),
			flt.Before != "" && b.ID >= flt.Before,
			q != "" && !strings.Contains(b.ID+" "+b.Server+" "+b.Database+" "+b.Type+" "+b.Error, q):
			continue
		}
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b *backup.Backup) int { return strings.Compare(b.ID, a.ID) })
	if flt.Limit > 0 && len(out) > flt.Limit {
		out = out[:flt.Limit]
	}
	return out, nil
}

// GetBackup finds a backup by its ID or, like the app, by a unique prefix
// of it.
func (f *fakeService) GetBackup(ctx context.Context, id string) (*backup.Backup, error) {
	if err := f.enter("GetBackup"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if b, ok := f.backups[id]; ok {
		return b, nil
	}
	if backup.ValidID(id) {
		return nil, fmt.Errorf("get %s: %w", id, catalog.ErrNotFound)
	}
	var found []*backup.Backup
	for k, b := range f.backups {
		if strings.HasPrefix(k, id) {
			found = append(found, b)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%w: no backup has an ID starting with %q", catalog.ErrNotFound, id)
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("%w: %q matches %d backups: give more of the ID", service.ErrInvalid, id, len(found))
}

func (f *fakeService) StartBackups(ctx context.Context, server, database, typ string) ([]string, error) {
	if err := f.enter("StartBackups"); err != nil {
		return nil, err
	}
	if server == "busy" {
		return nil, fmt.Errorf("%w: the backup job busy/%s/%s is already running", service.ErrConflict, database, typ)
	}
	if server == "nope" { // as the app says it: its usage error wrapped once more
		return nil, fmt.Errorf("%w: %w", service.ErrInvalid, fmt.Errorf("%w: server %q is not configured", errors.New("invalid request"), server))
	}
	if typ == "nope" {
		return nil, fmt.Errorf("%w: backup type %q is not configured", service.ErrInvalid, typ)
	}
	b := f.add(time.Now(), cmpOr(server, "main"), cmpOr(database, "shop"), typ)
	return []string{b.ID}, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (f *fakeService) DeleteBackup(ctx context.Context, id string) error {
	if err := f.enter("DeleteBackup"); err != nil {
		return err
	}
	_, err := f.GetBackup(ctx, id)
	return err
}

func (f *fakeService) Download(ctx context.Context, id, storage string) (io.ReadCloser, service.DownloadInfo, error) {
	if err := f.enter("Download"); err != nil {
		return nil, service.DownloadInfo{}, err
	}
	if _, err := f.GetBackup(ctx, id); err != nil {
		return nil, service.DownloadInfo{}, err
	}
	return io.NopCloser(strings.NewReader(f.content)),
		service.DownloadInfo{Filename: "/srv/backups/main/shop/" + id + ".sql.zst", Size: int64(len(f.content)), Storage: "local"}, nil
}

func (f *fakeService) VerifyBackup(ctx context.Context, id string) ([]backup.VerifyResult, error) {
	if err := f.enter("VerifyBackup"); err != nil {
		return nil, err
	}
	if _, err := f.GetBackup(ctx, id); err != nil {
		return nil, err
	}
	return []backup.VerifyResult{{Storage: "local", Key: "main/shop/" + id, Deep: true}}, nil
}

func (f *fakeService) RestoreBackup(ctx context.Context, id string, opts service.RestoreOptions) error {
	if err := f.enter("RestoreBackup"); err != nil {
		return err
	}
	f.mu.Lock()
	f.restores = append(f.restores, opts)
	f.mu.Unlock()
	if opts.ToDatabase == "busy" && !opts.Force {
		return fmt.Errorf("%w: database \"busy\" exists and is not empty: it holds 3 tables (send \"force\": true to replace it)", service.ErrConflict)
	}
	_, err := f.GetBackup(ctx, id)
	return err
}

func (f *fakeService) DrillBackup(ctx context.Context, id string) (backup.Drill, error) {
	if err := f.enter("DrillBackup"); err != nil {
		return backup.Drill{}, err
	}
	b, err := f.GetBackup(ctx, id)
	if err != nil {
		return backup.Drill{}, err
	}
	if b.Database == "busy" {
		return backup.Drill{}, fmt.Errorf("%w: a drill of this backup is already running", service.ErrConflict)
	}
	return backup.Drill{At: b.StartedAt, Seconds: 1.5, Status: backup.DrillFailure, Server: b.Server,
		Error: "pg_restore: error: could not read /var/lib/postgresql/x: password=hunter2"}, nil
}

func (f *fakeService) Jobs(ctx context.Context) ([]service.Job, error) {
	if err := f.enter("Jobs"); err != nil {
		return nil, err
	}
	proven := time.Date(2024, 5, 2, 3, 0, 0, 0, time.UTC)
	failed := proven.Add(24 * time.Hour)
	return []service.Job{
		{Server: "main", Database: "shop", Type: "daily"},
		{Server: "main", Database: "crm", Type: "daily",
			LastDrillSuccess: &proven, LastDrillSuccessID: "20240502T020000.000Z-0123456789ab",
			LastDrill: &failed, LastDrillID: "20240503T020000.000Z-0123456789ab", LastDrillStatus: backup.DrillFailure,
			LastDrillError: "mariadb: ERROR 1045: Access denied (password=hunter2) reading /var/lib/x"},
	}, nil
}

// BackupDrills returns two drills of every known backup: a failed one
// (newest, its error carrying a secret and a path) and a successful one.
func (f *fakeService) BackupDrills(ctx context.Context, id string) ([]backup.Drill, error) {
	if err := f.enter("BackupDrills"); err != nil {
		return nil, err
	}
	b, err := f.GetBackup(ctx, id)
	if err != nil {
		return nil, err
	}
	return []backup.Drill{
		{At: b.StartedAt.Add(2 * time.Hour), Seconds: 3, Status: backup.DrillFailure, Server: b.Server, Compared: true,
			Differences: []string{"table orders: 41 rows, want 42"}, Error: "restored database differs (password=hunter2 in /var/lib/x)"},
		{At: b.StartedAt.Add(time.Hour), Seconds: 2.5, Status: backup.DrillSuccess, Server: b.Server, Compared: true},
	}, nil
}

func (f *fakeService) Retention(ctx context.Context, dryRun bool) ([]retention.StoragePlan, error) {
	if err := f.enter(fmt.Sprintf("Retention(%v)", dryRun)); err != nil {
		return nil, err
	}
	return []retention.StoragePlan{{Storage: "local", Decisions: []retention.Decision{
		{BackupID: "b1", Action: retention.Keep, Reason: "newest"},
		{BackupID: "b0", Action: retention.Delete, Reason: "beyond keep 1"},
	}}}, nil
}

func (f *fakeService) Status(ctx context.Context) (service.Status, error) {
	if err := f.enter("Status"); err != nil {
		return service.Status{}, err
	}
	return service.Status{Version: "1.2.3", StartedAt: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC),
		Storages: []service.StorageStatus{{Name: "local", Type: "local", Healthy: false, Error: "stat /srv/backups: permission denied"}}}, nil
}

func (f *fakeService) Ready(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.readyErr
}

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type testEnv struct {
	srv     *Server
	handler http.Handler // srv behind the request middleware, as the app serves it
	svc     *fakeService
	logs    *syncBuffer
	clock   *fakeClock
}

// envOptions are a Server's options and the tokens of its authenticator.
type envOptions struct {
	Options
	Tokens []auth.Token // nil: unauthenticated
}

// newEnv builds a Server with the test tokens, a fake service, a fake clock
// and a debug-level log, behind the request middleware; edit adjusts the
// options first.
func newEnv(t *testing.T, edit func(*envOptions)) *testEnv {
	t.Helper()
	env := &testEnv{svc: newFakeService(), logs: &syncBuffer{}, clock: &fakeClock{t: time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)}}
	o := envOptions{Options: Options{
		Service: env.svc, Clock: env.clock.Now,
		Logger:  slog.New(slog.NewJSONHandler(env.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "# metrics") }),
	}, Tokens: testTokens()}
	if edit != nil {
		edit(&o)
	}
	env.srv, env.handler = newServer(t, o)
	return env
}

// newServer builds a Server with an authenticator of o.Tokens and puts it
// behind the request middleware.
func newServer(t *testing.T, o envOptions) (*Server, http.Handler) {
	t.Helper()
	o.Auth = auth.New(o.Tokens, o.Logger, o.Clock)
	srv, err := New(o.Options)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return srv, httpserve.Middleware(srv, httpserve.Options{Logger: o.Logger, Clock: o.Clock, Fail: srv.WriteError})
}

// req describes one test request.
type req struct {
	method, target string
	token          string // "" sends no Authorization header
	body           string
	contentType    string // default application/json when body is set
	remote         string // client address, default 192.0.2.1:1234
	host           string
}

func (e *testEnv) do(t *testing.T, r req) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader = http.NoBody
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr := httptest.NewRequest(r.method, r.target, body)
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	if r.body != "" {
		hr.Header.Set("Content-Type", cmpOr(r.contentType, "application/json"))
	}
	hr.RemoteAddr = cmpOr(r.remote, "192.0.2.1:1234")
	if r.host != "" {
		hr.Host = r.host
	}
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, hr)
	return w
}

// apiError decodes an error body, failing the test when it is not one.
func apiError(t *testing.T, w *httptest.ResponseRecorder) errorDetail {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("error Content-Type = %q, want application/json (body %q)", ct, w.Body.String())
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body %q: %v", w.Body.String(), err)
	}
	var d errorDetail
	dec := json.NewDecoder(bytes.NewReader(body["error"]))
	dec.DisallowUnknownFields()
	if len(body) != 1 || dec.Decode(&d) != nil || d.Code == "" || d.Message == "" {
		t.Fatalf("error body %q is not {\"error\":{\"code\",\"message\"}}", w.Body.String())
	}
	return d
}

func decodeJSON[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %q: %v", w.Body.String(), err)
	}
	return v
}

var errSecret = errors.New("open catalog: password=secret /var/lib/x dsn=postgres://u:p@h/db")

func newRequest(method, target string) *http.Request {
	r := httptest.NewRequest(method, target, http.NoBody)
	r.RemoteAddr = "192.0.2.1:1234"
	return r
}

func serve(e *testEnv, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, r)
	return w
}

func (f *fakeService) Progress(context.Context) []service.Progress { return nil }

func (f *fakeService) ConfigSummary() string { return "" }
