package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/duration"
)

func newListCommand(g *globals) *cobra.Command {
	var (
		f            catalog.Filter
		status       string
		since, until string
		output       string
	)
	c := &cobra.Command{
		Use:   "list",
		Short: "Search the catalog, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if status != "" {
				f.Status = backup.Status(status)
				if !f.Status.Valid() {
					return usageError("--status must be one of %v, not %q", backup.Statuses, status)
				}
			}
			if f.Limit < 0 {
				return usageError("--limit must be >= 0")
			}
			now := time.Now()
			var err error
			if f.Since, err = parseTime(since, now); err != nil {
				return usageError("--since: %v", err)
			}
			if f.Until, err = parseTime(until, now); err != nil {
				return usageError("--until: %v", err)
			}
			a, err := g.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			list, err := a.Catalog.List(cmd.Context(), f)
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			if output == "json" {
				if list == nil {
					list = []*backup.Backup{}
				}
				return writeJSON(g.stdout, list)
			}
			return writeTable(g.stdout, list)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.Server, "server", "", "only this server")
	fl.StringVar(&f.Database, "database", "", "only this database")
	fl.StringVar(&f.Type, "type", "", "only this backup type")
	fl.StringVar(&status, "status", "", "only this status (running, success, partial, failed, interrupted, deleted)")
	fl.StringVar(&f.Storage, "storage", "", "only backups with a copy in this storage")
	fl.StringVar(&since, "since", "", "started at or after: RFC 3339 time, a date (2006-01-02), or an age (36h, 7d, 2w)")
	fl.StringVar(&until, "until", "", "started before: same forms as --since")
	fl.IntVar(&f.Limit, "limit", 0, "at most this many (0: all)")
	fl.StringVarP(&output, "output", "o", "table", "table or json")
	return c
}

// parseTime accepts an RFC 3339 time, a date in local time, or an age before now.
func parseTime(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, time.Local); err == nil {
		return t, nil
	}
	if d, err := duration.Parse(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time (2026-01-02T15:04:05Z), a date (2026-01-02) or an age (36h, 7d)", s)
}
