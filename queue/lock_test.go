package queue_test

import (
	"testing"
	"time"

	"github.com/outreach-dev/outreach/queue"
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
