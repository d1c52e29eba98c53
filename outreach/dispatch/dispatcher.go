// Package dispatch is the pipeline of the daemon: it reads jobs from the
// stream and takes each through a list of stages over one value per
// attempt (see attempt.go): decode, defer until send_at, campaign gate,
// lock, audience, dedupe, per resident (route, policy, render, send),
// record, schedule what waits, and settle (ack, retry or dead-letter).
// Each stage is a small function of its own (stages.go, resident.go);
// this file holds the loops that feed them.
//
// Delivery semantics: an entry is acked only after its outcome is committed
// to the archive, so a crash leaves it pending and another daemon (or this
// one, restarted) claims it; the archive's record of what was sent makes the
// redelivery skip residents who already got the message. Temporary failures
// are parked in the delayed set with backoff (the entry is acked in the same
// MULTI), permanent ones are archived as failed, and entries that can never
// be processed go to the dead-letter stream with their reason.
package dispatch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/logging"
	"github.com/outreach-dev/outreach/outreach/metrics"
	"github.com/outreach-dev/outreach/outreach/policy"
	"github.com/outreach-dev/outreach/queue"
	"github.com/outreach-dev/outreach/templates"
)

// Config wires a Dispatcher. Consumer, Store, Templates, Senders and
// Metrics are required.
type Config struct {
	Consumer  *queue.Consumer
	Store     outreach.Store
	Templates templates.Provider // a *templates.Set, or a *templates.Live that reloads
	Senders   map[outreach.Channel]outreach.Sender
	Metrics   *metrics.Metrics
	Logger    *slog.Logger
	// Ready, when set, is called once Run has made the consumer groups
	// and starts reading: the daemon says it is running only then.
	Ready func()

	// Workers is the number of jobs processed at once (default 64, as
	// OUTREACH_WORKERS).
	Workers int
	// MaxAttempts is how many times a job with temporary failures is tried
	// before it is dead-lettered (default 8).
	MaxAttempts int
	// Backoff spaces the attempts (default 5s doubling to 1h).
	Backoff Backoff
	// SendTimeout bounds one provider call (default 30s).
	SendTimeout time.Duration
	// Health, when set, records the outcome of every provider call per
	// channel and of every archive write (HealthArchive), for /readyz
	// (see Health).
	Health *Health
	// ArchiveRetry is how long an attempt tries again to archive its
	// outcome when the archive write fails (default 2m), before it leaves
	// the entry pending: a message that was sent and not archived would be
	// sent again by the next attempt.
	ArchiveRetry time.Duration
	// ClaimEvery is how often entries pending on dead consumers are
	// claimed; the idle time is the consumer's MinIdle (OUTREACH_CLAIM_IDLE).
	// Default: the consumer's ClaimEvery, a quarter of MinIdle between 50ms
	// and 1s, so a dead daemon's entries are claimed within a second of
	// OUTREACH_CLAIM_IDLE.
	ClaimEvery time.Duration
	// MaxClaims is how often an entry may be claimed from consumers that
	// never settled it (default 5): an entry claimed more often is not
	// processed but dead-lettered (claimed_too_often), since it likely
	// crashes every daemon that takes it (OUTREACH_MAX_CLAIMS). Claims of
	// an entry still in progress (slower than the claim idle time) count
	// too, but the dispatcher keeps the entries in progress (Keep every
	// claim idle / 3), which resets their idle time without counting.
	MaxClaims int
	// FailureLogEvery is how often one of the loops that work the queue
	// (reading, claiming, promoting, renewing, the gauges) logs a failure
	// while it keeps failing the same way (default 10s): with Redis down
	// every one of them fails on every tick, and one line per loop per
	// period, counting the ones held back, says so (logging.Throttle).
	FailureLogEvery time.Duration
	// PromoteEvery is how often due delayed jobs move to the stream (default 500ms).
	PromoteEvery time.Duration
	// StatsEvery is how often queue gauges are refreshed (default 5s).
	StatsEvery time.Duration
	// LockTTL is the lease of a job lock: the dispatcher renews the locks
	// it holds every LockTTL/3 while their jobs are worked on (read batches
	// waiting for a worker included), so a lock lapses at most LockTTL
	// after the daemon holding it died. Default: the consumer's LockLease,
	// half of OUTREACH_CLAIM_IDLE and at least 1s, which lapses before the
	// dead daemon's entries can be claimed.
	LockTTL time.Duration
	// LockWait is how long a copy of a job that is locked elsewhere waits
	// before it is looked at again (default LockTTL, at most 5s).
	LockWait time.Duration
	// ShutdownGrace bounds how long in-flight jobs may take to finish
	// after Run's context is cancelled (default 30s). What is not finished
	// by then stays pending in the group and is claimed later.
	ShutdownGrace time.Duration
	// UrgentAllChannels sends urgent maintenance notices by every channel
	// the resident can be reached on at once, instead of the first that
	// works (OUTREACH_URGENT_ALL_CHANNELS).
	UrgentAllChannels bool
	// Unsubscribe, when set, gives the one-click unsubscribe link of a
	// message of kind k on channel ch to a resident, "" for none (see
	// package unsubscribe).
	Unsubscribe func(residentID string, ch outreach.Channel, k outreach.Kind) string
	// TimeZone is the zone messages show times in for residents without
	// one of their own (OUTREACH_TIMEZONE); nil keeps times as written.
	TimeZone *time.Location
	// Now returns the current time (tests).
	Now func() time.Time

	// Policy and its settings: see policy.go. The zero Rules send
	// everything at once, uncapped.
	Policy policy.Rules
	// Zones resolves residents' time zones (default: UTC for residents
	// without one).
	Zones *policy.Zones
	// CampaignCacheTTL is how long a campaign's state is trusted before it
	// is read again (default 1s): pausing or cancelling a campaign reaches
	// its jobs within that time.
	CampaignCacheTTL time.Duration
	// Surveys, when set, is the satisfaction loop (see survey.go).
	Surveys Surveys
	// EstateCacheTTL is how long the estates are trusted before they are
	// read again (default 5s): a changed estate (its signature, phone,
	// quiet hours) reaches messages within that time.
	EstateCacheTTL time.Duration
}

func (c Config) withDefaults() Config {
	c.Logger = cmp.Or(c.Logger, slog.New(slog.DiscardHandler))
	c.Workers = cmp.Or(c.Workers, 64)
	c.MaxAttempts = cmp.Or(c.MaxAttempts, 8)
	if c.Backoff == nil {
		c.Backoff = ExponentialBackoff(5*time.Second, time.Hour)
	}
	c.SendTimeout = cmp.Or(c.SendTimeout, 30*time.Second)
	c.ArchiveRetry = cmp.Or(c.ArchiveRetry, 2*time.Minute)
	if c.Health == nil {
		c.Health = NewHealth() // the archive gate reads it (archivegate.go)
	}
	c.MaxClaims = cmp.Or(c.MaxClaims, 5)
	c.PromoteEvery = cmp.Or(c.PromoteEvery, 500*time.Millisecond)
	c.StatsEvery = cmp.Or(c.StatsEvery, 5*time.Second)
	if c.Consumer != nil {
		c.ClaimEvery = cmp.Or(c.ClaimEvery, c.Consumer.ClaimEvery())
		c.LockTTL = cmp.Or(c.LockTTL, c.Consumer.LockLease())
	}
	c.LockWait = cmp.Or(c.LockWait, min(c.LockTTL, 5*time.Second))
	c.ShutdownGrace = cmp.Or(c.ShutdownGrace, 30*time.Second)
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Zones == nil {
		c.Zones = policy.NewZones(nil)
	}
	c.CampaignCacheTTL = cmp.Or(c.CampaignCacheTTL, time.Second)
	c.EstateCacheTTL = cmp.Or(c.EstateCacheTTL, 5*time.Second)
	return c
}

func (c Config) validate() error {
	switch {
	case c.Consumer == nil:
		return errors.New("dispatch: Consumer is required")
	case c.Store == nil:
		return errors.New("dispatch: Store is required")
	case c.Templates == nil:
		return errors.New("dispatch: Templates is required")
	case c.Metrics == nil:
		return errors.New("dispatch: Metrics is required")
	case len(c.Senders) == 0:
		return errors.New("dispatch: at least one sender is required")
	case c.Workers < 1 || c.MaxAttempts < 1 || c.MaxClaims < 1:
		return errors.New("dispatch: Workers, MaxAttempts and MaxClaims must be positive")
	}
	return nil
}

// Dispatcher runs the pipeline. Create it with New and start it with Run.
type Dispatcher struct {
	cfg     Config
	q       *queue.Consumer
	store   outreach.Store
	tmpl    templates.Provider
	senders map[outreach.Channel]outreach.Sender
	metrics *metrics.Metrics
	logger  *slog.Logger
	// loopLog is logger for the loops' failures, throttled (see
	// Config.FailureLogEvery).
	loopLog  *slog.Logger
	recorder *batcher[outreach.Delivery]
	// settler acks finished entries and releases job locks (newSettler).
	settler *batcher[settlement]
	states  *campaignStates
	estates *estateCache
	// inFlight holds the entries (queue.Ref) handed to the workers and not
	// yet finished. The claimer's XAUTOCLAIM also returns this daemon's own
	// entries that take longer than the claim idle time, and the job lock
	// lets the same entry id through; claim skips these.
	inFlight set[queue.Ref]
	// held holds the job locks (queue.JobLock) this daemon took and has not
	// released: renewLocks extends them every LockTTL/3.
	held set[queue.JobLock]
	// archiveWaiting counts the workers trying again to archive an
	// outcome; while any does, nothing new is read (archivegate.go).
	archiveWaiting atomic.Int64
}

// New checks cfg and builds a Dispatcher.
func New(cfg Config) (*Dispatcher, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Dispatcher{
		cfg:     cfg,
		q:       cfg.Consumer,
		store:   cfg.Store,
		tmpl:    cfg.Templates,
		senders: cfg.Senders,
		metrics: cfg.Metrics,
		logger:  cfg.Logger,
		loopLog: logging.Throttle(cfg.Logger, cfg.FailureLogEvery, nil),
		states:  newCampaignStates(cfg.Store, cfg.CampaignCacheTTL),
		estates: newEstateCache(cfg.Store, cfg.EstateCacheTTL),
	}, nil
}

// Run processes jobs until ctx is cancelled, then stops reading, lets the
// jobs in flight finish (within ShutdownGrace), flushes the archive and the
// acks, and returns nil. It returns an error only when it cannot start.
func (d *Dispatcher) Run(ctx context.Context) error {
	if err := d.q.EnsureGroup(ctx); err != nil {
		return fmt.Errorf("create consumer group: %w", err)
	}
	if d.cfg.Ready != nil {
		d.cfg.Ready()
	}
	// Workers and batchers keep going after ctx is cancelled, until the
	// grace period ends.
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	d.startBatchers(workCtx)

	work := make(chan item, d.cfg.Workers)
	urgent := make(chan item) // unbuffered: an urgent entry waits for a free worker, not behind bulk ones
	workers := d.startWorkers(workCtx, urgent, work)
	// The keepers (entries kept, locks renewed) go on while the workers
	// finish in the grace period, and stop after them.
	keepCtx, stopKeepers := context.WithCancel(workCtx)
	keepers := d.startKeepers(keepCtx)
	feeders := d.startFeeders(ctx, urgent, work)

	<-ctx.Done()
	d.logger.Info("stopping: no more reads, finishing jobs in flight")
	graceOver := time.AfterFunc(d.cfg.ShutdownGrace, stopWork) // the grace period starts now
	defer graceOver.Stop()
	feeders.Wait()
	close(work)
	close(urgent)

	finished := make(chan struct{})
	go func() { workers.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-workCtx.Done():
		d.logger.Warn("shutdown grace period over; unfinished jobs stay pending and will be claimed", "grace", d.cfg.ShutdownGrace)
		<-finished
	}
	stopKeepers()
	keepers.Wait()
	d.stopBatchers()
	d.logger.Info("stopped")
	return nil
}

// startWorkers starts the workers: they process what urgent and work
// hand them (urgent first) until both are closed.
func (d *Dispatcher) startWorkers(ctx context.Context, urgent, work <-chan item) *sync.WaitGroup {
	var workers sync.WaitGroup
	for range d.cfg.Workers {
		workers.Go(func() {
			for it := range urgentFirst(urgent, work) {
				d.processSafely(ctx, it.e, it.pre)
				d.inFlight.remove(it.e.Ref())
			}
		})
	}
	return &workers
}

// startFeeders starts the loops that feed the workers and look after the
// queue, until ctx is cancelled.
func (d *Dispatcher) startFeeders(ctx context.Context, urgent, work chan<- item) *sync.WaitGroup {
	var feeders sync.WaitGroup
	feeders.Go(func() { d.readLoop(ctx, work) })
	feeders.Go(func() { d.urgentLoop(ctx, urgent) })
	feeders.Go(func() { d.every(ctx, d.cfg.ClaimEvery, func() { d.claim(ctx, urgent, work) }) })
	feeders.Go(func() { d.every(ctx, d.cfg.PromoteEvery, func() { d.promote(ctx) }) })
	feeders.Go(func() { d.every(ctx, d.cfg.StatsEvery, func() { d.refreshStats(ctx) }) })
	feeders.Go(func() {
		d.every(ctx, max(d.cfg.EstateCacheTTL/2, 10*time.Millisecond), func() { d.refreshEstates(ctx) })
	})
	return &feeders
}

// startKeepers starts the loops that keep what this daemon works on its
// own until ctx is cancelled: the entries in flight (see keepInFlight)
// and the job locks it holds (see renewLocks).
func (d *Dispatcher) startKeepers(ctx context.Context) *sync.WaitGroup {
	var keepers sync.WaitGroup
	keepers.Go(func() { d.every(ctx, d.q.KeepEvery(), func() { d.keepInFlight(ctx) }) })
	keepers.Go(func() { d.every(ctx, max(d.cfg.LockTTL/3, 10*time.Millisecond), func() { d.renewLocks(ctx) }) })
	return &keepers
}

// startBatchers starts the archive writer and the settler;
// life bounds their work (see batcher).
func (d *Dispatcher) startBatchers(life context.Context) {
	d.recorder = newRecorder(life, d.store, d.logger, 500)
	d.recorder.observe = func(n int, _ time.Duration, _ error) { d.metrics.ArchiveBatch.Observe(float64(n)) }
	d.recorder.start()
	d.settler = newSettler(life, d.q.Settle, d.logger, 1000, d.traceAcks).start()
}

// stopBatchers flushes what the batchers hold (within their life) and
// stops them.
func (d *Dispatcher) stopBatchers() {
	d.recorder.close()
	d.settler.close()
}

// readRetryMax is the longest pause between two failed reads: reading
// resumes within it of Redis's return (a failed read against a Redis that
// is down costs a refused dial, or the dial timeout). With 10 s, the
// chaos run's Redis restart took 4.7-5.2 s to the first delivery.
const readRetryMax = 2 * time.Second

// readLoop reads every lane, in priority order, and hands the entries to
// the workers; it blocks while all workers are busy, so the backlog stays
// in Redis.
func (d *Dispatcher) readLoop(ctx context.Context, work chan<- item) {
	d.feed(ctx, "read", "read from stream failed", d.q.Read, work)
}

// urgentLoop reads the urgent lane alone and hands its entries to the
// workers ahead of everything already queued for them: readLoop may be
// busy handing out a batch of bulk entries, which takes as long as the
// workers take to do them. Both loops read the urgent lane; the group
// gives each entry to one of them.
func (d *Dispatcher) urgentLoop(ctx context.Context, urgent chan<- item) {
	d.feed(ctx, "urgent", "read from the urgent lane failed", d.q.ReadUrgent, urgent)
}

// feed reads batches with read until ctx is cancelled, marks them in
// flight, prefetches what the batch needs (see prefetch) and sends each
// entry to out. A failed read is logged as failMsg (at most once per 10 s)
// and retried with a growing pause, up to readRetryMax.
func (d *Dispatcher) feed(ctx context.Context, loop, failMsg string, read func(context.Context) ([]queue.Entry, error), out chan<- item) {
	failures := 0
	for ctx.Err() == nil {
		d.awaitArchive(ctx, loop)
		if ctx.Err() != nil {
			return
		}
		entries, err := read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			failures++
			wait := min(time.Duration(failures)*250*time.Millisecond, readRetryMax)
			d.loopLog.Error(failMsg, "err", err, "retry_in", wait)
			sleep(ctx, wait)
			continue
		}
		if failures > 0 {
			d.logger.Info("reading again", "loop", loop, "after", failMsg, "times", failures)
		}
		failures = 0
		for _, e := range entries {
			d.inFlight.add(e.Ref())
		}
		pres := d.prefetch(ctx, entries)
		for i, e := range entries {
			out <- item{e: e, pre: pres[i]}
		}
	}
}

// urgentFirst yields what the workers do: urgent items first, then the others,
// until both channels are closed and drained.
func urgentFirst(urgent, work <-chan item) func(yield func(item) bool) {
	return func(yield func(item) bool) {
		for urgent != nil || work != nil {
			select { // an urgent item waiting goes first
			case it, ok := <-urgent:
				if !ok {
					urgent = nil
					continue
				}
				if !yield(it) {
					return
				}
				continue
			default:
			}
			select {
			case it, ok := <-urgent:
				if !ok {
					urgent = nil
					continue
				}
				if !yield(it) {
					return
				}
			case it, ok := <-work:
				if !ok {
					work = nil
					continue
				}
				if !yield(it) {
					return
				}
			}
		}
	}
}

// keepInFlight resets the idle time of the entries the workers hold (see
// queue.Consumer.Keep): a job that runs longer than the claim idle time is
// then not claimed, by this daemon or another, and its delivery count
// stays as it was, so MaxClaims counts only consumers that left entries.
func (d *Dispatcher) keepInFlight(ctx context.Context) {
	refs := d.inFlight.keys()
	if err := d.q.Keep(ctx, refs...); err != nil && ctx.Err() == nil {
		d.loopLog.Warn("keep entries in progress failed; a long job may be claimed by another daemon", "entries", len(refs), "err", err)
	}
}

// renewLocks extends the job locks this daemon holds (one pipeline): a
// lock is a lease that lapses LockTTL after the last renewal, so the locks
// of a daemon that died lapse soon after it, while a live one keeps its
// locks however long its jobs take. A lock found lapsed (renewals late by
// more than LockTTL, Redis unreachable) is logged: a copy of its job may
// now be taken by another worker.
func (d *Dispatcher) renewLocks(ctx context.Context) {
	locks := d.held.keys()
	if len(locks) == 0 {
		return
	}
	held, err := d.q.RenewMany(ctx, locks, d.cfg.LockTTL)
	if err != nil {
		if ctx.Err() == nil {
			d.loopLog.Warn("renew job locks failed; they lapse unless a later renewal reaches Redis", "locks", len(locks), "lease", d.cfg.LockTTL, "err", err)
		}
		return
	}
	for i, ok := range held {
		if !ok && d.held.has(locks[i]) {
			d.logger.Warn("job lock lapsed before it was renewed; a copy of the job may be processed at the same time", "job_id", locks[i].JobID, "lease", d.cfg.LockTTL)
			d.held.remove(locks[i])
		}
	}
}

// locked notes that this daemon holds the job lock l (see renewLocks).
func (d *Dispatcher) locked(l queue.JobLock) { d.held.add(l) }

// claim takes over entries that another consumer read and never acked.
// Claim returns the urgent lanes' entries first; they go to the workers
// ahead of everything else, as read urgent entries do.
func (d *Dispatcher) claim(ctx context.Context, urgent, work chan<- item) {
	if d.archiveAway(ctx) {
		return // a dead consumer's entries wait for the archive too
	}
	for range 100 { // bounded: at most 100 batches per tick
		entries, err := d.q.Claim(ctx)
		if err != nil {
			if ctx.Err() == nil {
				d.loopLog.Error("claim pending entries failed", "err", err)
			}
			return
		}
		handed, poisoned := 0, 0
		for _, e := range entries {
			if !d.inFlight.addNew(e.Ref()) {
				continue // ours, still in progress: not a dead consumer's
			}
			if claims := e.Deliveries - 1; claims > d.cfg.MaxClaims {
				d.rejectClaimedTooOften(ctx, e, claims)
				d.inFlight.remove(e.Ref())
				poisoned++
				continue
			}
			out := work
			if e.Lane == string(outreach.PriorityUrgent) {
				out = urgent
			}
			select {
			case out <- item{e: e}:
				handed++
			case <-ctx.Done():
				d.inFlight.remove(e.Ref())
				return
			}
		}
		if handed+poisoned == 0 {
			return // nothing idle, or only our own slow entries: the cursor came round
		}
		d.logger.Info("claimed pending entries", "entries", handed)
	}
}

// rejectClaimedTooOften dead-letters (and archives as failed) an entry
// that has been claimed claims times, more than MaxClaims, without any
// consumer settling it: processing it most likely kills the daemon, so it
// is not processed again.
func (d *Dispatcher) rejectClaimedTooOften(ctx context.Context, e queue.Entry, claims int) {
	cause := fmt.Errorf("claimed %d times (limit %d) from consumers that never settled it; processing it may crash the daemon", claims, d.cfg.MaxClaims)
	d.reject(ctx, e, looseJob(e.Job), outreach.Reject(outreach.ReasonClaimedTooOften, cause))
}

func (d *Dispatcher) promote(ctx context.Context) {
	for {
		n, err := d.q.PromoteDue(ctx, d.cfg.Now(), 500)
		if err != nil {
			if ctx.Err() == nil {
				d.loopLog.Error("promote due jobs failed", "err", err)
			}
			return
		}
		if n < 500 {
			return
		}
	}
}

// refreshEstates keeps the estate cache fresh (see estateCache.refresh).
func (d *Dispatcher) refreshEstates(ctx context.Context) {
	if err := d.estates.refresh(ctx); err != nil && ctx.Err() == nil {
		d.loopLog.Warn("refresh the estates failed; messages use the list read last", "err", err)
	}
}

func (d *Dispatcher) refreshStats(ctx context.Context) {
	s, err := d.q.Stats(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.loopLog.Warn("read queue stats failed", "err", err)
		}
		return
	}
	d.metrics.SetQueue(queueSnapshot(d.q.Keys(), s))
}

// every runs fn now and then every interval until ctx is done.
func (d *Dispatcher) every(ctx context.Context, interval time.Duration, fn func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		fn()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
