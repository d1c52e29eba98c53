package queue_test

import (
	"fmt"
	"testing"

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
