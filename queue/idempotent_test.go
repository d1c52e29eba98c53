package queue_test

import (
	"errors"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/queue"
)

func TestEnqueueOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{})
	ctx := t.Context()
	job := testJob("idem-1")
	job.Data = map[string]any{"title": "water"}

	first, err := e.p.EnqueueOnce(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	if first.Repeat || first.StreamID == "" {
		t.Fatalf("first EnqueueOnce = %+v, want a new entry", first)
	}
	again, err := e.p.EnqueueOnce(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Repeat || again.StreamID != first.StreamID {
		t.Errorf("repeat = %+v, want a repeat answering with %s", again, first.StreamID)
	}
	if n := e.rdb.XLen(ctx, e.keys.Stream).Val(); n != 1 {
		t.Errorf("stream holds %d entries after a repeat, want 1", n)
	}

	other := job
	other.Data = map[string]any{"title": "power"}
	if _, err := e.p.EnqueueOnce(ctx, other); !errors.Is(err, queue.ErrIdempotencyConflict) {
		t.Errorf("same id, different job: error = %v, want ErrIdempotencyConflict", err)
	}
	if ttl := e.rdb.TTL(ctx, e.keys.Idempotency(job.ID)).Val(); ttl <= 0 || ttl > queue.IdempotencyTTL {
		t.Errorf("idempotency key TTL = %v, want up to %v", ttl, queue.IdempotencyTTL)
	}
}

// TestEnqueueOnceAfterLostXADD: a record without a stream id (the first
// XADD failed and its clean-up too) does not swallow the retry.
func TestEnqueueOnceAfterLostXADD(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{})
	ctx := t.Context()
	job := testJob("idem-2")
	first, err := e.p.EnqueueOnce(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	// Forget the stream id and the entry, as if the XADD had failed.
	key := e.keys.Idempotency(job.ID)
	v := e.rdb.Get(ctx, key).Val()
	e.rdb.Set(ctx, key, v[:64], queue.IdempotencyTTL)
	e.rdb.XDel(ctx, e.keys.Stream, first.StreamID)

	got, err := e.p.EnqueueOnce(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	if got.StreamID == "" || got.StreamID == first.StreamID {
		t.Errorf("retry = %+v, want a new entry", got)
	}
	if n := e.rdb.XLen(ctx, e.keys.Stream).Val(); n != 1 {
		t.Errorf("stream holds %d entries, want 1", n)
	}
}

func TestEnqueueOnceRefuses(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{})
	if _, err := e.p.EnqueueOnce(t.Context(), outreach.Job{Kind: outreach.KindFollowUp, ResidentID: "r"}); err == nil {
		t.Error("EnqueueOnce without an id: no error")
	}
	if _, err := e.p.EnqueueOnce(t.Context(), outreach.Job{ID: "x", ResidentID: "r"}); err == nil {
		t.Error("EnqueueOnce of an invalid job: no error")
	}
}
