// Package centredb opens the centre's store named by a data source: a
// postgres:// or postgresql:// URL for PostgreSQL, else the path of a
// SQLite file (optionally prefixed "sqlite:"). It is for the centre's own
// commands and tests, which take either; it links both drivers, so the
// kiosk, whose embedded centre is always SQLite, opens package sqlite
// directly.
package centredb

import (
	"context"
	"strings"
	"time"

	"lobbyline/syncer/centre/postgres"
	"lobbyline/syncer/centre/sqlite"
	"lobbyline/syncer/centre/sqlstore"
)

// Options tune Open; zero values are fine.
type Options struct {
	Now      func() time.Time // stamps the migrations
	MaxConns int              // see sqlstore.Options
}

// Open opens and migrates the store at dsn.
func Open(ctx context.Context, dsn string, opts Options) (*sqlstore.Store, error) {
	if IsPostgres(dsn) {
		return postgres.Open(ctx, dsn, postgres.Options(opts))
	}
	return sqlite.Open(ctx, strings.TrimPrefix(dsn, "sqlite:"), sqlite.Options(opts))
}

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}
