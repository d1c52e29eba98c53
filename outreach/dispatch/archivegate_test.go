package dispatch

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/metrics"
	"github.com/outreach-dev/outreach/outreach/store/sqlite"
	"github.com/outreach-dev/outreach/queue"
	"github.com/outreach-dev/outreach/queue/queuetest"
	"github.com/outreach-dev/outreach/templates"
)

// awayStore is an archive that does not answer while down is set (the
// database unreachable): every read and write the pipeline makes fails.
type awayStore struct {
	outreach.Store
	down atomic.Bool
}

var errAway = errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")

func (s *awayStore) Ping(ctx context.Context) error {
	if s.down.Load() {
		return errAway
	}
	return s.Store.Ping(ctx)
}

func (s *awayStore) Outcomes(ctx context.Context, id string) ([]outreach.Outcome, error) {
	if s.down.Load() {
		return nil, errAway
	}
	return s.Store.Outcomes(ctx, id)
}

func (s *awayStore) OutcomesOf(ctx context.Context, ids []string) (map[string][]outreach.Outcome, error) {
	if s.down.Load() {
		return nil, errAway
	}
	return s.Store.OutcomesOf(ctx, ids)
}

func (s *awayStore) ResidentsByID(ctx context.Context, ids []string) (map[string]outreach.Resident, error) {
	if s.down.Load() {
		return nil, errAway
	}
	return s.Store.ResidentsByID(ctx, ids)
}

func (s *awayStore) Resident(ctx context.Context, id string) (outreach.Resident, error) {
	if s.down.Load() {
		return outreach.Resident{}, errAway
	}
	return s.Store.Resident(ctx, id)
}

func (s *awayStore) Record(ctx context.Context, ds []outreach.Delivery) error {
	if s.down.Load() {
		return errAway
	}
	return s.Store.Record(ctx, ds)
}

// TestArchiveAwayReadsNothingNew: with the archive unreachable, a running
// dispatcher with a backlog in Redis tries one read batch, finds the
// archive away and reads no more: the backlog stays unread in Redis (what
// the daemon holds is bounded by a batch, whatever the backlog), no entry
// spends its attempts on the outage (none is dead-lettered, however
// short the backoff), and nothing is sent. When the archive answers
// again, everything is delivered once, with no restart.
func TestArchiveAwayReadsNothingNew(t *testing.T) {
	t.Parallel()
	rdb := queuetest.Redis(t)
	keys := queuetest.Keys(t, rdb, "gate", "")
	base, err := sqlite.Open(t.Context(), sqlite.Memory)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { base.Close() })
	if _, err := base.UpsertResidents(t.Context(), []outreach.Resident{{ID: "r1", Name: "Wang", Email: "wang@example.com", Locale: "en"}}); err != nil {
		t.Fatal(err)
	}
	st := &awayStore{Store: base}
	st.down.Store(true)
	const jobs, batch = 400, 50
	prod := queue.NewProducer(rdb, keys)
	for i := range jobs {
		job := emailJob(fmt.Sprintf("gate-%03d", i))
		if _, err := prod.Enqueue(t.Context(), job); err != nil {
			t.Fatal(err)
		}
	}
	tmpl, err := templates.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	sent := &callLog{}
	health := NewHealth()
	d, err := New(Config{
		Consumer:     queue.NewConsumer(rdb, keys, queue.ConsumerOptions{Block: 10 * time.Millisecond, Count: batch}),
		Store:        st,
		Templates:    tmpl,
		Senders:      map[outreach.Channel]outreach.Sender{outreach.ChannelEmail: sent.sender(outreach.ChannelEmail, nil)},
		Metrics:      metrics.New(prometheus.NewRegistry()),
		Health:       health,
		Workers:      4,
		MaxAttempts:  3,
		Backoff:      func(int, time.Duration) time.Duration { return 10 * time.Millisecond },
		PromoteEvery: 10 * time.Millisecond,
		ClaimEvery:   50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	stats := func() queue.Stats {
		s, err := d.q.Stats(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	waitFor(t, "the archive seen down", func() bool { return health.Check(HealthArchive)(t.Context()) != nil })
	// Without the gate the workers would take the whole backlog through
	// its 3 attempts (10 ms apart) in well under this.
	time.Sleep(500 * time.Millisecond)
	s := stats()
	retries := testutil.ToFloat64(d.metrics.Retries.WithLabelValues(string(outreach.KindMaintenanceNotice), "store"))
	// The read batches before the health says down (HealthFailures
	// failed reads) are tried once each; nothing after.
	const tried = (HealthFailures + 1) * batch
	if s.Dead != 0 || retries > tried || s.Lag+s.Delayed+s.Pending < jobs-tried || s.Pending > batch {
		t.Errorf("with the archive away: dead %d, retries %v, unread %d, delayed %d, pending %d; want none dead, at most %d tries, the backlog unread in Redis, at most a batch held",
			s.Dead, retries, s.Lag, s.Delayed, s.Pending, tried)
	}
	if n := sent.count(); n != 0 {
		t.Errorf("%d messages sent while the archive was away, want none", n)
	}

	st.down.Store(false)
	waitFor(t, "the backlog delivered", func() bool {
		s := stats()
		return s.Lag == 0 && s.Pending == 0 && s.Delayed == 0 && s.Dead == 0 && sent.count() >= jobs
	})
	if n := sent.count(); n != jobs {
		t.Errorf("%d messages sent for %d jobs, want each once", n, jobs)
	}
	got, err := base.Search(t.Context(), outreach.Filter{Status: outreach.StatusSent, Limit: 1000})
	if err != nil || len(got) != jobs {
		t.Errorf("%d archived as sent (%v), want %d", len(got), err, jobs)
	}
}

func (l *callLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.calls)
}

// waitFor polls cond until it holds (a minute at most).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
