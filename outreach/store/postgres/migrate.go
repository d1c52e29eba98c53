package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/outreach-dev/outreach/outreach/store/internal/migration"
)

// migrations are the schema versions in order, one file each in
// migrations/ (package migration says how they are named). Never edit a
// released one; add the next, to both stores.
//
// Ids use the "C" collation so that ORDER BY id is byte order, as in SQLite
// and Go, whatever the database's default collation.
var migrations, errMigrations = migration.Load(migrationFiles, "migrations")

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrate applies the migrations the schema lacks, all in one transaction,
// first creating schema when it is not "" (OpenSchema). An advisory lock on
// the schema's name makes a second daemon starting at the same time wait
// instead of applying the same migration twice; it also covers CREATE
// SCHEMA IF NOT EXISTS, which can fail with a unique violation when two
// sessions run it at once.
func migrate(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	return migrateTo(ctx, pool, schema, len(migrations))
}

// migrateTo is migrate up to version (tests start from an old schema).
func migrateTo(ctx context.Context, pool *pgxpool.Pool, schema string, version int) (err error) {
	if errMigrations != nil {
		return fmt.Errorf("migrate postgres schema: %w", errMigrations)
	}
	if version > len(migrations) {
		return fmt.Errorf("migrate postgres schema: no migration to version %d (the last is %d)", version, len(migrations))
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate postgres schema: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback(ctx)
		}
	}()
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('outreach migrate ' || COALESCE(NULLIF($1, ''), current_schema())))`, schema); err != nil {
		return fmt.Errorf("migrate postgres schema: lock: %w", err)
	}
	if schema != "" {
		if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize()); err != nil {
			return fmt.Errorf("migrate postgres schema: create schema: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer NOT NULL PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return fmt.Errorf("migrate postgres schema: create schema_migrations: %w", err)
	}
	var current int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("migrate postgres schema: read version: %w", err)
	}
	if current > len(migrations) {
		return fmt.Errorf("migrate postgres schema: database is at version %d, newer than this program knows (%d)", current, len(migrations))
	}
	for v := current + 1; v <= version; v++ {
		m := migrations[v-1]
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("migrate postgres schema to version %d (%s): %w", v, m.Name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, v); err != nil {
			return fmt.Errorf("migrate postgres schema to version %d: %w", v, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate postgres schema: commit: %w", err)
	}
	return nil
}
