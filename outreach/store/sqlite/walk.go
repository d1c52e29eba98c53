package sqlite

import (
	"context"
	"fmt"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
	"github.com/outreach-dev/outreach/outreach/store/internal/sqlq"
)

// Walk calls fn for every delivery matching f (Limit is ignored), oldest
// first (created_at, then id), reading walkPage rows at a time so that
// memory stays flat.
func (s *Store) Walk(ctx context.Context, f outreach.Filter, fn func(outreach.Delivery) error) error {
	f, err := normalize.Filter(f)
	if err != nil {
		return fmt.Errorf("walk deliveries: %w", err)
	}
	var after outreach.Cursor
	for {
		query, args := sqlq.WalkDeliveries(sqlq.SQLite, selectColumns, f, after, walkPage)
		page, err := s.queryDeliveries(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("walk deliveries: %w", err)
		}
		for _, d := range page {
			if err := fn(d); err != nil {
				return err
			}
		}
		if len(page) < walkPage {
			return nil
		}
		last := page[len(page)-1]
		after = outreach.Cursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
}

const walkPage = 1000

func (s *Store) queryDeliveries(ctx context.Context, query string, args ...any) ([]outreach.Delivery, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []outreach.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
