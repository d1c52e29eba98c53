package dispatch

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// countingEstates is an EstateStore that counts the lists read.
type countingEstates struct {
	outreach.EstateStore // only Estates is called
	list                 []outreach.Estate
	reads, single        atomic.Int64
	fail                 atomic.Bool
}

func (c *countingEstates) Estates(context.Context) ([]outreach.Estate, error) {
	c.reads.Add(1)
	if c.fail.Load() {
		return nil, errors.New("database is locked")
	}
	return c.list, nil
}

func (c *countingEstates) Estate(_ context.Context, id string) (outreach.Estate, error) {
	c.single.Add(1)
	if c.fail.Load() {
		return outreach.Estate{}, errors.New("database is locked")
	}
	for _, e := range c.list {
		if e.ID == id {
			return e, nil
		}
	}
	return outreach.Estate{}, fmt.Errorf("estate %q: %w", id, outreach.ErrNotFound)
}

// TestEstateCacheReadsOncePerTTL: a thousand messages to residents of two
// estates cost one read of the estate list; an estate added after the
// list was read is found (one query for it alone), an unknown one costs
// one query per look-up and is not found; when the store fails, the list
// read last serves.
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
	if n, m := store.reads.Load(), store.single.Load(); n != 1 || m != 0 {
		t.Errorf("%d list reads and %d single ones for 1000 look-ups, want 1 and 0", n, m)
	}
	if e := c.peek("sunshine"); e.Name != "阳光花园" || !e.hasQuiet {
		t.Errorf("peek(sunshine) = %+v, want its name and parsed quiet hours", e)
	}

	store.list = append(store.list, outreach.Estate{ID: "harbour", Name: "Harbour View"}) // added since
	for range 10 {
		if e, ok, err := c.get(ctx, "harbour"); !ok || err != nil || e.Name != "Harbour View" {
			t.Fatalf("get(harbour) = %+v, %v, %v; want the estate added after the list was read", e, ok, err)
		}
	}
	for range 3 {
		if _, ok, err := c.get(ctx, "nowhere"); ok || err != nil {
			t.Fatalf("get(nowhere) = %v, %v; want not found", ok, err)
		}
	}
	if n, m := store.reads.Load(), store.single.Load(); n != 1 || m != 4 {
		t.Errorf("%d list reads and %d single ones, want 1 and 4 (harbour once, nowhere thrice)", n, m)
	}

	stale := newEstateCache(store, time.Nanosecond)
	if _, ok, err := stale.get(ctx, "sunshine"); !ok || err != nil {
		t.Fatalf("first get: %v, %v", ok, err)
	}
	store.fail.Store(true)
	if e, ok, err := stale.get(ctx, "sunshine"); !ok || err != nil || e.Name != "阳光花园" {
		t.Errorf("with the store failing: %+v, %v, %v; want the list read last", e, ok, err)
	}
	if _, _, err := stale.get(ctx, "nowhere"); err == nil {
		t.Error("an unknown estate with the store failing: no error (it may exist)")
	}
	if _, _, err := newEstateCache(store, time.Hour).get(ctx, "sunshine"); err == nil {
		t.Error("a cache that never read the list and a failing store: no error")
	}
}

// blockingEstates is an EstateStore whose list read waits for release.
type blockingEstates struct {
	countingEstates
	entered chan struct{}
	release chan struct{}
}

func (b *blockingEstates) Estates(ctx context.Context) ([]outreach.Estate, error) {
	b.entered <- struct{}{}
	<-b.release
	return b.countingEstates.Estates(ctx)
}

// TestEstateCacheRefresh: a refresh reads the list for the look-ups that
// follow (none of them reads it again within the TTL), and while it
// waits for the store, look-ups are answered from the list read before,
// not held behind the read; a failed refresh keeps that list.
func TestEstateCacheRefresh(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := &blockingEstates{entered: make(chan struct{}), release: make(chan struct{})}
	store.list = []outreach.Estate{{ID: outreach.DefaultEstateID}, {ID: "sunshine", Name: "阳光花园"}}
	c := newEstateCache(store, time.Hour)

	done := make(chan error, 1)
	go func() { done <- c.refresh(ctx) }()
	<-store.entered
	close(store.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if e, ok, err := c.get(ctx, "sunshine"); !ok || err != nil || e.Name != "阳光花园" {
			t.Fatalf("get(sunshine) after a refresh = %+v, %v, %v", e, ok, err)
		}
	}
	if n := store.reads.Load(); n != 1 {
		t.Errorf("%d list reads for a refresh and 10 look-ups, want 1 (the refresh's)", n)
	}

	store.release = make(chan struct{})
	store.list = []outreach.Estate{{ID: outreach.DefaultEstateID}, {ID: "sunshine", Name: "Sunshine Garden"}}
	go func() { done <- c.refresh(ctx) }()
	<-store.entered // the second refresh waits for the store
	if e, ok, err := c.get(ctx, "sunshine"); !ok || err != nil || e.Name != "阳光花园" {
		t.Errorf("get(sunshine) during a refresh = %+v, %v, %v; want the list read before", e, ok, err)
	}
	close(store.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if e := c.peek("sunshine"); e.Name != "Sunshine Garden" {
		t.Errorf("peek(sunshine) after the second refresh = %q, want the new name", e.Name)
	}

	store.fail.Store(true)
	store.release = make(chan struct{})
	close(store.release)
	go func() { done <- c.refresh(ctx) }()
	<-store.entered
	if err := <-done; err == nil {
		t.Error("a refresh with the store failing: no error")
	}
	if e := c.peek("sunshine"); e.Name != "Sunshine Garden" {
		t.Errorf("peek(sunshine) after a failed refresh = %q, want the list read last", e.Name)
	}
}
