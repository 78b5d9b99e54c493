package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/retention"
)

// Prune plans retention for every storage that has a policy and, unless
// dryRun, deletes what the plan says. Each deletion is recorded in the catalog
// with its reason. Deletion goes on past a failing storage; the error lists
// every failure.
func (r *Runner) Prune(ctx context.Context, policies map[string]retention.Policy, dryRun bool) ([]retention.StoragePlan, error) {
	var plans []retention.StoragePlan
	var errs []error
	for _, s := range r.Storages {
		policy := policies[s.Name()]
		if len(policy) == 0 {
			continue
		}
		list, err := r.Catalog.List(ctx, catalog.Filter{Storage: s.Name()})
		if err != nil {
			return plans, fmt.Errorf("prune: catalog: %w", err)
		}
		byID := make(map[string]*backup.Backup, len(list))
		for _, b := range list {
			byID[b.ID] = b
		}
		plan := retention.StoragePlan{Storage: s.Name(), Decisions: retention.Plan(s.Name(), policy, list)}
		if dryRun {
			plans = append(plans, plan)
			continue
		}
		for _, d := range plan.Decisions {
			if d.Action != retention.Delete {
				continue
			}
			if err := r.DeleteCopies(ctx, byID[d.BackupID], []string{s.Name()}, "retention: "+d.Reason); err != nil {
				errs = append(errs, err)
				continue
			}
			plan.Deleted = append(plan.Deleted, d)
			r.logger().Info("retention deleted a backup copy", "id", d.BackupID, "storage", s.Name(),
				"server", d.Server, "database", d.Database, "type", d.Type, "reason", d.Reason)
		}
		plans = append(plans, plan)
	}
	return plans, errors.Join(errs...)
}
