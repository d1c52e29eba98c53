package queue_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/queue"
)

// TestMiniredis runs the commands and the Lua script against miniredis, which
// `outreach dev` uses. Its XINFO GROUPS lag is not Redis's (it does not fall
// as the group reads); Stats counts the lag itself there.
func TestMiniredis(t *testing.T) {
	t.Parallel()
	srv := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	e := newEnvOn(t, rdb, queue.NewKeys("", ""), queue.ConsumerOptions{MinIdle: 50 * time.Millisecond})
	ctx := t.Context()

	e.enqueue(t, "mini", 3)
	got := readN(t, e.c, 3)

	if err := e.c.Schedule(ctx, got[0], time.Now().Add(-time.Second), 1); err != nil {
		t.Fatal(err)
	}
	if err := e.c.Schedule(ctx, got[1], time.Now().Add(time.Hour), 1); err != nil {
		t.Fatal(err)
	}
	if moved, err := e.c.PromoteDue(ctx, time.Now(), 10); err != nil || moved != 1 {
		t.Fatalf("PromoteDue = %d, %v; want 1", moved, err)
	}
	retry := readN(t, e.c, 1)[0]
	if jobID(t, retry.Job) != "mini-0" || retry.Attempt != 1 {
		t.Errorf("retry = %+v, want mini-0 at attempt 1", retry)
	}
	if err := e.c.DeadLetter(ctx, retry, outreach.ReasonRetriesExhausted, errors.New("gave up")); err != nil {
		t.Fatal(err)
	}

	// got[2] is still pending: another daemon claims it.
	other := e.consumer(queue.ConsumerOptions{Name: "c2", MinIdle: 50 * time.Millisecond})
	time.Sleep(100 * time.Millisecond)
	claimed, err := other.Claim(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(claimed) != 1 || claimed[0].ID != got[2].ID {
		t.Fatalf("claimed %v, want %s", ids(claimed), got[2].ID)
	}

	s, err := e.c.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Length != 4 || s.Lag != 0 || s.Pending != 1 || s.Dead != 1 || s.Delayed != 1 {
		t.Errorf("Stats = %+v, want Length 4, Lag 0, Pending 1, Dead 1, Delayed 1", s)
	}
	e.enqueue(t, "mini-late", 2)
	if s, err := e.c.Stats(ctx); err != nil || s.Lag != 2 {
		t.Errorf("Stats after 2 more = %+v, %v; want Lag 2", s, err)
	}
	if err := other.Ack(ctx, claimed[0].ID); err != nil {
		t.Fatal(err)
	}
	if n := e.pending(t); n != 0 {
		t.Errorf("pending = %d, want 0", n)
	}
}

// TestMiniredisLanes runs the lanes, the held sets, the frequency cap and
// leases against miniredis, which `outreach dev` uses.
func TestMiniredisLanes(t *testing.T) {
	t.Parallel()
	srv := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	e := newEnvOn(t, rdb, queue.NewKeys("", ""), queue.ConsumerOptions{Count: 10})
	ctx := t.Context()

	if _, err := e.p.EnqueueBatch(ctx, []outreach.Job{jobWith("b", outreach.PriorityBulk), jobWith("n", ""), jobWith("u", outreach.PriorityUrgent)}); err != nil {
		t.Fatal(err)
	}
	var order []string
	for range 3 {
		got := readN(t, e.c, 1)
		order = append(order, jobID(t, got[0].Job))
		switch got[0].Lane {
		case "urgent":
			if err := e.c.Schedule(ctx, got[0], time.Now().Add(-time.Second), 1); err != nil {
				t.Fatal(err)
			}
		case "bulk":
			if err := e.c.Hold(ctx, got[0], "c1"); err != nil {
				t.Fatal(err)
			}
		default:
			if err := e.c.AckRefs(ctx, got[0].Ref()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if fmt.Sprint(order) != "[u n b]" {
		t.Errorf("read order %v, want [u n b]", order)
	}
	if n, err := e.c.ReleaseHeld(ctx, "c1", time.Now().Add(-time.Second), 0); err != nil || n != 1 {
		t.Fatalf("ReleaseHeld = %d, %v; want 1", n, err)
	}
	if n, err := e.c.PromoteDue(ctx, time.Now(), 10); err != nil || n != 2 {
		t.Fatalf("PromoteDue = %d, %v; want 2", n, err)
	}
	first := readN(t, e.c, 1)[0]
	second := readN(t, e.c, 1)[0]
	if first.Lane != "urgent" || second.Lane != "bulk" {
		t.Errorf("promoted to lanes %s, %s; want urgent, bulk", first.Lane, second.Lane)
	}
	if got, err := e.c.ReserveBulk(ctx, "r", "m1", time.Now(), 1, 0); err != nil || got != "" {
		t.Errorf("ReserveBulk = %q, %v", got, err)
	}
	if got, err := e.c.ReserveBulk(ctx, "r", "m2", time.Now(), 1, 0); err != nil || got != outreach.PolicyDailyCap {
		t.Errorf("ReserveBulk over the cap = %q, %v", got, err)
	}
	if ok, err := e.c.Lease(ctx, "x", time.Minute); err != nil || !ok {
		t.Errorf("Lease = %v, %v", ok, err)
	}
	if _, err := e.c.Stats(ctx); err != nil {
		t.Errorf("Stats: %v", err)
	}
}
