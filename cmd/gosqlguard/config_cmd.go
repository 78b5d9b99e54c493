package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/gosqlguard/gosqlguard/internal/config"
	"github.com/gosqlguard/gosqlguard/internal/storage/s3"
)

func newConfigCommand(g *globals) *cobra.Command {
	c := newGroupCommand("config", "Work with the configuration file")
	var sources bool
	validate := &cobra.Command{
		Use:   "validate",
		Short: "Load and check the config, printing every problem with its path",
		Long: "Load and check the config (the file with the GOSQLGUARD_* variables set over it).\n" +
			"Problems are printed with their path (or variable) and exit 2;\n" +
			"warnings print as \"warning: <path>: ...\" and do not change the exit code.\n" +
			"For each S3 storage it prints the memory an upload may buffer:\n" +
			"part_size x (upload_concurrency + 1).\n" +
			"With --sources it then prints every effective value with where it came from:\n" +
			"file, env GOSQLGUARD_... or default; secrets print as <secret>.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, settings, err := g.loadSettings() // prints the warnings of a valid config
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
			if sources {
				writeSettings(g.stdout, settings)
			}
			return nil
		},
	}
	validate.Flags().BoolVar(&sources, "sources", false,
		"also print every effective value and its source (file, env GOSQLGUARD_..., default); secrets print as <secret>")
	c.AddCommand(validate)
	return c
}

// writeSettings prints one aligned line per value: its path, its value and
// where it came from, e.g. "servers[0].host  db1  env GOSQLGUARD_SERVERS_0_HOST".
func writeSettings(w io.Writer, settings []config.Setting) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tVALUE\tSOURCE")
	for _, s := range settings {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Path, oneLine(s.Value), s.Source)
	}
	tw.Flush()
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
