package cases

import (
	"cmp"
	"context"
	"time"
)

// Leaser takes a lease shared by the daemons (queue.Consumer.Lease).
type Leaser func(ctx context.Context, name string, ttl time.Duration) (bool, error)

// SweepLease is the name of the lease under which one daemon fires the
// case timers.
const SweepLease = "case-timers"

// DefaultSweepEvery is how often the timers are looked at.
const DefaultSweepEvery = 30 * time.Second

// Sweeper fires due case timers every Every in the daemon that holds the
// lease (another takes over within three runs of its death). Each timer
// fires once even without the lease (see Service.Fire); the lease keeps
// the daemons from all doing the work. Every daemon refreshes the
// outreach_cases gauge.
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
// and says how many timers fired.
func (w *Sweeper) Once(ctx context.Context, ttl time.Duration) int {
	log := w.Service.logger()
	if w.Lease != nil {
		held, err := w.Lease(ctx, SweepLease, ttl)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("case timers: lease failed; trying again at the next tick", "err", err)
			}
			return 0
		}
		if !held {
			w.Service.refreshGauge(ctx)
			return 0
		}
	}
	n, err := w.Service.Fire(ctx)
	if err != nil && ctx.Err() == nil {
		log.Error("case timers failed; trying again at the next tick", "err", err)
	}
	if n > 0 {
		log.Info("case timers fired", "timers", n)
	}
	return n
}
