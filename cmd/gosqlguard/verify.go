package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
)

func newVerifyCommand(g *globals) *cobra.Command {
	var all bool
	var storageName string
	c := &cobra.Command{
		Use:   "verify [ID ...|--all]",
		Short: "Read stored objects back and check size and SHA-256 (and decryptability where a key is configured)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if all == (len(args) > 0) {
				return usageError("give backup IDs or --all (not both)")
			}
			ctx := cmd.Context()
			a, err := g.openApp(ctx)
			if err != nil {
				return err
			}
			defer a.Close()
			var list []*backup.Backup
			if all {
				for _, st := range []backup.Status{backup.StatusSuccess, backup.StatusPartial} {
					bs, err := a.Catalog.List(ctx, catalog.Filter{Status: st, Storage: storageName})
					if err != nil {
						return &exitError{code: exitFailure, err: err}
					}
					list = append(list, bs...)
				}
			}
			bad := false
			for _, id := range args {
				b, err := getBackup(cmd, a, id)
				if err != nil {
					fmt.Fprintf(g.stdout, "%s\tFAILED\t%v\n", id, err)
					bad = true
					continue
				}
				list = append(list, b)
			}
			for _, b := range list {
				p := newProgress(g.stderr, "verify "+b.ID, b.StoredBytes)
				a.Runner.ReadProgress = p.Update
				results, err := a.Runner.Verify(ctx, b, storageName)
				p.Done()
				for _, r := range results {
					state, detail := "OK", "sha256 and size match"
					if r.Deep {
						detail += ", content decodes"
					}
					if r.Err != nil {
						state, detail = "FAILED", oneLine(r.Err.Error())
					}
					fmt.Fprintf(g.stdout, "%s\t%s\t%s\t%s\n", b.ID, r.Storage, state, detail)
				}
				if err != nil {
					bad = true
					if len(results) == 0 {
						fmt.Fprintf(g.stdout, "%s\t-\tFAILED\t%s\n", b.ID, oneLine(err.Error()))
					}
				}
			}
			if bad {
				return errFailed
			}
			return nil
		},
	}
	c.Flags().BoolVar(&all, "all", false, "verify every successful or partial backup")
	c.Flags().StringVar(&storageName, "storage", "", "only the copies in this storage")
	return c
}
