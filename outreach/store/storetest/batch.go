package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
)

// testResidentsByID: one call returns what Resident returns for each known
// id, and leaves out unknown and invalid ids.
func testResidentsByID(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	var rs []outreach.Resident
	for i := range 700 { // more than one SQLite chunk
		r := resident(fmt.Sprintf("r%03d", i))
		r.Email, r.Locale, r.Tags = fmt.Sprintf("r%03d@example.com", i), "en", []string{"elderly"}
		rs = append(rs, r)
	}
	if _, err := s.UpsertResidents(t.Context(), rs); err != nil {
		t.Fatal(err)
	}
	ids := []string{"r000", "unknown", "r699", "r000", "r350", "bad\x00id"}
	for i := 0; i < 700; i += 2 {
		ids = append(ids, fmt.Sprintf("r%03d", i))
	}
	got, err := s.ResidentsByID(t.Context(), ids)
	if err != nil {
		t.Fatalf("ResidentsByID: %v", err)
	}
	want := map[string]bool{}
	for _, id := range ids {
		if id != "unknown" && id != "bad\x00id" {
			want[id] = true
		}
	}
	if len(got) != len(want) {
		t.Errorf("ResidentsByID returned %d residents, want %d", len(got), len(want))
	}
	for id := range want {
		one, err := s.Resident(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if d := residentDiff(got[id], one); d != "" {
			t.Errorf("ResidentsByID[%s] differs from Resident(%s): %s", id, id, d)
		}
	}
	if got, err := s.ResidentsByID(t.Context(), nil); err != nil || len(got) != 0 {
		t.Errorf("ResidentsByID(nil) = %v, %v; want none", got, err)
	}
}

// testOutcomesOf: one call returns, per job, what Outcomes returns for it,
// once however often the job is asked for (a read batch may hold a job
// twice).
func testOutcomesOf(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	var ds []outreach.Delivery
	var jobs []string
	for j := range 600 { // more than one SQLite chunk
		job := fmt.Sprintf("job-%03d", j)
		jobs = append(jobs, job)
		for r := range j % 3 { // jobs with 0, 1 and 2 deliveries
			d := delivery(outreach.DeliveryID(job, fmt.Sprintf("r%d", r), outreach.ChannelEmail), job, fmt.Sprintf("r%d", r))
			if r == 1 {
				d.Status, d.SentAt = outreach.StatusFailed, nil
			}
			ds = append(ds, d)
		}
	}
	mustRecord(t, s, ds...)
	asked := append(slices.Clone(jobs), "unknown")
	asked = append(asked, jobs[:50]...)
	got, err := s.OutcomesOf(t.Context(), asked)
	if err != nil {
		t.Fatalf("OutcomesOf: %v", err)
	}
	sortOutcomes := func(os []outreach.Outcome) []outreach.Outcome {
		slices.SortFunc(os, func(a, b outreach.Outcome) int {
			return strings.Compare(a.ResidentID+"/"+string(a.Channel), b.ResidentID+"/"+string(b.Channel))
		})
		return os
	}
	for _, job := range jobs {
		one, err := s.Outcomes(t.Context(), job)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(sortOutcomes(got[job]), sortOutcomes(one)) {
			t.Errorf("OutcomesOf[%s] = %+v, Outcomes(%s) = %+v", job, got[job], job, one)
		}
	}
	if _, ok := got["unknown"]; ok || len(got) != 400 {
		t.Errorf("OutcomesOf has %d jobs (unknown: %v), want the 400 with deliveries", len(got), ok)
	}
	if got, err := s.OutcomesOf(t.Context(), nil); err != nil || len(got) != 0 {
		t.Errorf("OutcomesOf(nil) = %v, %v; want none", got, err)
	}
}
