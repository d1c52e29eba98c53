package daemon_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/daemon"
	"github.com/outreach-dev/outreach/outreach/dispatch"
	"github.com/outreach-dev/outreach/queue"
	"github.com/outreach-dev/outreach/queue/queuetest"
)

// TestStartRefusesBadRedis: what is wrong with the Redis settings stops the
// daemon at start, with the setting named, rather than a MOVED or CROSSSLOT
// error in the log later.
func TestStartRefusesBadRedis(t *testing.T) {
	t.Parallel()
	clusterURL := queuetest.ClusterURL(t)
	for _, c := range []struct{ name, url, stream, want string }{
		{"no seed answers", "redis://127.0.0.1:1,127.0.0.1:2", "{outreach}:jobs", "OUTREACH_REDIS_URL"},
		{"stream without a hash tag", clusterURL, "test:untagged:jobs", "OUTREACH_STREAM"},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{
				"OUTREACH_REDIS_URL":    c.url,
				"OUTREACH_DATABASE_URL": "sqlite://" + t.TempDir() + "/outreach.db",
				"OUTREACH_SMTP_URL":     "smtp://127.0.0.1:1?tls=none",
				"OUTREACH_EMAIL_FROM":   "office@example.com",
				"OUTREACH_HTTP_ADDR":    "127.0.0.1:0",
				"OUTREACH_STREAM":       c.stream,
			}
			cfg, err := config.Load(func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			_, err = daemon.New(t.Context(), daemon.Options{Config: cfg})
			if err == nil {
				t.Fatal("daemon.New succeeded")
			}
			if !strings.HasPrefix(err.Error(), c.want) && !strings.Contains(err.Error(), "("+c.want+")") {
				t.Errorf("error %q does not name %s", err, c.want)
			}
		})
	}
}

// clusterPair is two daemons on one Redis Cluster (url), sharing a
// consumer group on a queue of `shards` shards named as a deployment's
// ("outreach:jobs:<test>": shards "{outreach:i}:jobs:<test>"), an archive
// and an SMTP server, with n residents r000.. to send to.
func clusterPair(t *testing.T, url string, shards, n int, tune func(*config.Config, *dispatch.Config)) (*harness, *harness) {
	t.Helper()
	dbURL := "sqlite://" + t.TempDir() + "/shared.db"
	stream := "outreach:jobs:test-" + randomName()
	logs := &syncBuffer{} // both daemons' logs, shown when the test fails
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("daemon logs:\n%s", logs.String())
		}
	})
	withLog := func(name string) func(*daemon.Options) {
		return func(o *daemon.Options) {
			o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})).With("daemon", name)
		}
	}
	h1 := newHarnessWith(t, dbURL, func(c *config.Config, dc *dispatch.Config) {
		c.RedisURL, c.Stream, c.Shards = outreach.Secret(url), stream, shards
		if tune != nil {
			tune(c, dc)
		}
	}, withLog("1"))
	h2 := newHarnessWith(t, dbURL, func(c *config.Config, dc *dispatch.Config) {
		c.RedisURL, c.Stream, c.Shards = outreach.Secret(url), stream, shards
		c.Consumer = "daemon-2"
		c.SMTPURL = outreach.Secret(h1.smtp.URL())
		if tune != nil {
			tune(c, dc)
		}
	}, withLog("2"))
	var rs []outreach.Resident
	for i := range n {
		rs = append(rs, outreach.Resident{ID: fmt.Sprintf("r%03d", i), Name: fmt.Sprintf("Resident %d", i), Email: fmt.Sprintf("r%03d@example.com", i), Locale: "en"})
	}
	if _, err := h1.d.Store.UpsertResidents(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
	return h1, h2
}

// clusterJob is job i of a cluster test: urgent every 7th, due a second
// from now every 5th, normal otherwise.
func clusterJob(prefix string, i int) outreach.Job {
	j := outreach.Job{
		ID: fmt.Sprintf("%s-%03d", prefix, i), Kind: outreach.KindMaintenanceNotice, ResidentID: fmt.Sprintf("r%03d", i),
		Data: map[string]any{"title": "Planned water cut", "area": "Building 1", "start": "2026-12-02 09:00", "end": "2026-12-02 12:00"},
	}
	switch {
	case i%7 == 0:
		j.Priority = outreach.PriorityUrgent
	case i%5 == 0:
		at := time.Now().Add(time.Second)
		j.SendAt = &at
	}
	return j
}

// deliveredOnce checks that residents r000..r(n-1) got one email each,
// and that both daemons sent some.
func deliveredOnce(t *testing.T, h1, h2 *harness, n int) {
	t.Helper()
	for i := range n {
		if got := len(received(h1.smtp, fmt.Sprintf("r%03d@example.com", i))); got != 1 {
			t.Errorf("resident r%03d got %d emails, want 1", i, got)
			for _, d := range h1.search(outreach.Filter{ResidentID: fmt.Sprintf("r%03d", i)}) {
				t.Logf("  archive: job %s entry %s status %s attempts %d", d.JobID, d.StreamID, d.Status, d.Attempts)
			}
		}
	}
	sent := func(h *harness) float64 {
		return testutil.ToFloat64(h.d.Metrics().Deliveries.WithLabelValues("email", "maintenance_notice", "sent"))
	}
	if s1, s2 := sent(h1), sent(h2); s1+s2 != float64(n) || s1 == 0 || s2 == 0 {
		t.Errorf("daemons sent %v and %v, want %d in all with both taking part", s1, s2, n)
	}
	if dead := h1.deadLetters(); len(dead) != 0 {
		t.Errorf("dead letters: %v", dead)
	}
}

// deadLetters are the reasons in every shard's dead-letter stream.
func (h *harness) deadLetters() []string {
	var reasons []string
	for _, k := range h.keys.Shards() {
		msgs, err := h.rdb.XRange(context.Background(), k.Dead, "-", "+").Result()
		if err != nil {
			h.t.Fatal(err)
		}
		for _, m := range msgs {
			reasons = append(reasons, fmt.Sprint(m.Values["reason"]))
		}
	}
	return reasons
}

// mastersOf maps each shard's normal lane to the master that holds it.
func (h *harness) mastersOf() map[string]string {
	h.t.Helper()
	cc, ok := h.rdb.(*redis.ClusterClient)
	if !ok {
		h.t.Fatal("not on a cluster")
	}
	out := map[string]string{}
	for _, k := range h.keys.Shards() {
		m, err := queuetest.MasterOf(context.Background(), cc, k.Stream)
		if err != nil {
			h.t.Fatal(err)
		}
		out[k.Stream] = m
	}
	return out
}

func distinct(m map[string]string) int {
	seen := map[string]bool{}
	for _, v := range m {
		seen[v] = true
	}
	return len(seen)
}

// TestClusterTwoDaemonsDeliverOnce: two daemons on the test cluster, the
// queue in three shards spread over its masters, deliver every job once:
// normal, urgent and delayed ones, each enqueued twice.
func TestClusterTwoDaemonsDeliverOnce(t *testing.T) {
	t.Parallel()
	url := queuetest.ClusterURL(t)
	const n = 90
	h1, h2 := clusterPair(t, url, 3, n, nil)
	masters := h1.mastersOf()
	if distinct(masters) < 2 {
		t.Errorf("shards on one master: %v", masters)
	}
	h1.start()
	h2.start()
	p := queue.NewProducer(h1.rdb, h1.keys)
	for i := range n {
		for range 2 {
			if _, err := p.Enqueue(t.Context(), clusterJob("job", i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	eventually(t, "every job sent", func() bool {
		return h1.settled() && len(h1.search(outreach.Filter{Status: outreach.StatusSent})) == n
	})
	deliveredOnce(t, h1, h2, n)
	s, err := queue.NewConsumer(h1.rdb, h1.keys, queue.ConsumerOptions{}).Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for i, sh := range s.Shards {
		if sh.Length == 0 {
			t.Errorf("shard %d (%s on %s) got no job", i, sh.Stream, masters[sh.Stream])
		}
	}
}

// TestClusterFailoverLosesNothing: on a cluster of its own (ports
// 17100-17105), a master's replica takes over (CLUSTER FAILOVER) while two
// daemons work through jobs enqueued before, during and after; every job
// is still delivered once.
func TestClusterFailoverLosesNothing(t *testing.T) {
	t.Parallel()
	queuetest.ClusterURL(t) // with the cluster tests
	c := queuetest.StartCluster(t, 17100)
	const n = 300
	h1, h2 := clusterPair(t, c.URL(), 3, n, func(cfg *config.Config, dc *dispatch.Config) {
		cfg.ClaimIdle = 2 * time.Second // entries a failed call left pending come back soon
	})
	masters := h1.mastersOf()
	if distinct(masters) != 3 {
		t.Errorf("shards not on all three masters: %v", masters)
	}
	p := queue.NewProducer(h1.rdb, h1.keys)
	enqueue := func(from, to int) {
		for i := from; i < to; i++ {
			for {
				_, err := p.Enqueue(t.Context(), clusterJob("fo", i))
				if err == nil {
					break
				}
				t.Logf("enqueue %d: %v (retrying, as a producer would)", i, err)
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
	enqueue(0, n/3)
	h1.start()
	h2.start()
	eventually(t, "some jobs sent", func() bool { return len(h1.search(outreach.Filter{Status: outreach.StatusSent})) >= 20 })
	done := make(chan struct{})
	go func() {
		defer close(done)
		enqueue(n/3, 2*n/3) // while the failover runs
	}()
	shard0 := h1.keys.Shards()[0].Stream
	c.Failover(t, masters[shard0])
	<-done
	enqueue(2*n/3, n)
	eventually(t, shard0+" on the new master", func() bool { return h1.mastersOf()[shard0] != masters[shard0] })
	deadline := time.Now().Add(90 * time.Second)
	for !(h1.settled() && len(h1.search(outreach.Filter{Status: outreach.StatusSent})) == n) {
		if time.Now().After(deadline) {
			t.Fatalf("after the failover, %d of %d jobs sent", len(h1.search(outreach.Filter{Status: outreach.StatusSent})), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	deliveredOnce(t, h1, h2, n)
}
