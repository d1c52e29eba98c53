package sqlite

import (
	"context"
	"fmt"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
	"github.com/outreach-dev/outreach/outreach/store/internal/sqlq"
)

// DeleteDeliveries removes the deliveries matching f.
func (s *Store) DeleteDeliveries(ctx context.Context, f outreach.Filter) (int64, error) {
	if f.Empty() {
		return 0, fmt.Errorf("delete deliveries: %w", outreach.ErrUnfiltered)
	}
	f, err := normalize.Filter(f)
	if err != nil {
		return 0, fmt.Errorf("delete deliveries: %w", err)
	}
	q := sqlq.New(sqlq.SQLite)
	q.Deliveries(f)
	res, err := s.write.ExecContext(ctx, `DELETE FROM deliveries WHERE `+q.And(), q.Args...)
	if err != nil {
		return 0, fmt.Errorf("delete deliveries: %w", err)
	}
	return res.RowsAffected()
}

// DeleteResidents removes residents by id, in one transaction.
func (s *Store) DeleteResidents(ctx context.Context, ids []string) (n int64, err error) {
	if len(ids) == 0 {
		return 0, nil
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("delete residents: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	for _, id := range ids {
		res, err := tx.ExecContext(ctx, `DELETE FROM residents WHERE id = ?`, id)
		if err != nil {
			return 0, fmt.Errorf("delete residents: %w", err)
		}
		k, _ := res.RowsAffected()
		n += k
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("delete residents: %w", err)
	}
	return n, nil
}
