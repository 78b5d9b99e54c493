// Package config defines GoSQLGuard's configuration file: its schema, a strict
// loader with environment expansion and secret files, defaults, and validation
// that reports every problem at once, each with its YAML path.
//
// Only the application wiring and the command line read configuration; other
// packages receive the values they need.
package config

// Config is a loaded, defaulted and validated configuration.
type Config struct {
	Catalog          Catalog               `yaml:"catalog"`
	Servers          []Server              `yaml:"servers"`
	Storages         []Storage             `yaml:"storages"`
	BackupTypes      map[string]BackupType `yaml:"backup_types"`
	ScheduleTimezone string                `yaml:"schedule_timezone"`
	Concurrency      Concurrency           `yaml:"concurrency"`
	Compression      Compression           `yaml:"compression"`
	Encryption       *Encryption           `yaml:"encryption"` // nil when absent
	HTTP             HTTP                  `yaml:"http"`
	Notifications    Notifications         `yaml:"notifications"`
	Daemon           Daemon                `yaml:"daemon"`
	Anomalies        Anomalies             `yaml:"anomalies"`
	Drills           Drills                `yaml:"drills"`
	Restore          Restore               `yaml:"restore"`

	// Warnings are things likely wrong that do not make the configuration
	// invalid (an identity_file that matches no recipient), in document
	// order. They are found while loading, never read from the file.
	Warnings []Problem `yaml:"-"`
}

// Anomalies flag a successful backup that is far smaller than the recent
// successes of its job (an extension of the base configuration): a dropped table, an
// emptied database, a filter gone wrong.
type Anomalies struct {
	// Window is how many recent successes of the same server, database and
	// type the raw size is compared with (default 5).
	Window int `yaml:"window"`
	// MinPercent: a backup whose raw size is below this percentage of their
	// median is an anomaly (default 50; 0 turns the check off).
	MinPercent int `yaml:"min_percent"`
}

// Catalog is where backups are recorded. For sqlite, DSN is a file path
// (relative paths are relative to the working directory).
type Catalog struct {
	Driver string `yaml:"driver"` // sqlite | postgres | mysql
	DSN    Secret `yaml:"dsn"`
}

// Server is one database server to back up.
type Server struct {
	Name     string `yaml:"name"`
	Type     string `yaml:"type"` // mysql (MySQL and MariaDB) | postgres
	Host     string `yaml:"host"`
	Port     int    `yaml:"port"` // 0 only with a socket: the tool's default
	Socket   string `yaml:"socket"`
	User     string `yaml:"user"`
	Password Secret `yaml:"password"`
	// Databases empty means every non-system database, discovered at each run.
	Databases   []string `yaml:"databases"`
	Exclude     []string `yaml:"exclude"`      // path.Match patterns
	DumpOptions []string `yaml:"dump_options"` // each passes AllowedDumpOption
}

// Storage is one place backups are written to.
type Storage struct {
	Name string `yaml:"name"`
	Type string `yaml:"type"` // local | s3
	// Path is the local directory (type local), relative to the working directory.
	Path string `yaml:"path"`
	// Retention is per backup type; a type without an entry is kept forever.
	Retention map[string]Retention `yaml:"retention"`
	// IdleTimeout is how long one read or write of this storage (a request
	// to S3, a local file write) may move no byte before the attempt fails
	// (an extension of the base configuration). Always set after loading: default
	// DefaultIdleTimeout (60s), bounds 1s..1h.
	IdleTimeout Duration `yaml:"idle_timeout"`

	// S3 only. An empty Endpoint means AWS; empty keys mean the default AWS
	// credential chain.
	Endpoint        string `yaml:"endpoint"`
	Region          string `yaml:"region"`
	Bucket          string `yaml:"bucket"`
	Prefix          string `yaml:"prefix"`
	PathStyle       bool   `yaml:"path_style"`
	AccessKeyID     Secret `yaml:"access_key_id"`
	SecretAccessKey Secret `yaml:"secret_access_key"`
	// CABundle is a PEM file, already resolved against the config's directory.
	CABundle          string   `yaml:"ca_bundle"`
	SSE               string   `yaml:"sse"` // "" | AES256 | aws:kms | aws:kms:dsse
	SSEKMSKeyID       string   `yaml:"sse_kms_key_id"`
	StorageClass      string   `yaml:"storage_class"`
	PartSize          ByteSize `yaml:"part_size"`          // 0: backend default
	UploadConcurrency int      `yaml:"upload_concurrency"` // 0: backend default
	Insecure          bool     `yaml:"insecure"`           // skip TLS verification
	// FixedPartSize keeps every part at PartSize instead of letting parts grow
	// for very large dumps; some services (Cloudflare R2, Garage) require it.
	FixedPartSize bool `yaml:"fixed_part_size"`
}

// Retention limits how many backups of one type a storage keeps. A nil Keep
// means no count limit; a zero MaxAge means no age limit.
type Retention struct {
	Keep   *int     `yaml:"keep"`
	MaxAge Duration `yaml:"max_age"`
}

// BackupType is a named schedule. Empty Servers or Storages mean all of them.
// The "manual" type always exists and has no schedule.
type BackupType struct {
	Schedule string   `yaml:"schedule"`
	Servers  []string `yaml:"servers"`
	Storages []string `yaml:"storages"`
}

// ManualType is the backup type of backups started by hand.
const ManualType = "manual"

// Concurrency limits how many backups run at the same time.
type Concurrency struct {
	Total     int `yaml:"total"`
	PerServer int `yaml:"per_server"`
}

// Compression of stored objects. Level is 0 for codec none.
type Compression struct {
	Codec string `yaml:"codec"` // zstd | gzip | none
	Level int    `yaml:"level"` // zstd 1..22, gzip 1..9
}

// Encryption with age. Recipients holds the keys given inline and those read
// from RecipientsFile, each checked to be an age X25519 public key. Paths are
// resolved against the config's directory.
type Encryption struct {
	Recipients     []string `yaml:"recipients"`
	RecipientsFile string   `yaml:"recipients_file"`
	IdentityFile   string   `yaml:"identity_file"` // optional, for restore and deep verify
}

// HTTP is the API and web UI listener.
type HTTP struct {
	Listen string `yaml:"listen"`
	Auth   Auth   `yaml:"auth"`
	// SecureCookies marks the web UI's session cookie Secure: set it when
	// the UI is reached over HTTPS (e.g. behind a TLS-terminating proxy).
	SecureCookies bool `yaml:"secure_cookies"`
}

// Auth holds the bearer tokens accepted by the API.
type Auth struct {
	Tokens        []Token `yaml:"tokens"`
	MetricsPublic bool    `yaml:"metrics_public"`
}

// Token is one API token. TokenSHA256 is always set after loading: either
// given, or the SHA-256 of the token read from TokenFile (lowercase hex).
// TokenFile is resolved against the config's directory.
type Token struct {
	Name        string `yaml:"name"`
	Role        string `yaml:"role"` // viewer | operator | admin
	TokenSHA256 string `yaml:"token_sha256"`
	TokenFile   string `yaml:"token_file"`
}

// Notifications sent when backups finish.
type Notifications struct {
	Webhooks []Webhook `yaml:"webhooks"`
}

// Webhook receives a JSON POST for each of Events (failure, success).
type Webhook struct {
	URL    Secret   `yaml:"url"`
	Events []string `yaml:"events"`
}

// Server returns the server called name, or nil.
func (c *Config) Server(name string) *Server {
	for i := range c.Servers {
		if c.Servers[i].Name == name {
			return &c.Servers[i]
		}
	}
	return nil
}

// Storage returns the storage called name, or nil.
func (c *Config) Storage(name string) *Storage {
	for i := range c.Storages {
		if c.Storages[i].Name == name {
			return &c.Storages[i]
		}
	}
	return nil
}

// Daemon tunes `serve` (an extension of the base configuration).
type Daemon struct {
	// ShutdownTimeout is how long running backups may go on after SIGTERM
	// before they are cancelled and marked interrupted.
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
	// RetentionInterval is how often retention runs besides after each backup.
	RetentionInterval Duration `yaml:"retention_interval"`
	// CleanupAge is how old a leftover of an unfinished write (local temp
	// file, S3 multipart upload) must be before cleanup removes it, unless
	// its run is known to be dead. It must exceed the longest backup.
	CleanupAge Duration `yaml:"cleanup_age"`
	// LeaseTTL is, with a shared catalog (postgres or mysql), how long a
	// process's lease lasts unless renewed (every third of it): once it
	// lapses, another replica takes the process for dead, ends its running
	// backups as interrupted and takes over its tasks. Unused with SQLite.
	LeaseTTL Duration `yaml:"lease_ttl"`
}
