package backup

import (
	"path"
	"strings"
)

// The storage key layout. Every storage holds a backup as two objects in one
// folder named after its job, server/database/type/:
//
//	main/shop/daily/20261128T020000.000Z-ab12cd34ef56.sql.zst            the object
//	main/shop/daily/20261128T020000.000Z-ab12cd34ef56.manifest.json      its manifest
//
// Keys always use "/" whatever the storage; the functions here are the only
// ones that build or take apart such keys.

// ManifestSuffix ends every manifest key.
const ManifestSuffix = ".manifest.json"

// idLen is the length of an ID NewID makes: a UTC time to the millisecond,
// "-" and 12 hex digits.
const idLen = len("20060102T150405.000Z-") + 12

// ObjectKey is where a backup's object goes in every storage:
// server/database/type/ID.ext, ext without the leading dot ("sql.zst").
func ObjectKey(b *Backup, ext string) string {
	return path.Join(b.Server, b.Database, b.Type, b.ID+"."+ext)
}

// ManifestKey is where a backup's manifest goes, next to its object:
// server/database/type/ID.manifest.json.
func ManifestKey(b *Backup) string {
	return path.Join(b.Server, b.Database, b.Type, b.ID+ManifestSuffix)
}

// IsManifestKey reports whether key names a manifest.
func IsManifestKey(key string) bool { return strings.HasSuffix(key, ManifestSuffix) }

// ObjectKeyOf returns the key of the object a manifest at manifestKey
// describes: object is the manifest's Object field, a name in the same folder.
func ObjectKeyOf(manifestKey, object string) string {
	return path.Join(path.Dir(manifestKey), object)
}

// IDOfKey returns the backup ID an object or manifest key is named after
// (the key's last element is a valid ID followed by "."), or "" for any
// other key.
func IDOfKey(key string) string {
	base := path.Base(key)
	if len(base) <= idLen || base[idLen] != '.' || !ValidID(base[:idLen]) {
		return ""
	}
	return base[:idLen]
}
