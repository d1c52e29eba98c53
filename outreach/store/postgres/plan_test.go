package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/postgres"
)

// TestOutcomesOfScansNoTableAsItGrows: a daemon looks up the outcomes of
// every read batch, from its start on an empty archive to a large one. A
// statement prepared once per connection gets, after five runs, a generic
// plan made for the table as it was then: on an empty deliveries table a
// sequential scan, kept while the table grew, so that every batch read the
// whole archive (in `outreach bench` a quarter of the PostgreSQL backends'
// CPU, growing with the square of the run). The look-up runs here, on one
// connection, as OutcomesOf runs it: ten times on the empty table, then
// once after the table has grown, and that last run must not scan the
// table.
func TestOutcomesOfScansNoTableAsItGrows(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	schema := freshSchema(t)
	s, err := postgres.OpenSchema(ctx, withParam(databaseURL(), "pool_max_conns=4"), schema)
	if err != nil {
		t.Fatalf("OpenSchema: %v", err)
	}
	defer s.Close()
	conn, err := pgx.Connect(ctx, withParam(databaseURL(), "search_path="+schema))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	ids := make([]string, 64)
	for i := range ids {
		ids[i] = fmt.Sprintf("job-%d", i*37)
	}
	run := func(db interface {
		Query(context.Context, string, ...any) (pgx.Rows, error)
	}) {
		t.Helper()
		rows, err := db.Query(ctx, postgres.OutcomesOfQuery, ids)
		if err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	for range 10 {
		run(conn)
	}
	sent := time.Now()
	for b := range 10 {
		batch := make([]outreach.Delivery, 200)
		for i := range batch {
			n := b*len(batch) + i
			batch[i] = outreach.Delivery{
				ID: fmt.Sprintf("d-%d", n), JobID: fmt.Sprintf("job-%d", n), ResidentID: "r-1",
				Kind: outreach.KindMaintenanceNotice, Channel: outreach.ChannelEmail, Template: "maintenance_notice",
				Locale: "en", Status: outreach.StatusSent, Attempts: 1, SentAt: &sent,
			}
		}
		if err := s.Record(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	// The view counts this backend's scans not yet reported, the ten
	// above too (on the empty table a scan is right): the difference is
	// the last run's.
	seqScans := func() (n int64) {
		t.Helper()
		if err := tx.QueryRow(ctx, `SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relid = 'deliveries'::regclass`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := seqScans()
	run(tx)
	if scans := seqScans() - before; scans != 0 {
		t.Errorf("the outcomes look-up of 64 jobs scanned the deliveries table (%d sequential scans) after it grew to 2000 rows: its plan was made for the empty table", scans)
	}
}
