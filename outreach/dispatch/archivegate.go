package dispatch

import (
	"context"
	"time"
)

// The archive gate: while the archive is away the dispatcher takes no new
// entries. An entry read then could not be checked against what was sent
// (its dedupe stage fails: it would be parked for a retry, an attempt
// spent for nothing, and dead-lettered after MaxAttempts of a long
// outage), or it would be sent and its outcome not archived. The entries
// stay in Redis, unread, where they cost no memory of the daemon's, and
// what the daemon holds is bounded by its read batches and workers.
//
// The archive is away while a worker is trying again to archive an
// outcome (see archive), or while the archive's health is down (three
// failed reads or writes in a row, see Health) and a ping of the store
// fails. The gate pings every 100 ms to 2 s while it waits, each failure
// observed, so that the health stays down for as long as the outage
// lasts; reading resumes with the first ping that answers and no worker
// waiting, without a restart.

// archiveAway reports whether the feeders should read nothing now (see
// above): a worker waits on the archive, or the archive's health is down
// and it does not answer a ping.
func (d *Dispatcher) archiveAway(ctx context.Context) bool {
	if d.archiveWaiting.Load() > 0 {
		return true
	}
	if d.cfg.Health.Check(HealthArchive)(ctx) == nil {
		return false
	}
	err := d.store.Ping(ctx)
	if err != nil && ctx.Err() == nil {
		d.cfg.Health.Observe(HealthArchive, err)
	}
	return err != nil
}

// awaitArchive returns once the archive is not away (or ctx is done),
// logging the wait once per loop (throttled) and the resumption.
func (d *Dispatcher) awaitArchive(ctx context.Context, loop string) {
	if !d.archiveAway(ctx) {
		return
	}
	start := time.Now()
	d.loopLog.Warn("archive unavailable: reading no new entries until it answers", "loop", loop, "workers_waiting", d.archiveWaiting.Load())
	wait := 100 * time.Millisecond
	for ctx.Err() == nil {
		sleep(ctx, wait)
		if !d.archiveAway(ctx) {
			break
		}
		wait = min(2*wait, 2*time.Second)
	}
	if ctx.Err() == nil {
		d.logger.Info("archive answers: reading again", "loop", loop, "paused", time.Since(start).Round(time.Millisecond))
	}
}
