package queue_test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/queue"
	"github.com/outreach-dev/outreach/queue/queuetest"
)

// newShardedEnv is newEnvOn with the queue in n shards, named like a
// deployment's ("outreach:jobs:<test>" gives shards "{outreach:i}:jobs:<test>",
// whose slots are those of production's "{outreach:i}:jobs"), deleted when
// the test ends.
func newShardedEnv(t testing.TB, rdb redis.UniversalClient, n int, opt queue.ConsumerOptions) env {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	keys := queue.NewShardedKeys("outreach:jobs:test-"+hex.EncodeToString(b), "g", n)
	t.Cleanup(func() {
		queuetest.DeleteKeys(t, rdb, keys.Name)
		for _, s := range keys.Shards() {
			queuetest.DeleteKeys(t, rdb, s.Stream)
		}
	})
	return newEnvOn(t, rdb, keys, opt)
}

// testShards runs fn on one node and, when there is one, on the test cluster.
func testShards(t *testing.T, fn func(t *testing.T, rdb redis.UniversalClient)) {
	t.Run("node", func(t *testing.T) {
		t.Parallel()
		fn(t, newRedis(t))
	})
	t.Run("cluster", func(t *testing.T) {
		t.Parallel()
		fn(t, queuetest.Cluster(t))
	})
}

// TestShardsEveryCallCoversEveryShard: jobs spread over the shards by id,
// and reading, retrying, dead-lettering, holding, claiming and the figures
// work across all of them.
func TestShardsEveryCallCoversEveryShard(t *testing.T) {
	t.Parallel()
	testShards(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := t.Context()
		e := newShardedEnv(t, rdb, 4, queue.ConsumerOptions{Count: 7, MinIdle: time.Millisecond})
		e.enqueue(t, "s", 40)
		s, err := e.c.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Shards) != 4 || s.Length != 40 || s.Lag != 40 {
			t.Fatalf("Stats = %+v, want 40 entries over 4 shards", s)
		}
		for i, sh := range s.Shards {
			if sh.Length == 0 {
				t.Errorf("shard %d got no job of 40: %+v", i, s.Shards)
			}
		}
		// Each job is in the shard of its id.
		got := readN(t, e.c, 40)
		byShard := map[int]int{}
		for _, en := range got {
			if want := e.keys.ShardOf(jobID(t, en.Job)); en.Shard != want || en.Stream != e.keys.Shards()[want].Stream {
				t.Errorf("job %s read from shard %d (%s), want %d", jobID(t, en.Job), en.Shard, en.Stream, want)
			}
			byShard[en.Shard]++
		}
		if len(byShard) != 4 {
			t.Errorf("entries came from shards %v, want all 4", byShard)
		}

		// Retry one per shard, dead-letter one per shard, hold one, leave
		// the rest to a dead consumer.
		var rest []queue.Entry
		retried, dead := map[int]bool{}, map[int]bool{}
		for _, en := range got {
			switch {
			case !retried[en.Shard]:
				retried[en.Shard] = true
				if err := e.c.Schedule(ctx, en, time.Now().Add(-time.Second), 1); err != nil {
					t.Fatal(err)
				}
			case !dead[en.Shard]:
				dead[en.Shard] = true
				if err := e.c.DeadLetter(ctx, en, outreach.ReasonBadJSON, nil); err != nil {
					t.Fatal(err)
				}
			default:
				rest = append(rest, en)
			}
		}
		if err := e.c.Hold(ctx, rest[0], "camp-1"); err != nil {
			t.Fatal(err)
		}
		rest = rest[1:]
		if s, err = e.c.Stats(ctx); err != nil || s.Dead != 4 || s.Delayed != 4 || s.Pending != int64(len(rest)) {
			t.Fatalf("Stats = %+v, %v; want 4 dead, 4 delayed, %d pending", s, err, len(rest))
		}
		for i, sh := range s.Shards {
			if sh.Delayed != 1 {
				t.Errorf("shard %d has %d delayed, want 1 (each retry waits in its own shard)", i, sh.Delayed)
			}
		}
		if moved, err := e.c.PromoteDue(ctx, time.Now(), 0); err != nil || moved != 4 {
			t.Fatalf("PromoteDue = %d, %v; want 4", moved, err)
		}
		retries := readN(t, e.c, 4)
		for _, r := range retries {
			if r.Attempt != 1 || e.keys.ShardOf(jobID(t, r.Job)) != r.Shard {
				t.Errorf("retry %+v: want attempt 1 in the shard of its job", r)
			}
		}
		if ids, err := e.c.HeldCampaigns(ctx); err != nil || !slices.Equal(ids, []string{"camp-1"}) {
			t.Errorf("HeldCampaigns = %v, %v", ids, err)
		}
		if n, err := e.c.ReleaseHeld(ctx, "camp-1", time.Now().Add(-time.Second), 0); err != nil || n != 1 {
			t.Errorf("ReleaseHeld = %d, %v; want 1", n, err)
		}

		// Another consumer claims what this one left, in every shard.
		other := e.consumer(queue.ConsumerOptions{Name: "c2", Count: 100, MinIdle: 50 * time.Millisecond})
		time.Sleep(60 * time.Millisecond)
		var claimed []queue.Entry
		seen := map[queue.Ref]bool{} // a sweep that starts over may take its own entries again
		for range 20 {
			es, err := other.Claim(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, en := range es {
				if !seen[en.Ref()] {
					seen[en.Ref()] = true
					claimed = append(claimed, en)
				}
			}
			if len(claimed) >= len(rest)+len(retries) {
				break
			}
		}
		if len(claimed) != len(rest)+len(retries) {
			t.Fatalf("claimed %d entries, want %d", len(claimed), len(rest)+len(retries))
		}
		var refs []queue.Ref
		for _, en := range claimed {
			refs = append(refs, en.Ref())
		}
		if err := other.AckRefs(ctx, refs...); err != nil {
			t.Fatal(err)
		}
		if moved, err := e.c.PromoteDue(ctx, time.Now(), 0); err != nil || moved != 1 {
			t.Fatalf("PromoteDue of the released job = %d, %v; want 1", moved, err)
		}
		last := readN(t, e.c, 1)
		if err := e.c.AckRefs(ctx, last[0].Ref()); err != nil {
			t.Fatal(err)
		}
		if s, err = e.c.Stats(ctx); err != nil || s.Pending != 0 || s.Lag != 0 || s.Delayed != 0 {
			t.Errorf("Stats at the end = %+v, %v; want nothing pending, lagging or delayed", s, err)
		}
	})
}

// TestShardsKeepLanePriority: an urgent job in one shard is read before
// normal and bulk jobs waiting in the others, by Read and ReadUrgent.
func TestShardsKeepLanePriority(t *testing.T) {
	t.Parallel()
	testShards(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := t.Context()
		e := newShardedEnv(t, rdb, 3, queue.ConsumerOptions{Count: 5})
		var jobs []outreach.Job
		for i := range 30 {
			j := testJob(fmt.Sprintf("bulk-%d", i))
			j.Priority = outreach.PriorityBulk
			jobs = append(jobs, j)
		}
		for i := range 10 {
			jobs = append(jobs, testJob(fmt.Sprintf("normal-%d", i)))
		}
		if _, err := e.p.EnqueueBatch(ctx, jobs); err != nil {
			t.Fatal(err)
		}
		first := readN(t, e.c, 5)
		for _, en := range first {
			if en.Lane != "normal" {
				t.Fatalf("read %s before the normal jobs were through", en.Lane)
			}
		}
		// Urgent jobs land in whatever shard their id picks.
		for i := range 3 {
			j := testJob(fmt.Sprintf("urgent-%d", i))
			j.Priority = outreach.PriorityUrgent
			if _, err := e.p.Enqueue(ctx, j); err != nil {
				t.Fatal(err)
			}
		}
		got := readN(t, e.c, 3)
		for _, en := range got {
			if en.Lane != "urgent" {
				t.Errorf("read %s while urgent jobs waited in other shards", en.Lane)
			}
		}
		j := testJob("urgent-x")
		j.Priority = outreach.PriorityUrgent
		if _, err := e.p.Enqueue(ctx, j); err != nil {
			t.Fatal(err)
		}
		var u []queue.Entry
		for range 20 { // on a cluster the wait covers one shard at a time
			es, err := e.c.ReadUrgent(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if u = append(u, es...); len(u) > 0 {
				break
			}
		}
		if len(u) != 1 || jobID(t, u[0].Job) != "urgent-x" {
			t.Errorf("ReadUrgent = %+v, want urgent-x", u)
		}
		rest := readN(t, e.c, 5+30)
		for i, en := range rest {
			if want := "normal"; i < 5 && en.Lane != want || i >= 5 && en.Lane != "bulk" {
				t.Errorf("entry %d is %s, want the normal ones, then the bulk ones", i, en.Lane)
			}
		}
	})
}

// TestShardsSpreadOverMasters: with the default stream's shard names, the
// shards' keys live on more than one master of the test cluster (on all
// three of an evenly split one), and every multi-key call works there.
func TestShardsSpreadOverMasters(t *testing.T) {
	t.Parallel()
	rdb := queuetest.Cluster(t)
	ctx := t.Context()
	e := newShardedEnv(t, rdb, 3, queue.ConsumerOptions{})
	masters := map[string][]string{}
	for _, s := range e.keys.Shards() {
		var addr string
		for _, k := range []string{s.Stream, s.Urgent, s.Bulk, s.Dead, s.Delayed, s.HeldIndex, s.Held("c"), s.Lock("j")} {
			a, err := queuetest.MasterOf(ctx, rdb, k)
			if err != nil {
				t.Fatal(err)
			}
			if addr == "" {
				addr = a
			} else if a != addr {
				t.Errorf("%s is on %s, %s on %s: one shard spans masters", k, a, s.Stream, addr)
			}
		}
		masters[addr] = append(masters[addr], s.Stream)
	}
	t.Logf("shards by master: %v", masters)
	if len(masters) < 2 {
		t.Errorf("all shards on one master: %v", masters)
	}
	e.enqueue(t, "spread", 30)
	if got := readN(t, e.c, 30); len(got) != 30 {
		t.Fatal("not every job read")
	}
}

// TestShardsLockBatches: a batch of locks over every shard (one script
// call per shard, on a cluster on the shards' nodes) takes, renews and
// releases each lock in its shard's key, like Lock one by one would, and
// a second consumer sees them.
func TestShardsLockBatches(t *testing.T) {
	t.Parallel()
	testShards(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := t.Context()
		e := newShardedEnv(t, rdb, 4, queue.ConsumerOptions{Name: "a"})
		b := e.consumer(queue.ConsumerOptions{Name: "b"})
		var locks []queue.JobLock
		shards := map[int]bool{}
		for i := range 24 {
			id := fmt.Sprintf("job-%d", i)
			shards[e.keys.ShardOf(id)] = true
			locks = append(locks, queue.JobLock{JobID: id, Holder: "h" + id})
		}
		if len(shards) != 4 {
			t.Fatalf("24 job ids cover shards %v, want all 4", shards)
		}
		if ok, err := b.Lock(ctx, "job-5", "theirs", time.Minute); err != nil || !ok {
			t.Fatalf("b.Lock = %v, %v", ok, err)
		}
		got, err := e.c.LockMany(ctx, locks, time.Minute)
		if err != nil {
			t.Fatalf("LockMany: %v", err)
		}
		for i, ok := range got {
			if want := locks[i].JobID != "job-5"; ok != want {
				t.Errorf("LockMany[%s] = %v, want %v", locks[i].JobID, ok, want)
			}
			if ttl := rdb.PTTL(ctx, e.keys.Lock(locks[i].JobID)).Val(); ttl <= 0 {
				t.Errorf("lock of %s: PTTL %v in its shard's key, want > 0", locks[i].JobID, ttl)
			}
		}
		held, err := e.c.RenewMany(ctx, locks, 2*time.Minute)
		if err != nil {
			t.Fatalf("RenewMany: %v", err)
		}
		if !slices.Equal(held, got) {
			t.Errorf("RenewMany = %v, want %v", held, got)
		}
		if ttl := rdb.PTTL(ctx, e.keys.Lock("job-7")).Val(); ttl <= time.Minute {
			t.Errorf("renewed lock PTTL = %v, want > 1m", ttl)
		}
		if err := e.c.UnlockMany(ctx, locks); err != nil {
			t.Fatalf("UnlockMany: %v", err)
		}
		for _, l := range locks {
			ok, err := b.Lock(ctx, l.JobID, "later", time.Minute)
			if want := l.JobID != "job-5"; err != nil || ok != want {
				t.Errorf("after UnlockMany, b.Lock(%s) = %v, %v; want %v", l.JobID, ok, err, want)
			}
		}
	})
}

// TestShardsSettle: one Settle acks entries of every shard's lanes and
// releases their jobs' locks in every shard (on a cluster, one pipeline
// over the shards' nodes); the entries not acked stay pending, and a
// Settle of acks alone or of unlocks alone does only that.
func TestShardsSettle(t *testing.T) {
	t.Parallel()
	testShards(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := t.Context()
		e := newShardedEnv(t, rdb, 4, queue.ConsumerOptions{Name: "a", Count: 100})
		b := e.consumer(queue.ConsumerOptions{Name: "b"})
		e.enqueue(t, "settle", 24)
		got := readN(t, e.c, 24)
		var refs []queue.Ref
		var locks []queue.JobLock
		for _, en := range got {
			refs = append(refs, en.Ref())
			locks = append(locks, queue.JobLock{JobID: jobID(t, en.Job), Holder: en.Holder()})
		}
		if held, err := e.c.LockMany(ctx, locks, time.Minute); err != nil || slices.Contains(held, false) {
			t.Fatalf("LockMany = %v, %v", held, err)
		}
		pending := func() int64 {
			t.Helper()
			s, err := e.c.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return totals(s).Pending
		}
		// Entries 0-3 keep their locks, 4-5 stay pending, 6-7 are acked
		// alone, 8-11 unlocked alone.
		if err := e.c.Settle(ctx, refs[6:], locks[12:]); err != nil {
			t.Fatalf("Settle: %v", err)
		}
		if err := e.c.Settle(ctx, nil, locks[4:12]); err != nil {
			t.Fatalf("Settle of unlocks: %v", err)
		}
		if err := e.c.Settle(ctx, refs[:4], nil); err != nil {
			t.Fatalf("Settle of acks: %v", err)
		}
		if n := pending(); n != 2 {
			t.Errorf("pending = %d after acking 22 of 24, want 2", n)
		}
		for i, l := range locks {
			ok, err := b.Lock(ctx, l.JobID, "later", time.Minute)
			if want := i >= 4; err != nil || ok != want {
				t.Errorf("after Settle, b.Lock(%s) = %v, %v; want %v", l.JobID, ok, err, want)
			}
		}
	})
}
