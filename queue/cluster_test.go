package queue_test

import (
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/queue"
	"github.com/outreach-dev/outreach/queue/queuetest"
)

// TestCluster runs the multi-key calls (MULTI/EXEC, Lua) against the Redis
// Cluster of OUTREACH_TEST_REDIS_CLUSTER (see package queuetest; .ci/run
// starts one on 127.0.0.1:17000-17005).
func TestCluster(t *testing.T) {
	t.Parallel()
	rdb := queuetest.Cluster(t)
	ctx := t.Context()

	t.Run("keys without a hash tag are refused", func(t *testing.T) {
		c := queue.NewConsumer(rdb, queue.NewKeys("outreach:jobs", ""), queue.ConsumerOptions{})
		if err := c.EnsureGroup(ctx); err == nil {
			t.Error("EnsureGroup succeeded on a cluster with keys in different slots")
		}
	})

	t.Run("hash-tagged keys share a slot and work", func(t *testing.T) {
		keys := queuetest.Keys(t, rdb, "queue", "g")
		var slots []int64
		for _, k := range []string{keys.Stream, keys.Dead, keys.Delayed, keys.Urgent, keys.Bulk, keys.HeldIndex, keys.Held("c")} {
			s, err := rdb.ClusterKeySlot(ctx, k).Result()
			if err != nil {
				t.Fatal(err)
			}
			slots = append(slots, s)
		}
		for _, s := range slots {
			if s != slots[0] {
				t.Fatalf("slots %v of %+v differ", slots, keys)
			}
		}
		e := newEnvOn(t, rdb, keys, queue.ConsumerOptions{})
		e.enqueue(t, "cluster", 3)
		got := readN(t, e.c, 3)
		if err := e.c.Ack(ctx, got[0].ID); err != nil {
			t.Fatal(err)
		}
		if err := e.c.DeadLetter(ctx, got[1], outreach.ReasonBadJSON, nil); err != nil {
			t.Fatal(err)
		}
		if err := e.c.Schedule(ctx, got[2], time.Now().Add(-time.Second), 1); err != nil {
			t.Fatal(err)
		}
		if moved, err := e.c.PromoteDue(ctx, time.Now(), 10); err != nil || moved != 1 {
			t.Fatalf("PromoteDue = %d, %v; want 1", moved, err)
		}
		retry := readN(t, e.c, 1)[0]
		if retry.Attempt != 1 || jobID(t, retry.Job) != "cluster-2" {
			t.Errorf("retry = %+v, want cluster-2 at attempt 1", retry)
		}
		s, err := e.c.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := (sums{Length: 4, Lag: 0, Pending: 1, Dead: 1}); totals(s) != want {
			t.Errorf("Stats = %+v, want %+v", s, want)
		}
	})
}
