package dispatch

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/metrics"
	"github.com/outreach-dev/outreach/outreach/resident"
	"github.com/outreach-dev/outreach/queue"
)

// processSafely runs process and turns a panic into a dead letter, so that
// one poisonous entry can neither stop the daemon nor come back forever.
func (d *Dispatcher) processSafely(ctx context.Context, e queue.Entry, pre *prefetched) {
	d.metrics.InFlight.Inc()
	defer d.metrics.InFlight.Dec()
	defer func() {
		if p := recover(); p != nil {
			d.logger.Error("panic while processing entry", "entry_id", e.ID, "panic", p, "stack", string(debug.Stack()))
			d.reject(ctx, e, looseJob(e.Job), outreach.Reject(outreach.ReasonInternal, fmt.Errorf("panic: %v", p)))
		}
	}()
	d.process(ctx, e, pre)
}

// unlock releases the job's lock: with the settler's next batch (see
// newSettler), or at once when the dispatcher is not running.
func (d *Dispatcher) unlock(ctx context.Context, jobID, holder string) {
	if d.settler != nil {
		d.settler.Add(settlement{unlock: queue.JobLock{JobID: jobID, Holder: holder}})
		return
	}
	if err := d.q.Unlock(context.WithoutCancel(ctx), jobID, holder); err != nil {
		d.logger.Warn("unlock job failed; the lock expires by itself", "job_id", jobID, "err", err)
	}
}

// decode turns a stream entry into a valid job. A job without an id gets the
// entry's id, so that a redelivery of the same entry is deduplicated too.
func decode(e queue.Entry) (outreach.Job, error) {
	if !e.HasJob {
		return outreach.Job{}, outreach.Reject(outreach.ReasonNoJobField, errors.New(`stream entry has no "job" field`))
	}
	job, err := outreach.DecodeJob(e.Job)
	if err != nil {
		return outreach.Job{}, err
	}
	if job.ID == "" {
		job.ID = e.DefaultJobID()
	}
	if job.Resident != nil {
		// Validated and normalized like a profile given to the API; region
		// "" because the contract wants the country code in the number.
		r, err := resident.Check(*job.Resident, "")
		if err != nil {
			return outreach.Job{}, outreach.Reject(outreach.ReasonInvalidJob, fmt.Errorf(`inline "resident": %w`, err))
		}
		r.UpdatedAt = time.Time{} // the store's clock, not the sender's
		job.Resident = &r
	}
	return job, nil
}

// audience resolves the residents a job goes to. A job for an audience
// that names only chat channels goes to groups, not to residents: its
// audience is not read.
//
// An inline resident is upserted into the directory first and then read
// back, rather than used as it came. The service that sent it owns the
// profile, so the inline fields replace the stored ones; but consent is
// the resident's and is recorded here (an SMS STOP reply, an unsubscribe
// link, both by resident id): the upsert keeps the stored opt-outs, and
// reading back gives the job the resident with them. Stored, the resident
// is also what the archive's resident_id points to, and later jobs may
// use resident_id. A retry upserts its copy again; the profile is then as
// old as that job, until the service's next job or PUT brings it up to date.
func (d *Dispatcher) audience(ctx context.Context, job outreach.Job) ([]outreach.Resident, error) {
	if job.Resident != nil {
		if _, err := d.store.UpsertResidents(ctx, []outreach.Resident{*job.Resident}); err != nil {
			return nil, fmt.Errorf("store inline resident: %w", asUnknownEstate(err, job.Resident.EstateID()))
		}
		r, err := d.store.Resident(ctx, job.Resident.ID)
		if err != nil {
			return nil, fmt.Errorf("load inline resident: %w", err)
		}
		return []outreach.Resident{r}, nil
	}
	if job.ResidentID == "" && job.Audience != nil && groupOnly(job) {
		return nil, nil
	}
	if job.ResidentID != "" {
		r, err := d.store.Resident(ctx, job.ResidentID)
		if errors.Is(err, outreach.ErrNotFound) {
			return nil, outreach.Reject(outreach.ReasonUnknownResident, fmt.Errorf("unknown resident %q", job.ResidentID))
		}
		if err != nil {
			return nil, fmt.Errorf("load resident: %w", err)
		}
		return []outreach.Resident{r}, nil
	}
	var rs []outreach.Resident
	err := d.store.Residents(ctx, *job.Audience, func(r outreach.Resident) error {
		rs = append(rs, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("resolve audience: %w", err)
	}
	return rs, nil
}

// done acks a finished entry and observes its end-to-end latency.
func (d *Dispatcher) done(e queue.Entry, job outreach.Job) {
	d.settler.Add(settlement{ack: e.Ref()})
	if t, ok := entryTime(e.ID); ok {
		d.metrics.JobLatency.WithLabelValues(string(job.Kind)).Observe(time.Since(t).Seconds())
	}
}

func (d *Dispatcher) scheduleRetry(ctx context.Context, e queue.Entry, job outreach.Job, why string, cause error, hint time.Duration) {
	wait := d.cfg.Backoff(e.Attempt+1, hint)
	if err := d.q.Schedule(ctx, withJob(e, job), d.cfg.Now().Add(wait), e.Attempt+1); err != nil {
		d.logger.Error("schedule retry failed; entry stays pending", "job_id", job.ID, "err", err)
		return
	}
	d.metrics.Retries.WithLabelValues(string(job.Kind), why).Inc()
	d.logger.Info("temporary failure; retry scheduled", "job_id", job.ID, "attempt", e.Attempt+1, "in", wait, "err", cause)
}

// reject archives a job that can never be processed and dead-letters it.
func (d *Dispatcher) reject(ctx context.Context, e queue.Entry, job outreach.Job, cause error) {
	jobID := cmp.Or(job.ID, e.ID)
	residentID := job.ResidentID
	if job.Resident != nil {
		residentID = job.Resident.ID
	}
	job.ID = jobID
	rec := d.newDelivery(job, e, residentID, "")
	rec.Status, rec.Error = outreach.StatusFailed, cause.Error()
	err := d.timed(ctx, metrics.StageRecord, func() ids { return ids{job: jobID, entry: e.ID} },
		func() error { return d.recorder.Do(ctx, rec) })
	if err != nil {
		d.logger.Error("archive rejected job failed", "entry_id", e.ID, "err", err)
	}
	d.deadLetter(ctx, e, jobID, cause)
}

func (d *Dispatcher) deadLetter(ctx context.Context, e queue.Entry, jobID string, cause error) {
	reason, ok := outreach.RejectReason(cause)
	if !ok {
		reason = outreach.ReasonInternal
	}
	if err := d.q.DeadLetter(ctx, e, reason, cause); err != nil {
		d.logger.Error("dead-letter failed; entry stays pending", "entry_id", e.ID, "reason", reason, "err", err)
		return
	}
	d.metrics.DeadLetters.WithLabelValues(string(reason)).Inc()
	d.logger.Warn("entry dead-lettered", "job_id", jobID, "entry_id", e.ID, "reason", reason, "err", cause)
}

// withJob returns e carrying job's JSON, so that a retried or deferred
// entry keeps the id assigned at first read.
func withJob(e queue.Entry, job outreach.Job) queue.Entry {
	if raw, err := json.Marshal(job); err == nil {
		e.Job = raw
	}
	return e
}

// looseJob reads what it can of a job that did not decode, so that the
// archive record of its rejection can be found by id, resident and kind.
func looseJob(raw []byte) outreach.Job {
	var j struct {
		ID         any    `json:"id"`
		Kind       any    `json:"kind"`
		ResidentID any    `json:"resident_id"`
		Campaign   string `json:"campaign"`
		// Resident is an inline resident (its id only).
		Resident struct{ ID any } `json:"resident"`
	}
	_ = json.Unmarshal(raw, &j) // best effort: the raw entry is in the dead-letter stream anyway
	str := func(v any) string {
		if s, ok := v.(string); ok && len(s) <= 200 {
			return s
		}
		return ""
	}
	return outreach.Job{ID: str(j.ID), Kind: outreach.Kind(str(j.Kind)), ResidentID: cmp.Or(str(j.ResidentID), str(j.Resident.ID)), Campaign: j.Campaign}
}

// entryTime is the time a stream entry id was created (its ms part).
func entryTime(id string) (time.Time, bool) {
	ms, _, ok := strings.Cut(id, "-")
	if !ok {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(n), true
}

// stampAddress copies the resident's estate, building and unit onto the records
// of a delivery to them: the archive is searched by apartment, as it was
// when the message went out.
func stampAddress(recs []outreach.Delivery, r outreach.Resident) {
	for i := range recs {
		recs[i].Building, recs[i].Unit, recs[i].Estate = r.Building, r.Unit, r.EstateID()
	}
}
