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

// Ack queues ref for acknowledgement.
func (a *acker) Ack(ref queue.Ref) { a.in <- ref }

func (a *acker) run() {
	defer close(a.done)
	ids := make([]queue.Ref, 0, a.maxBatch)
	for id := range a.in {
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
