package daemon

import (
	"context"
	"time"

	"github.com/outreach-dev/outreach/outreach/campaign"
	"github.com/outreach-dev/outreach/outreach/policy"
	"github.com/outreach-dev/outreach/queue"
)

// buildCampaigns wires the campaign service (for the HTTP API) and the
// scheduler that every daemon runs; leases in Redis let one of them expand
// each occurrence.
func (d *Daemon) buildCampaigns(opt Options, consumer *queue.Consumer, zones *policy.Zones, zone *time.Location) {
	now := opt.Dispatch.Now
	d.Campaigns = &campaign.Service{Store: d.Store, Zone: zone, Now: now}
	d.scheduler = &campaign.Scheduler{
		Expander: &campaign.Expander{
			Store:    d.Store,
			Producer: queue.NewProducer(d.Redis, d.Keys),
			Consumer: consumer,
			Zones:    zones,
			Metrics:  d.metrics,
			Logger:   d.logger.With("component", "campaigns"),
			Now:      now,
		},
		Store:    d.Store,
		Consumer: consumer,
		Logger:   d.logger.With("component", "campaigns"),
		Every:    opt.SchedulerEvery,
		Now:      now,
	}
	d.Campaigns.Changed = d.scheduler.Wake
}

// refreshCampaignStats updates the campaign progress metrics from the
// store until ctx is cancelled.
func (d *Daemon) refreshCampaignStats(ctx context.Context) {
	t := time.NewTicker(d.campaignStats)
	defer t.Stop()
	for {
		if err := d.metrics.Campaigns.Refresh(ctx, d.Store); err != nil && ctx.Err() == nil {
			d.logger.Warn("refresh campaign metrics failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
