package main

import "testing"

func TestDisplayName(t *testing.T) {
	for in, want := range map[string]string{
		"shop":      "shop",
		"../x":      "../x",
		"Zoë":       "Zoë",
		"a\nb":      `"a\nb"`,
		"tab\there": `"tab\there"`,
		"\x7f":      `"\x7f"`,
		"\xff":      `"\xff"`,
		`"quoted"`:  `"\"quoted\""`,
	} {
		if got := displayName(in); got != want {
			t.Errorf("displayName(%q) = %s, want %s", in, got, want)
		}
	}
}
