package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/metrics"
	"github.com/outreach-dev/outreach/queue"
)

// attempt is one processing of one stream entry: the one value the stages
// of the pipeline share. Each stage reads what the ones before it found
// and adds its own part; a stage that decides how the attempt ends sets
// its verdict, and the stages after it do not run.
type attempt struct {
	e     queue.Entry
	pre   *prefetched // what the read batch did for the entry (never nil)
	start time.Time
	// log is the dispatcher's logger; logAttrs adds the job's attributes
	// once the job is decoded (decoded).
	log     *slog.Logger
	decoded bool

	job       outreach.Job
	campaign  outreach.CampaignState
	locked    bool // the attempt holds the job's lock: released when it ends
	residents []outreach.Resident
	// prior is the job's earlier outcomes, by resident and channel.
	prior map[string]map[outreach.Channel]outreach.Outcome
	// records are the archive records of the attempt's deliveries.
	records  []outreach.Delivery
	recorded bool // records are committed to the archive
	// later is what waits in the delayed set: deliveries deferred by
	// quiet hours (the follow-ups are derived from records).
	later []queue.Delayed
	// failed is what the deliveries' errors ask for.
	failed failures
	// verdict is how the attempt ends; undecided while stages run.
	verdict verdict
}

func newAttempt(logger *slog.Logger, e queue.Entry, pre *prefetched) *attempt {
	if pre == nil {
		pre = &prefetched{}
	}
	a := &attempt{e: e, pre: pre, start: time.Now(), log: logger, locked: pre.locked}
	a.residents = pre.residents
	if pre.priorOK {
		a.prior = byResident(pre.prior)
	}
	return a
}

// logAttrs logs a line about the attempt, led by the job's attributes
// (job_id, kind, entry_id, attempt) once the job is decoded. They are made
// only when the line is logged: a Logger.With per job formatted them for
// every job whether or not anything was logged (8% of the daemon's CPU in
// an `outreach bench` profile).
func (a *attempt) logAttrs(ctx context.Context, level slog.Level, msg string, attrs ...slog.Attr) {
	if !a.log.Enabled(ctx, level) {
		return
	}
	if a.decoded {
		attrs = append([]slog.Attr{slog.Any("job_id", a.job.ID), slog.Any("kind", a.job.Kind),
			slog.Any("entry_id", a.e.ID), slog.Any("attempt", a.e.Attempt)}, attrs...)
	}
	a.log.LogAttrs(ctx, level, msg, attrs...)
}

// lastTry reports whether a temporary failure of this attempt is final.
func (a *attempt) lastTry(maxAttempts int) bool { return a.e.Attempt+1 >= maxAttempts }

// ids names the attempt's job and entry for a stage's trace line.
func (a *attempt) ids() ids { return ids{job: a.job.ID, entry: a.e.ID} }

// verdictKind is how an attempt ends.
type verdictKind int

const (
	undecided    verdictKind = iota // the next stage runs
	settled                         // the deciding stage settled the entry (deferred to send_at, held, back to wait for the lock)
	keepPending                     // nothing is settled: the entry stays pending and is claimed again
	acked                           // done: ack
	retried                         // a temporary failure: the job comes back after a backoff
	deadLettered                    // the job can never succeed
)

// verdict is how an attempt ends, and why.
type verdict struct {
	kind  verdictKind
	cause error
	why   string        // retried: the reason (outreach_retries_total)
	hint  time.Duration // retried: the provider's Retry-After
	msg   string        // keepPending: the log line
}

// classify is what an error asks of the attempt; every error is
// classified here, once. A *outreach.RejectError dead-letters the job, a
// stage's pending error leaves the entry pending, and anything else is a
// temporary failure that brings the job back.
func classify(err error) verdict {
	if err == nil {
		return verdict{}
	}
	if p, ok := errors.AsType[*pendingError](err); ok {
		return verdict{kind: keepPending, cause: p.err, msg: p.msg}
	}
	switch {
	case isReject(err):
		return verdict{kind: deadLettered, cause: err}
	default:
		return verdict{kind: retried, cause: err, why: retryReason(err), hint: outreach.RetryAfterHint(err)}
	}
}

// pendingError is a failure after which the attempt does nothing more:
// the entry stays pending and is claimed again (an archive write, or a
// Redis write that would have settled the entry, failed).
type pendingError struct {
	msg string
	err error
}

func (e *pendingError) Error() string { return e.err.Error() }
func (e *pendingError) Unwrap() error { return e.err }

func pending(msg string, err error) error { return &pendingError{msg: msg, err: err} }

// storeError is a failure of the store before anything was sent: the job
// is retried, counted under the reason "store".
type storeError struct{ err error }

func (e *storeError) Error() string { return e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

// inStore marks err as the store's, unless it is a rejection.
func inStore(err error) error {
	if err == nil || isReject(err) {
		return err
	}
	return &storeError{err: err}
}

func retryReason(err error) string {
	if _, ok := errors.AsType[*storeError](err); ok {
		return "store"
	}
	return outreach.FailureReason(err)
}

func isReject(err error) bool {
	_, ok := outreach.RejectReason(err)
	return ok
}

// failures are what the deliveries of an attempt ask for: the last
// rejection (a template error), and the last temporary failure with the
// longest Retry-After of them all.
type failures struct{ reject, retry verdict }

// note classifies a delivery's error and keeps it; it returns the kind.
func (f *failures) note(err error) verdictKind {
	v := classify(err)
	switch v.kind {
	case deadLettered:
		f.reject = v
	case retried:
		v.hint = max(v.hint, f.retry.hint)
		f.retry = v
	}
	return v.kind
}

// verdict is the attempt's verdict once its deliveries are recorded.
// Temporary failures are retried even when another resident's message
// cannot be rendered: that error comes back on the retry, and the job is
// dead-lettered for it once nothing is left to retry.
func (f failures) verdict(lastTry bool) verdict {
	switch {
	case f.retry.kind == retried && !lastTry:
		return f.retry
	case f.reject.kind == deadLettered:
		return f.reject
	case f.retry.kind == retried:
		return f.retry // settle gives up: retries exhausted
	}
	return verdict{kind: acked}
}

// stage is one step of the pipeline over an attempt. run returns an error
// to end the attempt (see classify), or sets the attempt's verdict itself;
// otherwise the next stage runs.
type stage struct {
	name string
	// metric is the stage's outreach_stage_* label (untimed: none).
	metric metrics.Stage
	run    func(d *Dispatcher, ctx context.Context, a *attempt) error
	// prefetched, when set, reports whether the read batch did the stage
	// for the attempt already (see prefetch, which traced it): it is not
	// run again.
	prefetched func(a *attempt) bool
}

// untimed is the metric of the stages outreach_stage_* does not count.
const untimed metrics.Stage = -1

// pipeline is what process runs over an attempt, in order; settle ends
// every attempt. docs/design.md draws it.
var pipeline = []stage{
	{name: "decode", metric: metrics.StageDecode, run: (*Dispatcher).decodeStage,
		prefetched: func(a *attempt) bool { return a.pre.decoded }},
	{name: "defer until send_at", metric: untimed, run: (*Dispatcher).deferUntil},
	{name: "campaign gate", metric: untimed, run: (*Dispatcher).campaignGate},
	{name: "lock", metric: untimed, run: (*Dispatcher).lockStage},
	{name: "audience", metric: metrics.StageAudience, run: (*Dispatcher).audienceStage,
		prefetched: func(a *attempt) bool { return a.pre.residents != nil }},
	{name: "dedupe", metric: metrics.StageDedupe, run: (*Dispatcher).dedupeStage,
		prefetched: func(a *attempt) bool { return a.pre.priorOK }},
	{name: "estates", metric: untimed, run: (*Dispatcher).estateStage},
	{name: "deliver", metric: untimed, run: (*Dispatcher).deliverStage}, // per resident: route, policy, render, send
	{name: "record", metric: metrics.StageRecord, run: (*Dispatcher).recordStage},
	{name: "schedule what waits", metric: untimed, run: (*Dispatcher).scheduleStage},
}

// process takes one stream entry through the pipeline and settles it.
// pre is what the read loop did for the entry with its batch (see
// prefetch); nil for none.
func (d *Dispatcher) process(ctx context.Context, e queue.Entry, pre *prefetched) {
	a := newAttempt(d.logger, e, pre)
	if a.pre.decoded {
		d.accept(a, a.pre.job)
	}
	defer d.release(ctx, a) // last, whichever way the attempt ends (a panic too)
	d.runStages(ctx, pipeline, a)
	d.settle(ctx, a)
}

// runStages runs stages over a until one decides the verdict.
func (d *Dispatcher) runStages(ctx context.Context, stages []stage, a *attempt) {
	for _, st := range stages {
		if st.prefetched != nil && st.prefetched(a) {
			continue
		}
		if err := d.timed(ctx, st.metric, a.ids, func() error { return st.run(d, ctx, a) }); err != nil {
			a.verdict = classify(err)
		}
		if a.verdict.kind != undecided {
			return
		}
	}
}

// timed is the timing wrapper of every stage, and of the parts of a
// stage done per resident or per channel: it runs fn and ends the stage
// with trace (outreach_stage_total, outreach_stage_duration_seconds and
// the "stage" debug line, naming what id returns after fn ran).
func (d *Dispatcher) timed(ctx context.Context, st metrics.Stage, id func() ids, fn func() error) error {
	if st == untimed {
		return fn()
	}
	start := time.Now()
	err := fn()
	d.trace(ctx, st, start, err, id())
	return err
}

// settle ends the attempt as its verdict says: nothing more (settled, or
// left pending), ack, retry later or dead-letter.
func (d *Dispatcher) settle(ctx context.Context, a *attempt) {
	v := a.verdict
	if v.kind == undecided {
		v = a.failed.verdict(a.lastTry(d.cfg.MaxAttempts))
	}
	switch v.kind {
	case keepPending:
		a.logAttrs(ctx, slog.LevelError, v.msg, slog.Any("err", v.cause))
	case acked:
		d.done(a.e, a.job)
		a.logAttrs(ctx, slog.LevelInfo, "job done", slog.Int("deliveries", len(a.records)), slog.Duration("took", time.Since(a.start)))
	case retried:
		if a.lastTry(d.cfg.MaxAttempts) {
			d.deadLetterAttempt(ctx, a, outreach.Reject(outreach.ReasonRetriesExhausted,
				fmt.Errorf("giving up after %d attempts: %w", a.e.Attempt+1, v.cause)))
			return
		}
		d.scheduleRetry(ctx, a.e, a.job, v.why, v.cause, v.hint)
	case deadLettered:
		d.deadLetterAttempt(ctx, a, v.cause)
	}
}

// deadLetterAttempt dead-letters the attempt's entry; an attempt that
// archived nothing archives the rejection first, so that the job can be
// found in the archive by id.
func (d *Dispatcher) deadLetterAttempt(ctx context.Context, a *attempt, cause error) {
	if !a.recorded {
		d.reject(ctx, a.e, a.job, cause)
		return
	}
	d.deadLetter(ctx, a.e, a.job.ID, cause)
}

// release gives back the job's lock, if the attempt holds it.
func (d *Dispatcher) release(ctx context.Context, a *attempt) {
	if a.locked {
		d.held.remove(queue.JobLock{JobID: a.job.ID, Holder: a.e.Holder()})
		d.unlock(ctx, a.job.ID, a.e.Holder())
	}
}
