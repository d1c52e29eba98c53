package postgres_test

import (
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

// TestWarm: Warm leaves four connections open in the pool (its size
// here) and writes nothing: the archive write it readies runs with no
// rows and is rolled back; the store works as before afterwards.
func TestWarm(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openFresh(t) // pool_max_conns=4
	if err := s.Warm(ctx); err != nil {
		t.Fatal(err)
	}
	if got := s.IdleConns(); got != 4 {
		t.Errorf("idle connections after Warm: %d, want 4", got)
	}
	counts, err := s.CountDeliveries(ctx, outreach.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != 0 {
		t.Errorf("deliveries counted after Warm: %+v, want none", counts)
	}
	if _, err := s.UpsertResidents(ctx, []outreach.Resident{{ID: "r1", Name: "R", Email: "r@example.com"}}); err != nil {
		t.Fatal(err)
	}
	d := outreach.Delivery{ID: "d1", JobID: "j1", ResidentID: "r1", Channel: outreach.ChannelEmail, Kind: outreach.KindMaintenanceNotice, Status: outreach.StatusSent}
	if err := s.Record(ctx, []outreach.Delivery{d}); err != nil {
		t.Fatalf("Record after Warm: %v", err)
	}
	if got, err := s.OutcomesOf(ctx, []string{"j1"}); err != nil || len(got["j1"]) != 1 {
		t.Errorf("OutcomesOf(j1) after Warm = %+v, %v; want its delivery", got, err)
	}
}
