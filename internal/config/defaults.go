package config

import "time"

// Defaults for values the file leaves out.
const (
	DefaultCatalogDriver = "sqlite"
	DefaultCatalogDSN    = "./data/catalog.db"
	DefaultTimezone      = "UTC"
	DefaultListen        = "127.0.0.1:8080"
	DefaultCodec         = "zstd"
	// DefaultIdleTimeout is a storage's idle_timeout when the file leaves it out.
	DefaultIdleTimeout = Duration(60 * time.Second)
)

// daemonDefaults are the defaults of the daemon section.
var daemonDefaults = map[string]Duration{
	"daemon.shutdown_timeout":   Duration(5 * time.Minute),
	"daemon.retention_interval": Duration(time.Hour),
	"daemon.cleanup_age":        Duration(24 * time.Hour),
	"daemon.lease_ttl":          Duration(30 * time.Second),
}

// defaultPorts are used for servers reached over TCP.
var defaultPorts = map[string]int{"mysql": 3306, "postgres": 5432}

// defaultLevels are used when compression.level is not given.
var defaultLevels = map[string]int{"zstd": 3, "gzip": 6}

// applyDefaults fills in what the file left out. A value written explicitly,
// even as 0, is kept so that validation can refuse it.
func applyDefaults(c *Config, ps *problems) {
	if c.Catalog.Driver == "" {
		c.Catalog.Driver = DefaultCatalogDriver
	}
	if c.Catalog.Driver == "sqlite" && c.Catalog.DSN == "" && !ps.has("catalog.dsn_file") {
		c.Catalog.DSN = DefaultCatalogDSN
	}
	for i := range c.Storages {
		if st := &c.Storages[i]; st.IdleTimeout == 0 && !ps.has(indexPath("storages", i)+".idle_timeout") {
			st.IdleTimeout = DefaultIdleTimeout
		}
	}
	for i := range c.Servers {
		s := &c.Servers[i]
		if s.Port == 0 && s.Socket == "" && !ps.has(indexPath("servers", i)+".port") {
			s.Port = defaultPorts[s.Type]
		}
	}
	if c.BackupTypes == nil {
		c.BackupTypes = map[string]BackupType{}
	}
	if _, ok := c.BackupTypes[ManualType]; !ok {
		c.BackupTypes[ManualType] = BackupType{}
	}
	if c.ScheduleTimezone == "" {
		c.ScheduleTimezone = DefaultTimezone
	}
	if c.Concurrency.Total == 0 && !ps.has("concurrency.total") {
		c.Concurrency.Total = 2
	}
	if c.Concurrency.PerServer == 0 && !ps.has("concurrency.per_server") {
		c.Concurrency.PerServer = 1
	}
	if c.Anomalies.Window == 0 && !ps.has("anomalies.window") {
		c.Anomalies.Window = 5
	}
	if c.Anomalies.MinPercent == 0 && !ps.has("anomalies.min_percent") {
		c.Anomalies.MinPercent = 50
	}
	if c.Drills.Concurrency == 0 && !ps.has("drills.concurrency") {
		c.Drills.Concurrency = DefaultDrillConcurrency
	}
	if c.Restore.Jobs == 0 && !ps.has("restore.jobs") {
		c.Restore.Jobs = DefaultRestoreJobs()
	}
	if c.Compression.Codec == "" {
		c.Compression.Codec = DefaultCodec
	}
	if c.Compression.Codec == "none" {
		c.Compression.Level = 0
	} else if !ps.has("compression.level") {
		c.Compression.Level = defaultLevels[c.Compression.Codec]
	}
	for path, d := range map[string]*Duration{
		"daemon.shutdown_timeout":   &c.Daemon.ShutdownTimeout,
		"daemon.retention_interval": &c.Daemon.RetentionInterval,
		"daemon.cleanup_age":        &c.Daemon.CleanupAge,
		"daemon.lease_ttl":          &c.Daemon.LeaseTTL,
	} {
		if *d == 0 && !ps.has(path) {
			*d = daemonDefaults[path]
		}
	}
	if c.HTTP.Listen == "" {
		c.HTTP.Listen = DefaultListen
	}
	for i := range c.Notifications.Webhooks {
		if w := &c.Notifications.Webhooks[i]; len(w.Events) == 0 {
			w.Events = []string{EventFailure}
		}
	}
}
