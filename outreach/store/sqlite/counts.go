package sqlite

import (
	"context"
	"fmt"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
	"github.com/outreach-dev/outreach/outreach/store/internal/sqlq"
)

// CountDeliveries counts the deliveries matching f by channel and status.
// The indexes of migration 13 carry channel and status, so a time range
// (of every estate or of some) is counted from the index alone.
func (s *Store) CountDeliveries(ctx context.Context, f outreach.Filter) ([]outreach.DeliveryCount, error) {
	f, err := normalize.Filter(f)
	if err != nil {
		return nil, fmt.Errorf("count deliveries: %w", err)
	}
	query, args := sqlq.CountDeliveries(sqlq.SQLite, f)
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("count deliveries: %w", err)
	}
	defer rows.Close()
	var out []outreach.DeliveryCount
	for rows.Next() {
		var c outreach.DeliveryCount
		if err := rows.Scan(&c.Channel, &c.Status, &c.Count); err != nil {
			return nil, fmt.Errorf("count deliveries: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count deliveries: %w", err)
	}
	return out, nil
}

// FailureReasons groups the errors of the newest failed and undelivered
// deliveries matching f: one query per status, each reading the newest
// f.Limit of deliveries_status_created backwards.
func (s *Store) FailureReasons(ctx context.Context, f outreach.Filter) ([]outreach.ReasonCount, error) {
	if f.Limit == 0 {
		f.Limit = outreach.DefaultReasonSample
	}
	f.After = outreach.Cursor{}
	var out []outreach.ReasonCount
	for _, st := range []outreach.Status{outreach.StatusFailed, outreach.StatusUndelivered} {
		f.Status = st
		nf, err := normalize.Filter(f)
		if err != nil {
			return nil, fmt.Errorf("failure reasons: %w", err)
		}
		query, args := sqlq.FailureReasons(sqlq.SQLite, nf)
		rows, err := s.read.QueryContext(ctx, query, args...)
		if err != nil {
			return nil, fmt.Errorf("failure reasons: %w", err)
		}
		for rows.Next() {
			rc := outreach.ReasonCount{Status: st}
			if err := rows.Scan(&rc.Error, &rc.Count); err != nil {
				rows.Close()
				return nil, fmt.Errorf("failure reasons: %w", err)
			}
			out = append(out, rc)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("failure reasons: %w", err)
		}
	}
	normalize.SortReasons(out)
	return out, nil
}
