package sqlite

import (
	"context"
	"fmt"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
	"github.com/outreach-dev/outreach/outreach/store/internal/sqlq"
)

// CountDeliveries counts the deliveries matching f by channel and status:
// from the stored counts of migration 17 when f filters on estates,
// channel, status and time only, else from the rows (sqlq.CountStatements);
// the statements' rows are summed. Their time ranges do not overlap, so
// a write between two of them is counted once or not yet, never twice.
func (s *Store) CountDeliveries(ctx context.Context, f outreach.Filter) ([]outreach.DeliveryCount, error) {
	f, err := normalize.Filter(f)
	if err != nil {
		return nil, fmt.Errorf("count deliveries: %w", err)
	}
	var sum normalize.Counts
	for _, st := range sqlq.CountStatements(sqlq.SQLite, f) {
		if err := s.countRows(ctx, st, &sum); err != nil {
			return nil, fmt.Errorf("count deliveries: %w", err)
		}
	}
	return sum.List(), nil
}

// countRows adds the (channel, status, count) rows of st to sum.
func (s *Store) countRows(ctx context.Context, st sqlq.Statement, sum *normalize.Counts) error {
	rows, err := s.read.QueryContext(ctx, st.SQL, st.Args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var c outreach.DeliveryCount
		if err := rows.Scan(&c.Channel, &c.Status, &c.Count); err != nil {
			return err
		}
		sum.Add(c)
	}
	return rows.Err()
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

// CheckStoredCounts compares the stored counts of migration 17 with a
// recount of the rows (storetest's invariant; an operator's check), in
// one read transaction, so that both see the same writes.
func (s *Store) CheckStoredCounts(ctx context.Context) error {
	tx, err := s.read.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("check stored counts: %w", err)
	}
	defer tx.Rollback()
	read := func(queries []string) (map[string]int64, error) {
		m := map[string]int64{}
		for _, q := range queries {
			rows, err := tx.QueryContext(ctx, q)
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				var (
					k string
					n int64
				)
				if err := rows.Scan(&k, &n); err != nil {
					rows.Close()
					return nil, err
				}
				m[k] += n
			}
			err = rows.Err()
			rows.Close()
			if err != nil {
				return nil, err
			}
		}
		return m, nil
	}
	storedQ, recountQ := normalize.CountsQueries("(created_at / 3600000000)")
	stored, err := read(storedQ)
	if err != nil {
		return fmt.Errorf("check stored counts: %w", err)
	}
	recount, err := read(recountQ)
	if err != nil {
		return fmt.Errorf("check stored counts: %w", err)
	}
	return normalize.CheckCounts(stored, recount)
}
