package e2e

import (
	"os"
	"strings"
	"testing"
)

// One flipped byte or a truncated object: verify exits 1 naming the backup
// and the reason; restore refuses before touching the target database.
func TestCorruptObjectRefused(t *testing.T) {
	src := newPostgresDB(t, "corrupt")
	loadPostgresFixture(t, src, 5000)
	msrc := newMariaDB(t, "corrupt")
	loadMariaDBFixture(t, msrc, 5000)
	s := newSetup(t, []serverSpec{
		{name: "pg", typ: "postgres", socket: postgresSocketDir, user: "postgres", databases: []string{src}},
		{name: "my", typ: "mysql", socket: mariadbSocket, user: "root", databases: []string{msrc}},
	}, options{})

	damages := map[string]func(data []byte) []byte{
		"flipped byte": func(d []byte) []byte { d[len(d)/2] ^= 0x01; return d },
		"truncated":    func(d []byte) []byte { return d[:len(d)*2/3] },
	}
	for _, server := range []string{"pg", "my"} {
		for name, damage := range damages {
			t.Run(server+"/"+name, func(t *testing.T) {
				id := backupID(t, s.mustRun(t, "backup", "--server", server))
				obj := s.objectPath(s.show(t, id).Locations[0].Key)
				data, err := os.ReadFile(obj)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(obj, damage(data), 0o600); err != nil {
					t.Fatal(err)
				}

				res := s.run(t, "verify", id)
				if res.code != 1 || !strings.Contains(res.stdout, id) || !strings.Contains(res.stdout, "FAILED") {
					t.Fatalf("verify: %s", res)
				}
				if want := map[string]string{"flipped byte": "sha256", "truncated": "size"}[name]; !strings.Contains(res.stdout, want) {
					t.Errorf("verify does not give the reason (%s): %s", want, res.stdout)
				}
				if all := s.run(t, "verify", "--all"); all.code != 1 {
					t.Errorf("verify --all: %s", all)
				}

				target := uniqueName("corrupt_dst")
				if server == "pg" {
					dropPostgresDBLater(t, target)
				} else {
					dropMariaDBLater(t, target)
				}
				res = s.run(t, "restore", id, "--to-database", target)
				if res.code != 1 || !strings.Contains(res.stderr, "untouched") {
					t.Fatalf("restore of a damaged backup: %s", res)
				}
				if server == "pg" {
					var n int
					pgAdmin(t, "postgres").QueryRow(t.Context(), "SELECT count(*) FROM pg_database WHERE datname = $1", target).Scan(&n)
					if n != 0 {
						t.Error("restore created the target database")
					}
				} else if got := queryStrings(t, mariadbAdmin(t, ""), "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", target); len(got) != 0 {
					t.Error("restore created the target database")
				}
			})
		}
	}
}
