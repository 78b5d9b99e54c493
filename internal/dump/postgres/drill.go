package postgres

import (
	"context"
	"errors"

	"github.com/gosqlguard/gosqlguard/internal/backup"
)

// Fingerprint counts what database db holds now. See dump.Dumper.
func (d *Dumper) Fingerprint(ctx context.Context, db string) (backup.Fingerprint, error) {
	return backup.Fingerprint{}, errors.New("fingerprint: not built yet")
}

// DropDrill drops a restore drill's database. See dump.Dumper.
func (d *Dumper) DropDrill(ctx context.Context, db string) error {
	return errors.New("drop drill: not built yet")
}

// DrillLeftovers lists drill databases on the server. See dump.Dumper.
func (d *Dumper) DrillLeftovers(ctx context.Context) ([]string, error) {
	return nil, errors.New("drill leftovers: not built yet")
}
