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
	// residents is the job's resident, alone (nil: not looked up, or
	// unknown: the worker's own lookup then gives the proper rejection).
	// The attempt takes the slice as its audience, without a copy.
	residents []outreach.Resident
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
	pres, which := d.prefetchDecode(ctx, entries)
	if locked := d.prefetchLocks(ctx, entries, pres, which); len(locked) > 0 {
		d.prefetchLookUps(ctx, entries, pres, locked)
	}
	return pres
}

// prefetchDecode decodes the batch and returns the indexes of the entries
// it prefetches for: the decoded jobs for one stored resident, due now.
// The others are left nil: process takes its usual path (and traces their
// decode).
func (d *Dispatcher) prefetchDecode(ctx context.Context, entries []queue.Entry) (pres []*prefetched, which []int) {
	pres = make([]*prefetched, len(entries))
	due := d.cfg.Now().Add(time.Second)
	for i, e := range entries {
		start := time.Now()
		job, err := decode(e)
		if err != nil || job.ResidentID == "" || job.Resident != nil || (job.SendAt != nil && job.SendAt.After(due)) {
			continue
		}
		d.trace(ctx, metrics.StageDecode, start, nil, jobIDs(e, job))
		pres[i] = &prefetched{job: job, decoded: true}
		which = append(which, i)
	}
	return pres, which
}

// prefetchLocks takes the locks of the jobs at which in one pipeline and
// returns the indexes of those it got.
func (d *Dispatcher) prefetchLocks(ctx context.Context, entries []queue.Entry, pres []*prefetched, which []int) (locked []int) {
	if len(which) == 0 {
		return nil
	}
	locks := make([]queue.JobLock, len(which))
	for k, i := range which {
		locks[k] = queue.JobLock{JobID: pres[i].job.ID, Holder: entries[i].Holder()}
	}
	got, err := d.q.LockMany(ctx, locks, d.cfg.LockTTL)
	if err != nil {
		d.logger.Warn("lock read batch failed; workers lock one by one", "jobs", len(locks), "err", err)
		return nil
	}
	for k, i := range which {
		pres[i].lockTried, pres[i].locked = true, got[k]
		if got[k] {
			d.locked(locks[k])
			locked = append(locked, i)
		}
	}
	return locked
}

// prefetchLookUps reads the residents and the earlier outcomes of the
// locked jobs, one store query each. A job's audience and dedupe stages
// took as long as the batch's query; what a worker looks up again it
// traces itself.
func (d *Dispatcher) prefetchLookUps(ctx context.Context, entries []queue.Entry, pres []*prefetched, locked []int) {
	residentIDs, jobIDList := make([]string, len(locked)), make([]string, len(locked))
	for k, i := range locked {
		residentIDs[k], jobIDList[k] = pres[i].job.ResidentID, pres[i].job.ID
	}
	start := time.Now()
	residents, err := d.store.ResidentsByID(ctx, residentIDs)
	residentsTook := time.Since(start)
	if err != nil {
		d.logger.Warn("look up read batch's residents failed; workers look up one by one", "jobs", len(locked), "err", err)
	}
	start = time.Now()
	prior, priorErr := d.store.OutcomesOf(ctx, jobIDList)
	priorTook := time.Since(start)
	if priorErr != nil {
		if ctx.Err() == nil {
			d.cfg.Health.Observe(HealthArchive, priorErr)
		}
		d.logger.Warn("look up read batch's outcomes failed; workers look up one by one", "jobs", len(locked), "err", priorErr)
	}
	traced := time.Now()
	for _, i := range locked {
		p := pres[i]
		id := jobIDs(entries[i], p.job)
		if r, ok := residents[p.job.ResidentID]; ok {
			p.residents = []outreach.Resident{r}
			d.trace(ctx, metrics.StageAudience, traced.Add(-residentsTook), nil, id)
		}
		if priorErr == nil {
			p.prior, p.priorOK = prior[p.job.ID], true
			d.trace(ctx, metrics.StageDedupe, traced.Add(-priorTook), nil, id)
		}
	}
}
