package dispatch

import (
	"context"
	"log/slog"
	"time"

	"github.com/outreach-dev/outreach/queue"
)

// unlocker releases job locks in batches: one pipeline for all the jobs
// that finished since the last one. A lock is released only after the
// job's outcome is archived (process queues it last), so a copy of the job
// that finds it released finds the outcome too. An unlock that fails only
// makes such a copy wait until the lock expires (LockTTL): unlocks are
// fire-and-forget for the workers.
type unlocker struct {
	unlock   func(ctx context.Context, locks []queue.JobLock) error
	logger   *slog.Logger
	maxBatch int
	in       chan queue.JobLock
	done     chan struct{}
}

func newUnlocker(unlock func(ctx context.Context, locks []queue.JobLock) error, logger *slog.Logger, maxBatch int) *unlocker {
	return &unlocker{unlock: unlock, logger: logger, maxBatch: maxBatch, in: make(chan queue.JobLock, maxBatch), done: make(chan struct{})}
}

// Unlock queues l for release.
func (u *unlocker) Unlock(l queue.JobLock) { u.in <- l }

func (u *unlocker) run() {
	defer close(u.done)
	locks := make([]queue.JobLock, 0, u.maxBatch)
	for l := range u.in {
		time.Sleep(settleLinger) // see acker
		locks = gather(u.in, l, u.maxBatch, locks)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := u.unlock(ctx, locks); err != nil {
			u.logger.Warn("unlock jobs failed; the locks expire by themselves", "jobs", len(locks), "err", err)
		}
		cancel()
	}
}

// close releases the queued locks and stops.
func (u *unlocker) close() {
	close(u.in)
	<-u.done
}
