package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

func testWalkVisitsEachOnceInOrder(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	// More than two pages, shuffled ids, every third in another campaign;
	// seven creation times, so that the time order is not the id order and
	// pages end inside a run of equal times.
	var ds, want []string
	var batch, spring []outreach.Delivery
	for i := range 2501 {
		id := fmt.Sprintf("w%05d", (i*7919)%2501)
		d := delivery(id, "job-"+id, "r1")
		d.CreatedAt = d.CreatedAt.Add(time.Duration((i*31)%7) * time.Second)
		if i%3 == 0 {
			d.Campaign = "other"
		} else {
			d.Campaign = "spring"
			spring = append(spring, d)
		}
		batch = append(batch, d)
	}
	mustRecord(t, s, batch...)
	slices.SortFunc(spring, func(a, b outreach.Delivery) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	for _, d := range spring {
		want = append(want, d.ID)
	}
	err := s.Walk(t.Context(), outreach.Filter{Campaign: "spring", Limit: 5}, func(d outreach.Delivery) error {
		ds = append(ds, d.ID)
		if d.Body == "" || d.JobID != "job-"+d.ID {
			t.Errorf("walked delivery %s lacks its fields: %+v", d.ID, d)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	if !slices.Equal(ds, want) {
		t.Errorf("Walk visited %d deliveries (first %v), want %d oldest first (created_at, then id)", len(ds), ds[:min(5, len(ds))], len(want))
	}
	n := 0
	if err := s.Walk(t.Context(), outreach.Filter{JobID: "nope"}, func(outreach.Delivery) error { n++; return nil }); err != nil || n != 0 {
		t.Errorf("Walk with no match = %d visits, %v", n, err)
	}
}

func testWalkStopsOnError(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	mustRecord(t, s, delivery("a", "j", "r1"), delivery("b", "j", "r2"), delivery("c", "j", "r3"))
	stop := errors.New("stop")
	var seen []string
	err := s.Walk(t.Context(), outreach.Filter{}, func(d outreach.Delivery) error {
		seen = append(seen, d.ID)
		if d.ID == "b" {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || !slices.Equal(seen, []string{"a", "b"}) {
		t.Errorf("Walk = %v after %v, want the callback's error after a, b", err, seen)
	}
}
