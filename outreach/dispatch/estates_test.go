package dispatch

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// countingEstates is an EstateStore that counts the lists read.
type countingEstates struct {
	outreach.EstateStore // only Estates is called
	list                 []outreach.Estate
	reads                atomic.Int64
	fail                 atomic.Bool
}

func (c *countingEstates) Estates(context.Context) ([]outreach.Estate, error) {
	c.reads.Add(1)
	if c.fail.Load() {
		return nil, errors.New("database is locked")
	}
	return c.list, nil
}

// TestEstateCacheReadsOncePerTTL: a thousand messages to residents of two
// estates cost one read of the estate list; an unknown estate costs at
// most one more (not one per job naming it); when the store fails, the
// list read last serves.
func TestEstateCacheReadsOncePerTTL(t *testing.T) {
	t.Parallel()
	store := &countingEstates{list: []outreach.Estate{
		{ID: outreach.DefaultEstateID},
		{ID: "sunshine", Name: "阳光花园", QuietHours: "22:00-07:00"},
	}}
	c := newEstateCache(store, time.Hour)
	ctx := t.Context()
	for i := range 1000 {
		id := []string{"", "sunshine"}[i%2]
		e, ok, err := c.get(ctx, id)
		if err != nil || !ok {
			t.Fatalf("get(%q) = %+v, %v, %v", id, e, ok, err)
		}
	}
	if n := store.reads.Load(); n != 1 {
		t.Errorf("%d reads for 1000 look-ups, want 1", n)
	}
	if e := c.peek("sunshine"); e.Name != "阳光花园" || !e.hasQuiet {
		t.Errorf("peek(sunshine) = %+v, want its name and parsed quiet hours", e)
	}
	for range 100 {
		if _, ok, err := c.get(ctx, "nowhere"); ok || err != nil {
			t.Fatalf("get(nowhere) = %v, %v; want not found", ok, err)
		}
	}
	if n := store.reads.Load(); n > 2 {
		t.Errorf("%d reads after 100 look-ups of an unknown estate, want at most 2", n)
	}

	stale := newEstateCache(store, time.Nanosecond)
	if _, ok, err := stale.get(ctx, "sunshine"); !ok || err != nil {
		t.Fatalf("first get: %v, %v", ok, err)
	}
	store.fail.Store(true)
	if e, ok, err := stale.get(ctx, "sunshine"); !ok || err != nil || e.Name != "阳光花园" {
		t.Errorf("with the store failing: %+v, %v, %v; want the list read last", e, ok, err)
	}
	if _, _, err := newEstateCache(store, time.Hour).get(ctx, "sunshine"); err == nil {
		t.Error("a cache that never read the list and a failing store: no error")
	}
}
