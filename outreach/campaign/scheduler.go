package campaign

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/outreach-dev/outreach/outreach"
	"github.com/outreach-dev/outreach/outreach/logging"
	"github.com/outreach-dev/outreach/queue"
)

// Scheduler drives campaigns from inside every daemon (`outreach serve`);
// leases make sure that each piece of work is done by one of them. Every
// tick it
//
//   - expands the campaigns that are due (see Expander),
//   - releases the held jobs of campaigns that are no longer paused (a
//     resumed campaign's go on; a cancelled one's are archived as
//     suppressed), and
//   - marks done the one-time campaigns whose every job has a final outcome
//     in the archive.
type Scheduler struct {
	Expander *Expander
	Store    outreach.Store
	Consumer *queue.Consumer
	Logger   *slog.Logger
	// Every is the tick (default 1s).
	Every time.Duration
	// Now returns the current time (tests); default time.Now.
	Now func() time.Time

	wakeOnce sync.Once
	wake     chan struct{}
}

func (s *Scheduler) wakeCh() chan struct{} {
	s.wakeOnce.Do(func() { s.wake = make(chan struct{}, 1) })
	return s.wake
}

// Wake makes Run tick now instead of at the next tick: the daemon's
// campaign service calls it when a campaign is created or resumed, so a
// campaign that starts now starts within milliseconds, not up to a tick
// later. It never blocks; wakes that come while a tick runs are merged.
func (s *Scheduler) Wake() {
	select {
	case s.wakeCh() <- struct{}{}:
	default:
	}
}

func (s *Scheduler) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Run ticks until ctx is cancelled. An expansion in progress is cut short
// by the cancellation; its cursor is kept and it resumes later (here or in
// another daemon).
func (s *Scheduler) Run(ctx context.Context) {
	logger := cmp.Or(s.Logger, slog.New(slog.DiscardHandler))
	// A tick that fails fails again on the next (the store or Redis is
	// away): one line per period, counting the others.
	failLog := logging.Throttle(logger, 0, nil)
	t := time.NewTicker(cmp.Or(s.Every, time.Second))
	defer t.Stop()
	for {
		if err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			failLog.Error("campaign scheduler tick failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wakeCh():
		}
	}
}

// Tick does one round of the scheduler's work; errors of one campaign do
// not stop the others and are returned together.
func (s *Scheduler) Tick(ctx context.Context) error {
	var errs []error
	due, err := s.Store.DueCampaigns(ctx, s.now())
	if err != nil {
		return err
	}
	for _, c := range due {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if _, err := s.Expander.Expand(ctx, c.ID); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, s.release(ctx), s.complete(ctx))
	return errors.Join(errs...)
}

// release puts back the held jobs of campaigns that are not paused.
func (s *Scheduler) release(ctx context.Context) error {
	ids, err := s.Consumer.HeldCampaigns(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range ids {
		c, err := s.Store.Campaign(ctx, id)
		switch {
		case errors.Is(err, outreach.ErrNotFound): // gone: let its jobs through
		case err != nil:
			errs = append(errs, err)
			continue
		case c.State == outreach.CampaignPaused:
			continue
		}
		n, err := s.Consumer.ReleaseHeld(ctx, id, s.now(), 0)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if n > 0 && s.Logger != nil {
			s.Logger.Info("released held jobs of campaign", "campaign", id, "jobs", n)
		}
	}
	return errors.Join(errs...)
}

// complete marks done the running campaigns with nothing left to expand
// and every job's outcome final in the archive.
func (s *Scheduler) complete(ctx context.Context) error {
	cs, err := s.Store.Campaigns(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range cs {
		if c.State != outreach.CampaignRunning || c.Occurrence != "" || c.NextRun != nil {
			continue
		}
		byStatus, err := s.Store.CampaignStatusCounts(ctx, c.ID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if outreach.CountCampaign(c.Targeted, byStatus).Finished() < c.Targeted {
			continue
		}
		_, err = s.Store.UpdateCampaign(ctx, c.ID, func(cc *outreach.Campaign) error {
			if cc.State != outreach.CampaignRunning || cc.Occurrence != "" || cc.NextRun != nil {
				return errStale
			}
			cc.State = outreach.CampaignDone
			return nil
		})
		if err != nil && !errors.Is(err, errStale) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
