package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A backup configured by GOSQLGUARD_* variables alone: no file, an empty
// working directory; list then shows it, and the catalog's DSN came from a
// _FILE variable.
func TestEnvConfigBackupWithoutFile(t *testing.T) {
	db := newMariaDB(t, "envcfg")
	execAll(t, mariadbAdmin(t, db), "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))", "INSERT INTO t VALUES (1, 'one'), (2, 'two')")
	work := t.TempDir()
	secrets := t.TempDir()
	catalog := filepath.Join(secrets, "catalog.db")
	dsnFile := filepath.Join(secrets, "catalog-dsn")
	if err := os.WriteFile(dsnFile, []byte(catalog+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"GOSQLGUARD_CATALOG_DSN_FILE=" + dsnFile,
		"GOSQLGUARD_SERVERS_0_NAME=my",
		"GOSQLGUARD_SERVERS_0_TYPE=mysql",
		"GOSQLGUARD_SERVERS_0_SOCKET=" + mariadbSocket,
		"GOSQLGUARD_SERVERS_0_USER=root",
		"GOSQLGUARD_SERVERS_0_DATABASES=" + db,
		"GOSQLGUARD_STORAGES_0_NAME=local",
		"GOSQLGUARD_STORAGES_0_TYPE=local",
		"GOSQLGUARD_STORAGES_0_PATH=./backups",
		"GOSQLGUARD_STORAGES_0_RETENTION_MANUAL_KEEP=5",
		"GOSQLGUARD_COMPRESSION_CODEC=gzip",
	}

	res := runIn(t, work, env, "config", "validate", "--sources")
	if res.code != 0 || !strings.Contains(res.stdout, "env GOSQLGUARD_CATALOG_DSN_FILE") || strings.Contains(res.stdout, catalog) {
		t.Fatalf("config validate --sources: want the DSN's source and not its value: %s", res)
	}

	res = runIn(t, work, env, "backup")
	if res.code != 0 {
		t.Fatalf("backup: %s", res)
	}
	id := backupID(t, res)

	res = runIn(t, work, env, "list", "-o", "json")
	if res.code != 0 {
		t.Fatalf("list: %s", res)
	}
	var rows []catalogRow
	if err := json.Unmarshal([]byte(res.stdout), &rows); err != nil {
		t.Fatalf("list -o json: %v\n%s", err, res.stdout)
	}
	if len(rows) != 1 || rows[0].ID != id || rows[0].Server != "my" || rows[0].Database != db || rows[0].Status != "success" ||
		len(rows[0].Locations) != 1 || rows[0].Locations[0].Storage != "local" {
		t.Fatalf("list shows %+v, want the one successful backup %s of my/%s", rows, id, db)
	}
	// The storage path is relative to the working directory, the catalog is
	// where the DSN file says, and no configuration file appeared.
	stored, err := filepath.Glob(filepath.Join(work, "backups", "my", db, "manual", "*"))
	if err != nil || len(stored) == 0 {
		t.Errorf("nothing stored under %s: %v", filepath.Join(work, "backups", "my", db, "manual"), err)
	}
	if _, err := os.Stat(catalog); err != nil {
		t.Errorf("catalog: %v", err)
	}
	if _, err := os.Stat(filepath.Join(work, "gosqlguard.yaml")); err == nil {
		t.Errorf("a configuration file appeared in the working directory")
	}

	// A misspelt variable stops the command before anything runs.
	res = runIn(t, work, append(env, "GOSQLGUARD_SERVERS_0_DATABASE="+db), "backup")
	if res.code != 2 || !strings.Contains(res.stderr, "GOSQLGUARD_SERVERS_0_DATABASE: unknown setting; did you mean GOSQLGUARD_SERVERS_0_DATABASES?") {
		t.Errorf("backup with a misspelt variable: %s", res)
	}
}
