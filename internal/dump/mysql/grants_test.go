package mysql

import "testing"

func TestParseGrants(t *testing.T) {
	g := parseGrants([]string{
		"GRANT `trg_role` TO `lim`@`localhost`",
		"GRANT USAGE ON *.* TO `lim`@`localhost` IDENTIFIED BY PASSWORD '*D821809F681A40A6E379B50D0463EFAE20BDD122'",
		"GRANT SELECT, LOCK TABLES, SHOW VIEW, EVENT ON `shop`.* TO `lim`@`localhost`",
		"GRANT SELECT, TRIGGER ON `crm\\_%`.* TO `trg_role`",
		"GRANT SELECT (`a`, `b`), TRIGGER ON `misc`.`t``1` TO `lim`@`localhost`",
		"GRANT PROXY ON ''@'%' TO 'root'@'localhost' WITH GRANT OPTION",
	})
	for _, tc := range []struct {
		priv, db, table string
		want            bool
	}{
		{"EVENT", "shop", "", true},
		{"TRIGGER", "shop", "", false},
		{"TRIGGER", "crm_eu", "", true},
		{"TRIGGER", "crmXeu", "", false}, // \_ is a literal underscore
		{"SELECT", "crm_", "", true},
		{"TRIGGER", "misc", "t`1", true},
		{"TRIGGER", "misc", "t2", false},
		{"SELECT", "misc", "t`1", false}, // a column grant is not a table grant
	} {
		var got bool
		if tc.table == "" {
			got = g.onDatabase(tc.priv, tc.db)
		} else {
			got = g.onTable(tc.priv, tc.db, tc.table)
		}
		if got != tc.want {
			t.Errorf("%s on %s.%s = %v, want %v", tc.priv, tc.db, tc.table, got, tc.want)
		}
	}
	all := parseGrants([]string{"GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION"})
	if !all.onDatabase("TRIGGER", "anything") {
		t.Error("ALL PRIVILEGES ON *.* does not cover TRIGGER")
	}
}

func TestLikeMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, name string
		want          bool
	}{
		{"shop", "shop", true},
		{"shop", "shops", false},
		{"sh%", "shop", true},
		{"%", "", true},
		{"s_op", "shop", true},
		{`s\_op`, "s_op", true},
		{`s\_op`, "shop", false},
		{"a%b%c", "aXXbYYc", true},
		{"a%b%c", "aXXbYY", false},
	} {
		if got := likeMatch(tc.pattern, tc.name); got != tc.want {
			t.Errorf("likeMatch(%q, %q) = %v, want %v", tc.pattern, tc.name, got, tc.want)
		}
	}
}

func TestDumpsHistory(t *testing.T) {
	for v, want := range map[string]bool{
		"mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)": true,
		"mariadb-dump  Ver 10.19 Distrib 11.4.2-MariaDB, for Linux (x86_64)":              true,
		"mysqldump  Ver 10.19 Distrib 10.5.23-MariaDB, for debian-linux-gnu (x86_64)":     false,
		"mysqldump  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)":        false,
	} {
		if got := dumpsHistory(v); got != want {
			t.Errorf("dumpsHistory(%q) = %v, want %v", v, got, want)
		}
	}
}
