// Package postgres is the scale-out store: the resident directory and the
// communication archive in PostgreSQL, through a pgx v5 connection pool.
// It implements outreach.Store with the same behaviour as package sqlite.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/outreach-dev/outreach/outreach"
)

// Store is the PostgreSQL implementation of outreach.Store. It is safe for
// concurrent use.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
	// residents keeps the residents table's statistics fresh (analyze.go).
	residents *residentStats
	// stop ends the store's background work: the residents' ANALYZE and
	// the compaction of the stored counts (compactCounts), which closes
	// compacted when it has returned.
	stop      context.CancelFunc
	compacted chan struct{}
	closeOnce sync.Once
}

var _ outreach.Store = (*Store)(nil)

// Open connects to the database at url (postgres://user:pass@host/db?...)
// and brings its schema up to date. The tables live in the first schema of
// the search path, which the URL may set: ?search_path=outreach. Pool
// settings such as pool_max_conns are read from the URL too.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := parseConfig(url)
	if err != nil {
		return nil, err
	}
	return open(ctx, cfg, "")
}

// OpenSchema is Open with the tables in schema, which is created if it does
// not exist; it overrides any search_path in url. Tests use it to give each
// test a fresh schema of its own.
func OpenSchema(ctx context.Context, url, schema string) (*Store, error) {
	if schema == "" {
		return nil, errors.New("open postgres store: empty schema name")
	}
	cfg, err := parseConfig(url)
	if err != nil {
		return nil, err
	}
	// search_path is a list of identifiers: quote the name so that any
	// schema name, even "MiXed" or one with a comma, means itself.
	cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{schema}.Sanitize()
	return open(ctx, cfg, schema)
}

func open(ctx context.Context, cfg *pgxpool.Config, schema string) (*Store, error) {
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	if err := migrate(ctx, pool, schema); err != nil {
		pool.Close()
		return nil, err
	}
	s := &Store{pool: pool, now: time.Now, compacted: make(chan struct{})}
	life, stop := context.WithCancel(context.Background())
	s.stop = stop
	s.residents = &residentStats{life: life, run: s.analyzeResidents}
	go s.compactCounts(life, compactInterval, s.compacted)
	return s, nil
}

// analyzeResidents runs ANALYZE on the residents table and returns the
// number of rows it estimates there.
func (s *Store) analyzeResidents(ctx context.Context) (int64, error) {
	if _, err := s.pool.Exec(ctx, "ANALYZE residents"); err != nil {
		return 0, fmt.Errorf("analyze residents: %w", err)
	}
	var rows float64
	if err := s.pool.QueryRow(ctx, "SELECT reltuples FROM pg_class WHERE oid = 'residents'::regclass").Scan(&rows); err != nil {
		return 0, fmt.Errorf("analyze residents: %w", err)
	}
	return int64(max(rows, 0)), nil
}

// parseConfig parses url without letting its text into the error: pgx
// masks passwords only on a best-effort basis.
func parseConfig(url string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		var pce *pgconn.ParseConfigError
		if errors.As(err, &pce) {
			hidden := *pce
			hidden.ConnString = "(connection string hidden)"
			err = &hidden
		}
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	return cfg, nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres store: %w", err)
	}
	return nil
}

// Close closes every connection of the pool, waiting for those in use
// (an ANALYZE running in the background and the compaction of the stored
// counts are stopped first). A second Close does nothing.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.stop()
		s.residents.wait()
		<-s.compacted
		s.pool.Close()
	})
	return nil
}
