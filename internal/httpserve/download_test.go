package httpserve

import "testing"

func TestDownloadName(t *testing.T) {
	const id = "20240101T000000.000Z-0123456789ab"
	tests := map[string]string{
		"/srv/x/" + id + ".sql.zst": id + ".sql.zst",
		`C:\x\a b.sql`:              "a_b.sql",
		"..":                        id + ".bin",
		"":                          id + ".bin",
		"dump\"; x=.gz":             "dump___x_.gz",
	}
	for in, want := range tests {
		if got := downloadName(in, id); got != want {
			t.Errorf("downloadName(%q) = %q, want %q", in, got, want)
		}
	}
}
