package config

import "github.com/outreach-dev/outreach/outreach/policy"

// validatePolicy checks the sending policy's caps (policy.Rules carries
// the variables' tags).
func validatePolicy(p policy.Rules, r *report) {
	if !r.wants(GroupPolicy) {
		return
	}
	r.atLeastZero("OUTREACH_BULK_DAILY_CAP", p.DailyCap, "a whole number, 0 or more")
	r.atLeastZero("OUTREACH_BULK_WEEKLY_CAP", p.WeeklyCap, "a whole number, 0 or more")
}
