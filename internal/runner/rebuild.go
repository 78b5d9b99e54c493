package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/gosqlguard/gosqlguard/internal/backup"
	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/storage"
)

// maxManifestSize bounds what is read of one manifest; real ones are about 1 KiB.
const maxManifestSize = 1 << 20

// RebuildReport says what a catalog rebuild found and did.
type RebuildReport struct {
	Manifests int      // manifests read, over all storages
	Added     int      // backups new to the catalog
	Updated   int      // backups already known whose locations were completed
	Problems  []string // manifests and objects not adopted, with the reason
}

// unfinishedObject is the location error of an object stored without its
// manifest: the run stopped between the two, so nothing vouches for it.
const unfinishedObject = "object without manifest: the run that wrote it did not finish"

// RebuildCatalog reconstructs catalog entries from the manifests found in
// every storage. A run writes its manifest only after its object is
// complete, and its catalog row last, so a manifest next to an object of
// the size it records stands for a complete copy:
//
//   - a backup not in the catalog gets a new entry: success when every copy
//     found has its manifest; partial when another storage holds an object
//     of the same backup without a manifest (the run was killed between
//     them), that location failed;
//   - a manifest whose object is missing or has another size than the
//     manifest records, and an object no storage has a manifest for (a run
//     killed before it wrote one), are not adopted and are reported, so an
//     unfinished run never comes back as a success;
//   - a backup already in the catalog as success or partial gains the
//     complete copies it was missing; one recorded otherwise (running,
//     interrupted, failed, deleted) is left as it is and reported when
//     copies of it are found, which the leftover sweep removes for an
//     interrupted one.
//
// Checksums are not read here: verify reads every copy back.
func (r *Runner) RebuildCatalog(ctx context.Context) (RebuildReport, error) {
	var rep RebuildReport
	found := map[string]*backup.Backup{}
	type stray struct{ storage, key string }
	strays := map[string][]stray{} // backup ID -> objects without a manifest
	for _, s := range r.Storages {
		list, err := s.List(ctx, "")
		if err != nil {
			return rep, fmt.Errorf("storage %s: %w", s.Name(), err)
		}
		size := map[string]int64{}
		for _, info := range list {
			size[info.Key] = info.Size
		}
		vouched := map[string]bool{} // object keys a manifest stands for
		for _, info := range list {
			if !backup.IsManifestKey(info.Key) {
				continue
			}
			m, err := readManifest(ctx, s, info.Key)
			if err != nil {
				rep.Problems = append(rep.Problems, fmt.Sprintf("storage %s: %s: %v", s.Name(), info.Key, err))
				continue
			}
			rep.Manifests++
			objKey := backup.ObjectKeyOf(info.Key, m.Object)
			vouched[objKey] = true
			n, ok := size[objKey]
			switch {
			case !ok:
				rep.Problems = append(rep.Problems, fmt.Sprintf("storage %s: %s: object missing: %s", s.Name(), info.Key, objKey))
				continue
			case n != m.StoredBytes:
				rep.Problems = append(rep.Problems, fmt.Sprintf("storage %s: %s: object %s is %d bytes, its manifest says %d: not adopted",
					s.Name(), info.Key, objKey, n, m.StoredBytes))
				continue
			}
			b := found[m.ID]
			if b == nil {
				b = fromManifest(m)
				found[m.ID] = b
			}
			b.Locations = append(b.Locations, backup.Location{Storage: s.Name(), Key: objKey, Status: backup.LocationSuccess})
		}
		for _, info := range list {
			if id := backup.IDOfKey(info.Key); id != "" && !vouched[info.Key] && !backup.IsManifestKey(info.Key) {
				strays[id] = append(strays[id], stray{s.Name(), info.Key})
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(strays)) {
		b := found[id]
		for _, st := range strays[id] {
			if b == nil || b.Location(st.storage) != nil {
				rep.Problems = append(rep.Problems, fmt.Sprintf("storage %s: %s: %s: not adopted", st.storage, st.key, unfinishedObject))
				continue
			}
			b.Locations = append(b.Locations, backup.Location{Storage: st.storage, Key: st.key, Status: backup.LocationFailed, Error: unfinishedObject})
			b.Status = backup.StatusPartial
			rep.Problems = append(rep.Problems, fmt.Sprintf("storage %s: %s: %s: backup %s is partial", st.storage, st.key, unfinishedObject, id))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(found)) {
		b := found[id]
		existing, err := r.Catalog.Get(ctx, id)
		switch {
		case errors.Is(err, catalog.ErrNotFound):
			if err := r.Catalog.Insert(ctx, b); err != nil {
				return rep, err
			}
			rep.Added++
		case err != nil:
			return rep, err
		case existing.Status != backup.StatusSuccess && existing.Status != backup.StatusPartial:
			rep.Problems = append(rep.Problems, fmt.Sprintf("backup %s is %s in the catalog: its copies in storage are not adopted", id, existing.Status))
		default:
			if mergeLocations(existing, b.Locations) {
				if err := r.Catalog.Update(ctx, existing); err != nil {
					return rep, err
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
		return nil, badManifest{fmt.Errorf("not a manifest: %w", err)}
	}
	switch {
	case m.FormatVersion < 1 || m.FormatVersion > backup.ManifestFormatVersion:
		return nil, badManifest{fmt.Errorf("unsupported manifest format_version %d", m.FormatVersion)}
	case !backup.ValidID(m.ID):
		return nil, badManifest{fmt.Errorf("invalid backup id %q", m.ID)}
	case m.Object == "" || strings.ContainsAny(m.Object, "/\\") || m.Object == "." || m.Object == "..":
		return nil, badManifest{fmt.Errorf("invalid object name %q", m.Object)}
	case m.Server == "" || m.Database == "" || m.Type == "" || len(m.SHA256) != 64:
		return nil, badManifest{errors.New("incomplete manifest")}
	}
	return &m, nil
}

// badManifest marks the error of a manifest that was read but is not one
// this build can trust, as opposed to a storage that failed to give it.
type badManifest struct{ error }

func (e badManifest) Unwrap() error { return e.error }

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

// mergeLocations adds or repairs the complete locations of b; it reports
// whether b changed.
func mergeLocations(b *backup.Backup, locs []backup.Location) bool {
	changed := false
	for _, l := range locs {
		if l.Status != backup.LocationSuccess {
			continue
		}
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
