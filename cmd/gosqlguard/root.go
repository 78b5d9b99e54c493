package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/gosqlguard/gosqlguard/internal/app"
	"github.com/gosqlguard/gosqlguard/internal/config"
)

// globals are the flags every command takes.
type globals struct {
	configPath string
	// configGiven reports whether --config was given.
	configGiven func() bool
	logFormat   string
	logLevel    string
	stdout      io.Writer
	stderr      io.Writer
}

func newRootCommand(stdout, stderr io.Writer) *cobra.Command {
	// Log records and the progress line share stderr through one term, so
	// that a record never lands in the middle of the progress line.
	g := &globals{stdout: stdout, stderr: &term{w: stderr}}
	root := &cobra.Command{
		Use:           "gosqlguard",
		Short:         "Consistent, compressed, encrypted backups of MySQL/MariaDB and PostgreSQL",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if g.logFormat != "text" && g.logFormat != "json" {
				return usageError("--log-format must be text or json, not %q", g.logFormat)
			}
			if _, err := parseLevel(g.logLevel); err != nil {
				return usageError("%v", err)
			}
			return nil
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usage(err) })
	defaultConfig := os.Getenv("GOSQLGUARD_CONFIG")
	if defaultConfig == "" {
		defaultConfig = "./gosqlguard.yaml"
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.configPath, "config", defaultConfig,
		"config file (default: $GOSQLGUARD_CONFIG, else ./gosqlguard.yaml; none when that does not exist and GOSQLGUARD_* variables set keys)")
	g.configGiven = func() bool { return pf.Lookup("config").Changed }
	pf.StringVar(&g.logFormat, "log-format", "text", "log format: text or json")
	pf.StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	root.AddCommand(
		newServeCommand(g),
		newBackupCommand(g),
		newListCommand(g),
		newShowCommand(g),
		newRestoreCommand(g),
		newVerifyCommand(g),
		newConfigCommand(g),
		newCatalogCommand(g),
		newPruneCommand(g),
		newDeleteCommand(g),
		newDownloadCommand(g),
		newVersionCommand(g),
	)
	addProfileFlags(root)
	argumentErrorsAreUsage(root)
	return root
}

// argumentErrorsAreUsage makes the errors of every command's argument check
// (cobra.ExactArgs and the like) usage errors.
func argumentErrorsAreUsage(c *cobra.Command) {
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error { return usage(check(cmd, args)) }
	}
	for _, sub := range c.Commands() {
		argumentErrorsAreUsage(sub)
	}
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("--log-level must be debug, info, warn or error, not %q", s)
	}
	return l, nil
}

func (g *globals) logger() *slog.Logger {
	level, _ := parseLevel(g.logLevel)
	opts := &slog.HandlerOptions{Level: level}
	if g.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(g.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(g.stderr, opts))
}

// configFile returns the configuration file to load: --config, else
// $GOSQLGUARD_CONFIG, else ./gosqlguard.yaml, or "" for none when neither
// is given, ./gosqlguard.yaml does not exist and a GOSQLGUARD_* variable
// sets a key (the configuration then comes from the environment alone). A
// file that is named but missing stays an error when it is read.
func (g *globals) configFile() string {
	if g.configGiven() || os.Getenv(config.ConfigPathVar) != "" {
		return g.configPath
	}
	if _, err := os.Stat(g.configPath); errors.Is(err, fs.ErrNotExist) && config.HasEnvSettings(os.Environ()) {
		return ""
	}
	return g.configPath
}

// readConfig loads the configuration file (configFile) with the GOSQLGUARD_*
// variables set over it, and lists each value's source.
func (g *globals) readConfig() (*config.Config, []config.Setting, error) {
	return config.LoadSettings(g.configFile(), os.Environ())
}

// loadConfig loads and validates the config; any problem is a usage error
// (exit 2). The warnings of a valid config are printed on stderr as
// "warning: <path>: <message>".
func (g *globals) loadConfig() (*config.Config, error) {
	cfg, _, err := g.loadSettings()
	return cfg, err
}

// loadSettings is loadConfig that also lists each value's source.
func (g *globals) loadSettings() (*config.Config, []config.Setting, error) {
	cfg, settings, err := g.readConfig()
	if err != nil {
		from := "from the environment"
		if path := g.configFile(); path != "" {
			from = filepath.Clean(path)
		}
		if errors.Is(err, fs.ErrNotExist) && !g.configGiven() && os.Getenv(config.ConfigPathVar) == "" {
			// The default file: say how to name another.
			err = fmt.Errorf("%w\n(name the config file with --config FILE or GOSQLGUARD_CONFIG)", err)
		}
		return nil, nil, &exitError{code: exitUsage, err: fmt.Errorf("config %s:\n%w", from, err)}
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintln(g.stderr, "warning:", w.Error())
	}
	return cfg, settings, nil
}

// openApp loads the config and wires the application.
func (g *globals) openApp(ctx context.Context) (*app.App, error) {
	cfg, err := g.loadConfig()
	if err != nil {
		return nil, err
	}
	return g.open(ctx, cfg)
}

// open wires the application of a loaded config.
func (g *globals) open(ctx context.Context, cfg *config.Config) (*app.App, error) {
	a, err := app.New(ctx, cfg, g.logger())
	if err != nil {
		return nil, &exitError{code: exitFailure, err: err}
	}
	return a, nil
}
