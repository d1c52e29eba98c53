package campaign

import (
	"testing"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/sqlite"
)

// BenchmarkExpand100k expands one occurrence of a campaign to 100 000
// residents: the SQLite directory walked by keyset pages, the jobs XADDed
// to real Redis in pipelined batches of 1000, the cursor noted after each.
//
//	go test -run x -bench Expand100k -benchtime 3x ./outreach/campaign/
func BenchmarkExpand100k(b *testing.B) {
	const n = 100_000
	st, err := sqlite.Open(b.Context(), b.TempDir()+"/outreach.db")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	seed(b, st, n)
	rdb, keys := testRedis(b)
	r := newRig(b, st, rdb, keys, "bench", t0)
	r.x.BatchSize = 1000

	for b.Loop() {
		b.StopTimer()
		if err := rdb.Del(b.Context(), keys.Bulk).Err(); err != nil {
			b.Fatal(err)
		}
		c, err := r.svc.Create(b.Context(), greetingSpec(outreach.Audience{All: true}))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if did, err := r.x.Expand(b.Context(), c.ID); err != nil || !did {
			b.Fatalf("Expand = %v, %v", did, err)
		}
		b.StopTimer()
		if got, _ := rdb.XLen(b.Context(), keys.Bulk).Result(); got != n {
			b.Fatalf("bulk lane holds %d jobs, want %d", got, n)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
}
