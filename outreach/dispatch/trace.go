package dispatch

import (
	"context"
	"log/slog"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/metrics"
	"github.com/outreach-dev/outreach/queue"
)

// ids names what a stage worked on, for its trace line; empty fields are
// left out. It is passed by value, so a trace below the log level
// allocates nothing.
type ids struct {
	job, entry, resident, delivery string
	channel                        outreach.Channel
}

// jobIDs are the ids of job read from entry e.
func jobIDs(e queue.Entry, job outreach.Job) ids { return ids{job: job.ID, entry: e.ID} }

// trace ends a stage: it counts the stage's result (and its duration from
// start, unless start is zero) in outreach_stage_total and
// outreach_stage_duration_seconds, and writes one debug line naming the
// stage, its result and the ids it worked on.
func (d *Dispatcher) trace(ctx context.Context, st metrics.Stage, start time.Time, err error, id ids) {
	d.metrics.Stages.Done(st, start, err)
	if !d.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := make([]slog.Attr, 0, 9)
	attrs = append(attrs, slog.String("stage", st.String()))
	for _, a := range [...]struct{ k, v string }{
		{"job_id", id.job}, {"entry_id", id.entry}, {"resident_id", id.resident},
		{"channel", string(id.channel)}, {"delivery_id", id.delivery},
	} {
		if a.v != "" {
			attrs = append(attrs, slog.String(a.k, a.v))
		}
	}
	if !start.IsZero() {
		attrs = append(attrs, slog.Duration("took", time.Since(start)))
	}
	if err != nil {
		attrs = append(attrs, slog.String("result", metrics.ResultError), slog.Any("err", err))
	} else {
		attrs = append(attrs, slog.String("result", metrics.ResultOK))
	}
	d.logger.LogAttrs(ctx, slog.LevelDebug, "stage", attrs...)
}

// traceAcks ends the ack stage of a batch of n entries (one XACK per
// lane): it counts them, and writes one debug line for the batch.
func (d *Dispatcher) traceAcks(n int, took time.Duration, err error) {
	d.metrics.Stages.DoneN(metrics.StageAck, n, took, err)
	ctx := context.Background()
	if !d.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	result := metrics.ResultOK
	if err != nil {
		result = metrics.ResultError
	}
	d.logger.LogAttrs(ctx, slog.LevelDebug, "stage", slog.String("stage", metrics.StageAck.String()),
		slog.Int("entries", n), slog.Duration("took", took), slog.String("result", result))
}

// queueSnapshot is s in the terms of package metrics.
func queueSnapshot(k queue.Keys, s queue.Stats) metrics.Queue {
	q := metrics.Queue{Stream: k.Name, Group: k.Group, Length: s.Length, Lag: s.Lag, Pending: s.Pending, Dead: s.Dead, Delayed: s.Delayed}
	for _, l := range s.Lanes {
		q.Lanes = append(q.Lanes, metrics.Lane{Name: l.Name, Length: l.Length, Lag: l.Lag, Pending: l.Pending})
	}
	for _, sh := range s.Shards {
		q.Shards = append(q.Shards, metrics.Shard{Length: sh.Length, Lag: sh.Lag, Pending: sh.Pending, Delayed: sh.Delayed})
	}
	return q
}
