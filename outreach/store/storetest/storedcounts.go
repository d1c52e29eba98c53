package storetest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// countsChecker is a store that keeps stored counts of its deliveries
// (both do: migration 17) and can compare them with a recount of the
// rows.
type countsChecker interface {
	CheckStoredCounts(ctx context.Context) error
}

// countsCompactor is a store whose stored counts are compacted rows plus
// deltas that a compaction folds into them (PostgreSQL: migration 18).
// What the readers return must not depend on when it runs.
type countsCompactor interface {
	CompactCounts(ctx context.Context) (bool, error)
}

// testStoredCounts holds the invariant of the stored counts: after every
// kind of write to the archive (new deliveries, a Record that changes
// them, the same job recorded again, duplicates in one batch, provider
// reports, notes, purges, deletes, concurrent writers) they equal a
// COUNT(*) of the rows, and the counts the console reads from them
// (CountDeliveries, CampaignStatusCounts) equal a tally of Walk.
func testStoredCounts(t *testing.T, open func(t *testing.T) outreach.Store) {
	s := open(t)
	cc, ok := s.(countsChecker)
	if !ok {
		t.Fatalf("%T has no CheckStoredCounts", s)
	}
	ctx := t.Context()
	compactor, compacts := s.(countsCompactor)
	check := func(step string) {
		t.Helper()
		if err := cc.CheckStoredCounts(ctx); err != nil {
			t.Fatalf("after %s: %v", step, err)
		}
		checkCountReads(t, s, step)
		if !compacts {
			return
		}
		// The same after the deltas are folded (or while the store's
		// own compaction folds them: then this one may skip).
		if _, err := compactor.CompactCounts(ctx); err != nil {
			t.Fatalf("after %s: CompactCounts: %v", step, err)
		}
		if err := cc.CheckStoredCounts(ctx); err != nil {
			t.Fatalf("after %s and a compaction: %v", step, err)
		}
		checkCountReads(t, s, step+" and a compaction")
	}
	check("nothing")

	// New deliveries over three hours (one at :30), two estates, two
	// channels, two campaigns and none.
	var ds []outreach.Delivery
	for i := range 12 {
		d := delivery(fmt.Sprintf("c%02d", i), fmt.Sprintf("job%d", i%4), fmt.Sprintf("r%02d", i))
		d.Estate = []string{"north", "south"}[i%2]
		d.Channel = []outreach.Channel{outreach.ChannelEmail, outreach.ChannelSMS}[i%3%2]
		d.Campaign = []string{"", "spring", "autumn"}[i%3]
		d.Status = []outreach.Status{outreach.StatusQueued, outreach.StatusSent, outreach.StatusFailed, outreach.StatusSuppressed}[i%4]
		d.ProviderID = fmt.Sprintf("p%02d", i)
		d.CreatedAt = base.Add(time.Duration(i) * 20 * time.Minute) // base is at :30
		d.UpdatedAt = d.CreatedAt
		ds = append(ds, d)
	}
	mustRecord(t, s, ds...)
	check("new deliveries")

	// The same job recorded again (a redelivered job id): the same rows.
	mustRecord(t, s, ds[:4]...)
	check("the same deliveries again")

	// A Record that changes statuses, an estate, a channel and a
	// campaign, repeats an id in the batch and adds a delivery.
	changed := []outreach.Delivery{ds[0], ds[1], ds[2], ds[3], ds[3]}
	changed[0].Status = outreach.StatusSent
	changed[1].Estate = "south"
	changed[2].Channel = outreach.ChannelEmail
	changed[3].Campaign = "spring"
	changed[4].Campaign, changed[4].Status = "autumn", outreach.StatusDelivered
	extra := delivery("c99", "job9", "r99")
	extra.Campaign, extra.Estate = "spring", "north"
	changed = append(changed, extra)
	mustRecord(t, s, changed...)
	check("a Record that changes deliveries")

	// Provider reports: forward, repeated, late.
	for _, u := range []outreach.StatusUpdate{
		{ProviderID: "p00", Status: outreach.StatusDelivered},
		{ProviderID: "p00", Status: outreach.StatusDelivered},
		{ProviderID: "p05", Status: outreach.StatusUndelivered, Error: "twilio error 30003"},
		{ProviderID: "p05", Status: outreach.StatusSent},
	} {
		if _, _, err := s.UpdateStatus(ctx, u); err != nil {
			t.Fatalf("UpdateStatus(%+v): %v", u, err)
		}
	}
	check("provider reports")

	if _, err := s.SetNote(ctx, outreach.Filter{Estate: "north"}, "called back"); err != nil {
		t.Fatalf("SetNote: %v", err)
	}
	if _, err := s.PurgeContent(ctx, base.Add(time.Hour), 2); err != nil {
		t.Fatalf("PurgeContent: %v", err)
	}
	check("a note and a purge")

	if _, err := s.DeleteDeliveries(ctx, outreach.Filter{Campaign: "autumn"}); err != nil {
		t.Fatalf("DeleteDeliveries: %v", err)
	}
	if _, err := s.DeleteDeliveries(ctx, outreach.Filter{Until: base.Add(time.Hour)}); err != nil {
		t.Fatalf("DeleteDeliveries: %v", err)
	}
	check("deletes")

	// Concurrent writers: Records of overlapping batches (inserts and
	// updates of the same rows, so both of PostgreSQL's count phases) and
	// provider reports at once, and compactions among them.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	stop := make(chan struct{})
	if compacts {
		wg.Go(func() { errs <- compactUntil(ctx, compactor, stop) })
	}
	// A reader among them: the stored counts agree with the rows in
	// every snapshot, whatever was folded when.
	wg.Go(func() {
		for {
			select {
			case <-stop:
				errs <- nil
				return
			default:
			}
			if err := cc.CheckStoredCounts(ctx); err != nil {
				errs <- fmt.Errorf("during concurrent writes: %w", err)
				return
			}
		}
	})
	var writers sync.WaitGroup
	for w := range 4 {
		writers.Go(func() {
			for round := range 5 {
				var batch []outreach.Delivery
				for i := range 6 {
					d := delivery(fmt.Sprintf("w%02d", (w+i+round)%10), "jobw", "rw")
					d.Estate = []string{"north", "south"}[(i+round)%2]
					d.Campaign = "spring"
					d.Status = []outreach.Status{outreach.StatusQueued, outreach.StatusSent}[(w+round)%2]
					d.ProviderID = d.ID
					d.CreatedAt = base.Add(time.Duration(i) * time.Hour)
					batch = append(batch, d)
				}
				// In id order, as one daemon's batch of distinct jobs
				// would be: batches that lock the same rows in
				// different orders deadlock whatever the counts do.
				slices.SortFunc(batch, func(a, b outreach.Delivery) int { return strings.Compare(a.ID, b.ID) })
				if err := s.Record(ctx, batch); err != nil {
					errs <- fmt.Errorf("Record: %w", err)
					return
				}
				if _, _, err := s.UpdateStatus(ctx, outreach.StatusUpdate{ProviderID: batch[0].ID, Status: outreach.StatusDelivered}); err != nil {
					errs <- fmt.Errorf("UpdateStatus: %w", err)
					return
				}
			}
		})
	}
	writers.Wait()
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	check("concurrent writers")

	if !compacts {
		return
	}
	// Reads while the deltas of more writes are folded: each read sees
	// every delivery once, before the fold or after it.
	more := make([]outreach.Delivery, 0, 8)
	for i := range 8 {
		d := delivery(fmt.Sprintf("m%02d", i), "jobm", "rm")
		d.Estate, d.Campaign, d.Status = []string{"north", "south"}[i%2], "spring", outreach.StatusSent
		d.CreatedAt = base.Add(time.Duration(i) * 25 * time.Minute)
		more = append(more, d)
	}
	for round := range 3 {
		mustRecord(t, s, more[round:round+4]...)
		if _, _, err := s.UpdateStatus(ctx, outreach.StatusUpdate{ProviderID: "p04", Status: outreach.StatusDelivered}); err != nil {
			t.Fatalf("UpdateStatus: %v", err)
		}
		stop := make(chan struct{})
		done := make(chan error, 1)
		go func() { done <- compactUntil(ctx, compactor, stop) }()
		for range 3 {
			if err := cc.CheckStoredCounts(ctx); err != nil {
				t.Fatalf("during a compaction (round %d): %v", round, err)
			}
			checkCountReads(t, s, fmt.Sprintf("reads during a compaction (round %d)", round))
		}
		close(stop)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	check("reads during compactions")
}

// compactUntil compacts c's stored counts over and over until stop is
// closed.
func compactUntil(ctx context.Context, c countsCompactor, stop <-chan struct{}) error {
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		if _, err := c.CompactCounts(ctx); err != nil {
			return fmt.Errorf("CompactCounts: %w", err)
		}
	}
}

// checkCountReads compares what the console reads from the stored counts
// with a tally of every delivery (Walk): by channel and status over all
// time, since a whole hour and since a half hour (the part-hour counted
// from the rows), for one estate; and each campaign's progress.
func checkCountReads(t *testing.T, s outreach.Store, step string) {
	t.Helper()
	ctx := t.Context()
	type key struct {
		ch outreach.Channel
		st outreach.Status
	}
	filters := []outreach.Filter{
		{},
		{Since: base.Add(30 * time.Minute)},
		{Since: base.Add(50 * time.Minute), Until: base.Add(150 * time.Minute)},
		{Estates: []string{"south"}, Since: base.Add(-30 * time.Minute)},
		{Estate: "north", Channel: outreach.ChannelSMS},
	}
	tallies := make([]map[key]int64, len(filters))
	for i := range tallies {
		tallies[i] = map[key]int64{}
	}
	campaigns := map[string]map[outreach.Status]int64{"spring": {}, "autumn": {}}
	err := s.Walk(ctx, outreach.Filter{}, func(d outreach.Delivery) error {
		for i, f := range filters {
			if (!f.Since.IsZero() && d.CreatedAt.Before(f.Since)) || (!f.Until.IsZero() && !d.CreatedAt.Before(f.Until)) ||
				(f.Estate != "" && d.Estate != f.Estate) || (len(f.Estates) > 0 && d.Estate != f.Estates[0]) ||
				(f.Channel != "" && d.Channel != f.Channel) {
				continue
			}
			tallies[i][key{d.Channel, d.Status}]++
		}
		if c, ok := campaigns[d.Campaign]; ok {
			c[d.Status]++
		}
		return nil
	})
	if err != nil {
		t.Fatalf("after %s: Walk: %v", step, err)
	}
	for i, f := range filters {
		list, err := s.CountDeliveries(ctx, f)
		if err != nil {
			t.Fatalf("after %s: CountDeliveries(%+v): %v", step, f, err)
		}
		got := map[key]int64{}
		for _, c := range list {
			got[key{c.Channel, c.Status}] += c.Count
		}
		if !maps.Equal(got, tallies[i]) {
			t.Errorf("after %s: CountDeliveries(%+v) = %v, the rows %v", step, f, got, tallies[i])
		}
	}
	for id, want := range campaigns {
		got, err := s.CampaignStatusCounts(ctx, id)
		if err != nil {
			t.Fatalf("after %s: CampaignStatusCounts(%q): %v", step, id, err)
		}
		if !maps.Equal(got, want) {
			t.Errorf("after %s: CampaignStatusCounts(%q) = %v, the rows %v", step, id, got, want)
		}
	}
}
