package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/internal/normalize"
	"github.com/outreach-dev/outreach/outreach/store/internal/sqlq"
)

// CountDeliveries counts the deliveries matching f by channel and status:
// from the stored counts of migrations 17 and 18 when f filters on estates,
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
// its WITH written) that counts the deliveries it inserted: it appends one
// delta row per key of the batch to each table of migration 18, without a
// lock and without touching a row another writer could touch. The rows
// it updated are counted by the trigger deliveries_log_status, which sees
// their old version.
const countInserted = `counted_campaigns AS (INSERT INTO campaign_count_deltas (campaign, status, n)
		SELECT campaign, status, count(*) FROM written
		WHERE inserted AND campaign <> '' GROUP BY campaign, status),
	counted_hours AS (INSERT INTO delivery_hour_count_deltas (hour, estate, channel, status, n)
		SELECT delivery_hour(created_at), estate, channel, status, count(*) FROM written
		WHERE inserted GROUP BY 1, 2, 3, 4)`

// compactInterval is how often the store folds the count deltas into the
// compacted rows (compactCounts): at a few hundred deliveries a second a
// reader sums a few hundred delta rows at most.
const compactInterval = time.Second

// CompactCounts folds the count deltas of migration 18 into the compacted
// counts, in one transaction (compact_delivery_counts), and reports
// whether it did: false when another session was folding. What the
// readers return does not change. The store calls it every
// compactInterval from Open to Close; tests and operators may call it
// any time.
func (s *Store) CompactCounts(ctx context.Context) (bool, error) {
	var done bool
	if err := s.pool.QueryRow(ctx, `SELECT compact_delivery_counts()`).Scan(&done); err != nil {
		return false, fmt.Errorf("compact stored counts: %w", err)
	}
	return done, nil
}

// vacuumEvery is how many compaction rounds pass between two vacuums of
// the delta tables (VacuumCounts): a minute at compactInterval.
const vacuumEvery = 60

// VacuumCounts vacuums the two count-delta tables of migration 18. Every
// compaction deletes all their rows, so they churn like a queue: until a
// vacuum reclaims the dead rows, every reader's scan of the deltas (they
// have no index) reads them too, and the tables grow with every delta
// ever written. Autovacuum does this where it runs, but it can be off
// (it is on some test and benchmark servers), so the store does not rely
// on it. SKIP_LOCKED leaves a table another session is vacuuming to it.
func (s *Store) VacuumCounts(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, `VACUUM (SKIP_LOCKED) campaign_count_deltas, delivery_hour_count_deltas`); err != nil {
		return fmt.Errorf("vacuum count deltas: %w", err)
	}
	return nil
}

// compactCounts runs CompactCounts every interval (and VacuumCounts every
// vacuumEvery rounds) until ctx is done, then closes done. An error is not
// fatal: the deltas stay and the next round folds them (the readers are
// right either way); it is logged once per run of failures.
func (s *Store) compactCounts(ctx context.Context, interval time.Duration, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(interval)
	defer t.Stop()
	failing, rounds := false, 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		_, err := s.CompactCounts(ctx)
		if rounds++; err == nil && rounds%vacuumEvery == 0 {
			err = s.VacuumCounts(ctx)
		}
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			slog.Warn("postgres store: compacting or vacuuming stored counts failed; will retry", "err", err)
			failing = true
		case err == nil:
			failing = false
		}
	}
}

// CheckStoredCounts compares the stored counts of migrations 17 and 18
// (compacted rows plus deltas) with a recount of the rows (storetest's invariant; an operator's check). It
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
	// read sums by key: the deltas of migration 18 add to the compacted rows.
	storedQ = append(storedQ,
		`SELECT 'campaign ' || campaign || ' ' || status, n FROM campaign_count_deltas`,
		`SELECT 'hour ' || hour || ' ' || estate || ' ' || channel || ' ' || status, n FROM delivery_hour_count_deltas`)
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
