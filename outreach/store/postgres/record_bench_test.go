package postgres_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/postgres"
)

// BenchmarkArchivePath measures the archive's part of a job the way the
// dispatcher uses it: Record in batches of 1, 10, 20, 35 and 100 new
// deliveries (the recorder's group commit writes whatever queued up, and
// under load waits a little for company; 35 is about the mean batch of
// `outreach bench` on the shared machine since it does, 20 before), and the
// lookups of a read batch: the residents of 64 jobs and the outcomes of
// 100 new jobs. Besides time it reports
// the CPU time of the PostgreSQL backend that served the store's one
// connection (read from /proc, so only with the server on this machine),
// per delivery or job: db-µs/delivery.
func BenchmarkArchivePath(b *testing.B) {
	body := strings.Repeat("Dear resident, the water is off on Friday. ", 30) // ~1.3 KB, as rendered
	n := 0
	next := func() outreach.Delivery {
		n++
		sent := time.Now()
		return outreach.Delivery{
			ID: fmt.Sprintf("bench-%09d", n), JobID: fmt.Sprintf("job-%09d", n), StreamID: "1764000000000-0",
			ResidentID: fmt.Sprintf("r-%d", n%5000), Kind: outreach.KindMaintenanceNotice, Channel: outreach.ChannelEmail,
			Template: "maintenance_notice", TemplateVersion: "v1", Locale: "en", Campaign: "bench",
			Subject: "Planned water cut", Body: body, Status: outreach.StatusSent,
			ProviderID: fmt.Sprintf("<%d@outreach>", n), Attempts: 1, SentAt: &sent,
		}
	}
	for _, size := range []int{1, 10, 20, 35, 100} {
		b.Run(fmt.Sprintf("record-%d", size), func(b *testing.B) {
			s, cpu := openMeasured(b)
			ds := make([]outreach.Delivery, size)
			start := cpu()
			for b.Loop() {
				for i := range ds {
					ds[i] = next()
				}
				if err := s.Record(b.Context(), ds); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((cpu()-start).Microseconds())/float64(b.N*size), "db-µs/delivery")
		})
	}
	b.Run("residents-64", func(b *testing.B) {
		// A read batch's residents: 64 of a directory of 1000, as
		// `outreach bench` cycles through them, in a table never analyzed.
		s, cpu := openMeasured(b)
		rs := make([]outreach.Resident, 1000)
		for i := range rs {
			rs[i] = outreach.Resident{ID: fmt.Sprintf("r-%04d", i), Name: "Resident", Email: fmt.Sprintf("r%d@example.com", i)}
		}
		if _, err := s.UpsertResidents(b.Context(), rs); err != nil {
			b.Fatal(err)
		}
		ids := make([]string, 64)
		start, k := cpu(), 0
		for b.Loop() {
			for i := range ids {
				ids[i] = rs[k%len(rs)].ID
				k += 7
			}
			if got, err := s.ResidentsByID(b.Context(), ids); err != nil || len(got) == 0 {
				b.Fatal(len(got), err)
			}
		}
		b.ReportMetric(float64((cpu()-start).Microseconds())/float64(b.N*len(ids)), "db-µs/job")
	})
	b.Run("outcomes-100", func(b *testing.B) {
		s, cpu := openMeasured(b)
		ids := make([]string, 100)
		start := cpu()
		for b.Loop() {
			for i := range ids {
				ids[i] = next().JobID
			}
			if _, err := s.OutcomesOf(b.Context(), ids); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64((cpu()-start).Microseconds())/float64(b.N*len(ids)), "db-µs/job")
	})
}

// openMeasured opens a fresh store on one connection and returns a
// function that reads the CPU time its backend has used so far.
func openMeasured(b *testing.B) (*postgres.Store, func() time.Duration) {
	b.Helper()
	app := "bench-" + strings.ToLower(strconv.FormatInt(time.Now().UnixNano(), 36))
	schema := freshSchema(b)
	s, err := postgres.OpenSchema(b.Context(), withParam(databaseURL(), "pool_max_conns=1&pool_min_conns=1&application_name="+app), schema)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	conn, err := pgx.Connect(b.Context(), databaseURL())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close(b.Context()) })
	var pid int
	if err := conn.QueryRow(b.Context(), "SELECT pid FROM pg_stat_activity WHERE application_name = $1", app).Scan(&pid); err != nil {
		b.Fatalf("find the store's backend: %v", err)
	}
	return s, func() time.Duration {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return 0
		}
		f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
		u, _ := strconv.ParseInt(f[11], 10, 64)
		k, _ := strconv.ParseInt(f[12], 10, 64)
		return time.Duration(u+k) * 10 * time.Millisecond
	}
}
