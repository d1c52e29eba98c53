package daemon

import (
	"context"

	"github.com/outreach-dev/outreach/outreach/config"
	"github.com/outreach-dev/outreach/outreach/survey"
	"github.com/outreach-dev/outreach/queue"
)

// buildSurveys makes the satisfaction loop (see docs/surveys.md): the
// dispatcher asks it before a satisfaction_callback goes and tells it what
// was sent, the SMS webhook gives it replies, and the sweep expires
// surveys under a lease.
func (d *Daemon) buildSurveys(cfg config.Config, consumer *queue.Consumer, opt Options) *survey.Service {
	fatigue := cfg.Survey.Fatigue
	if fatigue == 0 {
		fatigue = -1 // the setting's 0 is "no limit"
	}
	d.Surveys = &survey.Service{
		Store: d.Store,
		Jobs:  queue.NewProducer(d.Redis, d.Keys),
		Settings: survey.Settings{
			Expiry: cfg.Survey.Expiry, Fatigue: fatigue, EscalateAt: cfg.Survey.EscalateAt,
		},
		Metrics:   d.metrics,
		PublicURL: cfg.PublicURL,
		Logger:    d.logger.With("component", "survey"),
		Now:       opt.Dispatch.Now,
	}
	if cfg.PublicURL != "" {
		// The score links are signed with a key derived from the
		// unsubscribe secret (checked with OUTREACH_PUBLIC_URL at start).
		d.Surveys.Links = survey.NewLinks(cfg.Delivery.UnsubscribeSecret, cfg.PublicURL)
	}
	d.surveySweep = &survey.Sweeper{Service: d.Surveys, Lease: consumer.Lease, Every: opt.SurveySweepEvery}
	return d.Surveys
}

// runSurveySweep starts the expiry sweep; the channel closes when it has
// stopped after ctx is done.
func (d *Daemon) runSurveySweep(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	go func() { defer close(done); d.surveySweep.Run(ctx) }()
	return done
}
