package postgres_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/postgres"
)

// BenchmarkArchiveSearch10M measures archive search on a large archive:
// the first page and a deep page (after 50,000 matches, or half of them
// when fewer) of each filter staff use, through Store.Search, 50 rows a
// page. It prints the EXPLAIN ANALYZE plan of each (run with -v) to show
// which index serves it.
//
// OUTREACH_BENCH_ROWS sets the archive's size (default 100000; the figures
// in docs/archive.md are for 10000000). The rows are loaded once with COPY
// into a schema of their own, outreach_bench_archive_<rows>, which is kept
// for the next run; OUTREACH_BENCH_DROP=1 drops it at the end.
//
//	OUTREACH_BENCH_ROWS=10000000 go test -run XXX -bench ArchiveSearch10M -benchtime 200x -v ./outreach/store/postgres
func BenchmarkArchiveSearch10M(b *testing.B) {
	rows := 100_000
	if v := os.Getenv("OUTREACH_BENCH_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1000 {
			b.Fatalf("OUTREACH_BENCH_ROWS=%q: want a whole number of at least 1000", v)
		}
		rows = n
	}
	ctx := context.Background()
	schema := fmt.Sprintf("outreach_bench_archive_%d", rows)
	s, err := postgres.OpenSchema(ctx, withParam(databaseURL(), "pool_max_conns=4"), schema)
	if err != nil {
		b.Fatalf("OpenSchema: %v", err)
	}
	defer s.Close()
	conn, err := pgx.Connect(ctx, withParam(databaseURL(), "search_path="+schema))
	if err != nil {
		b.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if os.Getenv("OUTREACH_BENCH_DROP") == "1" {
		defer func() {
			if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
				b.Errorf("drop %s: %v", schema, err)
			}
		}()
	}
	if err := loadArchive(ctx, b, conn, rows); err != nil {
		b.Fatalf("load %d rows: %v", rows, err)
	}

	mid := benchStart.Add(time.Duration(rows/2) * benchStep)
	someone := benchResidentOf(rows / 2) // a resident, and where they live
	filters := []struct {
		name string
		f    outreach.Filter
	}{
		{"all", outreach.Filter{}},
		{"resident", outreach.Filter{ResidentID: benchResident(someone)}},
		{"building", outreach.Filter{Building: benchBuilding(someone)}},
		{"building_unit", outreach.Filter{Building: benchBuilding(someone), Unit: benchUnit(someone)}},
		{"campaign", outreach.Filter{Campaign: "camp-042"}},
		{"kind", outreach.Filter{Kind: outreach.KindMaintenanceNotice}},
		{"channel", outreach.Filter{Channel: outreach.ChannelSMS}},
		{"status_failed", outreach.Filter{Status: outreach.StatusFailed}},
		{"week", outreach.Filter{Since: mid, Until: mid.Add(7 * 24 * time.Hour)}},
		{"kind_status_week", outreach.Filter{Kind: outreach.KindHolidayGreeting, Status: outreach.StatusDelivered, Since: mid, Until: mid.Add(7 * 24 * time.Hour)}},
	}
	const page = 50
	for _, tt := range filters {
		f := tt.f
		f.Limit = page
		deep, matches, err := deepCursor(ctx, conn, f)
		if err != nil {
			b.Fatalf("%s: deep cursor: %v", tt.name, err)
		}
		for _, p := range []struct {
			name  string
			after outreach.Cursor
		}{{"first", outreach.Cursor{}}, {"deep", deep}} {
			f := f
			f.After = p.after
			b.Run(tt.name+"/"+p.name, func(b *testing.B) {
				explainOnce(ctx, b, conn, tt.name+"/"+p.name, f, matches)
				for b.Loop() {
					ds, err := s.Search(ctx, f)
					if err != nil {
						b.Fatal(err)
					}
					if len(ds) == 0 {
						b.Fatalf("no rows for %+v", f)
					}
				}
			})
		}
	}
}

// The generated archive: one delivery every benchStep from benchStart,
// 50,000 residents in 40 buildings, jobs of 100 deliveries, 200 campaigns
// sending 5% of them, and the kinds, channels and statuses mixed as a
// property manager's archive would be.
var (
	benchStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	benchStep  = 6 * time.Second // 10 million rows span about two years
)

const (
	benchResidents = 50_000
	benchBuildings = 40
)

func benchResident(k int) string { return fmt.Sprintf("r%06d", k%benchResidents) }

// benchResidentOf is the resident of row i: each job of 100 rows reaches
// 100 different residents, and every resident gets rows from all over.
func benchResidentOf(i int) int { return (i/100*7919 + i*104729) % benchResidents }

// benchBuilding is the building of resident k.
func benchBuilding(k int) string { return strconv.Itoa(k%benchBuildings + 1) }

// benchUnit is the unit of resident k: 30 floors, 4 flats a floor, per building.
func benchUnit(k int) string {
	n := (k / benchBuildings) % 120
	return fmt.Sprintf("%d%02d", n/4+1, n%4+1)
}

// pick returns items[i] by the weights (per hundred), deterministically in x.
func pick[T any](x int, items []T, weights []int) T {
	x %= 100
	for i, w := range weights {
		if x < w {
			return items[i]
		}
		x -= w
	}
	return items[len(items)-1]
}

var (
	benchKinds    = []outreach.Kind{outreach.KindMaintenanceNotice, outreach.KindHolidayGreeting, outreach.KindSatisfactionCallback, outreach.KindFollowUp}
	benchChannels = []outreach.Channel{outreach.ChannelEmail, outreach.ChannelSMS, outreach.ChannelWeCom}
	benchStatuses = []outreach.Status{outreach.StatusSent, outreach.StatusDelivered, outreach.StatusQueued, outreach.StatusFailed,
		outreach.StatusSuppressed, outreach.StatusDeferred, outreach.StatusRetrying, outreach.StatusUndelivered}
	benchBody = strings.Repeat("尊敬的住户您好，3号楼将于周五9:00至12:00停水检修，请提前储水。", 2)
)

// loadArchive fills the schema with rows generated deliveries, unless a
// previous run did. The search indexes are dropped during the COPY and
// built again after it (exactly as migration 5 defines them: their
// definitions are read back from pg_indexes), which is how a bulk load is
// done; the history triggers are off during it, so delivery_events stays
// empty (search does not read it).
func loadArchive(ctx context.Context, b *testing.B, conn *pgx.Conn, rows int) error {
	var have int64
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM deliveries`).Scan(&have); err != nil {
		return err
	}
	if have == int64(rows) {
		b.Logf("reusing the %d rows loaded before", have)
		return nil
	}
	if have != 0 {
		return fmt.Errorf("the schema holds %d rows, not %d: drop it (OUTREACH_BENCH_DROP=1)", have, rows)
	}
	idx, err := pgx.CollectRows(mustQuery(ctx, conn, `SELECT indexname, indexdef FROM pg_indexes
		WHERE schemaname = current_schema() AND tablename = 'deliveries' AND indexname <> 'deliveries_pkey'`),
		pgx.RowToStructByPos[struct{ Name, Def string }])
	if err != nil {
		return err
	}
	for _, ix := range idx {
		if _, err := conn.Exec(ctx, "DROP INDEX "+pgx.Identifier{ix.Name}.Sanitize()); err != nil {
			return err
		}
	}
	if _, err := conn.Exec(ctx, `ALTER TABLE deliveries DISABLE TRIGGER USER`); err != nil {
		return err
	}

	start := time.Now()
	i := 0
	n, err := conn.CopyFrom(ctx, pgx.Identifier{"deliveries"},
		[]string{"id", "job_id", "resident_id", "building", "unit", "kind", "channel", "template", "template_version",
			"locale", "subject", "body", "status", "provider_id", "error", "attempts", "campaign", "created_at", "updated_at", "sent_at"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i == rows {
				return nil, nil
			}
			job := i / 100
			k := benchResidentOf(i)
			x := i * 2654435761 % 1000003                           // a well-mixed number for the weights
			kind := pick(job*37, benchKinds, []int{40, 30, 20, 10}) // one kind a job
			ch := pick(x, benchChannels, []int{55, 40, 5})
			st := pick(x/100, benchStatuses, []int{60, 25, 5, 4, 3, 1, 1, 1})
			campaign := ""
			if job%20 == 0 {
				campaign = fmt.Sprintf("camp-%03d", job/20%200)
			}
			created := benchStart.Add(time.Duration(i) * benchStep)
			var sent *time.Time
			errText := ""
			switch st {
			case outreach.StatusFailed, outreach.StatusUndelivered:
				errText = "twilio error 30003"
			case outreach.StatusSent, outreach.StatusDelivered, outreach.StatusQueued:
				t := created.Add(time.Second)
				sent = &t
			}
			jobID := fmt.Sprintf("job-%07d", job)
			row := []any{outreach.DeliveryID(jobID, benchResident(k), ch), jobID, benchResident(k),
				benchBuilding(k), benchUnit(k), string(kind), string(ch), string(kind), "v1",
				"zh-CN", "停水通知", benchBody, string(st), fmt.Sprintf("SM%032d", i), errText, 1, campaign,
				created, created.Add(time.Second), sent}
			i++
			if i%1_000_000 == 0 {
				b.Logf("copied %d rows in %s", i, time.Since(start).Round(time.Second))
			}
			return row, nil
		}))
	if err != nil {
		return err
	}
	copied := time.Since(start)
	b.Logf("COPY: %d rows in %s (%.0f rows/s)", n, copied.Round(time.Millisecond), float64(n)/copied.Seconds())

	if _, err := conn.Exec(ctx, `SET maintenance_work_mem = '256MB'`); err != nil {
		return err
	}
	for _, ix := range idx {
		t := time.Now()
		if _, err := conn.Exec(ctx, ix.Def); err != nil {
			return fmt.Errorf("%s: %w", ix.Def, err)
		}
		b.Logf("index %s built in %s", ix.Name, time.Since(t).Round(time.Millisecond))
	}
	if _, err := conn.Exec(ctx, `ALTER TABLE deliveries ENABLE TRIGGER USER`); err != nil {
		return err
	}
	t := time.Now()
	if _, err := conn.Exec(ctx, `VACUUM ANALYZE deliveries`); err != nil {
		return err
	}
	b.Logf("VACUUM ANALYZE in %s; load total %s", time.Since(t).Round(time.Millisecond), time.Since(start).Round(time.Second))
	return nil
}

func mustQuery(ctx context.Context, conn *pgx.Conn, sql string) pgx.Rows {
	rows, _ := conn.Query(ctx, sql) // CollectRows reports the error
	return rows
}

// deepCursor is the position after min(50,000, half) of f's matches,
// and how many there are.
func deepCursor(ctx context.Context, conn *pgx.Conn, f outreach.Filter) (outreach.Cursor, int64, error) {
	query, args, err := postgres.SearchQuery(f)
	if err != nil {
		return outreach.Cursor{}, 0, err
	}
	from := query[strings.Index(query, " FROM deliveries"):strings.Index(query, " ORDER BY")]
	var matches int64
	if err := conn.QueryRow(ctx, `SELECT count(*)`+from, args[:len(args)-1]...).Scan(&matches); err != nil {
		return outreach.Cursor{}, 0, err
	}
	offset := min(50_000, matches/2)
	var c outreach.Cursor
	err = conn.QueryRow(ctx, `SELECT created_at, id`+from+` ORDER BY created_at DESC, id DESC OFFSET `+
		strconv.FormatInt(offset, 10)+` LIMIT 1`, args[:len(args)-1]...).Scan(&c.CreatedAt, &c.ID)
	return c, matches, err
}

var explained sync.Map

// explainOnce logs the plan of the statement Search runs for f, once per
// name (the benchmark function runs several times).
func explainOnce(ctx context.Context, b *testing.B, conn *pgx.Conn, name string, f outreach.Filter, matches int64) {
	if _, seen := explained.LoadOrStore(name, true); seen {
		return
	}
	query, args, err := postgres.SearchQuery(f)
	if err != nil {
		b.Fatal(err)
	}
	rows, err := conn.Query(ctx, `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) `+query, args...)
	if err != nil {
		b.Fatal(err)
	}
	plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s (%d matches):\n  %s", name, matches, strings.Join(plan, "\n  "))
}
