package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// warmConns is how many connections Warm opens: the first message of a
// campaign uses about that many at once (the expander's page and
// progress, the read batch's look-ups, the archive write).
const warmConns = 4

// Warm opens up to warmConns connections of the pool (at most its
// MaxConns) and readies each for the send path, without writing anything:
// a daemon calls it at start, so that the first jobs it takes do not each
// wait for a new PostgreSQL backend (a fork, authentication) and for the
// first run of each statement there (preparing it, the catalog of its
// tables, the triggers' compilation): a first archive write on a new
// connection took 20-80 ms, a second one 2-7 ms (load 4). The
// connections stay idle in the pool (pgxpool closes idle ones after 30
// minutes).
func (s *Store) Warm(ctx context.Context) error {
	n := min(warmConns, int(s.pool.Config().MaxConns))
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for range n {
		wg.Go(func() {
			if err := s.warmOne(ctx); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("warm postgres connections: %w", err)
	}
	return nil
}

// warmOne holds one connection (a new one while the others are held by
// their own warmOne) and runs on it, with nothing to read or write, the
// statements of a read batch's look-ups and of the archive write: each is
// prepared there (pgx keeps them per connection), the backend caches the
// catalog of their tables and compiles the archive's triggers. The
// archive write, of no rows, runs in a transaction that is rolled back.
func (s *Store) warmOne(ctx context.Context) error {
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	for _, q := range []string{residentsByID, outcomesOf} {
		rows, err := c.Query(ctx, q, []string{})
		if err != nil {
			return err
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	tx, err := c.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := tx.Exec(ctx, upsertDeliveries, deliveryArrays(nil)...); err != nil {
		return err
	}
	return tx.Rollback(ctx)
}
