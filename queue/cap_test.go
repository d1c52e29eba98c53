package queue_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/queue"
)

func TestReserveBulk(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{})
	ctx := t.Context()
	t0 := time.Date(2027, 2, 1, 10, 0, 0, 0, time.UTC)
	steps := []struct {
		name          string
		resident, msg string
		at            time.Time
		daily, weekly int
		want          outreach.PolicyReason
	}{
		{"first", "r1", "m1", t0, 2, 3, ""},
		{"second", "r1", "m2", t0.Add(time.Hour), 2, 3, ""},
		{"third in a day", "r1", "m3", t0.Add(2 * time.Hour), 2, 3, outreach.PolicyDailyCap},
		{"a retry of a counted message", "r1", "m2", t0.Add(2 * time.Hour), 2, 3, ""},
		{"another resident", "r2", "m3", t0.Add(2 * time.Hour), 2, 3, ""},
		{"next day", "r1", "m3", t0.Add(24*time.Hour + time.Minute), 2, 3, ""},
		{"fourth in a week", "r1", "m4", t0.Add(48 * time.Hour), 2, 3, outreach.PolicyWeeklyCap},
		{"no caps", "r1", "m5", t0.Add(48 * time.Hour), 0, 0, ""},
		{"a week later", "r1", "m6", t0.Add(8 * 24 * time.Hour), 2, 3, ""},
	}
	for _, s := range steps {
		got, err := e.c.ReserveBulk(ctx, s.resident, s.msg, s.at, s.daily, s.weekly)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got != s.want {
			t.Errorf("%s: ReserveBulk = %q, want %q", s.name, got, s.want)
		}
	}

	// A message that was not sent after all gives its place back.
	if got, _ := e.c.ReserveBulk(ctx, "r3", "x1", t0, 1, 0); got != "" {
		t.Fatalf("first reservation refused: %q", got)
	}
	if got, _ := e.c.ReserveBulk(ctx, "r3", "x2", t0, 1, 0); got != outreach.PolicyDailyCap {
		t.Fatalf("second reservation = %q, want daily_cap", got)
	}
	if err := e.c.ReleaseBulk(ctx, "r3", "x1"); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.c.ReserveBulk(ctx, "r3", "x2", t0, 1, 0); got != "" {
		t.Errorf("reservation after release = %q, want allowed", got)
	}
	if ttl, _ := e.rdb.PTTL(ctx, e.keys.Cap("r3")).Result(); ttl <= 0 || ttl > 7*24*time.Hour {
		t.Errorf("cap key TTL = %v, want at most a week", ttl)
	}
}

// TestReserveBulkConcurrent: daemons racing for a resident's last places
// never exceed the cap.
func TestReserveBulkConcurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{})
	now := time.Now()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		allowed int
	)
	for i := range 20 {
		wg.Go(func() {
			got, err := e.c.ReserveBulk(t.Context(), "r", fmt.Sprintf("m%d", i), now, 3, 0)
			if err != nil {
				t.Error(err)
				return
			}
			if got == "" {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if allowed != 3 {
		t.Errorf("%d of 20 concurrent reservations allowed, want the cap of 3", allowed)
	}
}

func TestLease(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{Name: "d1"})
	ctx := t.Context()
	d2 := e.consumer(queue.ConsumerOptions{Name: "d2"})
	take := func(c *queue.Consumer, ttl time.Duration) bool {
		t.Helper()
		ok, err := c.Lease(ctx, "campaign:x", ttl)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !take(e.c, time.Minute) {
		t.Fatal("d1 could not take a free lease")
	}
	if take(d2, time.Minute) {
		t.Fatal("d2 took a lease d1 holds")
	}
	if !take(e.c, time.Minute) {
		t.Fatal("d1 could not renew its lease")
	}
	if err := d2.ReleaseLease(ctx, "campaign:x"); err != nil { // not d2's: no effect
		t.Fatal(err)
	}
	if take(d2, time.Minute) {
		t.Fatal("d2 released d1's lease")
	}
	if err := e.c.ReleaseLease(ctx, "campaign:x"); err != nil {
		t.Fatal(err)
	}
	if !take(d2, 20*time.Millisecond) {
		t.Fatal("d2 could not take a released lease")
	}
	// A holder that dies loses the lease when it expires.
	for !take(e.c, time.Minute) {
		time.Sleep(5 * time.Millisecond)
	}
}
