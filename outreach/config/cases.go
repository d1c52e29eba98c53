package config

import "github.com/outreach-dev/outreach/outreach"

// Cases is the complaint loop's settings (see docs/cases.md).
type Cases struct {
	// Limits are response-time limits and follow-up delays over the
	// practice's defaults (an estate's case_limits come first).
	Limits outreach.CaseLimits `env:"OUTREACH_CASE_LIMITS" group:"cases" doc:"(the defaults)" want:"entries such as \"lift: acknowledge=10m; *: follow_up=48h\"" help:"case response-time limits and follow-up delays over the practice's defaults (lift: acknowledge 15m, respond 2h, resolve 48h; facility: resolve 24h; others: acknowledge 24h; follow-up 24h after resolution), e.g. lift: acknowledge=10m; *: follow_up=48h; an estate's case_limits come first (see [Cases](cases.md#response-time-limits))"`
	// FromInbound: an SMS from a known resident that answers no survey
	// and is no keyword opens a case.
	FromInbound bool `env:"OUTREACH_CASES_FROM_INBOUND" envDefault:"off" group:"cases" want:"on or off" help:"on: an inbound SMS from a known resident that answers no survey and is no keyword opens a case (category other, received sms; see [Cases](cases.md#cases-from-inbound-messages))"`
}
