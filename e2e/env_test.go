package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/storage/s3/s3test"
)

// uniqueName returns a database or user name no earlier run can have left.
func uniqueName(prefix string) string {
	var b [5]byte
	rand.Read(b[:])
	return "gsg_" + prefix + "_" + hex.EncodeToString(b[:])
}

// nastyPassword contains every character that breaks naive quoting.
const nastyPassword = `p'a"s$s; w>rd #\x!(~[=?%:`

// setup is one test's config file and data directories.
type setup struct {
	listen     string // the daemon's HTTP address
	dir        string
	configPath string
	storageDir string
	env        []string
}

// serverSpec is one server entry of a generated config.
type serverSpec struct {
	name, typ, socket, user, passwordFile string
	databases                             []string
	dumpOptions                           []string // written as a YAML flow list of quoted strings
}

// options tweak a generated config.
type options struct {
	codec     string
	ageRecips []string
	ageKey    string         // identity file
	s3        *s3test.Server // adds a storage "s3" on this server
	s3Only    bool           // ... and no local storage
	retention string         // a YAML flow mapping given to every storage
	types     string         // YAML lines under backup_types
	extra     string         // YAML appended to the config
}

// newSetup writes a config with one local storage and the given servers.
func newSetup(t *testing.T, servers []serverSpec, o options) *setup {
	t.Helper()
	s := &setup{dir: t.TempDir(), listen: freeAddr(t)}
	s.storageDir = filepath.Join(s.dir, "backups")
	s.configPath = filepath.Join(s.dir, "gosqlguard.yaml")
	var b strings.Builder
	fmt.Fprintf(&b, "catalog: {driver: sqlite, dsn: %q}\nservers:\n", filepath.Join(s.dir, "catalog.db"))
	for _, srv := range servers {
		fmt.Fprintf(&b, "  - name: %s\n    type: %s\n    socket: %s\n    user: %s\n", srv.name, srv.typ, srv.socket, srv.user)
		if srv.passwordFile != "" {
			fmt.Fprintf(&b, "    password_file: %q\n", srv.passwordFile)
		}
		if len(srv.databases) > 0 {
			fmt.Fprintf(&b, "    databases: [%s]\n", strings.Join(srv.databases, ", "))
		}
		if len(srv.dumpOptions) > 0 {
			quoted := make([]string, len(srv.dumpOptions))
			for i, o := range srv.dumpOptions {
				quoted[i] = fmt.Sprintf("%q", o)
			}
			fmt.Fprintf(&b, "    dump_options: [%s]\n", strings.Join(quoted, ", "))
		}
	}
	if o.types != "" {
		b.WriteString("backup_types:\n" + o.types)
	}
	b.WriteString("storages:\n")
	if !o.s3Only {
		fmt.Fprintf(&b, "  - name: local\n    type: local\n    path: %q\n", s.storageDir)
		if o.retention != "" {
			fmt.Fprintf(&b, "    retention: %s\n", o.retention)
		}
	}
	if o.s3 != nil {
		fmt.Fprintf(&b, "  - name: s3\n    type: s3\n    endpoint: %s\n    region: us-east-1\n    bucket: %s\n    prefix: e2e/\n    path_style: true\n", o.s3.Endpoint, o.s3.Bucket)
		fmt.Fprintf(&b, "    access_key_id_file: %q\n    secret_access_key_file: %q\n", writeSecret(t, o.s3.AccessKey), writeSecret(t, o.s3.SecretKey))
		if o.retention != "" {
			fmt.Fprintf(&b, "    retention: %s\n", o.retention)
		}
	}
	if o.codec != "" {
		fmt.Fprintf(&b, "compression: {codec: %s}\n", o.codec)
	}
	if len(o.ageRecips) > 0 {
		fmt.Fprintf(&b, "encryption:\n  recipients: [%s]\n", strings.Join(o.ageRecips, ", "))
		if o.ageKey != "" {
			fmt.Fprintf(&b, "  identity_file: %q\n", o.ageKey)
		}
	}
	if !strings.Contains(o.extra, "http:") {
		fmt.Fprintf(&b, "http: {listen: %q}\n", s.listen)
	}
	b.WriteString(o.extra)
	if err := os.WriteFile(s.configPath, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// run runs the binary on this setup's config.
func (s *setup) run(t *testing.T, args ...string) result {
	t.Helper()
	return run(t, s.env, append(args, "--config", s.configPath)...)
}

func (s *setup) mustRun(t *testing.T, args ...string) result {
	t.Helper()
	return mustRun(t, s.env, append(args, "--config", s.configPath)...)
}

// objectPath is the local file of a stored object.
func (s *setup) objectPath(key string) string {
	return filepath.Join(s.storageDir, filepath.FromSlash(key))
}

// writeSecret writes a 0600 secret file.
func writeSecret(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(content+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// freeAddr returns a loopback address with a port nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
