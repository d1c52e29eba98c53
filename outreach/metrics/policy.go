package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/outreach-dev/outreach/outreach"
)

// PolicyMetrics count what the policy stage, the priority lanes, the
// campaigns and the follow-ups do.
type PolicyMetrics struct {
	// PolicyDecisions counts deliveries the policy stage suppressed,
	// deferred or let through despite a rule (urgent inside quiet hours),
	// by decision and reason.
	PolicyDecisions *prometheus.CounterVec
	// LaneLength (by stream and lane), LaneLag and LanePending (by stream,
	// group and lane) are the queue gauges per lane; see SetQueue.
	LaneLength, LaneLag, LanePending *prometheus.GaugeVec
	// CampaignJobs counts per-resident jobs put on the stream by campaign
	// expansion.
	CampaignJobs prometheus.Counter
	// CampaignRuns counts campaign occurrences fully expanded.
	CampaignRuns prometheus.Counter
	// CampaignJobsHeld counts jobs of paused campaigns parked until resumed.
	CampaignJobsHeld prometheus.Counter
	// FollowUps counts follow-up jobs scheduled, by kind.
	FollowUps *prometheus.CounterVec
}

func newPolicyMetrics(reg prometheus.Registerer) PolicyMetrics {
	lane := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, append(labels, "lane"))
	}
	m := PolicyMetrics{
		PolicyDecisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outreach_policy_decisions_total",
			Help: "Deliveries suppressed, deferred or let through despite a rule (bypassed) by the policy stage, by decision and reason.",
		}, []string{"decision", "reason"}),
		LaneLength:  lane("outreach_lane_length", "Entries in each priority lane's stream (XLEN), by job stream and lane.", "stream"),
		LaneLag:     lane("outreach_lane_lag", "Entries in each priority lane not yet read by the consumer group, by job stream, group and lane.", "stream", "group"),
		LanePending: lane("outreach_lane_pending", "Entries of each priority lane read by the consumer group but not yet acknowledged, by job stream, group and lane.", "stream", "group"),
		CampaignJobs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "outreach_campaign_jobs_enqueued_total",
			Help: "Per-resident jobs put on the stream by campaign expansion.",
		}),
		CampaignRuns: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "outreach_campaign_runs_total",
			Help: "Campaign occurrences fully expanded into jobs.",
		}),
		CampaignJobsHeld: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "outreach_campaign_jobs_held_total",
			Help: "Jobs of paused campaigns parked until the campaign is resumed.",
		}),
		FollowUps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outreach_follow_ups_scheduled_total",
			Help: "Follow-up jobs scheduled after a message was sent, by kind.",
		}, []string{"kind"}),
	}
	reg.MustRegister(m.PolicyDecisions, m.LaneLength, m.LaneLag, m.LanePending,
		m.CampaignJobs, m.CampaignRuns, m.CampaignJobsHeld, m.FollowUps)
	for _, o := range outreach.PolicyOutcomes {
		m.PolicyDecisions.WithLabelValues(string(o.Decision), string(o.Reason))
	}
	for _, k := range outreach.Kinds {
		m.FollowUps.WithLabelValues(string(k))
	}
	return m
}
