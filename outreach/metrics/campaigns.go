package metrics

import (
	"context"
	"fmt"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/outreach-dev/outreach/outreach"
)

// MaxCampaignSeries bounds the campaigns shown one by one in
// outreach_campaign_targeted and outreach_campaign_deliveries: the newest
// running or paused ones. The others are summed under campaign="_other",
// so the series count stays bounded however many campaigns run.
const MaxCampaignSeries = 20

// OtherCampaigns is the campaign label of the campaigns beyond MaxCampaignSeries.
const OtherCampaigns = "_other"

// CampaignProgress shows where campaigns stand, from the store: how many
// campaigns are in each state, and for the active ones (running or
// paused) the jobs they targeted and their deliveries by status. Every
// daemon refreshes it (Refresh); query it with max by (...) across
// daemons, not sum.
type CampaignProgress struct {
	// ByState is the number of campaigns in each state.
	ByState *prometheus.GaugeVec
	// Targeted is the per-resident jobs an active campaign put on the stream.
	Targeted *prometheus.GaugeVec
	// Deliveries is an active campaign's archived deliveries by status.
	Deliveries *prometheus.GaugeVec

	mu    sync.Mutex      // one Refresh at a time
	shown map[string]bool // campaign labels set by the last Refresh
}

func newCampaignProgress(reg prometheus.Registerer) *CampaignProgress {
	p := &CampaignProgress{
		ByState: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "outreach_campaigns",
			Help: "Campaigns by state (scheduled, running, paused, done, cancelled).",
		}, []string{"state"}),
		Targeted: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "outreach_campaign_targeted",
			Help: "Per-resident jobs a running or paused campaign put on the stream (the newest 20 campaigns; the rest as campaign=\"_other\").",
		}, []string{"campaign"}),
		Deliveries: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "outreach_campaign_deliveries",
			Help: "Archived deliveries of a running or paused campaign by status (the newest 20 campaigns; the rest as campaign=\"_other\").",
		}, []string{"campaign", "status"}),
	}
	reg.MustRegister(p.ByState, p.Targeted, p.Deliveries)
	for _, s := range outreach.CampaignStates {
		p.ByState.WithLabelValues(string(s))
	}
	return p
}

// Refresh reads the campaigns and the active ones' delivery counts from
// store and replaces the gauges' values. On error the gauges keep their
// previous values.
func (p *CampaignProgress) Refresh(ctx context.Context, store outreach.CampaignStore) error {
	cs, err := store.Campaigns(ctx) // newest first
	if err != nil {
		return fmt.Errorf("list campaigns: %w", err)
	}
	byState := map[outreach.CampaignState]int{}
	targeted := map[string]int64{}
	deliveries := map[string]map[outreach.Status]int64{}
	var order []string
	for _, c := range cs {
		byState[c.State]++
		if c.State != outreach.CampaignRunning && c.State != outreach.CampaignPaused {
			continue
		}
		counts, err := store.CampaignStatusCounts(ctx, c.ID)
		if err != nil {
			return fmt.Errorf("count deliveries of campaign %s: %w", c.ID, err)
		}
		label := c.ID
		if len(order) >= MaxCampaignSeries {
			label = OtherCampaigns
		}
		if _, seen := deliveries[label]; !seen {
			order = append(order, label)
			deliveries[label] = map[outreach.Status]int64{}
		}
		targeted[label] += c.Targeted
		for s, n := range counts {
			deliveries[label][s] += n
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range outreach.CampaignStates {
		p.ByState.WithLabelValues(string(s)).Set(float64(byState[s]))
	}
	shown := make(map[string]bool, len(order))
	for _, label := range order {
		shown[label] = true
		p.Targeted.WithLabelValues(label).Set(float64(targeted[label]))
		for _, s := range outreach.Statuses {
			p.Deliveries.WithLabelValues(label, string(s)).Set(float64(deliveries[label][s]))
		}
	}
	for label := range p.shown { // campaigns that ended since the last refresh
		if !shown[label] {
			p.Targeted.DeleteLabelValues(label)
			p.Deliveries.DeletePartialMatch(prometheus.Labels{"campaign": label})
		}
	}
	p.shown = shown
	return nil
}
