package queue_test

import (
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/queue"
)

func TestDeadLetterKeepsFieldsAndAcks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{Name: "daemon-7"})
	ctx := t.Context()
	values := []any{"job", `{"kind":"party"}`, "trace", "abc", "reason", "theirs"}
	sid, err := e.rdb.XAdd(ctx, &redis.XAddArgs{Stream: e.keys.Stream, Values: values}).Result()
	if err != nil {
		t.Fatal(err)
	}
	en := readN(t, e.c, 1)[0]

	cause := errors.New(`unknown kind "party"`)
	if err := e.c.DeadLetter(ctx, en, outreach.ReasonUnknownKind, cause); err != nil {
		t.Fatal(err)
	}
	if n := e.pending(t); n != 0 {
		t.Errorf("pending = %d, want 0 after dead-lettering", n)
	}
	dead, err := e.rdb.XRange(ctx, e.keys.Dead, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 {
		t.Fatalf("dead stream has %d entries, want 1", len(dead))
	}
	got := dead[0].Values
	want := map[string]string{
		"job":             `{"kind":"party"}`,
		"trace":           "abc",
		"original_reason": "theirs",
		"reason":          "unknown_kind",
		"error":           `unknown kind "party"`,
		"source_id":       sid,
		"source_stream":   e.keys.Stream,
		"consumer":        "daemon-7",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("dead field %s = %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want)+1 {
		t.Errorf("dead entry has fields %v, want %v plus failed_at", got, want)
	}
	at, err := time.Parse(time.RFC3339, got["failed_at"].(string))
	if err != nil || at.IsZero() {
		t.Errorf("failed_at %q is not RFC 3339: %v", got["failed_at"], err)
	}
}

func TestDeadLetterWithoutJobField(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{})
	ctx := t.Context()
	if err := e.rdb.XAdd(ctx, &redis.XAddArgs{Stream: e.keys.Stream, Values: []any{"payload", "x"}}).Err(); err != nil {
		t.Fatal(err)
	}
	en := readN(t, e.c, 1)[0]
	if err := e.c.DeadLetter(ctx, en, outreach.ReasonNoJobField, nil); err != nil {
		t.Fatal(err)
	}
	dead, err := e.rdb.XRange(ctx, e.keys.Dead, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].Values["payload"] != "x" || dead[0].Values["reason"] != "no_job_field" || dead[0].Values["error"] != "" {
		t.Errorf("dead entries %v, want one with payload, reason no_job_field and an empty error", dead)
	}
	if n := e.pending(t); n != 0 {
		t.Errorf("pending = %d, want 0", n)
	}
}
