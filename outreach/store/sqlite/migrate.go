package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"time"

	"github.com/outreach-dev/outreach/outreach/store/internal/migration"
)

// migrations are the schema versions in order, one file each in
// migrations/ (package migration says how they are named). Never edit a
// released one; add the next, to both stores.
//
// Times are INTEGER microseconds since the Unix epoch (UTC). Tags and
// channels are JSON arrays, attributes a JSON object, so that Residents can
// filter on tags with json_each. Text columns use SQLite's default BINARY
// collation: byte order, the order Go sorts strings in.
var migrations, errMigrations = migration.Load(migrationFiles, "migrations")

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrate applies the migrations the database lacks, all in one
// transaction. BEGIN IMMEDIATE (the write pool's _txlock) makes a second
// process wait rather than apply the same migration twice.
func migrate(ctx context.Context, db *sql.DB) error {
	return migrateTo(ctx, db, len(migrations))
}

// migrateTo is migrate up to version (tests start from an old schema).
func migrateTo(ctx context.Context, db *sql.DB, version int) (err error) {
	if errMigrations != nil {
		return fmt.Errorf("migrate sqlite schema: %w", errMigrations)
	}
	if version > len(migrations) {
		return fmt.Errorf("migrate sqlite schema: no migration to version %d (the last is %d)", version, len(migrations))
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate sqlite schema: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		applied_at INTEGER NOT NULL
	) STRICT`); err != nil {
		return fmt.Errorf("migrate sqlite schema: create schema_migrations: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("migrate sqlite schema: read version: %w", err)
	}
	if current > len(migrations) {
		return fmt.Errorf("migrate sqlite schema: database is at version %d, newer than this program knows (%d)", current, len(migrations))
	}
	for v := current + 1; v <= version; v++ {
		m := migrations[v-1]
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("migrate sqlite schema to version %d (%s): %w", v, m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
			v, micros(time.Now())); err != nil {
			return fmt.Errorf("migrate sqlite schema to version %d: %w", v, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate sqlite schema: commit: %w", err)
	}
	return nil
}
