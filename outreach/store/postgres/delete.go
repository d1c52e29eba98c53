package postgres

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
	q := sqlq.New(sqlq.PostgreSQL)
	q.Deliveries(f)
	tag, err := s.pool.Exec(ctx, `DELETE FROM deliveries WHERE `+q.And(), q.Args...)
	if err != nil {
		return 0, fmt.Errorf("delete deliveries: %w", err)
	}
	return tag.RowsAffected(), nil
}

// DeleteResidents removes residents by id in one statement.
func (s *Store) DeleteResidents(ctx context.Context, ids []string) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM residents WHERE id = ANY($1)`, ids)
	if err != nil {
		return 0, fmt.Errorf("delete residents: %w", err)
	}
	return tag.RowsAffected(), nil
}
