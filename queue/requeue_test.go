package queue_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/queue"
	"github.com/outreach-dev/outreach/queue/queuetest"
)

// TestRequeue: a dead letter is listed with its reason and job, and put
// back once: as a new entry of the lane it came from, with the id it had
// when it came without one, and gone from the dead letters.
func TestRequeue(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{Name: "daemon-1"})
	ctx := t.Context()
	// A job without an id, on the urgent lane, and one with an id.
	if _, err := e.rdb.XAdd(ctx, &redis.XAddArgs{Stream: e.keys.Urgent, Values: []any{"job", `{"kind":"maintenance_notice","resident_id":"r1","priority":"urgent"}`}}).Result(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.Enqueue(ctx, testJob("j2")); err != nil {
		t.Fatal(err)
	}
	entries := readN(t, e.c, 2)
	for _, en := range entries {
		if err := e.c.DeadLetter(ctx, en, outreach.ReasonUnknownResident, errors.New("no resident")); err != nil {
			t.Fatal(err)
		}
	}
	dead, err := e.p.DeadLetters(ctx, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 2 || dead[0].ID <= dead[1].ID {
		t.Fatalf("DeadLetters = %+v, want 2, newest first", dead)
	}
	var urgent queue.DeadEntry
	for _, d := range dead {
		if d.SourceStream == e.keys.Urgent {
			urgent = d
		}
	}
	if urgent.Reason != outreach.ReasonUnknownResident || urgent.Error != "no resident" || urgent.Consumer != "daemon-1" || urgent.FailedAt.IsZero() || urgent.Job == "" {
		t.Fatalf("the urgent dead letter reads %+v", urgent)
	}
	// Pages: one at a time, the second page after the first.
	page, err := e.p.DeadLetters(ctx, dead[0].ID, 1)
	if err != nil || len(page) != 1 || page[0].ID != dead[1].ID {
		t.Errorf("the page after %s = %+v, %v", dead[0].ID, page, err)
	}

	newID, err := e.p.Requeue(ctx, urgent.Shard, urgent.ID)
	if err != nil {
		t.Fatal(err)
	}
	back, err := e.rdb.XRange(ctx, e.keys.Urgent, newID, newID).Result()
	if err != nil || len(back) != 1 {
		t.Fatalf("the re-queued entry %s on the urgent lane: %v, %v", newID, back, err)
	}
	var job outreach.Job
	if err := json.Unmarshal([]byte(back[0].Values["job"].(string)), &job); err != nil {
		t.Fatal(err)
	}
	if want := "urgent:" + urgent.SourceID; job.ID != want || job.ResidentID != "r1" || len(back[0].Values) != 1 {
		t.Errorf("the re-queued entry is %v (job id %q), want only the job, with id %q", back[0].Values, job.ID, want)
	}
	if _, err := e.p.Requeue(ctx, urgent.Shard, urgent.ID); !errors.Is(err, outreach.ErrNotFound) {
		t.Errorf("a second Requeue = %v, want ErrNotFound", err)
	}
	if _, err := e.p.DeadLetter(ctx, urgent.Shard, urgent.ID); !errors.Is(err, outreach.ErrNotFound) {
		t.Errorf("the re-queued dead letter is still there: %v", err)
	}
	if left, _ := e.p.DeadLetters(ctx, "", 10); len(left) != 1 {
		t.Errorf("%d dead letters left, want 1", len(left))
	}
	// The job with an id keeps it, on the normal lane.
	other := dead[0]
	if other.ID == urgent.ID {
		other = dead[1]
	}
	newID, err = e.p.Requeue(ctx, other.Shard, other.ID)
	if err != nil {
		t.Fatal(err)
	}
	back, _ = e.rdb.XRange(ctx, e.keys.Stream, newID, newID).Result()
	if len(back) != 1 || back[0].Values["job"] != other.Job {
		t.Errorf("the job with an id came back as %v, want %s unchanged", back, other.Job)
	}

	// No job field (a malformed delayed entry): nothing to put back.
	id, err := e.rdb.XAdd(ctx, &redis.XAddArgs{Stream: e.keys.Dead, Values: []any{"member", "garbage", "reason", "bad_json"}}).Result()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.Requeue(ctx, 0, id); !errors.Is(err, queue.ErrNoJob) {
		t.Errorf("Requeue without a job = %v, want ErrNoJob", err)
	}
	for _, bad := range []struct {
		shard int
		id    string
	}{{1, id}, {-1, id}, {0, "nonsense"}, {0, "1-1"}} {
		if _, err := e.p.Requeue(ctx, bad.shard, bad.id); !errors.Is(err, outreach.ErrNotFound) {
			t.Errorf("Requeue(%d, %q) = %v, want ErrNotFound", bad.shard, bad.id, err)
		}
	}
	if _, err := e.p.DeadLetters(ctx, "x", 10); err == nil {
		t.Error("DeadLetters before a bad id: no error")
	}
}

// TestDeadLettersOfShards: every shard's dead letters, newest first.
func TestDeadLettersOfShards(t *testing.T) {
	t.Parallel()
	rdb := newRedis(t)
	keys := queue.NewShardedKeys(queuetest.Stream(t, rdb, "queue"), "g", 3) // its shards' keys are the stream's, deleted with it
	p := queue.NewProducer(rdb, keys)
	for i := range 6 {
		k := keys.Shards()[i%3]
		// IDs a millisecond apart: auto IDs on different shards can share
		// a millisecond, and "newest first" across shards compares them.
		id := fmt.Sprintf("%d-1", 1_700_000_000_000+i)
		if err := rdb.XAdd(t.Context(), &redis.XAddArgs{Stream: k.Dead, ID: id, Values: []any{"job", fmt.Sprintf(`{"n":%d}`, i), "reason", "bad_json"}}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	dead, err := p.DeadLetters(t.Context(), "", 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 4 || dead[0].Job != `{"n":5}` || dead[3].Job != `{"n":2}` || dead[0].Shard != 2 {
		t.Errorf("DeadLetters = %+v, want jobs 5..2 newest first", dead)
	}
	if _, err := p.Requeue(t.Context(), dead[0].Shard, dead[0].ID); err != nil {
		t.Errorf("Requeue in shard 2: %v", err)
	}
}
