package queue_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/queue"
	"github.com/outreach-dev/outreach/queue/queuetest"
)

func TestLockIsExclusiveBetweenConsumers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{Name: "a"})
	b := e.consumer(queue.ConsumerOptions{Name: "b"})
	ctx := t.Context()
	t.Cleanup(func() { e.rdb.Del(ctx, e.keys.Lock("job-1")) })

	mustLock := func(c *queue.Consumer, holder string, want bool) {
		t.Helper()
		got, err := c.Lock(ctx, "job-1", holder, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("%s.Lock = %v, want %v", c.Name(), got, want)
		}
	}
	mustLock(e.c, "entry-1", true)
	mustLock(b, "entry-2", false)   // held by a
	mustLock(e.c, "entry-2", false) // another worker of the same consumer is shut out too
	mustLock(e.c, "entry-1", true)  // re-entry by the holder
	if err := b.Unlock(ctx, "job-1", "entry-1"); err != nil {
		t.Fatal(err)
	}
	mustLock(b, "entry-2", false) // b's unlock must not release a's lock
	if err := e.c.Unlock(ctx, "job-1", "entry-1"); err != nil {
		t.Fatal(err)
	}
	mustLock(b, "entry-2", true)
}

func TestLockExpires(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{Name: "a"})
	b := e.consumer(queue.ConsumerOptions{Name: "b"})
	ctx := t.Context()
	t.Cleanup(func() { e.rdb.Del(ctx, e.keys.Lock("job-2")) })
	if ok, err := e.c.Lock(ctx, "job-2", "x", 50*time.Millisecond); err != nil || !ok {
		t.Fatalf("Lock = %v, %v", ok, err)
	}
	ttl, err := e.rdb.PTTL(ctx, e.keys.Lock("job-2")).Result()
	if err != nil || ttl <= 0 || ttl > 50*time.Millisecond {
		t.Fatalf("lock TTL = %v, %v; want (0, 50ms]", ttl, err)
	}
	time.Sleep(100 * time.Millisecond)
	if ok, err := b.Lock(ctx, "job-2", "y", time.Minute); err != nil || !ok {
		t.Fatalf("Lock after the holder's TTL = %v, %v; want true", ok, err)
	}
}

// TestLockManyMatchesLock: a batch of locks in one round trip behaves like
// Lock and Unlock one by one, against Redis and against a fresh miniredis,
// where the scripts are not loaded yet.
func TestLockManyMatchesLock(t *testing.T) {
	t.Parallel()
	real := newEnv(t, queue.ConsumerOptions{Name: "a"})
	srv := miniredis.RunT(t)
	mini := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = mini.Close() })
	for name, e := range map[string]env{"redis": real, "miniredis": newEnvOn(t, mini, queue.NewKeys("", ""), queue.ConsumerOptions{Name: "a"})} {
		t.Run(name, func(t *testing.T) {
			b := e.consumer(queue.ConsumerOptions{Name: "b"})
			ctx := t.Context()
			t.Cleanup(func() {
				for _, j := range []string{"m1", "m2", "m3"} {
					e.rdb.Del(context.Background(), e.keys.Lock(j))
				}
			})
			if ok, err := b.Lock(ctx, "m2", "other", time.Minute); err != nil || !ok {
				t.Fatalf("b.Lock = %v, %v", ok, err)
			}
			locks := []queue.JobLock{{"m1", "e1"}, {"m2", "e2"}, {"m3", "e3"}, {"m1", "e4"}, {"m3", "e3"}}
			got, err := e.c.LockMany(ctx, locks, time.Minute)
			if err != nil {
				t.Fatalf("LockMany: %v", err)
			}
			// m2 is b's; the second entry of m1 is shut out; e3 again is re-entry.
			if want := []bool{true, false, true, false, true}; !slices.Equal(got, want) {
				t.Fatalf("LockMany = %v, want %v", got, want)
			}
			if ttl := e.rdb.PTTL(ctx, e.keys.Lock("m1")).Val(); ttl <= 0 || ttl > time.Minute {
				t.Errorf("lock TTL = %v, want (0, 1m]", ttl)
			}
			if err := e.c.UnlockMany(ctx, locks); err != nil {
				t.Fatalf("UnlockMany: %v", err)
			}
			for job, wantFree := range map[string]bool{"m1": true, "m2": false, "m3": true} {
				ok, err := b.Lock(ctx, job, "later", time.Minute)
				if err != nil || ok != wantFree {
					t.Errorf("after UnlockMany, b.Lock(%s) = %v, %v; want %v", job, ok, err, wantFree)
				}
			}
		})
	}
}

// TestRenewManyOnlyByTheHolder: renewing extends the locks the caller
// holds, leaves another holder's alone (and reports it), and does not take
// back a lock that lapsed: it lets a dead holder's lock go. The locks are
// of jobs in different shards, so on a cluster the pipeline spans nodes.
func TestRenewManyOnlyByTheHolder(t *testing.T) {
	t.Parallel()
	rdb := newRedis(t)
	keys := queue.NewShardedKeys(fmt.Sprintf("test:renew:%d:jobs", time.Now().UnixNano()), "g", 3)
	t.Cleanup(func() {
		for _, s := range keys.Shards() {
			queuetest.DeleteKeys(t, rdb, s.Stream)
		}
	})
	e := newEnvOn(t, rdb, keys, queue.ConsumerOptions{Name: "a"})
	b := e.consumer(queue.ConsumerOptions{Name: "b"})
	ctx := t.Context()
	mine := []queue.JobLock{{JobID: "r1", Holder: "e1"}, {JobID: "r2", Holder: "e2"}, {JobID: "r3", Holder: "e3"}}
	if got, err := e.c.LockMany(ctx, mine, 300*time.Millisecond); err != nil || !slices.Equal(got, []bool{true, true, true}) {
		t.Fatalf("LockMany = %v, %v", got, err)
	}
	if ok, err := b.Lock(ctx, "r4", "x", time.Minute); err != nil || !ok {
		t.Fatalf("b.Lock = %v, %v", ok, err)
	}
	// r3 lapses (as a dead holder's would) and nobody takes it.
	if err := rdb.PExpire(ctx, keys.Lock("r3"), time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	locks := append(slices.Clone(mine), queue.JobLock{JobID: "r4", Holder: "x"}, queue.JobLock{JobID: "r1", Holder: "other-entry"})
	held, err := e.c.RenewMany(ctx, locks, time.Minute)
	if err != nil {
		t.Fatalf("RenewMany: %v", err)
	}
	// r4 is b's (a's holder "x" is not b's "x": holders carry the consumer);
	// r1 is held, but not by "other-entry".
	if want := []bool{true, true, false, false, false}; !slices.Equal(held, want) {
		t.Fatalf("RenewMany = %v, want %v", held, want)
	}
	for _, j := range []string{"r1", "r2"} {
		if ttl := rdb.PTTL(ctx, keys.Lock(j)).Val(); ttl <= 300*time.Millisecond {
			t.Errorf("lock %s TTL %v after renewal by its holder, want up to 1m", j, ttl)
		}
	}
	if n := rdb.Exists(ctx, keys.Lock("r3")).Val(); n != 0 {
		t.Error("renewal took back a lapsed lock")
	}
	if ttl := rdb.PTTL(ctx, keys.Lock("r4")).Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("b's lock TTL %v, want its own", ttl)
	}
	if ok, err := b.Lock(ctx, "r3", "y", time.Minute); err != nil || !ok {
		t.Errorf("b.Lock of the lapsed lock = %v, %v; want true", ok, err)
	}
}
