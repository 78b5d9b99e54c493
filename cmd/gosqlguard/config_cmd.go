package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/gosqlguard/gosqlguard/internal/config"
	"github.com/gosqlguard/gosqlguard/internal/storage/s3"
)

func newConfigCommand(g *globals) *cobra.Command {
	c := newGroupCommand("config", "Work with the configuration file")
	c.AddCommand(&cobra.Command{
		Use:   "validate",
		Short: "Load and check the config, printing every problem with its path",
		Long: "Load and check the config. Problems are printed with their path and exit 2;\n" +
			"warnings print as \"warning: <path>: ...\" and do not change the exit code.\n" +
			"For each S3 storage it prints the memory an upload may buffer:\n" +
			"part_size x (upload_concurrency + 1).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.loadConfig() // prints the warnings of a valid config
			var cfgErr *config.Error
			if errors.As(err, &cfgErr) {
				for _, w := range cfgErr.Warnings {
					fmt.Fprintln(g.stderr, "warning:", w.Error())
				}
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "config is valid: %d server(s), %d storage(s), %d backup type(s) (including manual)\n",
				len(cfg.Servers), len(cfg.Storages), len(cfg.BackupTypes))
			for _, s := range cfg.Storages {
				if s.Type == config.StorageS3 {
					fmt.Fprintln(g.stdout, uploadMemoryBound(s))
				}
			}
			return nil
		},
	})
	return c
}

// uploadMemoryBound describes the most an upload to the S3 storage s buffers:
// part_size × (upload_concurrency + 1), with the backend's defaults for the
// values left out, e.g. "storage offsite: upload memory bound 16 MiB x 5 = 80 MiB (...)".
func uploadMemoryBound(s config.Storage) string {
	part := int64(s.PartSize)
	if part == 0 {
		part = s3.DefaultPartSize
	}
	n := s.UploadConcurrency
	if n == 0 {
		n = s3.DefaultConcurrency
	}
	n++ // the part being read while n are uploaded
	note := "per running backup; parts grow for very large dumps unless fixed_part_size is set"
	if s.FixedPartSize {
		note = "per running backup"
	}
	return fmt.Sprintf("storage %s: upload memory bound %s x %d = %s (%s)",
		s.Name, roundBytes(uint64(part)), n, roundBytes(uint64(part)*uint64(n)), note)
}

// roundBytes writes b in binary units, "8 MiB" rather than "8.0 MiB".
func roundBytes(b uint64) string {
	return strings.Replace(humanize.IBytes(b), ".0 ", " ", 1)
}
