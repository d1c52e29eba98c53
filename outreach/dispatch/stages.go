package dispatch

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/queue"
)

// The stages of the pipeline, in order (see pipeline); the per-resident
// ones are in resident.go.

// decodeStage turns the entry into a valid job. A job that does not decode
// is dead-lettered, archived under what can be read of it (looseJob).
func (d *Dispatcher) decodeStage(_ context.Context, a *attempt) error {
	job, err := decode(a.e)
	if err != nil {
		a.job = looseJob(a.e.Job)
		if !isReject(err) {
			err = outreach.Reject(outreach.ReasonInternal, err)
		}
		return err
	}
	d.accept(a, job)
	return nil
}

// accept makes job the attempt's, once decoded (by decodeStage or with
// the read batch).
func (d *Dispatcher) accept(a *attempt, job outreach.Job) {
	a.job = job
	if a.e.Attempt == 0 {
		d.metrics.JobsReceived.WithLabelValues(string(job.Kind)).Inc()
	}
	a.decoded = true // its log lines name it from here on
}

// deferUntil puts a job whose send_at is still ahead into the delayed set
// until then (a second early is on time).
func (d *Dispatcher) deferUntil(ctx context.Context, a *attempt) error {
	job := a.job
	if job.SendAt == nil || !job.SendAt.After(d.cfg.Now().Add(time.Second)) {
		return nil
	}
	if err := d.q.Schedule(ctx, withJob(a.e, job), *job.SendAt, a.e.Attempt); err != nil {
		return pending("defer job until send_at failed; entry stays pending", err)
	}
	d.metrics.Deferred.WithLabelValues(string(job.Kind)).Inc()
	a.logAttrs(ctx, slog.LevelInfo, "job deferred until send_at", slog.Any("send_at", job.SendAt))
	a.verdict = verdict{kind: settled}
	return nil
}

// lockStage takes the job's lock. Copies of one job (a retried XADD, an id
// enqueued twice) may be read at the same moment by two workers or
// daemons: only the lock holder goes on; the other looks again later, when
// the archive knows. The read batch may have tried already (see prefetch).
func (d *Dispatcher) lockStage(ctx context.Context, a *attempt) error {
	if !a.pre.lockTried {
		ok, err := d.q.Lock(ctx, a.job.ID, a.e.Holder(), d.cfg.LockTTL)
		if err != nil {
			return pending("lock job failed; entry stays pending", err)
		}
		a.locked = ok
		if ok {
			d.locked(queue.JobLock{JobID: a.job.ID, Holder: a.e.Holder()})
		}
	}
	if a.locked {
		return nil
	}
	if err := d.q.Schedule(ctx, withJob(a.e, a.job), d.cfg.Now().Add(d.cfg.LockWait), a.e.Attempt); err != nil {
		return pending("reschedule locked job failed; entry stays pending", err)
	}
	a.verdict = verdict{kind: settled}
	return nil
}

// audienceStage resolves the residents the job goes to (see audience).
// An unknown resident is a rejection; any other failure is the store's.
func (d *Dispatcher) audienceStage(ctx context.Context, a *attempt) error {
	rs, err := d.audience(ctx, a.job)
	if err != nil {
		return inStore(err)
	}
	a.residents = rs
	return nil
}

// estateStage checks that every estate the job names or its residents
// belong to exists (see checkEstates): an unknown one rejects the job
// (unknown_estate); a store that cannot answer brings it back. The
// estates are then in the cache for rendering and the policy.
func (d *Dispatcher) estateStage(ctx context.Context, a *attempt) error {
	return inStore(d.checkEstates(ctx, a.job, a.residents))
}

// dedupeStage reads the job's earlier outcomes from the archive, so that a
// retried or redelivered job neither sends again what a provider took nor
// tries again a channel that failed for good.
func (d *Dispatcher) dedupeStage(ctx context.Context, a *attempt) error {
	list, err := d.store.Outcomes(ctx, a.job.ID)
	if err != nil {
		if ctx.Err() == nil {
			d.cfg.Health.Observe(HealthArchive, err) // the archive gate stops reading
		}
		return inStore(fmt.Errorf("check archive for job: %w", err))
	}
	a.prior = byResident(list)
	return nil
}

// recordStage commits the attempt's records to the archive. If that
// fails the entry stays pending and is claimed again: what was sent may be
// sent twice; see docs/design.md.
func (d *Dispatcher) recordStage(ctx context.Context, a *attempt) error {
	if err := d.archive(ctx, a); err != nil {
		return pending("archive write failed; entry stays pending", err)
	}
	a.recorded = true
	for _, rec := range a.records {
		d.metrics.Deliveries.WithLabelValues(string(rec.Channel), string(a.job.Kind), string(rec.Status)).Inc()
		d.metrics.Estates.Delivered(rec.Estate, rec.Channel, rec.Status)
	}
	d.surveysRecorded(ctx, a.job, a.records)
	return nil
}

// archive writes the attempt's records, trying again for up to
// ArchiveRetry while the archive fails (restarted, unreachable, its disk
// full): what was sent is archived by this attempt, which keeps its entry,
// rather than sent again by the next one. The worker waits meanwhile,
// which is the backpressure: a daemon whose workers all wait reads no
// more entries.
func (d *Dispatcher) archive(ctx context.Context, a *attempt) error {
	deadline := time.Now().Add(d.cfg.ArchiveRetry)
	wait := 100 * time.Millisecond
	waiting := false
	defer func() {
		if waiting {
			d.archiveWaiting.Add(-1)
		}
	}()
	record := d.recorder.Do
	if a.job.Priority == outreach.PriorityUrgent {
		record = d.recorder.DoNow // never held for company (batcher.go)
	}
	for {
		err := record(ctx, a.records...)
		if ctx.Err() == nil {
			d.cfg.Health.Observe(HealthArchive, err)
		}
		if err == nil || ctx.Err() != nil || time.Now().Add(wait).After(deadline) {
			return err
		}
		if !waiting { // nothing new is read while a worker waits (archivegate.go)
			waiting = true
			d.archiveWaiting.Add(1)
		}
		if wait >= 2*time.Second { // once every 2s per worker at most, not every try
			d.logger.Warn("archive write failed; trying again", "job_id", a.job.ID, "entry_id", a.e.ID, "err", err)
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second) // back within 2s of the archive
	}
}

// scheduleStage puts what the attempt leaves for later in the delayed set
// (see scheduleLater).
func (d *Dispatcher) scheduleStage(ctx context.Context, a *attempt) error {
	if err := d.scheduleLater(ctx, a.e, a.job, a.later, a.records, settledResidents(a.prior)); err != nil {
		return pending("schedule deferred deliveries and follow-ups failed; entry stays pending", err)
	}
	return nil
}
