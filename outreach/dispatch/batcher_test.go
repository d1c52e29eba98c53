package dispatch

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/queue"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// TestRecorderGroupsConcurrentWrites: deliveries handed over while a write
// is in progress go out together in the next write.
func TestRecorderGroupsConcurrentWrites(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var batches []int
	release := make(chan struct{})
	first := true
	store := recordFunc{fn: func(_ context.Context, ds []outreach.Delivery) error {
		mu.Lock()
		batches = append(batches, len(ds))
		wait := first
		first = false
		mu.Unlock()
		if wait {
			<-release // hold the first write until the others have queued
		}
		return nil
	}}
	r := newRecorder(t.Context(), store, discard, 100).start()
	var wg sync.WaitGroup
	wg.Go(func() { _ = r.Do(t.Context(), outreach.Delivery{ID: "first"}) })
	for len(r.in) > 0 || func() bool { mu.Lock(); defer mu.Unlock(); return len(batches) == 0 }() {
		time.Sleep(time.Millisecond)
	}
	for i := range 10 {
		wg.Go(func() { _ = r.Do(t.Context(), outreach.Delivery{ID: string(rune('a' + i))}) })
	}
	for len(r.in) < 10 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	r.close()
	if len(batches) != 2 || batches[0] != 1 || batches[1] != 10 {
		t.Errorf("write batches = %v, want [1 10]", batches)
	}
}

func TestRecorderReportsFailure(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk full")
	calls := 0
	r := newRecorder(t.Context(), recordFunc{fn: func(context.Context, []outreach.Delivery) error { calls++; return boom }}, discard, 10).start()
	err := r.Do(t.Context(), outreach.Delivery{ID: "x"})
	r.close()
	if !errors.Is(err, boom) {
		t.Errorf("Do = %v, want it to wrap %v", err, boom)
	}
	if calls != 5 {
		t.Errorf("store called %d times, want 5 tries", calls)
	}
}

// TestRecorderStopsRetryingAtGraceEnd: once the batcher's life ends (the
// shutdown grace period is over), a failing write is not tried again, and
// what is still queued is reported failed without a write.
func TestRecorderStopsRetryingAtGraceEnd(t *testing.T) {
	t.Parallel()
	life, end := context.WithCancel(t.Context())
	var mu sync.Mutex
	calls := 0
	store := recordFunc{fn: func(ctx context.Context, _ []outreach.Delivery) error {
		mu.Lock()
		calls++
		mu.Unlock()
		end() // the grace period ends during the first try
		return ctx.Err()
	}}
	r := newRecorder(life, store, discard, 10).start()
	if err := r.Do(t.Context(), outreach.Delivery{ID: "x"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Do = %v, want the grace period's end", err)
	}
	if err := r.Do(t.Context(), outreach.Delivery{ID: "y"}); err == nil {
		t.Errorf("Do after the grace period = nil, want an error")
	}
	r.close()
	if calls != 1 {
		t.Errorf("store called %d times, want 1 (no retry, no write after the grace period)", calls)
	}
}

// TestBatcherCloseFlushes: fire-and-forget items queued before close are
// flushed, in batches of at most maxBatch, and the settler's acks observed.
func TestBatcherCloseFlushes(t *testing.T) {
	t.Parallel()
	var got []queue.Ref
	var observed []int
	b := newSettler(t.Context(), func(_ context.Context, refs []queue.Ref, _ []queue.JobLock) error {
		got = append(got, refs...)
		return nil
	}, discard, 3, func(n int, _ time.Duration, err error) { observed = append(observed, n) })
	for i := range 7 {
		b.in <- batchItem[settlement]{v: settlement{ack: queue.Ref{ID: string(rune('a' + i))}}} // queued before the goroutine runs
		if i == 2 {
			b.start()
		}
	}
	b.close()
	if len(got) != 7 {
		t.Errorf("acked %v, want 7 refs", got)
	}
	total := 0
	for _, n := range observed {
		if n > 3 {
			t.Errorf("batch of %d, limit 3", n)
		}
		total += n
	}
	if total != 7 {
		t.Errorf("observed batches %v, want 7 refs in all", observed)
	}
}

// TestSettlerOneCall: the acks and the lock releases queued together go
// in one settle call, each to its own list.
func TestSettlerOneCall(t *testing.T) {
	t.Parallel()
	type call struct {
		refs  []queue.Ref
		locks []queue.JobLock
	}
	var calls []call
	b := newSettler(t.Context(), func(_ context.Context, refs []queue.Ref, locks []queue.JobLock) error {
		calls = append(calls, call{slices.Clone(refs), slices.Clone(locks)})
		return nil
	}, discard, 10, nil)
	b.Add(settlement{ack: queue.Ref{ID: "1-0"}})
	b.Add(settlement{unlock: queue.JobLock{JobID: "j1", Holder: "1-0"}})
	b.Add(settlement{unlock: queue.JobLock{JobID: "j2", Holder: "2-0"}})
	b.start().close()
	want := []call{{refs: []queue.Ref{{ID: "1-0"}}, locks: []queue.JobLock{{JobID: "j1", Holder: "1-0"}, {JobID: "j2", Holder: "2-0"}}}}
	if !reflect.DeepEqual(calls, want) {
		t.Errorf("settle calls %+v, want %+v", calls, want)
	}
}

// TestBatcherDoHonoursContext: a waiter whose context ends stops waiting.
func TestBatcherDoHonoursContext(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	b := newBatcher(t.Context(), 1, func(context.Context, []int) error { <-release; return nil }).start()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := b.Do(ctx, 1, 2); !errors.Is(err, context.Canceled) {
		t.Errorf("Do = %v, want context.Canceled", err)
	}
	if err := b.Do(t.Context()); err != nil {
		t.Errorf("Do of nothing = %v", err)
	}
	close(release)
	b.close()
}

// TestSettlerReportsFailure: a failed settle is logged, not returned.
func TestSettlerReportsFailure(t *testing.T) {
	t.Parallel()
	calls := 0
	u := newSettler(t.Context(), func(context.Context, []queue.Ref, []queue.JobLock) error { calls++; return errors.New("down") }, discard, 10, nil).start()
	u.Add(settlement{unlock: queue.JobLock{JobID: "j", Holder: "1-0"}})
	u.close()
	if calls != 1 {
		t.Errorf("settle called %d times, want 1", calls)
	}
}

// TestRecorderHoldsForCompany: under load (the last write had company) a
// batch waits for more records, up to archiveCompany of them, and a
// record queued with DoNow (an urgent job's) ends the wait at once.
func TestRecorderHoldsForCompany(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var batches []int
	written := make(chan struct{}, 10)
	store := recordFunc{fn: func(_ context.Context, ds []outreach.Delivery) error {
		mu.Lock()
		batches = append(batches, len(ds))
		mu.Unlock()
		written <- struct{}{}
		return nil
	}}
	r := newRecorder(t.Context(), store, discard, 100)
	r.hold, r.company = time.Minute, 4 // only a full batch or DoNow ends the wait
	var wg sync.WaitGroup
	wg.Go(func() { _ = r.Do(t.Context(), outreach.Delivery{ID: "a"}, outreach.Delivery{ID: "b"}) })
	for len(r.in) < 2 {
		time.Sleep(time.Millisecond)
	}
	r.start()
	<-written // [2]: the recorder is busy from here on
	for i := range 4 {
		wg.Go(func() { _ = r.Do(t.Context(), outreach.Delivery{ID: string(rune('c' + i))}) })
		time.Sleep(20 * time.Millisecond) // each would go alone without the hold
	}
	<-written
	start := time.Now()
	wg.Go(func() { _ = r.Do(t.Context(), outreach.Delivery{ID: "bulk"}) })
	time.Sleep(20 * time.Millisecond)
	if err := r.DoNow(t.Context(), outreach.Delivery{ID: "urgent"}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("DoNow returned after %v, want at once", took)
	}
	wg.Wait()
	r.close()
	if len(batches) != 3 || batches[0] != 2 || batches[1] != 4 || batches[2] != 2 {
		t.Errorf("write batches = %v, want [2 4 2]", batches)
	}
}
