package config

import (
	"fmt"
	"strconv"

	"github.com/outreach-dev/outreach/outreach/policy"
)

// policyVars are the variables of the sending policy, listed in Vars.
var policyVars = []Var{
	{"OUTREACH_QUIET_HOURS", policy.DefaultQuietHours, "quiet hours in each resident's time zone, e.g. 21:00-08:00,maintenance_notice=23:00-06:00,follow_up=off (off: none)"},
	{"OUTREACH_BULK_DAILY_CAP", "3", "most bulk messages per resident in any 24 hours (0: no cap)"},
	{"OUTREACH_BULK_WEEKLY_CAP", "10", "most bulk messages per resident in any 7 days (0: no cap)"},
}

// loadPolicy reads the policy variables through get, appending problems to
// errs.
func loadPolicy(get func(name, def string) string, errs *[]error) policy.Rules {
	var r policy.Rules
	qh := get("OUTREACH_QUIET_HOURS", policy.DefaultQuietHours)
	q, err := policy.ParseQuietHours(qh)
	if err != nil {
		*errs = append(*errs, fmt.Errorf("OUTREACH_QUIET_HOURS: %w", err))
	}
	r.QuietHours = q
	capOf := func(name, def string) int {
		v := get(name, def)
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			*errs = append(*errs, fmt.Errorf("%s: want a whole number, 0 or more, got %q", name, v))
			return 0
		}
		return n
	}
	r.DailyCap = capOf("OUTREACH_BULK_DAILY_CAP", "3")
	r.WeeklyCap = capOf("OUTREACH_BULK_WEEKLY_CAP", "10")
	return r
}
