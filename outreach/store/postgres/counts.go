package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

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
	for _, st := range sqlq.CountStatements(sqlq.PostgreSQL, f) {
		rows, err := s.pool.Query(ctx, st.SQL, st.Args...)
		if err != nil {
			return nil, fmt.Errorf("count deliveries: %w", err)
		}
		var c outreach.DeliveryCount
		if _, err := pgx.ForEachRow(rows, []any{&c.Channel, &c.Status, &c.Count}, func() error {
			sum.Add(c)
			return nil
		}); err != nil {
			return nil, fmt.Errorf("count deliveries: %w", err)
		}
	}
	return sum.List(), nil
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

// countInserted is the part of Record's statement (upsertDeliveries, after
// its WITH written) that adds the deliveries it inserted to the stored
// counts of migration 17: one aggregated upsert per table for the whole
// batch, in key order, after the advisory lock every count writer takes
// (the migration says why). The rows it updated are counted by the
// trigger deliveries_log_status, which sees their old version.
const countInserted = `counted_campaigns AS (INSERT INTO campaign_counts AS c (campaign, status, n)
		SELECT campaign, status, n FROM (SELECT campaign, status, count(*) AS n FROM written
			WHERE inserted AND campaign <> '' GROUP BY campaign, status) g
		WHERE delivery_counts_lock() ORDER BY campaign, status
		ON CONFLICT (campaign, status) DO UPDATE SET n = c.n + excluded.n),
	counted_hours AS (INSERT INTO delivery_hour_counts AS c (hour, estate, channel, status, n)
		SELECT hour, estate, channel, status, n FROM (SELECT delivery_hour(created_at) AS hour, estate, channel, status,
			count(*) AS n FROM written WHERE inserted GROUP BY 1, 2, 3, 4) g
		WHERE delivery_counts_lock() ORDER BY hour, estate, channel, status
		ON CONFLICT (hour, estate, channel, status) DO UPDATE SET n = c.n + excluded.n)`

// CheckStoredCounts compares the stored counts of migration 17 with a
// recount of the rows (storetest's invariant; an operator's check). It
// reads both in one repeatable-read transaction, so that they agree on
// what was written.
func (s *Store) CheckStoredCounts(ctx context.Context) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("check stored counts: %w", err)
	}
	defer tx.Rollback(ctx)
	read := func(queries []string) (map[string]int64, error) {
		m := map[string]int64{}
		for _, q := range queries {
			rows, err := tx.Query(ctx, q)
			if err != nil {
				return nil, err
			}
			var (
				k string
				n int64
			)
			if _, err := pgx.ForEachRow(rows, []any{&k, &n}, func() error {
				m[k] += n
				return nil
			}); err != nil {
				return nil, err
			}
		}
		return m, nil
	}
	storedQ, recountQ := normalize.CountsQueries("delivery_hour(created_at)")
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
