package dispatch

import (
	"context"
	"log/slog"
	"time"

	"github.com/outreach-dev/outreach/queue"
)

// acker acknowledges stream entries in batches: one XACK per lane for all
// the entries that finished since the last one. An ack that fails only leaves the entry
// pending; it is claimed again later and deduplicated by job id, so acks are
// fire-and-forget for the workers.
type acker struct {
	ack      func(ctx context.Context, refs ...queue.Ref) error
	logger   *slog.Logger
	maxBatch int
	in       chan queue.Ref
	done     chan struct{}
	// observe, when set, is told of each batch: its size, how long the
	// XACK took, and its error.
	observe func(n int, took time.Duration, err error)
}

func newAcker(ack func(ctx context.Context, refs ...queue.Ref) error, logger *slog.Logger, maxBatch int) *acker {
	return &acker{ack: ack, logger: logger, maxBatch: maxBatch, in: make(chan queue.Ref, maxBatch), done: make(chan struct{})}
}

// settleLinger is how long the acker and the unlocker wait after the
// first item of a batch before sending it, so that under load one round
// trip settles tens of jobs instead of a few. It delays only the ack and
// the lock release, never the archive write, which a job's latency and its
// exactly-once check depend on.
const settleLinger = 5 * time.Millisecond

// Ack queues ref for acknowledgement.
func (a *acker) Ack(ref queue.Ref) { a.in <- ref }

func (a *acker) run() {
	defer close(a.done)
	ids := make([]queue.Ref, 0, a.maxBatch)
	for id := range a.in {
		time.Sleep(settleLinger) // let a batch build up: an ack is late, never lost
		ids = gather(a.in, id, a.maxBatch, ids)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		start := time.Now()
		err := a.ack(ctx, ids...)
		if a.observe != nil {
			a.observe(len(ids), time.Since(start), err)
		}
		if err != nil {
			a.logger.Warn("ack failed; entries stay pending and will be reclaimed", "entries", len(ids), "err", err)
		}
		cancel()
	}
}

// close flushes queued acks and stops.
func (a *acker) close() {
	close(a.in)
	<-a.done
}
