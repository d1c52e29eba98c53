package queue_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/queue"
	"github.com/outreach-dev/outreach/queue/queuetest"
)

// TestMain checks for leaked goroutines. go-redis's redial loop after a
// refused dial (the tests of seeds that do not answer) outlives Close by
// up to a second: it is not ours.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).tryDial"))
}

// newRedis connects to the test Redis (OUTREACH_TEST_REDIS_URL, see
// package queuetest) and closes the client when the test ends.
func newRedis(t testing.TB) redis.UniversalClient {
	t.Helper()
	return queuetest.Redis(t)
}

// env is one test's Redis, keys, producer and consumer.
type env struct {
	rdb  redis.UniversalClient
	keys queue.Keys
	p    *queue.Producer
	c    *queue.Consumer
}

// newEnv sets up a test against real Redis with the group created.
func newEnv(t testing.TB, opt queue.ConsumerOptions) env {
	t.Helper()
	rdb := newRedis(t)
	return newEnvOn(t, rdb, queuetest.Keys(t, rdb, "queue", "g"), opt)
}

func newEnvOn(t testing.TB, rdb redis.UniversalClient, keys queue.Keys, opt queue.ConsumerOptions) env {
	t.Helper()
	if opt.Name == "" {
		opt.Name = "c1"
	}
	if opt.Block == 0 {
		opt.Block = 50 * time.Millisecond
	}
	e := env{rdb: rdb, keys: keys, p: queue.NewProducer(rdb, keys), c: queue.NewConsumer(rdb, keys, opt)}
	if err := e.c.EnsureGroup(t.Context()); err != nil {
		t.Fatal(err)
	}
	return e
}

// consumer is another consumer of the same group.
func (e env) consumer(opt queue.ConsumerOptions) *queue.Consumer {
	if opt.Block == 0 {
		opt.Block = 50 * time.Millisecond
	}
	return queue.NewConsumer(e.rdb, e.keys, opt)
}

func testJob(id string) outreach.Job {
	return outreach.Job{ID: id, Kind: outreach.KindMaintenanceNotice, ResidentID: "r-" + id}
}

// enqueue adds n jobs with ids prefix-0 .. prefix-(n-1) and returns their stream ids.
func (e env) enqueue(t testing.TB, prefix string, n int) []string {
	t.Helper()
	jobs := make([]outreach.Job, n)
	for i := range jobs {
		jobs[i] = testJob(fmt.Sprintf("%s-%d", prefix, i))
	}
	ids, err := e.p.EnqueueBatch(t.Context(), jobs)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// readN reads with c until it has n entries, failing if a read comes back
// empty first (the entries are already in the stream, so none may be missing).
func readN(t testing.TB, c *queue.Consumer, n int) []queue.Entry {
	t.Helper()
	var got []queue.Entry
	for len(got) < n {
		es, err := c.Read(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(es) == 0 {
			t.Fatalf("read %d entries, want %d", len(got), n)
		}
		got = append(got, es...)
	}
	if len(got) != n {
		t.Fatalf("read %d entries, want %d", len(got), n)
	}
	return got
}

func ids(es []queue.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

// pending is the group's pending count (XPENDING).
func (e env) pending(t testing.TB) int64 {
	t.Helper()
	p, err := e.rdb.XPending(t.Context(), e.keys.Stream, e.keys.Group).Result()
	if err != nil {
		t.Fatal(err)
	}
	return p.Count
}

// jobID decodes an entry's job and returns its id.
func jobID(t testing.TB, raw []byte) string {
	t.Helper()
	j, err := outreach.DecodeJob(raw)
	if err != nil {
		t.Fatalf("decode job %q: %v", raw, err)
	}
	return j.ID
}
