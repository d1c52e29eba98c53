package dispatch

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/metrics"
	"github.com/outreach-dev/outreach/outreach/resident"
	"github.com/outreach-dev/outreach/queue"
	"github.com/outreach-dev/outreach/templates"
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

// process takes one stream entry through the pipeline:
// decode -> (defer until send_at) -> campaign state -> dedupe -> audience ->
// per resident (policy -> route -> render -> send) -> record -> schedule
// what waits (deferrals, follow-ups) -> ack, retry or dead-letter.
// pre is what the read loop did for the entry with its batch (see
// prefetch); nil for none.
func (d *Dispatcher) process(ctx context.Context, e queue.Entry, pre *prefetched) {
	start := time.Now()
	if pre == nil {
		pre = &prefetched{}
		job, err := decode(e)
		d.trace(ctx, metrics.StageDecode, start, err, ids{job: job.ID, entry: e.ID})
		if err != nil {
			d.reject(ctx, e, looseJob(e.Job), err)
			return
		}
		pre.job = job
	}
	job := pre.job
	locked := pre.locked
	if locked { // taken with the batch: released whichever way the job ends
		defer d.unlock(ctx, job.ID, e.Holder())
	}
	if e.Attempt == 0 {
		d.metrics.JobsReceived.WithLabelValues(string(job.Kind)).Inc()
	}
	log := d.logger.With("job_id", job.ID, "kind", job.Kind, "entry_id", e.ID, "attempt", e.Attempt)

	if job.SendAt != nil && job.SendAt.After(d.cfg.Now().Add(time.Second)) {
		if err := d.q.Schedule(ctx, withJob(e, job), *job.SendAt, e.Attempt); err != nil {
			log.Error("defer job until send_at failed; entry stays pending", "err", err)
			return
		}
		d.metrics.Deferred.WithLabelValues(string(job.Kind)).Inc()
		log.Info("job deferred until send_at", "send_at", job.SendAt)
		return
	}

	campaign, stop := d.campaignGate(ctx, e, job, log)
	if stop {
		return
	}

	// Copies of one job (a retried XADD, an id enqueued twice) may be read
	// at the same moment by two workers or daemons: only the lock holder
	// goes on; the other looks again later, when the archive knows.
	if !pre.lockTried {
		ok, err := d.q.Lock(ctx, job.ID, e.Holder(), d.cfg.LockTTL)
		if err != nil {
			log.Error("lock job failed; entry stays pending", "err", err)
			return
		}
		if ok {
			locked = true
			defer d.unlock(ctx, job.ID, e.Holder())
		}
	}
	if !locked {
		if err := d.q.Schedule(ctx, withJob(e, job), d.cfg.Now().Add(d.cfg.LockWait), e.Attempt); err != nil {
			log.Error("reschedule locked job failed; entry stays pending", "err", err)
		}
		return
	}

	residents, prior, err := d.lookUp(ctx, e, job, pre)
	if err != nil {
		if isReject(err) {
			d.reject(ctx, e, job, err)
			return
		}
		d.retry(ctx, e, job, "store", err)
		return
	}

	lastAttempt := e.Attempt+1 >= d.cfg.MaxAttempts
	var (
		records   []outreach.Delivery
		retryErr  error
		retryWhy  string
		retryHint time.Duration
		rejectErr error
		later     []queue.Delayed // deliveries deferred by quiet hours
	)
	// note keeps the records of one stage and what its error asks for.
	note := func(recs []outreach.Delivery, err error) {
		records = append(records, recs...)
		switch {
		case err == nil:
		case isReject(err):
			rejectErr = err
		default: // a temporary failure: the job comes back
			retryErr, retryWhy = err, outreach.FailureReason(err)
			retryHint = max(retryHint, outreach.RetryAfterHint(err))
		}
	}
	groupRecs, err := d.postGroups(ctx, job, residents, e, lastAttempt, prior)
	note(groupRecs, err)
	stop = isReject(err) // a group post is the default variant: residents' would fail the same way
	lockedAt := time.Now()
	for _, r := range residents {
		if stop {
			break
		}
		if time.Since(lockedAt) > d.cfg.LockTTL/3 { // a long audience job keeps its lock
			if _, err := d.q.Lock(ctx, job.ID, e.Holder(), d.cfg.LockTTL); err == nil {
				lockedAt = time.Now()
			}
		}
		if suppressedBefore(prior[r.ID]) {
			continue // the policy settled this resident on an earlier attempt
		}
		recs, err := d.deliverWithPolicy(ctx, job, r, e, lastAttempt, campaign, prior[r.ID])
		stampAddress(recs, r)
		if deferred, ok := asDeferral(err); ok {
			records = append(records, recs...)
			later = append(later, deferredJob(job, r, deferred.until, e.Attempt))
			continue
		}
		note(recs, err)
		// A template error in the default variant fails every other
		// resident the same way. One in a variant (an elderly resident's
		// message needs "contact") concerns only residents of that
		// variant: the others still get the notice, and the job is
		// dead-lettered after them, naming what is missing.
		stop = isReject(err) && templates.VariantFor(r) == templates.DefaultVariant
	}

	stageStart := time.Now()
	err = d.recorder.Record(ctx, records...)
	d.trace(ctx, metrics.StageRecord, stageStart, err, jobIDs(e, job))
	if err != nil {
		// The outcome is not archived: leave the entry pending so that it is
		// claimed again. What was sent may be sent twice; see docs/design.md.
		log.Error("archive write failed; entry stays pending", "err", err)
		return
	}
	for _, rec := range records {
		d.metrics.Deliveries.WithLabelValues(string(rec.Channel), string(job.Kind), string(rec.Status)).Inc()
	}
	if err := d.scheduleLater(ctx, e, job, later, records, settledResidents(prior)); err != nil {
		log.Error("schedule deferred deliveries and follow-ups failed; entry stays pending", "err", err)
		return
	}

	switch {
	case retryErr != nil && !lastAttempt:
		// Temporary failures are retried even when another resident's
		// message cannot be rendered: that error comes back on the retry,
		// and the job is dead-lettered for it once nothing is left to retry.
		d.scheduleRetry(ctx, e, job, retryWhy, retryErr, retryHint)
	case rejectErr != nil:
		d.deadLetter(ctx, e, job.ID, rejectErr)
	case retryErr != nil && lastAttempt:
		d.deadLetter(ctx, e, job.ID, outreach.Reject(outreach.ReasonRetriesExhausted,
			fmt.Errorf("giving up after %d attempts: %w", e.Attempt+1, retryErr)))
	default:
		d.done(e, job)
		log.LogAttrs(ctx, slog.LevelInfo, "job done", slog.Int("deliveries", len(records)), slog.Duration("took", time.Since(start)))
	}
}

// lookUp returns the job's residents and its earlier outcomes by resident
// and channel: what the read batch fetched (see prefetch), the rest read
// now. An error is a rejection (an unknown resident) or the store's.
func (d *Dispatcher) lookUp(ctx context.Context, e queue.Entry, job outreach.Job, pre *prefetched) ([]outreach.Resident, map[string]map[outreach.Channel]outreach.Outcome, error) {
	residents := []outreach.Resident{}
	if pre.resident != nil {
		residents = append(residents, *pre.resident)
	} else {
		start := time.Now()
		rs, err := d.audience(ctx, job)
		d.trace(ctx, metrics.StageAudience, start, err, jobIDs(e, job))
		if err != nil {
			return nil, nil, err
		}
		residents = rs
	}
	if pre.priorOK {
		return residents, byResident(pre.prior), nil
	}
	start := time.Now()
	list, err := d.store.Outcomes(ctx, job.ID)
	d.trace(ctx, metrics.StageDedupe, start, err, jobIDs(e, job))
	if err != nil {
		return nil, nil, fmt.Errorf("check archive for job: %w", err)
	}
	return residents, byResident(list), nil
}

// unlock releases the job's lock: with the next batch of unlocks (see
// unlocker), or at once when the dispatcher is not running.
func (d *Dispatcher) unlock(ctx context.Context, jobID, holder string) {
	if d.unlocker != nil {
		d.unlocker.Unlock(queue.JobLock{JobID: jobID, Holder: holder})
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
			return nil, fmt.Errorf("store inline resident: %w", err)
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

// deliver renders and sends one message on channel ch to r (for a chat
// channel, r is the group's reader; see postGroups), and returns its
// archive record. The error is a *outreach.RejectError for a template
// error, and otherwise the send error (the record's status says whether
// it is retried).
func (d *Dispatcher) deliver(ctx context.Context, job outreach.Job, r outreach.Resident, ch outreach.Channel, e queue.Entry, lastAttempt bool) (outreach.Delivery, error) {
	now := d.cfg.Now().UTC()
	rec := outreach.Delivery{
		ID:         outreach.DeliveryID(job.ID, r.ID, ch),
		JobID:      job.ID,
		StreamID:   e.ID,
		ResidentID: r.ID,
		Kind:       job.Kind,
		Channel:    ch,
		Locale:     r.Locale,
		Attempts:   e.Attempt + 1,
		Campaign:   job.Campaign,
		CreatedAt:  now,
		UpdatedAt:  now,
	}
	variant := templates.VariantFor(r)
	if ch.Group() {
		variant = templates.DefaultVariant // a group post is not for one resident
	}
	id := ids{job: job.ID, entry: e.ID, resident: r.ID, channel: ch, delivery: rec.ID}
	renderStart := time.Now()
	out, err := d.tmpl.Current().Render(templates.Input{
		Kind: job.Kind, Template: job.Template, Locale: r.Locale, Variant: variant, Channel: renderChannel(ch),
		Resident: r, Data: job.Data, Now: now, DefaultTimeZone: d.cfg.TimeZone,
	})
	d.trace(ctx, metrics.StageRender, renderStart, err, id)
	if err != nil {
		err = outreach.Reject(outreach.ReasonTemplateError, fmt.Errorf("render: %w", err))
		rec.Status, rec.Error = outreach.StatusFailed, err.Error()
		return rec, err
	}
	rec.Template, rec.TemplateVersion, rec.Locale, rec.Variant = out.Template, out.Version, out.Locale, out.Variant
	rec.Subject, rec.Body = out.Subject, out.Text

	msg := outreach.Message{
		DeliveryID: rec.ID,
		JobID:      job.ID,
		Kind:       job.Kind,
		Channel:    ch,
		To:         r.Contact(ch),
		ToName:     r.Name,
		Subject:    out.Subject,
		Text:       out.Text,
		HTML:       out.HTML,
	}
	if d.cfg.Unsubscribe != nil && !ch.Group() {
		msg.Unsubscribe = d.cfg.Unsubscribe(r.ID, ch, job.Kind)
	}
	sendCtx, cancel := context.WithTimeout(ctx, d.cfg.SendTimeout)
	queued := d.cfg.Now().UTC()
	rec.QueuedAt = &queued
	start := time.Now()
	receipt, err := d.senders[ch].Send(sendCtx, msg)
	cancel()
	d.metrics.SendDuration.WithLabelValues(string(ch)).Observe(time.Since(start).Seconds())
	d.trace(ctx, metrics.StageSend, start, err, id)
	rec.UpdatedAt = d.cfg.Now().UTC()
	if err != nil {
		d.metrics.SendFailures.WithLabelValues(string(ch), outreach.FailureReason(err)).Inc()
		status := outreach.StatusRetrying
		if outreach.IsPermanent(err) || lastAttempt {
			status = outreach.StatusFailed
		}
		d.logger.Warn("send failed", "job_id", job.ID, "resident_id", r.ID, "channel", ch,
			"permanent", outreach.IsPermanent(err), "err", err)
		rec.Status, rec.Error = status, err.Error()
		return rec, err
	}
	rec.Status = outreach.StatusSent
	if receipt.Status.Accepted() {
		rec.Status = receipt.Status // queued, when the provider sends later
	}
	rec.ProviderID = receipt.ProviderID
	rec.Segments, rec.Encoding = receipt.Segments, receipt.Encoding
	rec.SentAt = &rec.UpdatedAt
	return rec, nil
}

// done acks a finished entry and observes its end-to-end latency.
func (d *Dispatcher) done(e queue.Entry, job outreach.Job) {
	d.acker.Ack(e.Ref())
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

// retry handles a failure before anything was sent (store unreachable).
func (d *Dispatcher) retry(ctx context.Context, e queue.Entry, job outreach.Job, why string, cause error) {
	if e.Attempt+1 >= d.cfg.MaxAttempts {
		d.reject(ctx, e, job, outreach.Reject(outreach.ReasonRetriesExhausted,
			fmt.Errorf("giving up after %d attempts: %w", e.Attempt+1, cause)))
		return
	}
	d.scheduleRetry(ctx, e, job, why, cause, 0)
}

// reject archives a job that can never be processed and dead-letters it.
func (d *Dispatcher) reject(ctx context.Context, e queue.Entry, job outreach.Job, cause error) {
	jobID := cmp.Or(job.ID, e.ID)
	residentID := job.ResidentID
	if job.Resident != nil {
		residentID = job.Resident.ID
	}
	now := d.cfg.Now().UTC()
	rec := outreach.Delivery{
		ID:         outreach.DeliveryID(jobID, residentID, ""),
		JobID:      jobID,
		StreamID:   e.ID,
		ResidentID: residentID,
		Kind:       job.Kind,
		Status:     outreach.StatusFailed,
		Error:      cause.Error(),
		Attempts:   e.Attempt + 1,
		Campaign:   job.Campaign,
		CreatedAt:  now,
		UpdatedAt:  now,
	}
	start := time.Now()
	err := d.recorder.Record(ctx, rec)
	d.trace(ctx, metrics.StageRecord, start, err, ids{job: jobID, entry: e.ID})
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

func isReject(err error) bool {
	_, ok := outreach.RejectReason(err)
	return ok
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
