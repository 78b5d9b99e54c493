package config

import (
	"errors"
	"testing"

	"filippo.io/age"
)

func TestServerRules(t *testing.T) {
	wantProblems(t, `
servers:
  - {name: a, type: oracle, host: h, user: u}
  - {name: b, type: mysql, user: u}
  - {name: c, type: mysql, host: h, socket: /s, user: u}
  - {name: d, type: postgres, host: h, port: 0}
  - {name: e, type: mysql, host: h, user: u, databases: [ok, "a/b", "..", ok, "x\0y"]}
  - {name: f, type: mysql, host: h, user: u, exclude: ["tmp_*", "[a-"]}
  - {name: this-name-is-far-too-long-to-be-a-server-name-in-any-sane-configuration, type: mysql, host: h, user: u}
storages:
  - {name: local, type: local, path: p}
`, "", nil,
		`servers[0].type: must be mysql or postgres, not "oracle"`,
		"servers[1].host: host or socket is required",
		"servers[2].socket: cannot be used together with host",
		"servers[3].port: must be between 1 and 65535",
		"servers[3].user: required",
		`servers[4].databases[1]: invalid database name "a/b": must not contain /, \ or NUL`,
		`servers[4].databases[2]: invalid database name ".."`,
		`servers[4].databases[3]: database "ok" is listed twice`,
		`servers[4].databases[4]: invalid database name "x\x00y": must not contain /, \ or NUL`,
		`servers[5].exclude[1]: invalid glob pattern "[a-"`,
		`servers[6].name: invalid server name "this-name-is-far-too-long-to-be-a-server-name-in-any-sane-configuration": longer than 64 characters`,
	)
}

func TestStorageRules(t *testing.T) {
	dir := t.TempDir()
	wantProblems(t, `
servers:
  - {name: main, type: mysql, host: h, user: u}
storages:
  - {name: l, type: local, bucket: bkt, path_style: false}
  - {name: s1, type: s3, path: /x, endpoint: "s3.example.com", prefix: /abs}
  - {name: s2, type: s3, bucket: bkt, prefix: "a/../b", access_key_id: k}
  - {name: s3, type: s3, bucket: bkt, secret_access_key: k, sse: aes, part_size: 1MiB, upload_concurrency: 0}
  - {name: s4, type: s3, bucket: bkt, sse_kms_key_id: k, ca_bundle: missing.pem, part_size: 6GiB}
  - {name: s5, type: ftp}
  - {name: s6, type: s3, bucket: bkt, retention: {manual: {keep: 0, max_age: -1d}}}
  - {name: s7, type: s3, bucket: b, endpoint: "http://127.0.0.1:"}
  - {name: s8, type: s3, bucket: 10.1.2.3, endpoint: "https://s3.example.com/backups"}
  - {name: s9, type: s3, bucket: "a..b"}
`, dir, nil,
		"storages[0].bucket: only valid for type s3",
		"storages[0].path_style: only valid for type s3",
		"storages[0].path: required for type local",
		"storages[1].path: only valid for type local (use bucket and prefix)",
		`storages[1].endpoint: must be an http:// or https:// URL, not "s3.example.com"`,
		"storages[1].prefix: must not start with /",
		"storages[1].bucket: required for type s3",
		`storages[2].prefix: must not contain ".." elements`,
		"storages[2].secret_access_key: required when access_key_id is set",
		`storages[3].sse: must be AES256, aws:kms or aws:kms:dsse, not "aes"`,
		"storages[3].part_size: must be between 5MiB and 5GiB",
		"storages[3].upload_concurrency: must be between 1 and 64",
		"storages[3].access_key_id: required when secret_access_key is set",
		"storages[4].sse_kms_key_id: only valid with sse aws:kms or aws:kms:dsse",
		`storages[4].ca_bundle: cannot read "missing.pem": no such file or directory`,
		"storages[4].part_size: must be between 5MiB and 5GiB",
		`storages[5].type: must be local or s3, not "ftp"`,
		"storages[6].retention.manual.max_age: must be between 0 and 36500d",
		`storages[7].bucket: invalid bucket name "b": bucket name cannot be shorter than 3 characters`,
		`storages[7].endpoint: has an empty port: "http://127.0.0.1:"`,
		`storages[8].bucket: invalid bucket name "10.1.2.3": bucket name cannot be an ip address`,
		`storages[8].endpoint: must not have a path ("/backups"): put the bucket in bucket and the folder in prefix`,
		`storages[9].bucket: invalid bucket name "a..b": bucket name contains invalid characters`,
	)
}

func TestBackupTypeRules(t *testing.T) {
	wantProblems(t, minimal+`
backup_types:
  manual: {schedule: "@daily"}
  Daily: {schedule: "@daily"}
  hourly: {}
  weekly: {schedule: "0 3 * *", servers: [main, nope], storages: [local, gone]}
  every: {schedule: "@every 0s"}
schedule_timezone: Mars/Olympus
`, "", nil,
		"backup_types.manual.schedule: manual backups have no schedule",
		`backup_types.Daily: invalid backup type name "Daily": must match ^[a-z0-9][a-z0-9_-]*$`,
		"backup_types.hourly.schedule: required",
		`backup_types.weekly.schedule: invalid schedule "0 3 * *": want 5 fields (minute hour day-of-month month day-of-week), got 4`,
		`backup_types.weekly.servers[1]: unknown server "nope"`,
		`backup_types.weekly.storages[1]: unknown storage "gone"`,
		`backup_types.every.schedule: invalid schedule "@every 0s": @every 0s: interval must be at least 1s`,
		`schedule_timezone: unknown time zone "Mars/Olympus"`,
	)
}

func TestEncryptionRules(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	good := id.Recipient().String()
	dir := t.TempDir()
	writeFile(t, dir, "recipients", "# team\n"+good+"\n\nage1notakey\n  "+good+"  \nssh-ed25519 AAAA\n")
	writeFile(t, dir, "comments-only", "# nobody yet\n")
	writeFile(t, dir, "key", id.String())
	other, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "other-key", "# another key\n"+other.String()+"\n")
	writeFile(t, dir, "no-keys", "# nothing yet\n\n")
	// A secret key with one character changed fails its checksum.
	broken := id.String()[:30] + "Q" + id.String()[31:]
	if broken == id.String() {
		broken = id.String()[:30] + "P" + id.String()[31:]
	}
	writeFile(t, dir, "broken-key", "# mine\n"+id.String()+"\n"+broken+"\n")
	writeFile(t, dir, "public-key", good+"\n")

	c := mustParse(t, minimal+"encryption: {recipients: ["+good+", "+good+"], identity_file: key}\n", dir, nil)
	if len(c.Encryption.Recipients) != 1 {
		t.Errorf("recipients = %v, want the duplicate removed", c.Encryption.Recipients)
	}
	if c.Warnings != nil {
		t.Errorf("an identity matching a recipient: warnings %v", c.Warnings)
	}
	// An identity that matches none of the recipients is a warning, not a
	// problem: it is reported with the config, in Error.Warnings when the
	// config also has problems.
	const mismatch = `encryption.identity_file: no identity in "other-key" matches a recipient: it cannot restore backups made with this configuration`
	c = mustParse(t, minimal+"encryption: {recipients: ["+good+"], identity_file: other-key}\n", dir, nil)
	if len(c.Warnings) != 1 || c.Warnings[0].Error() != mismatch {
		t.Errorf("warnings = %v, want [%s]", c.Warnings, mismatch)
	}
	_, err = Parse([]byte(minimal+"concurrency: {total: 0}\nencryption: {recipients: ["+good+"], identity_file: other-key}\n"), dir, nil)
	var cfgErr *Error
	if !errors.As(err, &cfgErr) || len(cfgErr.Warnings) != 1 || cfgErr.Warnings[0].Error() != mismatch {
		t.Errorf("invalid config with a mismatched identity: %#v", err)
	}
	// Any of several identities may match; and an identity whose recipient
	// comes from recipients_file matches too.
	writeFile(t, dir, "both-keys", other.String()+"\n"+id.String()+"\n")
	writeFile(t, dir, "mine.txt", good+"\n")
	if c = mustParse(t, minimal+"encryption: {recipients_file: mine.txt, identity_file: both-keys}\n", dir, nil); c.Warnings != nil {
		t.Errorf("one matching identity of two: warnings %v", c.Warnings)
	}
	// An encryption section with no value (every key commented out) would
	// store plaintext: it is refused, like encryption: {}.
	for _, doc := range []string{"encryption:\n", "encryption: ~\n", "encryption:\n  # recipients: [" + good + "]\n"} {
		wantProblems(t, minimal+doc, dir, nil, "encryption: has no value: set recipients or recipients_file, or remove encryption to store backups unencrypted")
	}

	tests := []struct{ name, encryption, want string }{
		{"empty", "{}", "encryption.recipients: at least one recipient is required (recipients or recipients_file)"},
		{"bad inline", "{recipients: [AGE-SECRET-KEY-1XYZ]}", "encryption.recipients[0]: not an age X25519 public key (age1...)"},
		{"bad lines in file", "{recipients_file: recipients}", `encryption.recipients_file: "recipients" line 4, 6: not an age X25519 public key (age1...)`},
		{"file without keys", "{recipients_file: comments-only}", "encryption.recipients: at least one recipient is required (recipients or recipients_file)"},
		{"missing file", "{recipients_file: nope}", `encryption.recipients_file: cannot read "nope": no such file or directory`},
		{"missing identity", "{recipients: [" + good + "], identity_file: /nonexistent/key}", `encryption.identity_file: cannot read "/nonexistent/key": no such file or directory`},
		{"identity is a directory", "{recipients: [" + good + "], identity_file: .}", `encryption.identity_file: cannot read ".": not a regular file`},
		{"malformed identity", "{recipients: [" + good + "], identity_file: broken-key}", `encryption.identity_file: "broken-key" line 3: not an age identity (AGE-SECRET-KEY-1...)`},
		{"public key as identity", "{recipients: [" + good + "], identity_file: public-key}", `encryption.identity_file: "public-key" line 1: not an age identity (AGE-SECRET-KEY-1...)`},
		{"identity file without keys", "{recipients: [" + good + "], identity_file: no-keys}", `encryption.identity_file: "no-keys" holds no identity (AGE-SECRET-KEY-1...)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantProblems(t, minimal+"encryption: "+tt.encryption+"\n", dir, nil, tt.want)
		})
	}
}

func TestHTTPAndNotificationRules(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "token", "s3cr3t-token\n")
	c := mustParse(t, minimal+"http: {auth: {tokens: [{name: ci, role: viewer, token_file: token}]}}\n", dir, nil)
	if got, want := c.HTTP.Auth.Tokens[0].TokenSHA256, sha256Hex("s3cr3t-token"); got != want {
		t.Errorf("token_sha256 from token_file = %s, want %s", got, want)
	}

	wantProblems(t, minimal+`
http:
  listen: localhost
  auth:
    tokens:
      - {name: a, role: admin}
      - {name: a, role: viewer, token_sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0g"}
      - {name: c, token_file: token, token_sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}
      - {name: d, role: viewer, token_file: missing}
notifications:
  webhooks:
    - {url: "mailto:ops@example.com", events: [failure, started]}
    - {events: [success]}
`, dir, nil,
		"http.listen: must be host:port, e.g. 127.0.0.1:8080",
		"http.auth.tokens[0].token_sha256: one of token_sha256 or token_file is required",
		`http.auth.tokens[1].name: duplicate token name "a" (first used at http.auth.tokens[0].name)`,
		"http.auth.tokens[1].token_sha256: must be 64 hexadecimal characters (the SHA-256 of the token)",
		"http.auth.tokens[2].token_file: cannot be used together with token_sha256",
		"http.auth.tokens[2].role: required (viewer, operator or admin)",
		`http.auth.tokens[3].token_file: cannot read "missing": no such file or directory`,
		"notifications.webhooks[0].url: must be an http:// or https:// URL",
		`notifications.webhooks[0].events[1]: must be one of failure, success, drill_failure, anomaly, not "started"`,
		"notifications.webhooks[1].url: required",
	)
}

func TestCatalogRules(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "dsn", "postgres://u:p@h/db\n")
	c := mustParse(t, minimal+"catalog: {driver: postgres, dsn_file: dsn}\n", dir, nil)
	if c.Catalog.DSN.Value() != "postgres://u:p@h/db" {
		t.Errorf("dsn from dsn_file = %q", c.Catalog.DSN.Value())
	}
	wantProblems(t, minimal+"catalog: {driver: mysql}\n", "", nil, "catalog.dsn: required for driver mysql")
}

func TestAnomalyRules(t *testing.T) {
	wantProblems(t, `
servers:
  - {name: main, type: mysql, host: h, user: u}
storages:
  - {name: local, type: local, path: p}
anomalies: {window: 0, min_percent: 100}
`, "", nil,
		"anomalies.window: must be between 1 and 100",
		"anomalies.min_percent: must be between 0 and 99",
	)
	c, err := Parse([]byte("servers: [{name: m, type: mysql, host: h, user: u}]\nstorages: [{name: l, type: local, path: p}]\n"), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Anomalies != (Anomalies{Window: 5, MinPercent: 50}) {
		t.Errorf("default anomalies = %+v, want window 5, min_percent 50", c.Anomalies)
	}
	c, err = Parse([]byte("servers: [{name: m, type: mysql, host: h, user: u}]\nstorages: [{name: l, type: local, path: p}]\nanomalies: {min_percent: 0}\n"), "", nil)
	if err != nil || c.Anomalies.MinPercent != 0 {
		t.Errorf("min_percent: 0 (off) = %+v, %v", c.Anomalies, err)
	}
}
