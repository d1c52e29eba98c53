package queue_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/queue"
)

func TestScheduleThenPromoteOnlyDue(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{})
	ctx := t.Context()
	e.enqueue(t, "retry", 3)
	got := readN(t, e.c, 3)
	now := time.Now()
	schedules := []struct {
		at      time.Time
		attempt int
	}{
		{now.Add(-time.Minute), 1},
		{now, 4},
		{now.Add(time.Hour), 2},
	}
	for i, s := range schedules {
		if err := e.c.Schedule(ctx, got[i], s.at, s.attempt); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.pending(t); n != 0 {
		t.Errorf("pending = %d after Schedule, want 0: scheduling acks", n)
	}

	moved, err := e.c.PromoteDue(ctx, now, 10)
	if err != nil {
		t.Fatal(err)
	}
	if moved != 2 {
		t.Errorf("PromoteDue moved %d, want the 2 due", moved)
	}
	retries := readN(t, e.c, 2)
	for i, r := range retries {
		if jobID(t, r.Job) != fmt.Sprintf("retry-%d", i) || r.Attempt != schedules[i].attempt || r.Fields[queue.FieldRetryOf] != got[i].ID {
			t.Errorf("retry %d = %+v, want job retry-%d at attempt %d from %s", i, r, i, schedules[i].attempt, got[i].ID)
		}
	}
	if n, _ := e.rdb.ZCard(ctx, e.keys.Delayed).Result(); n != 1 {
		t.Errorf("delayed set holds %d, want the 1 not yet due", n)
	}
	if moved, err := e.c.PromoteDue(ctx, now.Add(2*time.Hour), 0); err != nil || moved != 1 {
		t.Errorf("PromoteDue later moved %d (%v), want 1", moved, err)
	}
}

func TestScheduleIsIdempotentPerAttempt(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{})
	ctx := t.Context()
	raw := `{"id":"a|1|b","kind":"follow_up","resident_id":"r|2"}` // separators inside the job
	if err := e.rdb.XAdd(ctx, &redis.XAddArgs{Stream: e.keys.Stream, Values: []any{"job", raw}}).Err(); err != nil {
		t.Fatal(err)
	}
	en := readN(t, e.c, 1)[0]
	at := time.Now().Add(-time.Second)
	for _, attempt := range []int{1, 1, 2} {
		if err := e.c.Schedule(ctx, en, at, attempt); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := e.rdb.ZCard(ctx, e.keys.Delayed).Result(); err != nil || n != 2 {
		t.Fatalf("delayed set holds %d (%v), want 2: one per attempt", n, err)
	}
	if moved, err := e.c.PromoteDue(ctx, time.Now(), 10); err != nil || moved != 2 {
		t.Errorf("first PromoteDue moved %d (%v), want 2", moved, err)
	}
	for _, r := range readN(t, e.c, 2) {
		if string(r.Job) != raw || r.Fields[queue.FieldRetryOf] != en.ID {
			t.Errorf("retry %+v, want job %s from %s", r, raw, en.ID)
		}
	}
	if moved, err := e.c.PromoteDue(ctx, time.Now(), 10); err != nil || moved != 0 {
		t.Errorf("second PromoteDue moved %d (%v), want 0", moved, err)
	}
}

func TestScheduleRejects(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{})
	tests := []struct {
		name    string
		entry   queue.Entry
		attempt int
	}{
		{"no job", queue.Entry{ID: "1-0"}, 1},
		{"negative attempt", queue.Entry{ID: "1-0", Job: []byte("{}"), HasJob: true}, -1},
		{"bad id", queue.Entry{ID: "1|0", Job: []byte("{}"), HasJob: true}, 1},
	}
	for _, tt := range tests {
		if err := e.c.Schedule(t.Context(), tt.entry, time.Now(), tt.attempt); err == nil {
			t.Errorf("%s: Schedule succeeded, want an error", tt.name)
		}
	}
	if n, err := e.rdb.ZCard(t.Context(), e.keys.Delayed).Result(); err != nil || n != 0 {
		t.Errorf("delayed set holds %d (%v), want 0", n, err)
	}
}

func TestPromoteDueConcurrently(t *testing.T) {
	t.Parallel()
	const total = 500
	e := newEnv(t, queue.ConsumerOptions{Count: total})
	ctx := t.Context()
	e.enqueue(t, "many", total)
	for _, en := range readN(t, e.c, total) {
		if err := e.c.Schedule(ctx, en, time.Now().Add(-time.Second), 1); err != nil {
			t.Fatal(err)
		}
	}
	// A second daemon, promoting at the same time.
	promoters := []*queue.Consumer{e.c, e.consumer(queue.ConsumerOptions{Name: "c2"})}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		moved int
	)
	for _, c := range promoters {
		wg.Go(func() {
			for {
				n, err := c.PromoteDue(ctx, time.Now(), 7)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				moved += n
				mu.Unlock()
				if n == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	if moved != total {
		t.Errorf("promoters report %d moved, want %d", moved, total)
	}
	retries := readN(t, e.c, total)
	seen := map[string]bool{}
	for _, r := range retries {
		id := jobID(t, r.Job)
		if seen[id] || r.Attempt != 1 {
			t.Errorf("retry of %s: duplicate %v, attempt %d", id, seen[id], r.Attempt)
		}
		seen[id] = true
	}
	if len(seen) != total {
		t.Errorf("%d distinct jobs back on the stream, want %d", len(seen), total)
	}
	if n, err := e.rdb.XLen(ctx, e.keys.Stream).Result(); err != nil || n != 2*total {
		t.Errorf("stream length %d (%v), want %d originals + %d retries", n, err, total, total)
	}
	if n, err := e.rdb.ZCard(ctx, e.keys.Delayed).Result(); err != nil || n != 0 {
		t.Errorf("delayed set holds %d (%v), want 0", n, err)
	}
}

func TestPromoteDueDeadLettersMalformedMembers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{})
	ctx := t.Context()
	for _, m := range []string{"garbage", "1-0|x|{}", "1-0|"} {
		if err := e.rdb.ZAdd(ctx, e.keys.Delayed, redis.Z{Score: 1, Member: m}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	moved, err := e.c.PromoteDue(ctx, time.Now(), 10)
	if err != nil || moved != 0 {
		t.Fatalf("PromoteDue = %d, %v; want 0 moved, no error", moved, err)
	}
	dead, err := e.rdb.XRange(ctx, e.keys.Dead, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 3 || dead[0].Values["reason"] != "invalid_job" || dead[0].Values["member"] == nil {
		t.Errorf("dead entries %v, want the 3 malformed members with reason invalid_job", dead)
	}
	if n, err := e.rdb.ZCard(ctx, e.keys.Delayed).Result(); err != nil || n != 0 {
		t.Errorf("delayed set holds %d (%v), want 0", n, err)
	}
}
