package dsn

import (
	"errors"
	"testing"
)

func TestForm(t *testing.T) {
	for in, want := range map[string]string{
		"./data/catalog.db":                         "",
		"/var/lib/gosqlguard/catalog.db":            "",
		"host=/run/postgresql user=gsg dbname=cat":  "",
		"postgres://u:p@db:5432/cat?sslmode=verify": "postgres",
		"postgresql://u@db/cat":                     "postgres",
		"u:p@tcp(db:3306)/cat":                      "mysql",
		"u@unix(/run/mysqld/mysqld.sock)/cat":       "mysql",
		"sqlserver://u:p@db/cat":                    "url",
	} {
		if got := Form(in); got != want {
			t.Errorf("Form(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCheckPostgresURL(t *testing.T) {
	for in, bad := range map[string]bool{
		"postgres://u:p%40ss@db:5432/cat":      false,
		"postgres://db/cat":                    false,
		"postgres://u@db/cat?sslmode=require":  false,
		"host=db user=u password=p@ss":         false,
		"postgres://u:p@ss@db:5432/cat":        true,
		"postgresql://u@x:p@db/cat":            true,
		"postgres://u:Se@cr/et@127.0.0.1/cat":  true,
		"postgres://u:Se?cr@et@127.0.0.1/cat":  true,
		"postgres://u:Se/cret@127.0.0.1:1/cat": true,
		"postgres://u:Se#cret@127.0.0.1:1/cat": true,
		"postgres://u:Se?cret@127.0.0.1:1/cat": true,
	} {
		err := CheckPostgresURL(in)
		if (err != nil) != bad || (err != nil && !errors.Is(err, ErrUnencoded) && !errors.Is(err, ErrMalformed)) {
			t.Errorf("CheckPostgresURL(%q) = %v, want refused: %v", in, err, bad)
		}
	}
}
