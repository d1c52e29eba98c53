package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Versions is the schema version this program migrates to.
var Versions = len(migrations)

// MigrateSchemaTo creates schema in the database at url and brings it to
// version, not further: the state an older release left.
func MigrateSchemaTo(ctx context.Context, url, schema string, version int) error {
	cfg, err := parseConfig(url)
	if err != nil {
		return err
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{schema}.Sanitize()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	return migrateTo(ctx, pool, schema, version)
}

// SearchQuery is the statement Search runs for f (the benchmark explains it).
var SearchQuery = searchQuery
