package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/storage"
)

const manifestSuffix = ".manifest.json"

// maxManifestSize bounds what is read of one manifest; real ones are about 1 KiB.
const maxManifestSize = 1 << 20

// RebuildReport says what a catalog rebuild found and did.
type RebuildReport struct {
	Manifests int      // manifests read, over all storages
	Added     int      // backups new to the catalog
	Updated   int      // backups already known whose locations were completed
	Problems  []string // manifests skipped, with the reason
}

// RebuildCatalog reconstructs catalog entries from the manifests found in
// every storage. A backup already in the catalog gains the locations it was
// missing; one that is not gets a new entry with status success. Failed runs
// leave no manifest and so do not come back.
func (r *Runner) RebuildCatalog(ctx context.Context) (RebuildReport, error) {
	var rep RebuildReport
	found := map[string]*backup.Backup{}
	for _, s := range r.Storages {
		list, err := s.List(ctx, "")
		if err != nil {
			return rep, fmt.Errorf("storage %s: %w", s.Name(), err)
		}
		for _, info := range list {
			if !strings.HasSuffix(info.Key, manifestSuffix) {
				continue
			}
			m, err := readManifest(ctx, s, info.Key)
			if err != nil {
				rep.Problems = append(rep.Problems, fmt.Sprintf("storage %s: %s: %v", s.Name(), info.Key, err))
				continue
			}
			rep.Manifests++
			objKey := path.Join(path.Dir(info.Key), m.Object)
			if _, err := s.Stat(ctx, objKey); err != nil {
				rep.Problems = append(rep.Problems, fmt.Sprintf("storage %s: %s: object missing: %v", s.Name(), info.Key, err))
				continue
			}
			b := found[m.ID]
			if b == nil {
				b = fromManifest(m)
				found[m.ID] = b
			}
			b.Locations = append(b.Locations, backup.Location{Storage: s.Name(), Key: objKey, Status: backup.LocationSuccess})
		}
	}
	ids := make([]string, 0, len(found))
	for id := range found {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		b := found[id]
		existing, err := r.Catalog.Get(ctx, id)
		switch {
		case errors.Is(err, catalog.ErrNotFound):
			if err := r.Catalog.Insert(ctx, b); err != nil {
				return rep, fmt.Errorf("catalog: %w", err)
			}
			rep.Added++
		case err != nil:
			return rep, fmt.Errorf("catalog: %w", err)
		default:
			if mergeLocations(existing, b.Locations) {
				if err := r.Catalog.Update(ctx, existing); err != nil {
					return rep, fmt.Errorf("catalog: %w", err)
				}
				rep.Updated++
			}
		}
	}
	r.logger().Info("catalog rebuilt", "manifests", rep.Manifests, "added", rep.Added, "updated", rep.Updated, "problems", len(rep.Problems))
	return rep, nil
}

func readManifest(ctx context.Context, s storage.Backend, key string) (*backup.Manifest, error) {
	rc, err := s.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxManifestSize))
	if err != nil {
		return nil, err
	}
	var m backup.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("not a manifest: %w", err)
	}
	switch {
	case m.FormatVersion < 1 || m.FormatVersion > backup.ManifestFormatVersion:
		return nil, fmt.Errorf("unsupported manifest format_version %d", m.FormatVersion)
	case !backup.ValidID(m.ID):
		return nil, fmt.Errorf("invalid backup id %q", m.ID)
	case m.Object == "" || strings.ContainsAny(m.Object, "/\\") || m.Object == "." || m.Object == "..":
		return nil, fmt.Errorf("invalid object name %q", m.Object)
	case m.Server == "" || m.Database == "" || m.Type == "" || len(m.SHA256) != 64:
		return nil, errors.New("incomplete manifest")
	}
	return &m, nil
}

func fromManifest(m *backup.Manifest) *backup.Backup {
	finished := m.FinishedAt
	return &backup.Backup{
		ID:          m.ID,
		Server:      m.Server,
		Database:    m.Database,
		Type:        m.Type,
		Status:      backup.StatusSuccess,
		StartedAt:   m.StartedAt,
		FinishedAt:  &finished,
		RawBytes:    m.RawBytes,
		StoredBytes: m.StoredBytes,
		SHA256:      m.SHA256,
		Compression: m.Compression,
		Encrypted:   m.Encryption != nil,
		Manifest:    m,
	}
}

// mergeLocations adds or repairs locations of b; it reports whether b changed.
func mergeLocations(b *backup.Backup, locs []backup.Location) bool {
	changed := false
	for _, l := range locs {
		cur := b.Location(l.Storage)
		switch {
		case cur == nil:
			b.Locations = append(b.Locations, l)
			changed = true
		case cur.Status != backup.LocationSuccess && cur.Status != backup.LocationDeleted:
			*cur = l
			changed = true
		}
	}
	return changed
}
