package survey

import (
	"cmp"
	"context"
	"time"
)

// Leaser takes a lease shared by the daemons (queue.Consumer.Lease).
type Leaser func(ctx context.Context, name string, ttl time.Duration) (bool, error)

// SweepLease is the name of the lease under which one daemon expires
// surveys.
const SweepLease = "survey-expiry"

// DefaultSweepEvery is how often the expiry sweep runs.
const DefaultSweepEvery = time.Minute

// Sweeper expires due surveys every Every, in the daemon that holds the
// lease (it renews it each run, and another daemon takes over within
// three runs of its death). The store expires each survey once even
// without the lease; the lease keeps the daemons from all doing the work.
type Sweeper struct {
	Service *Service
	Lease   Leaser // nil: every daemon sweeps
	Every   time.Duration
}

// Run sweeps at once and then every Every until ctx is done.
func (w *Sweeper) Run(ctx context.Context) {
	every := cmp.Or(w.Every, DefaultSweepEvery)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		w.Once(ctx, 3*every)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Once runs one sweep if this daemon holds (or takes) the lease for ttl,
// and says how many surveys it expired.
func (w *Sweeper) Once(ctx context.Context, ttl time.Duration) int {
	log := w.Service.logger()
	if w.Lease != nil {
		held, err := w.Lease(ctx, SweepLease, ttl)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("survey expiry: lease failed; trying again at the next tick", "err", err)
			}
			return 0
		}
		if !held {
			return 0
		}
	}
	n, err := w.Service.Expire(ctx)
	if err != nil && ctx.Err() == nil {
		log.Error("survey expiry failed; trying again at the next tick", "err", err)
	}
	if n > 0 {
		log.Info("surveys expired", "surveys", n)
	}
	return n
}
