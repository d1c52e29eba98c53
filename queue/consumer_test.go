package queue_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/queue"
	"github.com/outreach-dev/outreach/queue/queuetest"
)

func TestReadEntryWithoutJobField(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{})
	ctx := t.Context()
	tests := []struct {
		name        string
		values      []any
		wantJob     bool
		wantAttempt int
	}{
		{"no job field", []any{"payload", "{}"}, false, 0},
		{"empty job", []any{"job", ""}, true, 0},
		{"retry", []any{"job", "{}", "attempt", "3"}, true, 3},
		{"bad attempt", []any{"job", "{}", "attempt", "x"}, true, 0},
		{"negative attempt", []any{"job", "{}", "attempt", "-2"}, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sid, err := e.rdb.XAdd(ctx, &redis.XAddArgs{Stream: e.keys.Stream, Values: tt.values}).Result()
			if err != nil {
				t.Fatal(err)
			}
			got := readN(t, e.c, 1)[0]
			if got.ID != sid || got.HasJob != tt.wantJob || got.Attempt != tt.wantAttempt {
				t.Errorf("read %+v, want id %s HasJob %v Attempt %d", got, sid, tt.wantJob, tt.wantAttempt)
			}
			if !tt.wantJob && got.Job != nil {
				t.Errorf("Job = %q, want nil", got.Job)
			}
			if len(got.Fields) != len(tt.values)/2 || got.Fields[tt.values[0].(string)] != tt.values[1] {
				t.Errorf("Fields = %v, want %v", got.Fields, tt.values)
			}
		})
	}
}

func TestReadEmptyStreamReturnsNil(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{Block: 20 * time.Millisecond})
	got, err := e.c.Read(t.Context())
	if err != nil || got != nil {
		t.Errorf("Read on an empty stream = %v, %v; want nil, nil", got, err)
	}
}

func TestReadStopsAfterCancel(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{Block: 200 * time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())

	done := make(chan error, 1)
	go func() {
		for {
			if _, err := e.c.Read(ctx); err != nil {
				done <- err
				return
			}
		}
	}()
	time.Sleep(50 * time.Millisecond) // let a blocking read start
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("read loop ended with %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second): // a hang guard, far beyond one Block
		t.Fatal("Read did not return after the context was cancelled")
	}
}

func TestReadDeliversJobsAddedBeforeTheGroup(t *testing.T) {
	t.Parallel()
	rdb := newRedis(t)
	keys := queuetest.Keys(t, rdb, "queue", "g")
	p := queue.NewProducer(rdb, keys)
	sid, err := p.Enqueue(t.Context(), testJob("early"))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, rdb, keys, queue.ConsumerOptions{})
	if got := readN(t, e.c, 1); got[0].ID != sid {
		t.Errorf("read %s, want the job enqueued before the group, %s", got[0].ID, sid)
	}
	if err := e.c.EnsureGroup(t.Context()); err != nil {
		t.Errorf("EnsureGroup on an existing group: %v", err)
	}
}

func TestReadRecoversLostGroup(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{})
	ctx := t.Context()
	e.enqueue(t, "before", 2)
	if err := e.rdb.Del(ctx, e.keys.Stream).Err(); err != nil { // the group goes with it
		t.Fatal(err)
	}
	sid, err := e.p.Enqueue(ctx, testJob("after")) // recreates the stream, without group
	if err != nil {
		t.Fatal(err)
	}

	got := readN(t, e.c, 1)
	if got[0].ID != sid || jobID(t, got[0].Job) != "after" {
		t.Errorf("read %s (%s), want %s", got[0].ID, got[0].Job, sid)
	}
	if err := e.c.Ack(ctx, sid); err != nil {
		t.Fatal(err)
	}
	if n := e.pending(t); n != 0 {
		t.Errorf("pending = %d, want 0", n)
	}
}

func TestClaimTakesOverIdleEntries(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{Name: "dead-daemon"})
	ctx := t.Context()
	sids := e.enqueue(t, "idle", 3)
	readN(t, e.c, 3) // and never acked: the daemon dies

	other := e.consumer(queue.ConsumerOptions{Name: "survivor", MinIdle: 50 * time.Millisecond})
	time.Sleep(100 * time.Millisecond) // past MinIdle
	got, err := other.Claim(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(got), sids) {
		t.Fatalf("claimed %v, want %v", ids(got), sids)
	}
	if !got[0].HasJob || jobID(t, got[0].Job) != "idle-0" {
		t.Errorf("claimed entry %+v lacks its job", got[0])
	}
	owners, err := e.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{
		Stream: e.keys.Stream, Group: e.keys.Group, Start: "-", End: "+", Count: 10,
	}).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range owners {
		if p.Consumer != "survivor" {
			t.Errorf("entry %s pending with %s, want survivor", p.ID, p.Consumer)
		}
	}
	if err := other.Ack(ctx, ids(got)...); err != nil {
		t.Fatal(err)
	}
	if n := e.pending(t); n != 0 {
		t.Errorf("pending = %d, want 0", n)
	}
}

func TestClaimSweepsWithCursor(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{Name: "dead-daemon"})
	sids := e.enqueue(t, "sweep", 5)
	readN(t, e.c, 5)

	other := e.consumer(queue.ConsumerOptions{Name: "survivor", Count: 2, MinIdle: 50 * time.Millisecond})
	time.Sleep(100 * time.Millisecond)
	var claimed []string
	for range 3 {
		got, err := other.Claim(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > 2 {
			t.Errorf("claimed %d entries, want at most Count 2", len(got))
		}
		claimed = append(claimed, ids(got)...)
	}
	if !slices.Equal(claimed, sids) {
		t.Errorf("three sweeps claimed %v, want %v", claimed, sids)
	}
}

func TestClaimCleansUpDeletedEntries(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{Name: "dead-daemon"})
	ctx := t.Context()
	sids := e.enqueue(t, "gone", 2)
	readN(t, e.c, 2)
	if err := e.rdb.XDel(ctx, e.keys.Stream, sids[0]).Err(); err != nil {
		t.Fatal(err)
	}

	other := e.consumer(queue.ConsumerOptions{Name: "survivor", MinIdle: 50 * time.Millisecond})
	time.Sleep(100 * time.Millisecond)
	got, err := other.Claim(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(got), sids[1:]) {
		t.Fatalf("claimed %v, want only the live entry %s", ids(got), sids[1])
	}
	if n := e.pending(t); n != 1 {
		t.Errorf("pending = %d, want 1: the deleted entry must not stay pending", n)
	}
	if err := other.Ack(ctx, sids[1]); err != nil {
		t.Fatal(err)
	}
	if n := e.pending(t); n != 0 {
		t.Errorf("pending = %d, want 0", n)
	}
}

func TestAckNothingIsNoop(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{})
	if err := e.c.Ack(t.Context()); err != nil {
		t.Errorf("Ack() = %v, want nil", err)
	}
}

// TestClaimCountsDeliveries: every claim of an entry that is never acked
// (its consumers crash on it) raises its Deliveries, the read counting 1.
func TestClaimCountsDeliveries(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{Name: "crashing-daemon"})
	sids := e.enqueue(t, "poison", 1)
	if got := readN(t, e.c, 1); got[0].Deliveries != 0 {
		t.Errorf("read entry has Deliveries %d, want 0 (only Claim sets it)", got[0].Deliveries)
	}
	for want := 2; want <= 4; want++ {
		other := e.consumer(queue.ConsumerOptions{Name: fmt.Sprintf("crashing-%d", want), MinIdle: time.Millisecond})
		time.Sleep(5 * time.Millisecond) // past MinIdle
		got, err := other.Claim(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(got), sids) {
			t.Fatalf("claim %d took %v, want %v", want-1, ids(got), sids)
		}
		if got[0].Deliveries != want {
			t.Errorf("claim %d: Deliveries = %d, want %d", want-1, got[0].Deliveries, want)
		}
		if got[0].Attempt != 0 {
			t.Errorf("claim %d: Attempt = %d, want 0: claims are not retries", want-1, got[0].Attempt)
		}
	}
}

// An entry kept by its consumer (a long job in progress) is not claimed by
// another, and keeping it does not count as a delivery.
func TestKeepHoldsEntryWithoutCounting(t *testing.T) {
	t.Parallel()
	const minIdle = 200 * time.Millisecond
	e := newEnv(t, queue.ConsumerOptions{Name: "slow-daemon"})
	sids := e.enqueue(t, "long-job", 1)
	got := readN(t, e.c, 1)
	other := e.consumer(queue.ConsumerOptions{Name: "other-daemon", MinIdle: minIdle})
	time.Sleep(minIdle + 50*time.Millisecond) // idle long enough to be claimed...
	for range 2 {
		if err := e.c.Keep(t.Context(), got[0].Ref()); err != nil { // ...but kept
			t.Fatal(err)
		}
	}
	if claimed, err := other.Claim(t.Context()); err != nil {
		t.Fatal(err)
	} else if len(claimed) != 0 {
		t.Fatalf("another consumer claimed %v from one that kept it", ids(claimed))
	}
	time.Sleep(minIdle + 50*time.Millisecond) // now left alone past MinIdle
	claimed, err := other.Claim(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(claimed), sids) {
		t.Fatalf("claimed %v, want %v", ids(claimed), sids)
	}
	if claimed[0].Deliveries != 2 {
		t.Errorf("Deliveries = %d after one read, two keeps and one claim, want 2", claimed[0].Deliveries)
	}
}
