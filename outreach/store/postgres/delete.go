package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
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
	var args []any
	conds := filterConds(f, argAppender(&args))
	tag, err := s.pool.Exec(ctx, `DELETE FROM deliveries WHERE `+strings.Join(conds, " AND "), args...)
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
