package postgres

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/sqlq"
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

// OnResidentsAnalyzed sets a function called after each background
// ANALYZE of the residents table (analyze.go) with its error.
func (s *Store) OnResidentsAnalyzed(fn func(error)) { s.residents.done = fn }

// ExplainResidentPage is the plan of ListResidents' statement for f.
func (s *Store) ExplainResidentPage(ctx context.Context, f outreach.ResidentFilter) (string, error) {
	query, args := sqlq.ResidentPage(sqlq.PostgreSQL, residentColumns, f.Audience, f.Limit, f.Estates)
	args[0] = f.After
	rows, err := s.pool.Query(ctx, "EXPLAIN "+query, args...)
	if err != nil {
		return "", err
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return strings.Join(lines, "\n"), err
}

// WaitResidentsAnalyzed returns once no background ANALYZE runs.
func (s *Store) WaitResidentsAnalyzed() { s.residents.wait() }

// MergeDuplicates is what Record does to a batch before its statement.
var MergeDuplicates = mergeDuplicates

// IdleConns is how many connections the pool holds idle.
func (s *Store) IdleConns() int { return int(s.pool.Stat().IdleConns()) }

// OutcomesOfQuery is OutcomesOf's statement (the plan test runs it on a
// connection of its own, prepared as pgx prepares it for the store).
var OutcomesOfQuery = outcomesOf
