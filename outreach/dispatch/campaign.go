package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/outreach-dev/outreach/outreach"
)

// campaignGate is the stage that honours a campaign's state for the jobs
// it already put on the stream: a paused campaign's job is held until the
// campaign is resumed (the attempt is settled), a cancelled one's
// deliveries are suppressed (the attempt's campaign says so, for the
// policy stage). A job whose "campaign" names no stored campaign (another
// service's label) passes. When the store cannot answer, the job is
// retried later.
func (d *Dispatcher) campaignGate(ctx context.Context, a *attempt) error {
	job := a.job
	if job.Campaign == "" {
		return nil
	}
	state, err := d.states.get(ctx, job.Campaign)
	if err != nil {
		return inStore(fmt.Errorf("look up campaign: %w", err))
	}
	a.campaign = state
	if state != outreach.CampaignPaused {
		return nil
	}
	if err := d.q.Hold(ctx, withJob(a.e, job), job.Campaign); err != nil {
		return pending("hold job of paused campaign failed; entry stays pending", fmt.Errorf("campaign %s: %w", job.Campaign, err))
	}
	d.metrics.CampaignJobsHeld.Inc()
	a.logAttrs(ctx, slog.LevelInfo, "campaign paused; job held until it is resumed", slog.Any("campaign", job.Campaign))
	a.verdict = verdict{kind: settled}
	return nil
}

// campaignStates caches campaigns' states for a short time, so that a
// campaign of 100 000 jobs costs a few store reads, not 100 000.
type campaignStates struct {
	store outreach.CampaignStore
	ttl   time.Duration

	mu     sync.Mutex
	cached map[string]cachedState
}

type cachedState struct {
	state outreach.CampaignState // "" for a name that is no stored campaign
	at    time.Time
}

func newCampaignStates(store outreach.CampaignStore, ttl time.Duration) *campaignStates {
	return &campaignStates{store: store, ttl: ttl, cached: map[string]cachedState{}}
}

// get returns the state of campaign id, "" when there is no such campaign.
func (c *campaignStates) get(ctx context.Context, id string) (outreach.CampaignState, error) {
	c.mu.Lock()
	s, ok := c.cached[id]
	c.mu.Unlock()
	if ok && time.Since(s.at) < c.ttl {
		return s.state, nil
	}
	camp, err := c.store.Campaign(ctx, id)
	switch {
	case errors.Is(err, outreach.ErrNotFound):
		s = cachedState{at: time.Now()}
	case err != nil:
		return "", err
	default:
		s = cachedState{state: camp.State, at: time.Now()}
	}
	c.mu.Lock()
	if len(c.cached) > 10000 { // names from other services are unbounded
		clear(c.cached)
	}
	c.cached[id] = s
	c.mu.Unlock()
	return s.state, nil
}
