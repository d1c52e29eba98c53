package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/outreach-dev/outreach/outreach"
)

// SurveyMetrics count what the satisfaction loop does (package survey).
type SurveyMetrics struct {
	// SurveysSent counts surveys opened (a satisfaction_callback a
	// provider took), by channel.
	SurveysSent *prometheus.CounterVec
	// SurveyResponses counts scores recorded, by estate and score (1-5):
	// the satisfied rate is the share of 4 and 5.
	SurveyResponses *prometheus.CounterVec
	// SurveysExpired counts surveys that expired unanswered.
	SurveysExpired prometheus.Counter
	// SurveyEscalations counts low scores sent to an estate's staff, by
	// result: enqueued, or no_staff (the estate has no staff resident;
	// the call-back task is recorded all the same).
	SurveyEscalations *prometheus.CounterVec
	// SurveyReplies counts SMS replies the satisfaction loop looked at,
	// by result (see the Reply* constants).
	SurveyReplies *prometheus.CounterVec
}

// The result label values of outreach_survey_replies_total.
const (
	ReplyScored       = "scored"         // a score, recorded on the open survey
	ReplyCommented    = "commented"      // words without a score, kept as the comment
	ReplyReasked      = "reasked"        // ... and the resident was asked once more
	ReplyClosed       = "closed"         // STOP/退订 closed the open survey
	ReplyUnknown      = "unknown_sender" // a number nobody in the directory has
	ReplyNoSurvey     = "no_open_survey" // the resident has no open survey
	ReplyExpired      = "expired"        // the resident's survey has expired
	ReplyDuplicate    = "duplicate"      // a provider's retry of a reply already taken
	EscalationQueued  = "enqueued"
	EscalationNoStaff = "no_staff"
)

func newSurveyMetrics(reg prometheus.Registerer) SurveyMetrics {
	m := SurveyMetrics{
		SurveysSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outreach_surveys_sent_total",
			Help: "Satisfaction surveys opened (a satisfaction_callback a provider took), by channel.",
		}, []string{"channel"}),
		SurveyResponses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outreach_survey_responses_total",
			Help: "Satisfaction survey scores recorded, by estate and score (1-5).",
		}, []string{"estate", "score"}),
		SurveysExpired: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "outreach_surveys_expired_total",
			Help: "Satisfaction surveys that expired unanswered.",
		}),
		SurveyEscalations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outreach_survey_escalations_total",
			Help: "Low survey scores sent to the estate's staff, by result (enqueued, no_staff).",
		}, []string{"result"}),
		SurveyReplies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "outreach_survey_replies_total",
			Help: "SMS replies looked at by the satisfaction loop, by result (scored, commented, reasked, closed, unknown_sender, no_open_survey, expired, duplicate).",
		}, []string{"result"}),
	}
	reg.MustRegister(m.SurveysSent, m.SurveyResponses, m.SurveysExpired, m.SurveyEscalations, m.SurveyReplies)
	for _, c := range []outreach.Channel{outreach.ChannelSMS, outreach.ChannelEmail} {
		m.SurveysSent.WithLabelValues(string(c))
	}
	for s := 1; s <= 5; s++ {
		m.SurveyResponses.WithLabelValues(outreach.DefaultEstateID, strconv.Itoa(s))
	}
	for _, r := range []string{EscalationQueued, EscalationNoStaff} {
		m.SurveyEscalations.WithLabelValues(r)
	}
	for _, r := range []string{ReplyScored, ReplyCommented, ReplyReasked, ReplyClosed, ReplyUnknown, ReplyNoSurvey, ReplyExpired, ReplyDuplicate} {
		m.SurveyReplies.WithLabelValues(r)
	}
	return m
}
