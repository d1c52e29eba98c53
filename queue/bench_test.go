package queue_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/queue"
)

// BenchmarkEnqueueReadAck measures the round trip of a batch of 100 jobs:
// EnqueueBatch, Read until all are in, one Ack.
func BenchmarkEnqueueReadAck(b *testing.B) {
	const batch = 100
	e := newEnv(b, queue.ConsumerOptions{Count: batch})
	jobs := make([]outreach.Job, batch)
	for i := range jobs {
		jobs[i] = testJob(fmt.Sprintf("bench-%d", i))
		jobs[i].Data = map[string]any{"building": "3", "starts": "2025-01-02T08:00:00+08:00"}
	}
	ctx := b.Context()
	entries := 0
	for b.Loop() {
		if _, err := e.p.EnqueueBatch(ctx, jobs); err != nil {
			b.Fatal(err)
		}
		got := readN(b, e.c, batch)
		if err := e.c.Ack(ctx, ids(got)...); err != nil {
			b.Fatal(err)
		}
		entries += len(got)
	}
	b.ReportMetric(float64(entries)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkSettle measures settling a batch of 20 finished jobs (the
// bench's mean batch): their acks and lock releases as two round trips
// (AckRefs, then UnlockMany) and as one (Settle). Each iteration enqueues,
// reads and locks the batch first, untimed.
func BenchmarkSettle(b *testing.B) {
	const batch = 20
	for _, name := range []string{"ack+unlock", "settle"} {
		b.Run(name, func(b *testing.B) {
			e := newEnv(b, queue.ConsumerOptions{Count: batch})
			jobs := make([]outreach.Job, batch)
			ctx := b.Context()
			n := 0
			for b.Loop() {
				b.StopTimer()
				for i := range jobs {
					jobs[i] = testJob(fmt.Sprintf("settle-%d", n))
					n++
				}
				if _, err := e.p.EnqueueBatch(ctx, jobs); err != nil {
					b.Fatal(err)
				}
				got := readN(b, e.c, batch)
				refs := make([]queue.Ref, len(got))
				locks := make([]queue.JobLock, len(got))
				for i, en := range got {
					refs[i], locks[i] = en.Ref(), queue.JobLock{JobID: jobID(b, en.Job), Holder: en.Holder()}
				}
				if _, err := e.c.LockMany(ctx, locks, time.Minute); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				var err error
				if name == "settle" {
					err = e.c.Settle(ctx, refs, locks)
				} else if err = e.c.AckRefs(ctx, refs...); err == nil {
					err = e.c.UnlockMany(ctx, locks)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
