package dispatch

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/queue"
)

// batcher hands items to flush in batches, from one goroutine: under load
// the batches grow by themselves (whatever queued up while the last flush
// ran, up to maxBatch), and when idle an item goes out alone at once. The
// daemon has two: the archive writes (group commit, the workers wait for
// theirs) and the settler's acks and lock releases (fire and forget).
//
// life bounds every flush: it ends when the shutdown grace period is over,
// and from then on what is still queued is not flushed but reported failed
// (an archive write then leaves its entry pending; an ack or an unlock that
// is not sent leaves the entry pending or the lock to expire). close
// therefore returns by the end of the grace period.
type batcher[T any] struct {
	flush    func(ctx context.Context, items []T) error
	life     context.Context
	maxBatch int
	// linger is how long to wait after the first item of a batch, for
	// company (see settleLinger).
	linger time.Duration
	// hold is how long a batch may wait past being ready for more items,
	// up to company of them, while the last flush was busy (see
	// archiveHold); an item queued with DoNow ends the wait. 0: never.
	hold    time.Duration
	company int
	// timeout bounds one flush (0: flush bounds its own calls).
	timeout time.Duration
	// observe, when set, is told of each flush: its size, how long it took
	// and its error.
	observe func(n int, took time.Duration, err error)

	in   chan batchItem[T]
	done chan struct{}
}

// batchItem is one queued item and, when its sender waits, where its
// flush's error goes.
type batchItem[T any] struct {
	v   T
	err chan<- error
	now bool // DoNow: flush without holding for company
}

// settleLinger is how long the acks and the lock releases wait after the
// first item of a batch before they go, so that under load one round trip
// settles tens of jobs instead of a few. It delays only the ack and the
// lock release: the archive write, which a job's latency and its
// exactly-once check depend on, waits for company only under load and
// for less (archiveHold).
const settleLinger = 5 * time.Millisecond

// newBatcher starts a batcher; close stops it.
func newBatcher[T any](life context.Context, maxBatch int, flush func(context.Context, []T) error) *batcher[T] {
	b := &batcher[T]{flush: flush, life: life, maxBatch: maxBatch,
		in: make(chan batchItem[T], maxBatch), done: make(chan struct{})}
	return b
}

// start runs the batcher's goroutine; settings are fixed from here on.
func (b *batcher[T]) start() *batcher[T] {
	go b.run()
	return b
}

// Add queues v and returns at once (fire and forget).
func (b *batcher[T]) Add(v T) { b.in <- batchItem[T]{v: v} }

// Do queues vs and returns once they are flushed: nil, or the first error
// of their flushes (ctx ending first is an error too).
func (b *batcher[T]) Do(ctx context.Context, vs ...T) error { return b.do(ctx, false, vs) }

// DoNow is Do for items that must not wait for company: the batch they
// are in is flushed as soon as it is ready (an urgent job's records).
func (b *batcher[T]) DoNow(ctx context.Context, vs ...T) error { return b.do(ctx, true, vs) }

func (b *batcher[T]) do(ctx context.Context, now bool, vs []T) error {
	if len(vs) == 0 {
		return nil
	}
	errs := make(chan error, len(vs))
	for _, v := range vs {
		select {
		case b.in <- batchItem[T]{v: v, err: errs, now: now}:
		case <-ctx.Done():
			return fmt.Errorf("queue for a batch: %w", ctx.Err())
		}
	}
	for range vs {
		select {
		case err := <-errs:
			if err != nil {
				return err
			}
		case <-ctx.Done():
			return fmt.Errorf("wait for a batch: %w", ctx.Err())
		}
	}
	return nil
}

// run flushes batches until close is called and the queue is drained.
func (b *batcher[T]) run() {
	defer close(b.done)
	batch := make([]batchItem[T], 0, b.maxBatch)
	vs := make([]T, 0, b.maxBatch)
	busy := false
	for first := range b.in {
		if b.linger > 0 {
			sleep(b.life, b.linger) // a batch builds up: an ack is late, never lost
		}
		batch = gather(b.in, first, b.maxBatch, batch)
		if b.hold > 0 && busy {
			batch = b.holdForCompany(batch)
		}
		busy = len(batch) > 1
		vs = vs[:0]
		for _, it := range batch {
			vs = append(vs, it.v)
		}
		err := b.flushOne(vs)
		for _, it := range batch {
			if it.err != nil {
				it.err <- err
			}
		}
	}
}

func (b *batcher[T]) flushOne(vs []T) error {
	if err := b.life.Err(); err != nil {
		return fmt.Errorf("not flushed, the shutdown grace period is over: %w", err)
	}
	ctx, cancel := b.life, context.CancelFunc(func() {})
	if b.timeout > 0 {
		ctx, cancel = context.WithTimeout(b.life, b.timeout)
	}
	defer cancel()
	start := time.Now()
	err := b.flush(ctx, vs)
	if b.observe != nil {
		b.observe(len(vs), time.Since(start), err)
	}
	return err
}

// close stops taking items and returns once every queued item is flushed
// (or, after the grace period, reported failed).
func (b *batcher[T]) close() {
	close(b.in)
	<-b.done
}

// holdForCompany waits up to hold for more items, until the batch has
// company of them, one of them was queued with DoNow, or in is closed.
func (b *batcher[T]) holdForCompany(batch []batchItem[T]) []batchItem[T] {
	limit := min(b.company, b.maxBatch)
	if len(batch) >= limit || anyNow(batch) {
		return batch
	}
	t := time.NewTimer(b.hold)
	defer t.Stop()
	for len(batch) < limit {
		select {
		case more, ok := <-b.in:
			if !ok {
				return batch
			}
			batch = append(batch, more)
			if more.now {
				return batch
			}
		case <-t.C:
			return batch
		case <-b.life.Done():
			return batch
		}
	}
	return batch
}

func anyNow[T any](batch []batchItem[T]) bool {
	for _, it := range batch {
		if it.now {
			return true
		}
	}
	return false
}

// gather returns first plus whatever is already waiting on in, up to limit
// items, without waiting for more. buf is reused.
func gather[T any](in <-chan batchItem[T], first batchItem[T], limit int, buf []batchItem[T]) []batchItem[T] {
	buf = append(buf[:0], first)
	for len(buf) < limit {
		select {
		case more, ok := <-in:
			if !ok {
				return buf
			}
			buf = append(buf, more)
		default:
			return buf
		}
	}
	return buf
}

// The dispatcher's two batchers.

// archiveWriter is the part of outreach.Store that the recorder uses.
type archiveWriter interface {
	Record(ctx context.Context, ds []outreach.Delivery) error
}

// newRecorder writes deliveries to the archive with group commit: workers
// hand over their records and wait (Do), while one goroutine writes
// whatever has queued up meanwhile in a single Store.Record call.
func newRecorder(life context.Context, store archiveWriter, logger *slog.Logger, maxBatch int) *batcher[outreach.Delivery] {
	b := newBatcher(life, maxBatch, func(ctx context.Context, ds []outreach.Delivery) error {
		return writeArchive(ctx, store, logger, ds)
	})
	b.hold, b.company = archiveHold, archiveCompany
	return b
}

// archiveHold and archiveCompany: under load (the last archive write had
// company), a batch of records waits up to archiveHold for up to
// archiveCompany records before it is written. Each write costs the
// archive database a fixed part (the statement, the commit's WAL flush:
// about 450 µs of its CPU on PostgreSQL) besides its rows, so fewer,
// bigger writes cost less per job. An urgent job's records (DoNow) end
// the wait, and an idle daemon writes a lone record at once.
const (
	archiveHold    = 3 * time.Millisecond
	archiveCompany = 48
)

// writeArchive stores one batch, retrying briefly: the messages in it have
// already been sent, so giving up here risks a duplicate when the job is
// redelivered. Each try is bounded, the pauses between tries end with
// ctx, and there is no pause after the last try.
func writeArchive(ctx context.Context, store archiveWriter, logger *slog.Logger, ds []outreach.Delivery) error {
	const tries = 5
	var err error
	wait := 50 * time.Millisecond
	for try := 1; ; try++ {
		tryCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = store.Record(tryCtx, ds)
		cancel()
		if err == nil {
			return nil
		}
		if try == tries || ctx.Err() != nil {
			break
		}
		logger.Warn("archive write failed, retrying", "deliveries", len(ds), "attempt", try, "err", err)
		sleep(ctx, wait)
		wait *= 2
	}
	return fmt.Errorf("record %d deliveries: %w", len(ds), err)
}

// settlement is one item for the settler: an entry to ack, a job lock to
// release, or both (a zero Ref or JobLock is none).
type settlement struct {
	ack    queue.Ref
	unlock queue.JobLock
}

// newSettler acks stream entries and releases job locks in batches: for
// all the jobs that finished since the last batch, one round trip (settle:
// Consumer.Settle, one XACK per lane and one unlock call per shard in one
// pipeline) instead of one for the acks and one for the releases. A lock is
// released only after the job's outcome is archived (the attempt releases
// it last), so a copy of the job that finds it released finds the outcome
// too. Both are fire-and-forget for the workers: an ack that fails only
// leaves the entry pending (it is claimed again later and deduplicated by
// job id), an unlock that fails only makes a copy of the job wait until
// the lock expires (LockTTL). observe, when set, is told of the acks of
// each batch (their number, the round trip's time and error).
func newSettler(life context.Context, settle func(context.Context, []queue.Ref, []queue.JobLock) error, logger *slog.Logger, maxBatch int,
	observe func(n int, took time.Duration, err error)) *batcher[settlement] {
	var refs []queue.Ref
	var locks []queue.JobLock
	b := newBatcher(life, maxBatch, func(ctx context.Context, items []settlement) error {
		refs, locks = refs[:0], locks[:0] // one goroutine flushes
		for _, it := range items {
			if it.ack != (queue.Ref{}) {
				refs = append(refs, it.ack)
			}
			if it.unlock != (queue.JobLock{}) {
				locks = append(locks, it.unlock)
			}
		}
		start := time.Now()
		err := settle(ctx, refs, locks)
		if err != nil {
			logger.Warn("settle failed; the entries stay pending and will be reclaimed, the locks expire by themselves",
				"entries", len(refs), "jobs", len(locks), "err", err)
		}
		if observe != nil && len(refs) > 0 {
			observe(len(refs), time.Since(start), err)
		}
		return err
	})
	b.linger, b.timeout = settleLinger, 5*time.Second
	return b
}
