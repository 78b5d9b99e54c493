// Package catalogdb opens the catalog a configuration names, on any driver.
package catalogdb

import (
	"context"
	"fmt"

	"github.com/gosqlguard/gosqlguard/internal/catalog"
	"github.com/gosqlguard/gosqlguard/internal/catalog/mysql"
	"github.com/gosqlguard/gosqlguard/internal/catalog/postgres"
	"github.com/gosqlguard/gosqlguard/internal/catalog/sqlite"
)

// Drivers are the driver names Open knows.
var Drivers = []string{"sqlite", "postgres", "mysql"}

// Open opens the catalog of driver ("sqlite", "postgres" or "mysql") at dsn
// (sqlite: a file path; postgres: a libpq URL or key=value DSN; mysql:
// go-sql-driver's user:password@tcp(host:port)/dbname), and brings its
// schema up to date. A schema written by a newer build gives an error
// wrapping sqlstore.ErrSchemaTooNew. The DSN is a secret: errors never
// contain it (a sqlite path is not a secret and is named).
func Open(ctx context.Context, driver, dsn string) (catalog.Store, error) {
	switch driver {
	case "sqlite", "":
		return asStore(sqlite.Open(ctx, dsn))
	case "postgres":
		return asStore(postgres.Open(ctx, dsn))
	case "mysql":
		return asStore(mysql.Open(ctx, dsn))
	}
	return nil, fmt.Errorf("catalog: unknown driver %q (want sqlite, postgres or mysql)", driver)
}

// asStore returns a driver's store as a catalog.Store, nil on error (not a
// non-nil interface holding a nil pointer).
func asStore[S catalog.Store](s S, err error) (catalog.Store, error) {
	if err != nil {
		return nil, err
	}
	return s, nil
}
