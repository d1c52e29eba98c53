package postgres_test

import (
	"fmt"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/store/postgres"
)

// BenchmarkMergeDuplicates folds a batch of the bench's mean size (35
// records, see BenchmarkArchivePath), first with distinct ids, as nearly
// every batch has, then with one id twice.
func BenchmarkMergeDuplicates(b *testing.B) {
	batch := make([]outreach.Delivery, 35)
	for i := range batch {
		batch[i] = outreach.Delivery{ID: fmt.Sprintf("bench-j%07d-email", i), Body: "a message body", Status: outreach.StatusSent}
	}
	dup := append([]outreach.Delivery(nil), batch...)
	dup[34].ID = dup[0].ID
	for _, c := range []struct {
		name string
		ds   []outreach.Delivery
		want int
	}{{"distinct", batch, 35}, {"one-twice", dup, 34}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if n := len(postgres.MergeDuplicates(c.ds)); n != c.want {
					b.Fatalf("%d records, want %d", n, c.want)
				}
			}
		})
	}
}
