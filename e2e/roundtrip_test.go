package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

// shown is the subset of `show -o json` the tests read.
type shown struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	RawBytes    int64  `json:"raw_bytes"`
	StoredBytes int64  `json:"stored_bytes"`
	SHA256      string `json:"sha256"`
	Error       string `json:"error"`
	Locations   []struct {
		Storage, Key, Status string
	} `json:"locations"`
	Manifest *struct {
		Engine        string `json:"engine"`
		ServerVersion string `json:"server_version"`
		DumpTool      string `json:"dump_tool"`
		SHA256        string `json:"sha256"`
	} `json:"manifest"`
}

func (s *setup) show(t *testing.T, id string) shown {
	t.Helper()
	var b shown
	res := s.mustRun(t, "show", id, "-o", "json")
	if err := json.Unmarshal([]byte(res.stdout), &b); err != nil {
		t.Fatalf("show -o json: %v\n%s", err, res.stdout)
	}
	return b
}

// codecCase is one way of storing a backup, and how to undo it by hand.
type codecCase struct {
	name      string
	codec     string
	encrypted bool
	ext       string
	undo      func(key string) [][]string // stock tools that turn the object into the raw dump
}

func codecCases() []codecCase {
	return []codecCase{
		{"zstd", "zstd", false, ".zst", func(string) [][]string { return [][]string{{"zstd", "-dc"}} }},
		{"gzip", "gzip", false, ".gz", func(string) [][]string { return [][]string{{"gzip", "-dc"}} }},
		{"zstd+age", "zstd", true, ".zst.age", func(key string) [][]string {
			return [][]string{{"age", "-d", "-i", key}, {"zstd", "-dc"}}
		}},
	}
}

// ageKey writes a fresh age identity file and returns it with its recipient.
func ageKey(t *testing.T) (identityFile, recipient string) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "age.key")
	if err := os.WriteFile(p, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p, id.Recipient().String()
}

func (c codecCase) options(t *testing.T) (options, string) {
	o := options{codec: c.codec}
	key := ""
	if c.encrypted {
		var recip string
		key, recip = ageKey(t)
		o.ageRecips, o.ageKey = []string{recip}, key
	}
	return o, key
}

func TestRoundTripMariaDB(t *testing.T) {
	for _, cc := range codecCases() {
		t.Run(cc.name, func(t *testing.T) {
			src := newMariaDB(t, "rt")
			loadMariaDBFixture(t, src, 2000)
			want := mariadbFingerprint(t, src)
			user := newMariaDBUser(t)
			o, key := cc.options(t)
			s := newSetup(t, []serverSpec{
				{name: "bk", typ: "mysql", socket: mariadbSocket, user: user, passwordFile: writeSecret(t, nastyPassword), databases: []string{src}},
				{name: "admin", typ: "mysql", socket: mariadbSocket, user: "root"},
			}, o)

			id := backupID(t, s.mustRun(t, "backup", "--server", "bk"))
			b := s.show(t, id)
			if b.Status != "success" || len(b.Locations) != 1 || !strings.HasSuffix(b.Locations[0].Key, ".sql"+cc.ext) {
				t.Fatalf("backup = %+v", b)
			}
			if b.Manifest == nil || b.Manifest.Engine != "mariadb" || b.Manifest.SHA256 != b.SHA256 || b.Manifest.ServerVersion == "" {
				t.Errorf("manifest = %+v", b.Manifest)
			}
			s.mustRun(t, "verify", id)

			// Through gosqlguard, onto the admin server, into a new database.
			dst := uniqueName("rt_dst")
			dropMariaDBLater(t, dst)
			s.mustRun(t, "restore", id, "--server", "admin", "--to-database", dst)
			got := mariadbFingerprint(t, dst)
			compareFingerprints(t, want, got)

			// By hand, with stock tools only.
			manual := newMariaDB(t, "rt_hand")
			cmds := append(cc.undo(key), []string{"mariadb", "--default-character-set=utf8mb4", manual})
			pipeCommands(t, s.objectPath(b.Locations[0].Key), cmds...)
			compareFingerprints(t, want, mariadbFingerprint(t, manual))
		})
	}
}

func TestRoundTripPostgres(t *testing.T) {
	for _, cc := range codecCases() {
		t.Run(cc.name, func(t *testing.T) {
			src := newPostgresDB(t, "rt")
			loadPostgresFixture(t, src, 2000)
			want := postgresFingerprint(t, src)
			o, key := cc.options(t)
			s := newSetup(t, []serverSpec{
				{name: "pg", typ: "postgres", socket: postgresSocketDir, user: "postgres", passwordFile: writeSecret(t, nastyPassword), databases: []string{src}},
			}, o)

			id := backupID(t, s.mustRun(t, "backup", "--server", "pg", "--database", src))
			b := s.show(t, id)
			if b.Status != "success" || !strings.HasSuffix(b.Locations[0].Key, ".dump"+cc.ext) {
				t.Fatalf("backup = %+v", b)
			}
			if b.Manifest == nil || b.Manifest.Engine != "postgres" || b.Manifest.DumpTool != "pg_dump" {
				t.Errorf("manifest = %+v", b.Manifest)
			}
			s.mustRun(t, "verify", id)

			dst := uniqueName("rt_dst")
			dropPostgresDBLater(t, dst)
			s.mustRun(t, "restore", id, "--to-database", dst)
			compareFingerprints(t, want, postgresFingerprint(t, dst))

			manual := newPostgresDB(t, "rt_hand")
			cmds := append(cc.undo(key), []string{"pg_restore", "--no-owner", "--exit-on-error", "-h", postgresSocketDir, "-U", "postgres", "-d", manual})
			pipeCommands(t, s.objectPath(b.Locations[0].Key), cmds...)
			compareFingerprints(t, want, postgresFingerprint(t, manual))
		})
	}
}

// Delete the catalog, rebuild it from the manifests: list shows the same
// backups with the same checksums.
func TestCatalogRebuild(t *testing.T) {
	my := newMariaDB(t, "rebuild")
	loadMariaDBFixture(t, my, 100)
	pg := newPostgresDB(t, "rebuild")
	loadPostgresFixture(t, pg, 100)
	s := newSetup(t, []serverSpec{
		{name: "my", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{my}},
		{name: "pg", typ: "postgres", socket: postgresSocketDir, user: "postgres", databases: []string{pg}},
	}, options{})
	s.mustRun(t, "backup")
	s.mustRun(t, "backup", "--server", "pg")
	before := s.mustRun(t, "list", "-o", "json").stdout
	for _, f := range []string{"catalog.db", "catalog.db-wal", "catalog.db-shm"} {
		os.Remove(filepath.Join(s.dir, f))
	}
	if out := s.mustRun(t, "list", "-o", "json").stdout; strings.TrimSpace(out) != "[]" {
		t.Fatalf("catalog not empty after deleting it: %s", out)
	}
	res := s.mustRun(t, "catalog", "rebuild")
	if !strings.Contains(res.stdout, "3 backup(s) added") {
		t.Fatalf("rebuild: %s", res)
	}
	var want, got []shown
	json.Unmarshal([]byte(before), &want)
	json.Unmarshal([]byte(s.mustRun(t, "list", "-o", "json").stdout), &got)
	if len(got) != 3 || len(want) != 3 {
		t.Fatalf("before %d backups, after %d", len(want), len(got))
	}
	for i := range want {
		if got[i].ID != want[i].ID || got[i].SHA256 != want[i].SHA256 || got[i].StoredBytes != want[i].StoredBytes || got[i].Status != "success" {
			t.Errorf("backup %d: before %+v, after %+v", i, want[i], got[i])
		}
	}
	s.mustRun(t, "verify", "--all")
}
