package campaign

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/policy"
	"github.com/outreach-dev/outreach/outreach/store/postgres"
	"github.com/outreach-dev/outreach/outreach/store/sqlite"
	"github.com/outreach-dev/outreach/queue"
	"github.com/outreach-dev/outreach/queue/queuetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func randomName() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// testRedis connects to the test Redis (package queuetest) with room for
// the blocking readers of several rigs, and returns queue keys of the
// test's own, deleted when it ends.
func testRedis(tb testing.TB) (redis.UniversalClient, queue.Keys) {
	tb.Helper()
	rdb := queuetest.ConnectWith(tb, queuetest.RedisURL(), queue.ConnectOptions{PoolSize: 20})
	return rdb, queuetest.Keys(tb, rdb, "campaign", "g")
}

// stores opens an empty store of each driver for the test.
func stores(t *testing.T) map[string]outreach.Store {
	t.Helper()
	lite, err := sqlite.Open(t.Context(), t.TempDir()+"/outreach.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	return map[string]outreach.Store{"sqlite": lite, "postgres": openPostgres(t)}
}

func openPostgres(tb testing.TB) outreach.Store {
	tb.Helper()
	url := os.Getenv("OUTREACH_TEST_DATABASE_URL")
	if url == "" {
		url = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	schema := "outreach_campaign_" + randomName()
	tb.Cleanup(func() {
		ctx := context.Background()
		if conn, err := pgx.Connect(ctx, url); err == nil {
			_, _ = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
			conn.Close(ctx)
		}
	})
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	st, err := postgres.OpenSchema(tb.Context(), url+sep+"pool_max_conns=4", schema)
	if err != nil {
		tb.Fatalf("open PostgreSQL (OUTREACH_TEST_DATABASE_URL): %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// seed adds n residents r00000.. spread over buildings 1 to 4 (building
// b holds the residents whose number % 4 == b-1); every fifth is elderly.
func seed(tb testing.TB, st outreach.Store, n int) {
	tb.Helper()
	for start := 0; start < n; start += 5000 {
		var rs []outreach.Resident
		for i := start; i < min(start+5000, n); i++ {
			r := outreach.Resident{ID: fmt.Sprintf("r%05d", i), Name: fmt.Sprintf("Resident %d", i),
				Email: fmt.Sprintf("r%05d@example.com", i), Locale: "en", Building: fmt.Sprint(i%4 + 1)}
			if i%5 == 0 {
				r.Tags = []string{"elderly"}
			}
			rs = append(rs, r)
		}
		if _, err := st.UpsertResidents(tb.Context(), rs); err != nil {
			tb.Fatal(err)
		}
	}
}

// clock is a settable time for tests.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

// rig is the campaign machinery of one daemon on a store and Redis.
type rig struct {
	store    outreach.Store
	rdb      redis.UniversalClient
	keys     queue.Keys
	consumer *queue.Consumer
	svc      *Service
	x        *Expander
	sched    *Scheduler
	clock    *clock
}

func newRig(tb testing.TB, st outreach.Store, rdb redis.UniversalClient, keys queue.Keys, name string, now time.Time) *rig {
	tb.Helper()
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	c := &clock{t: now}
	consumer := queue.NewConsumer(rdb, keys, queue.ConsumerOptions{Name: name, Block: 10 * time.Millisecond})
	if err := consumer.EnsureGroup(tb.Context()); err != nil {
		tb.Fatal(err)
	}
	x := &Expander{Store: st, Producer: queue.NewProducer(rdb, keys), Consumer: consumer,
		Zones: policy.NewZones(shanghai), BatchSize: 500, Now: c.Now}
	return &rig{
		store: st, rdb: rdb, keys: keys, consumer: consumer, clock: c, x: x,
		svc:   &Service{Store: st, Zone: shanghai, Now: c.Now},
		sched: &Scheduler{Expander: x, Store: st, Consumer: consumer, Now: c.Now},
	}
}

// streamJobs reads every job on the lanes (without the group) by id.
func (r *rig) streamJobs(tb testing.TB) map[string][]outreach.Job {
	tb.Helper()
	out := map[string][]outreach.Job{}
	for _, lane := range r.keys.Lanes() {
		msgs, err := r.rdb.XRange(tb.Context(), lane, "-", "+").Result()
		if err != nil {
			tb.Fatal(err)
		}
		for _, m := range msgs {
			j, err := outreach.DecodeJob([]byte(fmt.Sprint(m.Values["job"])))
			if err != nil {
				tb.Fatal(err)
			}
			out[j.ResidentID] = append(out[j.ResidentID], j)
		}
	}
	return out
}
