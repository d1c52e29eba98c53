package storetest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

// BenchmarkRecord measures Record with batches of 100 new deliveries, the
// way the dispatcher archives, and reports deliveries per second.
func BenchmarkRecord(b *testing.B, s outreach.Store) {
	const batch = 100
	body := strings.Repeat("Dear resident, the water is off on Friday. ", 5)
	ds := make([]outreach.Delivery, batch)
	n := 0
	for b.Loop() {
		for i := range ds {
			n++
			ds[i] = delivery(fmt.Sprintf("bench-%09d", n), fmt.Sprintf("job-%d", n/1000), fmt.Sprintf("r-%d", n%5000))
			ds[i].Body = body
		}
		if err := s.Record(b.Context(), ds); err != nil {
			b.Fatalf("Record: %v", err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "deliveries/s")
}
