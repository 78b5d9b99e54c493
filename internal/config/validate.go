package config

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/catalog/dsn"
)

// Webhook events.
const (
	EventFailure = "failure"
	EventSuccess = "success"
	// EventDrillFailure: a restore drill failed or its result differed
	// from the backup's fingerprint.
	EventDrillFailure = "drill_failure"
	// EventAnomaly: a successful backup was far smaller than its job's
	// recent successes.
	EventAnomaly = "anomaly"
)

// webhookEvents are the events a webhook may subscribe to.
var webhookEvents = []string{EventFailure, EventSuccess, EventDrillFailure, EventAnomaly}

// API roles, from least to most privileged.
const (
	RoleViewer   = "viewer"
	RoleOperator = "operator"
	RoleAdmin    = "admin"
)

// checker validates a decoded, defaulted config. It also reads the files the
// config refers to (recipients, token files) and resolves their paths.
type checker struct {
	cfg     *Config
	ps      *problems
	baseDir string
}

func (c *checker) all() {
	c.catalog()
	c.servers()
	c.storages()
	c.backupTypes()
	if _, err := time.LoadLocation(c.cfg.ScheduleTimezone); err != nil {
		c.ps.addf("schedule_timezone", "unknown time zone %q", c.cfg.ScheduleTimezone)
	}
	c.between("concurrency.total", c.cfg.Concurrency.Total, 1, MaxConcurrency)
	c.between("concurrency.per_server", c.cfg.Concurrency.PerServer, 1, MaxConcurrency)
	c.between("anomalies.window", c.cfg.Anomalies.Window, 1, 100)
	c.between("anomalies.min_percent", c.cfg.Anomalies.MinPercent, 0, 99)
	c.drills()
	c.restore()
	c.compression()
	c.encryption()
	c.http()
	c.notifications()
	d := c.cfg.Daemon
	c.durationIn("daemon.shutdown_timeout", d.ShutdownTimeout, shutdownTimeoutRange)
	c.durationIn("daemon.retention_interval", d.RetentionInterval, retentionIntervalRange)
	c.durationIn("daemon.cleanup_age", d.CleanupAge, cleanupAgeRange)
	c.durationIn("daemon.lease_ttl", d.LeaseTTL, leaseTTLRange)
}

// secretPath is the path of a Secret as written: "x_file" when the secret
// came from a file, else "x".
func (c *checker) secretPath(path string) string {
	if c.ps.has(path + "_file") {
		return path + "_file"
	}
	return path
}

func (c *checker) catalog() {
	cat := c.cfg.Catalog
	switch cat.Driver {
	case "sqlite", "postgres", "mysql":
		if cat.DSN == "" {
			c.ps.addf(c.secretPath("catalog.dsn"), "required for driver %s", cat.Driver)
		}
		// Never quote the value: it may hold a password.
		switch form := dsn.Form(cat.DSN.Value()); {
		case form == "url" && cat.Driver == "sqlite":
			c.ps.addf(c.secretPath("catalog.dsn"), "is a URL, not the file path the sqlite driver takes; set catalog.driver")
		case form != "" && form != "url" && form != cat.Driver:
			c.ps.addf(c.secretPath("catalog.dsn"), "looks like a %s DSN, but catalog.driver is %s; set catalog.driver: %s",
				form, cat.Driver, form)
		}
		if err := dsn.CheckPostgresURL(cat.DSN.Value()); err != nil && cat.Driver == "postgres" {
			c.ps.add(c.secretPath("catalog.dsn"), err.Error())
		}
	default:
		c.ps.addf("catalog.driver", "must be sqlite, postgres or mysql, not %q", cat.Driver)
	}
}

func (c *checker) compression() {
	comp := c.cfg.Compression
	limits := map[string]int{"zstd": 22, "gzip": 9}
	switch comp.Codec {
	case "none":
	case "zstd", "gzip":
		if comp.Level < 1 || comp.Level > limits[comp.Codec] {
			c.ps.addf("compression.level", "must be between 1 and %d for %s", limits[comp.Codec], comp.Codec)
		}
	default:
		c.ps.addf("compression.codec", "must be zstd, gzip or none, not %q", comp.Codec)
	}
}

func (c *checker) http() {
	host, port, err := net.SplitHostPort(c.cfg.HTTP.Listen)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 || strings.ContainsAny(host, " /") {
		c.ps.addf("http.listen", "must be host:port, e.g. %s", DefaultListen)
	}
	seen := map[string]string{}
	for i := range c.cfg.HTTP.Auth.Tokens {
		t := &c.cfg.HTTP.Auth.Tokens[i]
		p := indexPath("http.auth.tokens", i)
		c.name(p+".name", t.Name, "token", seen)
		switch t.Role {
		case RoleViewer, RoleOperator, RoleAdmin:
		case "":
			c.ps.add(p+".role", "required (viewer, operator or admin)")
		default:
			c.ps.addf(p+".role", "must be viewer, operator or admin, not %q", t.Role)
		}
		c.token(p, t)
	}
}

// token checks the token's hash, or reads its file and stores the file's hash
// in TokenSHA256 so that the API only ever compares hashes.
func (c *checker) token(p string, t *Token) {
	switch {
	case t.TokenSHA256 != "" && t.TokenFile != "":
		c.ps.add(p+".token_file", "cannot be used together with token_sha256")
	case t.TokenSHA256 != "":
		if b, err := hex.DecodeString(t.TokenSHA256); err != nil || len(b) != sha256.Size {
			c.ps.add(p+".token_sha256", "must be 64 hexadecimal characters (the SHA-256 of the token)")
		}
		t.TokenSHA256 = strings.ToLower(t.TokenSHA256)
	case t.TokenFile != "":
		name := t.TokenFile
		t.TokenFile = resolvePath(c.baseDir, name)
		data, err := os.ReadFile(t.TokenFile)
		token := strings.TrimRight(string(data), "\r\n")
		switch {
		case err != nil:
			c.ps.addf(p+".token_file", "cannot read %q: %s", name, fileError(err))
		case token == "":
			c.ps.addf(p+".token_file", "%q is empty", name)
		default:
			sum := sha256.Sum256([]byte(token))
			t.TokenSHA256 = hex.EncodeToString(sum[:])
		}
	default:
		c.ps.add(p+".token_sha256", "one of token_sha256 or token_file is required")
	}
}

func (c *checker) notifications() {
	for i, w := range c.cfg.Notifications.Webhooks {
		p := indexPath("notifications.webhooks", i)
		if w.URL == "" {
			c.ps.add(p+".url", "required")
		} else if !isHTTPURL(w.URL.Value()) {
			c.ps.add(c.secretPath(p+".url"), "must be an http:// or https:// URL")
		}
		for j, e := range w.Events {
			if !slices.Contains(webhookEvents, e) {
				c.ps.addf(indexPath(p+".events", j), "must be one of %s, not %q", strings.Join(webhookEvents, ", "), e)
			}
		}
	}
}

// isHTTPURL reports whether s is an absolute http or https URL with a host.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
