package queue_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/queue"
)

func TestEnqueueReadAckLeavesNothingPending(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{})
	ctx := t.Context()

	job := testJob("round-trip")
	job.Data = map[string]any{"note": "water <off> & back"}
	sid, err := e.p.Enqueue(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	got := readN(t, e.c, 1)[0]
	if got.ID != sid || !got.HasJob || got.Attempt != 0 {
		t.Fatalf("read %+v, want id %s with a job at attempt 0", got, sid)
	}
	if string(got.Job) != got.Fields[queue.FieldJob] {
		t.Errorf("Job %q differs from the job field %q", got.Job, got.Fields[queue.FieldJob])
	}
	decoded, err := outreach.DecodeJob(got.Job)
	if err != nil {
		t.Fatal(err)
	}
	if decoded.ID != job.ID || decoded.Data["note"] != "water <off> & back" {
		t.Errorf("decoded %+v, want the enqueued job", decoded)
	}
	if n := e.pending(t); n != 1 {
		t.Fatalf("pending before ack = %d, want 1", n)
	}
	if err := e.c.Ack(ctx, got.ID); err != nil {
		t.Fatal(err)
	}
	if n := e.pending(t); n != 0 {
		t.Errorf("pending after ack = %d, want 0", n)
	}
}

func TestEnqueueBatchKeepsOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{Count: 3})
	sids := e.enqueue(t, "batch", 7)

	got := readN(t, e.c, 7)
	if !slices.Equal(ids(got), sids) {
		t.Errorf("read ids %v, want %v", ids(got), sids)
	}
	for i, en := range got {
		if want := fmt.Sprintf("batch-%d", i); jobID(t, en.Job) != want {
			t.Errorf("entry %d has job %q, want %q", i, jobID(t, en.Job), want)
		}
	}
	if err := e.c.Ack(t.Context(), ids(got)...); err != nil {
		t.Fatal(err)
	}
	if n := e.pending(t); n != 0 {
		t.Errorf("pending after ack = %d, want 0", n)
	}
}

func TestEnqueueRejectsInvalidJobs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, queue.ConsumerOptions{})
	ctx := t.Context()
	tests := []struct {
		name string
		job  outreach.Job
		want outreach.Reason
	}{
		{"no kind", outreach.Job{ResidentID: "r"}, outreach.ReasonMissingKind},
		{"unknown kind", outreach.Job{Kind: "party", ResidentID: "r"}, outreach.ReasonUnknownKind},
		{"nobody", outreach.Job{Kind: outreach.KindFollowUp}, outreach.ReasonInvalidJob},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.p.Enqueue(ctx, tt.job)
			if r, ok := outreach.RejectReason(err); !ok || r != tt.want {
				t.Errorf("Enqueue error %v, want reason %s", err, tt.want)
			}
			_, err = e.p.EnqueueBatch(ctx, []outreach.Job{testJob("ok"), tt.job})
			if r, ok := outreach.RejectReason(err); !ok || r != tt.want {
				t.Errorf("EnqueueBatch error %v, want reason %s", err, tt.want)
			}
		})
	}
	if n, err := e.rdb.XLen(ctx, e.keys.Stream).Result(); err != nil || n != 0 {
		t.Errorf("stream length %d (%v), want 0: nothing of a bad batch is enqueued", n, err)
	}
}
