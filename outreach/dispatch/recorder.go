package dispatch

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// recorder writes deliveries to the archive with group commit: workers hand
// over one delivery each and wait, while one goroutine writes whatever has
// queued up meanwhile in a single Store.Record call. Under load the batches
// grow by themselves; when idle a delivery is written at once.
type recorder struct {
	store    archiveWriter
	logger   *slog.Logger
	maxBatch int
	in       chan recordReq
	done     chan struct{}
}

type recordReq struct {
	d   outreach.Delivery
	err chan error
}

// archiveWriter is the part of outreach.Store that the recorder uses.
type archiveWriter interface {
	Record(ctx context.Context, ds []outreach.Delivery) error
}

func newRecorder(store archiveWriter, logger *slog.Logger, maxBatch int) *recorder {
	return &recorder{
		store:    store,
		logger:   logger,
		maxBatch: maxBatch,
		in:       make(chan recordReq, maxBatch),
		done:     make(chan struct{}),
	}
}

// Record archives ds and returns once they are committed (or failed).
func (r *recorder) Record(ctx context.Context, ds ...outreach.Delivery) error {
	errs := make([]chan error, 0, len(ds))
	for _, d := range ds {
		req := recordReq{d: d, err: make(chan error, 1)}
		select {
		case r.in <- req:
		case <-ctx.Done():
			return fmt.Errorf("queue archive write: %w", ctx.Err())
		}
		errs = append(errs, req.err)
	}
	for _, ch := range errs {
		select {
		case err := <-ch:
			if err != nil {
				return err
			}
		case <-ctx.Done():
			return fmt.Errorf("wait for archive write: %w", ctx.Err())
		}
	}
	return nil
}

// run writes batches until close is called and the queue is drained.
func (r *recorder) run() {
	defer close(r.done)
	batch := make([]recordReq, 0, r.maxBatch)
	for req := range r.in {
		batch = gather(r.in, req, r.maxBatch, batch)
		err := r.write(batch)
		for _, q := range batch {
			q.err <- err
		}
	}
}

// write stores one batch, retrying briefly: the messages in it have already
// been sent, so giving up here risks a duplicate when the job is redelivered.
func (r *recorder) write(batch []recordReq) error {
	ds := make([]outreach.Delivery, len(batch))
	for i, q := range batch {
		ds[i] = q.d
	}
	var err error
	for attempt, wait := 0, 50*time.Millisecond; attempt < 5; attempt, wait = attempt+1, wait*2 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = r.store.Record(ctx, ds)
		cancel()
		if err == nil {
			return nil
		}
		r.logger.Warn("archive write failed, retrying", "deliveries", len(ds), "attempt", attempt+1, "err", err)
		time.Sleep(wait)
	}
	return fmt.Errorf("record %d deliveries: %w", len(ds), err)
}

// close stops accepting work and waits until every queued delivery is written.
func (r *recorder) close() {
	close(r.in)
	<-r.done
}
