package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
	"github.com/outreach-dev/outreach/outreach/store/internal/sqlq"
)

// CountDeliveries counts the deliveries matching f by channel and status.
// The time indexes of migration 13 include channel and status, so a time
// range (of every estate or of some) is an index-only scan.
func (s *Store) CountDeliveries(ctx context.Context, f outreach.Filter) ([]outreach.DeliveryCount, error) {
	query, args, err := countQuery(f)
	if err != nil {
		return nil, fmt.Errorf("count deliveries: %w", err)
	}
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("count deliveries: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (outreach.DeliveryCount, error) {
		var c outreach.DeliveryCount
		err := row.Scan(&c.Channel, &c.Status, &c.Count)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("count deliveries: %w", err)
	}
	return out, nil
}

// countQuery is the statement CountDeliveries runs for f.
func countQuery(f outreach.Filter) (string, []any, error) {
	f, err := normalize.Filter(f)
	if err != nil {
		return "", nil, err
	}
	query, args := sqlq.CountDeliveries(sqlq.PostgreSQL, f)
	return query, args, nil
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
		query, args, err := reasonsQuery(f)
		if err != nil {
			return nil, fmt.Errorf("failure reasons: %w", err)
		}
		rows, err := s.pool.Query(ctx, query, args...)
		if err != nil {
			return nil, fmt.Errorf("failure reasons: %w", err)
		}
		list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (outreach.ReasonCount, error) {
			rc := outreach.ReasonCount{Status: st}
			err := row.Scan(&rc.Error, &rc.Count)
			return rc, err
		})
		if err != nil {
			return nil, fmt.Errorf("failure reasons: %w", err)
		}
		out = append(out, list...)
	}
	normalize.SortReasons(out)
	return out, nil
}

// reasonsQuery is one status's statement of FailureReasons.
func reasonsQuery(f outreach.Filter) (string, []any, error) {
	f, err := normalize.Filter(f)
	if err != nil {
		return "", nil, err
	}
	query, args := sqlq.FailureReasons(sqlq.PostgreSQL, f)
	return query, args, nil
}
