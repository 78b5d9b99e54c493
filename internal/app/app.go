// Package app is the one place that turns a config into wired components:
// catalog, storages, dumpers and the runner.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"

	"filippo.io/age"

	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/catalog/catalogdb"
	"github.com/gosqlguard/gosqlguard/internal/clock"
	"github.com/gosqlguard/gosqlguard/internal/config"
	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/dump/mysql"
	"github.com/gosqlguard/gosqlguard/internal/dump/postgres"
	"github.com/gosqlguard/gosqlguard/internal/lease"
	"github.com/gosqlguard/gosqlguard/internal/notify"
	"github.com/gosqlguard/gosqlguard/internal/pipeline"
	"github.com/gosqlguard/gosqlguard/internal/retention"
	"github.com/gosqlguard/gosqlguard/internal/runner"
	"github.com/gosqlguard/gosqlguard/internal/storage"
	"github.com/gosqlguard/gosqlguard/internal/storage/local"
	"github.com/gosqlguard/gosqlguard/internal/storage/s3"
)

// App holds the components built from one config.
type App struct {
	Config  *config.Config
	Logger  *slog.Logger
	Catalog catalog.Store
	Runner  *runner.Runner
	// Notifier delivers the config's webhooks and is one of the runner's
	// observers; nil unless built with buildOptions.Notify. Whoever built
	// the App closes it.
	Notifier *notify.Notifier
	dumpers  map[string]dump.Dumper
	opts     buildOptions // what it was built with; a reload builds the same way
}

// buildOptions complete an App beyond its config, so that build returns it
// whole: nothing is set on it afterwards. The zero value, but for Logger,
// is what a one-shot command uses.
type buildOptions struct {
	Logger *slog.Logger
	// Clock is the runner's and the notifier's time; nil: the system clock.
	Clock clock.Clock
	// Observers are told of every backup, verify, deletion and drill (the
	// daemon's metrics), before the notifier.
	Observers []runner.Observer
	// Notify builds the webhook notifier of the config (App.Notifier).
	Notify bool
	// NewDumper makes the dumper of a configured server; nil: the MySQL or
	// PostgreSQL engine of its type.
	NewDumper func(config.Server, *slog.Logger) dump.Dumper
	// Lease is this process's owner lease when the catalog is shared
	// (postgres, mysql): then scheduled slots are claimed in the catalog
	// and retention, sweeps and drills run under task leases (see
	// coordination.go). Nil with SQLite, which one daemon uses alone.
	Lease *lease.Keeper
}

// New opens the catalog and builds storages, dumpers and the runner. With
// a shared catalog (postgres, mysql) it takes this process's owner lease
// first, which Close releases.
func New(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*App, error) {
	cat, err := catalogdb.Open(ctx, cfg.Catalog.Driver, cfg.Catalog.DSN.Value())
	if err != nil {
		return nil, err // the drivers say "catalog: ..."
	}
	o := buildOptions{Logger: logger}
	if cfg.Catalog.Driver != config.DefaultCatalogDriver {
		if o.Lease, err = lease.Start(ctx, cat, cfg.Daemon.LeaseTTL.D(), nil, logger); err != nil {
			cat.Close()
			return nil, err
		}
	}
	a, err := build(ctx, cfg, cat, o)
	if err != nil {
		stopLease(o.Lease, logger)
		cat.Close()
		return nil, err
	}
	a.SweepPrivateDirs()
	a.Reclaim(ctx)
	return a, nil
}

// build wires everything but the catalog, which it is given (a reload keeps
// it), as o says.
func build(ctx context.Context, cfg *config.Config, cat catalog.Store, o buildOptions) (*App, error) {
	if o.NewDumper == nil {
		o.NewDumper = newDumper
	}
	logger := o.Logger
	a := &App{Config: cfg, Logger: logger, Catalog: cat, dumpers: map[string]dump.Dumper{}, opts: o}
	opts, ids, err := pipelineOptions(cfg)
	if err != nil {
		return nil, err
	}
	var backends []storage.Backend
	for _, s := range cfg.Storages {
		b, err := newBackend(ctx, s, logger)
		if err != nil {
			return nil, err
		}
		backends = append(backends, b)
	}
	for _, s := range cfg.Servers {
		a.dumpers[s.Name] = o.NewDumper(s, logger)
	}
	observers := slices.Clone(o.Observers)
	if o.Notify {
		a.Notifier = newNotifier(cfg, logger, o.Clock)
		observers = append(observers, a.Notifier)
	}
	a.Runner = &runner.Runner{
		Catalog:    cat,
		Storages:   backends,
		Pipeline:   opts,
		Identities: ids,
		Logger:     logger,
		Clock:      o.Clock,
		Observers:  observers,
		// Completeness checks by dump format, run over every deep verify.
		Checks:      map[string]func() dump.Check{"sql": mysql.NewCheck, "pg_custom": postgres.NewCheck},
		Anomalies:   runner.AnomalyPolicy{Window: cfg.Anomalies.Window, MinPercent: cfg.Anomalies.MinPercent},
		RestoreJobs: cfg.Restore.Jobs,
	}
	if o.Lease != nil {
		a.Runner.LeaseJudge = o.Lease.CanJudge
	}
	return a, nil
}

// rebuild builds the components of cfg as a was built, with its catalog.
func (a *App) rebuild(ctx context.Context, cfg *config.Config) (*App, error) {
	return build(ctx, cfg, a.Catalog, a.opts)
}

// newNotifier builds the webhook notifier of a config; c nil: the system clock.
func newNotifier(cfg *config.Config, logger *slog.Logger, c clock.Clock) *notify.Notifier {
	var hooks []notify.Webhook
	for _, w := range cfg.Notifications.Webhooks {
		hooks = append(hooks, notify.Webhook{URL: w.URL.Value(), Events: w.Events})
	}
	var opts []notify.Option
	if c != nil {
		opts = append(opts, notify.WithClock(c))
	}
	return notify.New(hooks, logger, opts...)
}

// Close releases this process's owner lease, if any, and the catalog.
func (a *App) Close() error {
	stopLease(a.opts.Lease, a.Logger)
	if a.Catalog != nil {
		return a.Catalog.Close()
	}
	return nil
}

// Dumper returns the dumper of a configured server.
func (a *App) Dumper(server string) (dump.Dumper, error) {
	d, ok := a.dumpers[server]
	if !ok {
		return nil, fmt.Errorf("server %q is not configured", server)
	}
	return d, nil
}

func newBackend(ctx context.Context, s config.Storage, logger *slog.Logger) (storage.Backend, error) {
	switch s.Type {
	case "local":
		return local.NewWithOptions(s.Name, s.Path, local.Options{IdleTimeout: s.IdleTimeout.D()})
	case "s3":
		return s3.New(ctx, s3.Config{
			Name:            s.Name,
			Endpoint:        s.Endpoint,
			Region:          s.Region,
			Bucket:          s.Bucket,
			Prefix:          s.Prefix,
			PathStyle:       s.PathStyle,
			AccessKeyID:     s.AccessKeyID.Value(),
			SecretAccessKey: s.SecretAccessKey.Value(),
			CABundle:        s.CABundle,
			Insecure:        s.Insecure,
			SSE:             s.SSE,
			SSEKMSKeyID:     s.SSEKMSKeyID,
			StorageClass:    s.StorageClass,
			PartSize:        int64(s.PartSize),
			FixedPartSize:   s.FixedPartSize,
			Concurrency:     s.UploadConcurrency,
			IdleTimeout:     s.IdleTimeout.D(),
		}, logger) // s3.New adds the storage's name to its log lines
	}
	return nil, fmt.Errorf("storage %s: type %q is not supported by this version", s.Name, s.Type)
}

func newDumper(s config.Server, logger *slog.Logger) dump.Dumper {
	conn := dump.Conn{
		Name:        s.Name,
		Host:        s.Host,
		Port:        s.Port,
		Socket:      s.Socket,
		User:        s.User,
		Password:    s.Password.Value(),
		DumpOptions: s.DumpOptions,
	}
	// The engines add the server's name to their log lines themselves.
	if s.Type == "postgres" {
		return postgres.New(conn, logger)
	}
	return mysql.New(conn, logger)
}

// extension is the raw dump's file extension for a server type.
func extension(serverType string) string {
	if serverType == "postgres" {
		return "dump"
	}
	return "sql"
}

func pipelineOptions(cfg *config.Config) (pipeline.Options, []age.Identity, error) {
	opts := pipeline.Options{Codec: cfg.Compression.Codec, Level: cfg.Compression.Level}
	if cfg.Encryption == nil {
		return opts, nil, nil
	}
	for _, r := range cfg.Encryption.Recipients {
		rc, err := age.ParseX25519Recipient(r)
		if err != nil {
			return opts, nil, fmt.Errorf("encryption.recipients: %w", err)
		}
		opts.Recipients = append(opts.Recipients, rc)
	}
	var ids []age.Identity
	if cfg.Encryption.IdentityFile != "" {
		f, err := os.Open(cfg.Encryption.IdentityFile)
		if err != nil {
			return opts, nil, fmt.Errorf("encryption.identity_file: %w", errors.Unwrap(err))
		}
		defer f.Close()
		ids, err = age.ParseIdentities(f)
		if err != nil {
			return opts, nil, fmt.Errorf("encryption.identity_file: %w", err)
		}
	}
	return opts, ids, nil
}

// RetentionPolicies converts each storage's retention config into a policy.
func (a *App) RetentionPolicies() map[string]retention.Policy {
	out := map[string]retention.Policy{}
	for _, s := range a.Config.Storages {
		p := retention.Policy{}
		for typ, r := range s.Retention {
			p[typ] = retention.Rule{Keep: r.Keep, MaxAge: r.MaxAge.D()}
		}
		out[s.Name] = p
	}
	return out
}
