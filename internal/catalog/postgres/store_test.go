package postgres

import (
	"testing"

	"github.com/gosqlguard/gosqlguard/internal/catalog/catalogtest"
)

// Errors from a malformed or unreachable DSN never carry its password.
func TestOpenErrorsHideThePassword(t *testing.T) {
	const pw = "s3cr3t-Pa55word"
	catalogtest.OpenErrorsHide(t, "catalog: postgres", []string{pw, "tail"}, []string{
		"postgres://gsg:" + pw + "@127.0.0.1:notaport/catalog",
		"postgres://gsg:" + pw + "@127.0.0.1:1/catalog?connect_timeout=2",
		"host=127.0.0.1 port=1 user=gsg password=" + pw + " dbname=catalog connect_timeout=2",
		"host=127.0.0.1 port=1 user=gsg password='" + pw + " dbname=catalog",
		"postgres://gsg:" + pw + "@[::1/catalog",
		// An unencoded "@" in the password: its tail must not be named as the host.
		"postgres://gsg:tail@" + pw + "@127.0.0.1:1/catalog?connect_timeout=2",
	}, Open)
}

// A schema from a newer build is refused; several processes opening a new
// catalog at once migrate it once.
func TestMigrations(t *testing.T) {
	catalogtest.Migrations(t, freshDatabase(t), len(Migrations), Open)
}
