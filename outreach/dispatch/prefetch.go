package dispatch

import (
	"context"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/metrics"
	"github.com/outreach-dev/outreach/queue"
)

// item is one entry handed to a worker, with what the read loop already
// did for it as part of its read batch (nil: nothing, the worker does it
// all; claimed entries come that way).
type item struct {
	e   queue.Entry
	pre *prefetched
}

// prefetched is the work done for an entry together with the rest of its
// read batch, so that a batch of 100 jobs costs one lock pipeline and two
// store queries instead of 100 of each. Every field is optional: process
// does per job whatever is missing.
type prefetched struct {
	job     outreach.Job // decoded (only set when decoding succeeded)
	decoded bool
	// lockTried: LockMany answered for this job; locked: it got the lock
	// (holder e.Holder()), which process must release.
	lockTried, locked bool
	// resident is the job's resident (nil: not looked up, or unknown: the
	// worker's own lookup then gives the proper rejection).
	resident *outreach.Resident
	// prior is the job's earlier outcomes (valid when priorOK).
	prior   []outreach.Outcome
	priorOK bool
}

// prefetch decodes a read batch, takes the locks of its jobs in one
// pipeline and, for the jobs it locked, looks up their residents and their
// earlier outcomes with one store query each. Only the common case is
// prefetched: a job for one stored resident (resident_id) that is due now.
// A failed lookup is no error here: the worker tries again for its job and
// handles the failure as it always does.
//
// The outcomes are read after the lock is held, as process does: a copy of
// the job that another worker or daemon is sending holds the lock until
// its outcome is archived.
func (d *Dispatcher) prefetch(ctx context.Context, entries []queue.Entry) []*prefetched {
	pres := make([]*prefetched, len(entries))
	var (
		locks []queue.JobLock
		which []int // index in entries of each lock
	)
	due := d.cfg.Now().Add(time.Second)
	for i, e := range entries {
		start := time.Now()
		job, err := decode(e)
		if err != nil || job.ResidentID == "" || job.Resident != nil || (job.SendAt != nil && job.SendAt.After(due)) {
			continue // process takes its usual path (and traces the decode)
		}
		d.trace(ctx, metrics.StageDecode, start, nil, jobIDs(e, job))
		pres[i] = &prefetched{job: job, decoded: true}
		locks = append(locks, queue.JobLock{JobID: job.ID, Holder: e.Holder()})
		which = append(which, i)
	}
	if len(locks) == 0 {
		return pres
	}
	got, err := d.q.LockMany(ctx, locks, d.cfg.LockTTL)
	if err != nil {
		d.logger.Warn("lock read batch failed; workers lock one by one", "jobs", len(locks), "err", err)
		return pres
	}
	var residentIDs, batchJobIDs []string
	for k, i := range which {
		p := pres[i]
		p.lockTried, p.locked = true, got[k]
		if p.locked {
			residentIDs = append(residentIDs, p.job.ResidentID)
			batchJobIDs = append(batchJobIDs, p.job.ID)
		}
	}
	if len(batchJobIDs) == 0 {
		return pres
	}
	start := time.Now()
	residents, err := d.store.ResidentsByID(ctx, residentIDs)
	residentsTook := time.Since(start)
	if err != nil {
		d.logger.Warn("look up read batch's residents failed; workers look up one by one", "jobs", len(batchJobIDs), "err", err)
	}
	start = time.Now()
	prior, priorErr := d.store.OutcomesOf(ctx, batchJobIDs)
	priorTook := time.Since(start)
	if priorErr != nil {
		d.logger.Warn("look up read batch's outcomes failed; workers look up one by one", "jobs", len(batchJobIDs), "err", priorErr)
	}
	// A job's audience and dedupe stages took as long as the batch's
	// query; what a worker looks up again it traces itself.
	traced := time.Now()
	for _, i := range which {
		p := pres[i]
		if !p.locked {
			continue
		}
		id := jobIDs(entries[i], p.job)
		if r, ok := residents[p.job.ResidentID]; ok {
			p.resident = &r
			d.trace(ctx, metrics.StageAudience, traced.Add(-residentsTook), nil, id)
		}
		if priorErr == nil {
			p.prior, p.priorOK = prior[p.job.ID], true
			d.trace(ctx, metrics.StageDedupe, traced.Add(-priorTook), nil, id)
		}
	}
	return pres
}
