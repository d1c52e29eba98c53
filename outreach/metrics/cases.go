package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/outreach-dev/outreach/outreach"
)

// CaseMetrics count what the complaint loop does (package cases).
type CaseMetrics struct {
	// Cases is the number of cases by estate and state, read from the
	// archive by every daemon's case sweep.
	Cases *prometheus.GaugeVec
	// CaseLimitMisses counts response-time limits missed (and escalated),
	// by category and stage (acknowledge, respond, resolve).
	CaseLimitMisses *prometheus.CounterVec
	// CaseEscalations counts escalations by reason (limit, low_score) and
	// result (queued, no_staff).
	CaseEscalations *prometheus.CounterVec
	// CaseMessages counts the messages the loop sends residents, by
	// template and result (queued, unreachable, failed).
	CaseMessages *prometheus.CounterVec
}

// Results of outreach_case_messages_total.
const (
	CaseMessageQueued      = "queued"
	CaseMessageUnreachable = "unreachable"
	CaseMessageFailed      = "failed"
)

func newCaseMetrics(reg prometheus.Registerer) CaseMetrics {
	m := CaseMetrics{
		Cases: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "outreach_cases",
			Help: "Cases (complaints, repair requests) in the archive, by estate and state.",
		}, []string{"estate", "state"}),
		CaseLimitMisses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outreach_case_limit_misses_total",
			Help: "Case response-time limits missed and escalated, by category and stage (acknowledge, respond, resolve).",
		}, []string{"category", "stage"}),
		CaseEscalations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outreach_case_escalations_total",
			Help: "Cases escalated to an estate's staff or manager, by reason (limit, low_score) and result (queued, no_staff).",
		}, []string{"reason", "result"}),
		CaseMessages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outreach_case_messages_total",
			Help: "Messages the complaint loop sent residents, by template and result (queued, unreachable, failed).",
		}, []string{"template", "result"}),
	}
	reg.MustRegister(m.Cases, m.CaseLimitMisses, m.CaseEscalations, m.CaseMessages)
	for _, c := range outreach.CaseCategories {
		for _, st := range outreach.LimitStages {
			m.CaseLimitMisses.WithLabelValues(string(c), st)
		}
	}
	return m
}
