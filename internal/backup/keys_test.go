package backup

import "testing"

func TestKeys(t *testing.T) {
	b := &Backup{ID: "20261128T020000.000Z-ab12cd34ef56", Server: "main", Database: "shop", Type: "daily"}
	if got, want := ObjectKey(b, "sql.zst"), "main/shop/daily/20261128T020000.000Z-ab12cd34ef56.sql.zst"; got != want {
		t.Errorf("ObjectKey = %q, want %q", got, want)
	}
	mk := ManifestKey(b)
	if want := "main/shop/daily/20261128T020000.000Z-ab12cd34ef56.manifest.json"; mk != want {
		t.Errorf("ManifestKey = %q, want %q", mk, want)
	}
	if !IsManifestKey(mk) || IsManifestKey(ObjectKey(b, "sql.zst")) {
		t.Error("IsManifestKey tells a manifest from an object wrongly")
	}
	if got, want := ObjectKeyOf(mk, b.ID+".sql.zst"), ObjectKey(b, "sql.zst"); got != want {
		t.Errorf("ObjectKeyOf = %q, want %q", got, want)
	}
}

func TestIDOfKey(t *testing.T) {
	const id = "20261128T020000.000Z-ab12cd34ef56"
	for _, tc := range []struct{ key, want string }{
		{"main/shop/daily/" + id + ".sql.zst", id},
		{"main/shop/daily/" + id + ".manifest.json", id},
		{id + ".sql.gz.age", id},
		{"main/shop/daily/" + id, ""},                         // no extension: not an object
		{"main/shop/daily/" + id + "x.sql", ""},               // ID runs on
		{"main/shop/daily/20261128T020000.000Z-ab12.sql", ""}, // too short
		{"main/shop/daily/20261128T020000.000Z-AB12CD34EF56.sql", ""},
		{"main/shop/daily/notes.txt", ""},
		{"", ""},
	} {
		if got := IDOfKey(tc.key); got != tc.want {
			t.Errorf("IDOfKey(%q) = %q, want %q", tc.key, got, tc.want)
		}
	}
}
