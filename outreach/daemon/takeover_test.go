package daemon_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/daemon"
	"github.com/outreach-dev/outreach/outreach/dispatch"
	"github.com/outreach-dev/outreach/queue"
	"github.com/outreach-dev/outreach/queue/queuetest"
)

// killSwitch is a go-redis hook that, once killed, fails every command
// before it leaves the process: from Redis's side the daemon is gone, as
// after SIGKILL (no more reads, keeps, lock renewals or acks), while the
// test still controls its goroutines.
type killSwitch struct{ dead atomic.Bool }

var errKilled = errors.New("daemon killed (test)")

func (k *killSwitch) DialHook(next redis.DialHook) redis.DialHook { return next }

func (k *killSwitch) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if k.dead.Load() {
			cmd.SetErr(errKilled)
			return errKilled
		}
		return next(ctx, cmd)
	}
}

func (k *killSwitch) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if k.dead.Load() {
			for _, c := range cmds {
				c.SetErr(errKilled)
			}
			return errKilled
		}
		return next(ctx, cmds)
	}
}

// TestDeadDaemonsEntriesTakenOver: a daemon dies while it holds a dozen
// entries (urgent ones among them) and their job locks, its sends hanging;
// another daemon, with the claim tick and the lock lease derived from
// OUTREACH_CLAIM_IDLE (nothing tuned), claims and delivers every one of
// them, urgent ones first, once each, and nothing stays pending. The
// deadline is generous (a minute, against a claim idle of 3s): before
// locks were leases, the dead daemon's locks held its jobs for 2 minutes.
// How fast it is, is measured by `outreach chaos`, not here. The queue is
// in 3 shards, so on the cluster suite (OUTREACH_TEST_REDIS_URL naming a
// cluster node) the entries and locks spread over the masters.
func TestDeadDaemonsEntriesTakenOver(t *testing.T) {
	t.Parallel()
	const (
		claimIdle = 3 * time.Second
		urgent    = 4
		n         = 12
	)
	dbURL := "sqlite://" + t.TempDir() + "/shared.db"
	stream := "outreach:jobs:test-" + randomName()
	logs := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("daemon logs:\n%s", logs.String())
		}
	})
	tune := func(consumer string, workers int) func(*config.Config, *dispatch.Config) {
		return func(c *config.Config, dc *dispatch.Config) {
			c.Stream, c.Shards, c.Consumer, c.Workers, c.ClaimIdle = stream, 3, consumer, workers, claimIdle
			dc.ClaimEvery, dc.LockWait, dc.LockTTL = 0, 0, 0 // the daemon's own, from the claim idle
		}
	}
	withLog := func(name string, o *daemon.Options) {
		o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})).With("daemon", name)
	}
	kill := &killSwitch{}
	dead := newHarnessWith(t, dbURL, tune("doomed", 4), func(o *daemon.Options) {
		rdb := queuetest.Connect(t, redisURL())
		rdb.AddHook(kill)
		o.Redis = rdb
		withLog("doomed", o)
	})
	// One worker: the order of its sends is the order it took the entries.
	heir := newHarnessWith(t, dbURL, tune("heir", 1), func(o *daemon.Options) { withLog("heir", o) })

	var rs []outreach.Resident
	for i := range n {
		rs = append(rs, outreach.Resident{ID: fmt.Sprintf("t%02d", i), Name: fmt.Sprintf("Resident %d", i), Email: fmt.Sprintf("t%02d@example.com", i), Locale: "en"})
	}
	if _, err := dead.d.Store.UpsertResidents(t.Context(), rs); err != nil {
		t.Fatal(err)
	}
	var releases []func()
	for _, r := range rs {
		_, release := dead.smtp.Hold(r.Email) // the doomed daemon's sends hang
		releases = append(releases, release)
	}
	p := queue.NewProducer(dead.rdb, dead.keys)
	for i := range n {
		j := clusterJob("takeover", 0)
		j.ID, j.ResidentID, j.Priority = fmt.Sprintf("takeover-%02d", i), rs[i].ID, outreach.PriorityNormal
		if i >= n-urgent { // enqueued last, so that only priority puts them first
			j.Priority = outreach.PriorityUrgent
		}
		if _, err := p.Enqueue(t.Context(), j); err != nil {
			t.Fatal(err)
		}
	}
	dead.start()
	t.Cleanup(func() { // before the daemons stop (cleanups run last first)
		for _, r := range releases {
			r()
		}
	})
	eventually(t, "the doomed daemon to hold every entry", func() bool { return idleWith(t, dead, "doomed", 0) == n })
	locks := 0
	for _, j := range []string{"takeover-00", "takeover-11"} {
		if dead.rdb.Exists(t.Context(), dead.keys.Lock(j)).Val() == 1 {
			locks++
		}
	}
	if locks == 0 {
		t.Error("the doomed daemon holds no job lock: the test does not test lapsing locks")
	}
	kill.dead.Store(true)
	killed := time.Now()
	// The heir starts once every doomed entry has been idle for claimIdle,
	// so that its first claim finds them all and the order it sends them in
	// is the priority order, not the order in which they became idle (the
	// doomed daemon read them over several batches, urgent ones last).
	eventually(t, "every doomed entry to be idle for the claim idle", func() bool { return idleWith(t, dead, "doomed", claimIdle) == n })
	heir.start()

	deadline := time.Now().Add(time.Minute)
	for len(heir.smtp.Messages()) < n || !heir.settled() {
		if time.Now().After(deadline) {
			t.Fatalf("a minute after the kill, the heir sent %d of %d; pending with the dead one %d", len(heir.smtp.Messages()), n, idleWith(t, heir, "doomed", 0))
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("every entry delivered %v after the kill (claim idle %v; figure for information, chaos measures it)", time.Since(killed).Round(10*time.Millisecond), claimIdle)
	var order []string
	for _, m := range heir.smtp.Messages() {
		order = append(order, m.To...)
	}
	for i, r := range rs {
		if got := len(received(heir.smtp, r.Email)); got != 1 {
			t.Errorf("%s got %d emails from the heir, want 1", r.Email, got)
		}
		if rec := heir.search(outreach.Filter{JobID: fmt.Sprintf("takeover-%02d", i), Status: outreach.StatusSent}); len(rec) != 1 {
			t.Errorf("job takeover-%02d archived sent %d times, want 1", i, len(rec))
		}
	}
	for k, to := range order {
		if isUrgent := slices.ContainsFunc(rs[n-urgent:], func(r outreach.Resident) bool { return r.Email == to }); isUrgent != (k < urgent) {
			t.Errorf("send order %v: want the %d urgent ones (t%02d..) first", order, urgent, n-urgent)
			break
		}
	}
	if dl := heir.deadLetters(); len(dl) != 0 {
		t.Errorf("dead letters: %v", dl)
	}
}

// idleWith is how many entries of h's queue (every lane of every shard)
// are pending with consumer and have been idle for at least idle (0: all
// of them).
func idleWith(t *testing.T, h *harness, consumer string, idle time.Duration) int {
	t.Helper()
	total := 0
	for _, s := range h.keys.Shards() {
		for _, lane := range s.Lanes() {
			p, err := h.rdb.XPendingExt(context.Background(), &redis.XPendingExtArgs{
				Stream: lane, Group: h.keys.Group, Idle: idle, Start: "-", End: "+", Count: 1000, Consumer: consumer,
			}).Result()
			if err != nil {
				if redis.HasErrorPrefix(err, "NOGROUP") {
					continue
				}
				t.Fatal(err)
			}
			total += len(p)
		}
	}
	return total
}
