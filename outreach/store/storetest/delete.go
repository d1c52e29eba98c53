package storetest

import (
	"errors"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

func testDeleteDeliveries(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	a, b, c := delivery("a", "j1", "r1"), delivery("b", "j1", "r2"), delivery("c", "j2", "r1")
	a.Campaign, b.Campaign = "bench", "bench"
	mustRecord(t, s, a, b, c)
	if _, err := s.DeleteDeliveries(t.Context(), outreach.Filter{Limit: 10}); !errors.Is(err, outreach.ErrUnfiltered) {
		t.Errorf("DeleteDeliveries with an empty filter = %v, want ErrUnfiltered", err)
	}
	n, err := s.DeleteDeliveries(t.Context(), outreach.Filter{Campaign: "bench"})
	if err != nil || n != 2 {
		t.Fatalf("DeleteDeliveries = %d, %v; want 2", n, err)
	}
	if got := ids(mustSearch(t, s, outreach.Filter{})); len(got) != 1 || got[0] != "c" {
		t.Errorf("left after delete: %v, want [c]", got)
	}
}

func testDeleteResidents(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	if _, err := s.UpsertResidents(t.Context(), []outreach.Resident{
		{ID: "r1", Name: "A", Email: "a@example.com"}, {ID: "r2", Name: "B", Email: "b@example.com"}, {ID: "r3", Name: "C", Email: "c@example.com"},
	}); err != nil {
		t.Fatal(err)
	}
	n, err := s.DeleteResidents(t.Context(), []string{"r1", "r3", "nobody"})
	if err != nil || n != 2 {
		t.Fatalf("DeleteResidents = %d, %v; want 2", n, err)
	}
	if _, err := s.Resident(t.Context(), "r1"); !errors.Is(err, outreach.ErrNotFound) {
		t.Errorf("deleted resident still found: %v", err)
	}
	if _, err := s.Resident(t.Context(), "r2"); err != nil {
		t.Errorf("kept resident lost: %v", err)
	}
}
