package dispatch

import (
	"context"
	"log/slog"
	"time"
)

// acker acknowledges stream entries in batches: one XACK for all the ids
// that finished since the last one. An ack that fails only leaves the entry
// pending; it is claimed again later and deduplicated by job id, so acks are
// fire-and-forget for the workers.
type acker struct {
	ack      func(ctx context.Context, ids ...string) error
	logger   *slog.Logger
	maxBatch int
	in       chan string
	done     chan struct{}
}

func newAcker(ack func(ctx context.Context, ids ...string) error, logger *slog.Logger, maxBatch int) *acker {
	return &acker{ack: ack, logger: logger, maxBatch: maxBatch, in: make(chan string, maxBatch), done: make(chan struct{})}
}

// Ack queues id for acknowledgement.
func (a *acker) Ack(id string) { a.in <- id }

func (a *acker) run() {
	defer close(a.done)
	ids := make([]string, 0, a.maxBatch)
	for id := range a.in {
		ids = gather(a.in, id, a.maxBatch, ids)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := a.ack(ctx, ids...); err != nil {
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
