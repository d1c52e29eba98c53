package queue_test

import (
	"slices"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/queue"
)

// TestHoldAndRelease: jobs of a paused campaign leave the stream (acked)
// into a held set, and come back through the delayed set to their lane,
// each once, when released; the index forgets the campaign when its set is
// empty.
func TestHoldAndRelease(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{Count: 10})
	ctx := t.Context()
	if _, err := e.p.EnqueueBatch(ctx, []outreach.Job{
		jobWith("a", outreach.PriorityBulk), jobWith("b", outreach.PriorityBulk), jobWith("c", outreach.PriorityUrgent),
	}); err != nil {
		t.Fatal(err)
	}
	got := readN(t, e.c, 1)                // c, urgent
	got = append(got, readN(t, e.c, 2)...) // a, b
	for _, g := range got {
		if err := e.c.Hold(ctx, g, "spring"); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.c.Hold(ctx, got[0], "spring"); err != nil { // a redelivered entry is held once
		t.Fatal(err)
	}
	for _, stream := range e.keys.Lanes() {
		if p, _ := e.rdb.XPending(ctx, stream, e.keys.Group).Result(); p.Count != 0 {
			t.Errorf("%s: %d pending after Hold, want 0", stream, p.Count)
		}
	}
	if ids, err := e.c.HeldCampaigns(ctx); err != nil || !slices.Equal(ids, []string{"spring"}) {
		t.Errorf("HeldCampaigns = %v, %v; want [spring]", ids, err)
	}
	if n, _ := e.rdb.ZCard(ctx, e.keys.Held("spring")).Result(); n != 3 {
		t.Errorf("held set has %d members, want 3", n)
	}

	moved, err := e.c.ReleaseHeld(ctx, "spring", time.Now(), 2) // two batches
	if err != nil || moved != 3 {
		t.Fatalf("ReleaseHeld = %d, %v; want 3", moved, err)
	}
	if ids, _ := e.c.HeldCampaigns(ctx); len(ids) != 0 {
		t.Errorf("HeldCampaigns after release = %v, want none", ids)
	}
	if n, err := e.c.PromoteDue(ctx, time.Now(), 10); err != nil || n != 3 {
		t.Fatalf("PromoteDue = %d, %v; want 3", n, err)
	}
	var back []string
	for _, g := range readN(t, e.c, 1) {
		back = append(back, g.Lane+":"+jobID(t, g.Job))
	}
	for _, g := range readN(t, e.c, 2) {
		back = append(back, g.Lane+":"+jobID(t, g.Job))
	}
	slices.Sort(back)
	if want := []string{"bulk:a", "bulk:b", "urgent:c"}; !slices.Equal(back, want) {
		t.Errorf("released jobs came back as %v, want %v", back, want)
	}
	if moved, err := e.c.ReleaseHeld(ctx, "spring", time.Now(), 0); err != nil || moved != 0 {
		t.Errorf("second ReleaseHeld = %d, %v; want 0", moved, err)
	}
}

func TestHoldRefusesWhatCannotComeBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{})
	if err := e.c.Hold(t.Context(), queue.Entry{ID: "1-0"}, "c"); err == nil {
		t.Error("Hold accepted an entry without a job")
	}
	if err := e.c.Hold(t.Context(), queue.Entry{ID: "1-0", HasJob: true, Job: []byte("{}")}, ""); err == nil {
		t.Error("Hold accepted an entry without a campaign")
	}
}

// TestScheduleJobs: new jobs go to the delayed set, each to come back to
// its lane; scheduling the same jobs again from the same entry adds nothing.
func TestScheduleJobs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{Count: 10})
	ctx := t.Context()
	now := time.Now()
	jobs := []queue.Delayed{
		{Job: jobWith("later", outreach.PriorityBulk), At: now.Add(time.Hour)},
		{Job: jobWith("due", outreach.PriorityUrgent), At: now.Add(-time.Second)},
	}
	for range 2 {
		if err := e.c.ScheduleJobs(ctx, "5-0", jobs); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := e.rdb.ZCard(ctx, e.keys.Delayed).Result(); n != 2 {
		t.Errorf("delayed set has %d members, want 2", n)
	}
	if n, err := e.c.PromoteDue(ctx, now, 10); err != nil || n != 1 {
		t.Fatalf("PromoteDue = %d, %v; want 1", n, err)
	}
	got := readN(t, e.c, 1)[0]
	if got.Lane != "urgent" || jobID(t, got.Job) != "due" || got.Fields[queue.FieldRetryOf] != "5-0" {
		t.Errorf("promoted %+v, want job due on the urgent lane from 5-0", got)
	}
	if err := e.c.ScheduleJobs(ctx, "6-0", []queue.Delayed{{Job: outreach.Job{ID: "bad"}, At: now}}); err == nil {
		t.Error("ScheduleJobs accepted an invalid job")
	}
	if err := e.c.ScheduleJobs(ctx, "6|0", jobs); err == nil {
		t.Error("ScheduleJobs accepted a source id with the member separator")
	}
}
