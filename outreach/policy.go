package outreach

// PolicyReason says why the policy stage suppressed, deferred or let
// through a delivery. It is archived in Delivery.Policy and is a metric
// label, so it is a short stable token.
type PolicyReason string

// Policy reasons.
const (
	// PolicyOptOutKind: the resident opted out of this kind of message.
	PolicyOptOutKind PolicyReason = "opt_out_kind"
	// PolicyOptOutChannel: the resident opted out of every channel the
	// message could use.
	PolicyOptOutChannel PolicyReason = "opt_out_channel"
	// PolicyDailyCap and PolicyWeeklyCap: the resident had as many bulk
	// messages as the frequency cap allows.
	PolicyDailyCap  PolicyReason = "daily_cap"
	PolicyWeeklyCap PolicyReason = "weekly_cap"
	// PolicyCampaignCancelled: the message belongs to a cancelled campaign.
	PolicyCampaignCancelled PolicyReason = "campaign_cancelled"
	// PolicyQuietHours: it is night where the resident lives.
	PolicyQuietHours PolicyReason = "quiet_hours"
	// PolicyUrgentBypass: an urgent message went out inside quiet hours.
	PolicyUrgentBypass PolicyReason = "urgent_bypass"
	// PolicySurveyFatigue: the resident had a satisfaction survey within
	// the fatigue window (OUTREACH_SURVEY_FATIGUE), and the job did not
	// say it must go (data.required).
	PolicySurveyFatigue PolicyReason = "survey_fatigue"
)

// PolicyDecision is what the policy stage did with a delivery.
type PolicyDecision string

// Policy decisions other than "send as usual".
const (
	DecisionSuppressed PolicyDecision = "suppressed"
	DecisionDeferred   PolicyDecision = "deferred"
	DecisionBypassed   PolicyDecision = "bypassed"
)

// PolicyOutcomes lists every (decision, reason) pair the policy stage can
// produce, in a stable order (to pre-initialize metrics).
var PolicyOutcomes = []struct {
	Decision PolicyDecision
	Reason   PolicyReason
}{
	{DecisionSuppressed, PolicyOptOutKind},
	{DecisionSuppressed, PolicyOptOutChannel},
	{DecisionSuppressed, PolicyDailyCap},
	{DecisionSuppressed, PolicyWeeklyCap},
	{DecisionSuppressed, PolicyCampaignCancelled},
	{DecisionSuppressed, PolicySurveyFatigue},
	{DecisionDeferred, PolicyQuietHours},
	{DecisionBypassed, PolicyQuietHours},
}
