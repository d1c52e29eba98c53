package postgres_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/postgres"
)

// BenchmarkRecordConcurrent is BenchmarkArchivePath's record-20 with four
// writers at once on a pool of four connections, as four recorders (or
// daemons) write: every batch is of the same campaign in the current
// hour, so they all change the same stored counts. It reports the time per
// batch across the writers (their throughput) and the CPU of the four
// backends per delivery.
func BenchmarkRecordConcurrent(b *testing.B) {
	const size, writers = 20, 4
	app := "bench-" + strings.ToLower(strconv.FormatInt(time.Now().UnixNano(), 36))
	s, err := postgres.OpenSchema(b.Context(), withParam(databaseURL(),
		fmt.Sprintf("pool_max_conns=%d&pool_min_conns=%d&application_name=%s", writers, writers, app)), freshSchema(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	conn, err := pgx.Connect(b.Context(), databaseURL())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close(b.Context()) })
	var pids []int
	for range 50 {
		rows, _ := conn.Query(b.Context(), "SELECT pid FROM pg_stat_activity WHERE application_name = $1", app)
		if pids, err = pgx.CollectRows(rows, pgx.RowTo[int]); err == nil && len(pids) == writers {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(pids) != writers {
		b.Fatalf("found %d backends of the store, want %d: %v", len(pids), writers, err)
	}
	cpu := func() time.Duration {
		var sum int64
		for _, pid := range pids {
			raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
			if err != nil {
				continue
			}
			f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
			u, _ := strconv.ParseInt(f[11], 10, 64)
			k, _ := strconv.ParseInt(f[12], 10, 64)
			sum += u + k
		}
		return time.Duration(sum) * 10 * time.Millisecond // USER_HZ 100
	}
	body := strings.Repeat("Dear resident, the water is off on Friday. ", 30)
	var n atomic.Int64
	b.SetParallelism(writers / 2) // GOMAXPROCS 2 on the bench machine: 4 writers
	start := cpu()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ds := make([]outreach.Delivery, size)
		for pb.Next() {
			for i := range ds {
				k := n.Add(1)
				sent := time.Now()
				ds[i] = outreach.Delivery{
					ID: fmt.Sprintf("bench-%09d", k), JobID: fmt.Sprintf("job-%09d", k), StreamID: "1764000000000-0",
					ResidentID: fmt.Sprintf("r-%d", k%5000), Kind: outreach.KindMaintenanceNotice, Channel: outreach.ChannelEmail,
					Template: "maintenance_notice", TemplateVersion: "v1", Locale: "en", Campaign: "bench",
					Subject: "Planned water cut", Body: body, Status: outreach.StatusSent,
					ProviderID: fmt.Sprintf("<%d@outreach>", k), Attempts: 1, SentAt: &sent,
				}
			}
			if err := s.Record(b.Context(), ds); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64((cpu()-start).Microseconds())/float64(b.N*size), "db-µs/delivery")
}
