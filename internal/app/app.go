// Package app is the one place that turns a config into wired components:
// catalog, storages, dumpers and the runner.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"filippo.io/age"

	"github.com/gosqlguard/gosqlguard/internal/catalog/sqlite"
	"github.com/gosqlguard/gosqlguard/internal/config"
	"github.com/gosqlguard/gosqlguard/internal/dump"
	"github.com/gosqlguard/gosqlguard/internal/dump/mysql"
	"github.com/gosqlguard/gosqlguard/internal/dump/postgres"
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
	Catalog *sqlite.Store
	Runner  *runner.Runner
	dumpers map[string]dump.Dumper
}

// New opens the catalog and builds storages, dumpers and the runner.
func New(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*App, error) {
	if cfg.Catalog.Driver != "sqlite" {
		return nil, fmt.Errorf("catalog driver %q is not supported by this version; use sqlite", cfg.Catalog.Driver)
	}
	cat, err := sqlite.Open(ctx, cfg.Catalog.DSN.Value())
	if err != nil {
		return nil, fmt.Errorf("open catalog: %w", err)
	}
	a, err := build(ctx, cfg, logger, cat)
	if err != nil {
		cat.Close()
		return nil, err
	}
	a.SweepPrivateDirs()
	a.Reclaim(ctx)
	return a, nil
}

// build wires everything but the catalog, which it is given (a reload keeps it).
func build(ctx context.Context, cfg *config.Config, logger *slog.Logger, cat *sqlite.Store) (*App, error) {
	a := &App{Config: cfg, Logger: logger, Catalog: cat, dumpers: map[string]dump.Dumper{}}
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
		a.dumpers[s.Name] = newDumper(s, logger)
	}
	a.Runner = &runner.Runner{
		Catalog:    cat,
		Storages:   backends,
		Pipeline:   opts,
		Identities: ids,
		Logger:     logger,
		// Completeness checks by dump format, run over every deep verify.
		Checks:    map[string]func() dump.Check{"sql": mysql.NewCheck, "pg_custom": postgres.NewCheck},
		Anomalies: runner.AnomalyPolicy{Window: cfg.Anomalies.Window, MinPercent: cfg.Anomalies.MinPercent},
	}
	return a, nil
}

// Close releases the catalog.
func (a *App) Close() error {
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
