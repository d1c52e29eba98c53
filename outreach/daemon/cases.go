package daemon

import (
	"context"

	"github.com/outreach-dev/outreach/outreach/cases"
	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/queue"
)

// buildCases makes the complaint loop (see docs/cases.md): the API and
// the CLI open and steer cases through it, the satisfaction loop gives it
// the scores of its follow-ups, and the sweep fires its timers under a
// lease. It must come after buildSurveys.
func (d *Daemon) buildCases(cfg config.Config, consumer *queue.Consumer, opt Options) {
	d.Cases = &cases.Service{
		Store: d.Store,
		Jobs:  queue.NewProducer(d.Redis, d.Keys),
		Settings: cases.Settings{
			Limits: cfg.Cases.Limits, EscalateAt: cfg.Survey.EscalateAt, SurveyExpiry: cfg.Survey.Expiry,
		},
		Metrics:   d.metrics,
		PublicURL: cfg.PublicURL,
		Logger:    d.logger.With("component", "cases"),
		Now:       opt.Dispatch.Now,
	}
	if d.Surveys != nil {
		d.Surveys.Cases = d.Cases
	}
	d.caseSweep = &cases.Sweeper{Service: d.Cases, Lease: consumer.Lease, Every: opt.CaseSweepEvery}
}

// runCaseSweep starts the case timers; the channel closes when they have
// stopped after ctx is done.
func (d *Daemon) runCaseSweep(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	go func() { defer close(done); d.caseSweep.Run(ctx) }()
	return done
}
